//! The original suite's `app_status`: one row (id 1) that the 500 handler marks as an error,
//! reported by `/_status`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_status")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `ok` or `error`.
    pub status: String,
    pub message: Option<String>,
    pub last_updated: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
