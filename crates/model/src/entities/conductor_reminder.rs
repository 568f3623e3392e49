use sea_orm::entity::prelude::*;

/// A lead-time reminder sent: to one user, about one contract, on one day. Each goes once
/// (`conductor::reminders` inserts the row in the transaction that queues the email, and sends
/// nothing when it is already there).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conductor_reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contract_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
