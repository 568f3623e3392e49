use sea_orm::entity::prelude::*;

/// What an entry records (`kind`; the database checks it).
pub const KINDS: [&str; 15] = [
    ENTERED,
    EXITED,
    REVERSION,
    FLOW_SWITCH,
    EXTENSION,
    NOTE,
    UPDATE_EMAIL,
    METADATA,
    BEACON_POST,
    ASSIGNED,
    STARTED,
    REMOVED,
    RESTORED,
    KILLED,
    COMPLETED,
];
/// The work entered a stage.
pub const ENTERED: &str = "entered";
/// A stage was completed.
pub const EXITED: &str = "exited";
/// The work went back to an earlier stage.
pub const REVERSION: &str = "reversion";
/// The work moved to another flow (the detail holds the old flow's log).
pub const FLOW_SWITCH: &str = "flow_switch";
/// The parent contract's expiration was extended.
pub const EXTENSION: &str = "extension";
/// A note from staff.
pub const NOTE: &str = "note";
/// An update email was sent.
pub const UPDATE_EMAIL: &str = "update_email";
/// The successor's metadata (department, spec number, controller number) changed.
pub const METADATA: &str = "metadata";
/// An opportunity was posted to (or updated on) Beacon.
pub const BEACON_POST: &str = "beacon_post";
/// The work was reassigned.
pub const ASSIGNED: &str = "assigned";
/// The work was started, or its start time changed.
pub const STARTED: &str = "started";
/// The work was taken out of Conductor.
pub const REMOVED: &str = "removed";
/// Removed work was brought back.
pub const RESTORED: &str = "restored";
/// The work was stopped for good.
pub const KILLED: &str = "killed";
/// The wizard published the successor.
pub const COMPLETED: &str = "completed";

/// One entry of a work item's log: append-only. A revert or flow switch marks the entries it
/// leaves behind `superseded_at`; a deleted note is marked `deleted_at`, never erased.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_item_activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The work item; its log goes with it.
    pub work_item_id: i32,
    /// The stage row it happened at; None for what concerns the whole item.
    pub work_item_stage_id: Option<i64>,
    /// One of [`KINDS`].
    pub kind: String,
    /// The entry's facts, as JSON (a note's text, an email's recipients and subject, …).
    pub detail: String,
    /// When it happened (for entering and leaving stages, the time the staff member chose).
    pub taken_at: DateTimeUtc,
    /// Who did it; None for the system, or once that user is deleted.
    pub taken_by: Option<i32>,
    /// Who did it, as they were shown then: kept when the user is deleted.
    pub taken_by_name: Option<String>,
    /// When a revert or a flow switch left it behind; None while it counts.
    pub superseded_at: Option<DateTimeUtc>,
    /// When the note was deleted; None while it shows.
    pub deleted_at: Option<DateTimeUtc>,
    /// Who deleted it; None once that user is deleted.
    pub deleted_by: Option<i32>,
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
    #[sea_orm(
        belongs_to = "super::work_item_stage::Entity",
        from = "Column::WorkItemStageId",
        to = "super::work_item_stage::Column::Id"
    )]
    WorkItemStage,
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::TakenBy", to = "super::user::Column::Id")]
    TakenBy,
}

impl Related<super::work_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WorkItem.def()
    }
}

impl Related<super::work_item_stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WorkItemStage.def()
    }
}

/// Who took it.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TakenBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
