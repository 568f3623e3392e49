use sea_orm::entity::prelude::*;

/// An import started from the admin.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `contracts`, `state`, `costars` or `nigp`.
    pub kind: String,
    pub file_name: String,
    /// The uploaded file (`stored_files.id`).
    pub file_id: Option<i64>,
    /// `previewed`, `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub rows_done: i64,
    pub rows_total: i64,
    /// JSON of the preview's or the run's report.
    pub report: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
