use sea_orm::entity::prelude::*;

/// One anonymous request that would send email (or check a password), kept for a day so each
/// action can be limited per email address and per client address (see `accounts::throttle`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "throttle_hits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Which limit it counts against, e.g. `accounts.sign_in_link`.
    pub action: String,
    /// The bare, lower-cased address it was for.
    pub email: String,
    pub client_ip: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
