use sea_orm::entity::prelude::*;

/// A file kept with a work item: an update email's attachment (`activity_id` names that email's
/// log entry). Goes with the work item; its stored file cannot be deleted while it is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_item_files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub work_item_id: i32,
    pub activity_id: Option<i64>,
    /// The `stored_files` record (one work item per file).
    #[sea_orm(unique)]
    pub file_id: i64,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::work_item::Entity",
        from = "Column::WorkItemId",
        to = "super::work_item::Column::Id"
    )]
    WorkItem,
}

impl Related<super::work_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WorkItem.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
