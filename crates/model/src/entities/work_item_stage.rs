use sea_orm::entity::prelude::*;

/// A work item's passage through one stage of one flow: all the flow's rows are made when the
/// item enters it. Never deleted: a revert or a flow switch marks the rows it leaves behind
/// `superseded_at` and makes new ones, so only one row per (item, flow, stage) is current (the
/// database checks it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_item_stages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The work item; its rows go with it.
    pub work_item_id: i32,
    /// The flow this row belongs to (the item's flow when it was made).
    pub flow_id: i32,
    /// The stage this row times.
    pub stage_id: i32,
    /// The stage's 0-based place in that flow, copied from `flow_stages`.
    pub position: i32,
    /// When the work entered the stage; None while it has not (or since a revert cleared it).
    pub entered_at: Option<DateTimeUtc>,
    /// When the stage was completed; None while it is current or ahead.
    pub exited_at: Option<DateTimeUtc>,
    /// When a revert or a flow switch left this row behind; None for the current row.
    pub superseded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::work_item::Entity",
        from = "Column::WorkItemId",
        to = "super::work_item::Column::Id"
    )]
    WorkItem,
    #[sea_orm(belongs_to = "super::flow::Entity", from = "Column::FlowId", to = "super::flow::Column::Id")]
    Flow,
    #[sea_orm(belongs_to = "super::stage::Entity", from = "Column::StageId", to = "super::stage::Column::Id")]
    Stage,
    #[sea_orm(has_many = "super::work_item_activity::Entity")]
    Activity,
}

impl Related<super::work_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WorkItem.def()
    }
}

impl Related<super::flow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flow.def()
    }
}

impl Related<super::stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stage.def()
    }
}

impl Related<super::work_item_activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
