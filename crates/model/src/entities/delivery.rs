use sea_orm::entity::prelude::*;

/// One notification sent to one recipient; its key makes a second send impossible.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    /// What was sent, e.g. `beacon.new_opportunity:42`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub message: String,
    /// To whom (an email address, lower-cased).
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
