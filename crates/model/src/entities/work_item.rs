use sea_orm::entity::prelude::*;

/// What a work item can be (`status`; the database checks it): moving through its flow; taken
/// out of Conductor, undoably; killed (its successor archived, the parent free for new work);
/// completed (its successor published).
pub const STATUSES: [&str; 4] = [IN_PROGRESS, REMOVED, KILLED, COMPLETED];
pub const IN_PROGRESS: &str = "in_progress";
pub const REMOVED: &str = "removed";
pub const KILLED: &str = "killed";
pub const COMPLETED: &str = "completed";

/// One piece of Conductor's work: a renewal of a contract, or new work, moving through a flow
/// towards a successor contract. At most one work item that is not killed renews a given
/// contract (the database checks it).
///
/// The table also holds what Conductor's index sorts, searches and shows each item by
/// (`renews_expiration`, `stage_entered_at`, `sort_*`, `search_text`, the spec numbers), which
/// the database's triggers keep and this entity leaves unmapped so that no code writes them
/// (migration 20).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The successor contract the work produces: invisible in Scout while the work is in
    /// progress, published on completion. One work item per contract; deleted with it.
    #[sea_orm(unique)]
    pub contract_id: i32,
    /// The contract being renewed; None for new work (or once that contract is deleted).
    pub parent_id: Option<i32>,
    /// The flow the work follows now (a flow switch changes it).
    pub flow_id: i32,
    /// The stage the work is at; None before it enters its flow.
    pub current_stage_id: Option<i32>,
    /// The staff member doing it; None once that user is deleted.
    pub assignee_id: Option<i32>,
    /// The department it is for.
    pub department_id: Option<i32>,
    /// One of [`STATUSES`].
    pub status: String,
    /// The completion wizard's draft (its steps' fields, as JSON), kept server-side between
    /// steps; None when no draft is open.
    pub wizard: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The successor contract.
    #[sea_orm(belongs_to = "super::contract::Entity", from = "Column::ContractId", to = "super::contract::Column::Id")]
    Contract,
    /// The contract being renewed.
    #[sea_orm(belongs_to = "super::contract::Entity", from = "Column::ParentId", to = "super::contract::Column::Id")]
    Parent,
    #[sea_orm(belongs_to = "super::flow::Entity", from = "Column::FlowId", to = "super::flow::Column::Id")]
    Flow,
    #[sea_orm(belongs_to = "super::stage::Entity", from = "Column::CurrentStageId", to = "super::stage::Column::Id")]
    CurrentStage,
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::AssigneeId", to = "super::user::Column::Id")]
    Assignee,
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id"
    )]
    Department,
    #[sea_orm(has_many = "super::work_item_stage::Entity")]
    Stages,
    #[sea_orm(has_many = "super::work_item_activity::Entity")]
    Activity,
}

/// The successor contract (for the parent, join `Relation::Parent`).
impl Related<super::contract::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contract.def()
    }
}

impl Related<super::flow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flow.def()
    }
}

/// The current stage.
impl Related<super::stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CurrentStage.def()
    }
}

/// The assignee.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignee.def()
    }
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::work_item_stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stages.def()
    }
}

impl Related<super::work_item_activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
