use sea_orm::entity::prelude::*;

/// A weekly digest sent: to one user, for one week (its Monday). Each goes once
/// (`conductor::digest` inserts the row in the transaction that queues the email).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conductor_digests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub week: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
