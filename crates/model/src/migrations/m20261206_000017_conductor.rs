//! Conductor (issue 15): the staff's workflow over contract renewals and new purchases.
//!
//! A *stage* is a step (shared by flows); a *flow* is an ordered list of stages (`flow_stages`,
//! fixed once made: re-ordering means a new flow). A *work item* is one piece of work moving
//! through a flow: it owns a successor contract row (`contract_id`, invisible while in
//! progress) and names the contract it renews (`parent_id`, NULL for new work). At most one
//! live work item renews a given contract: only a killed one leaves room for another.
//!
//! `work_item_stages` has one row per stage of the item's flow, with the times it was entered
//! and left; a revert or a flow switch marks the rows it leaves behind `superseded_at`, so no
//! row is ever deleted and only one row per (item, flow, stage) is current. `work_item_activity`
//! is the append-only log of what was done (entering and leaving stages, notes, emails, posts to
//! Beacon, …); a deleted note is marked (`deleted_at`, `deleted_by`), not erased, and who took an
//! action is kept by name for when that user is deleted. `contract_terms` records each
//! extension of a contract's expiration.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a work item can be: moving through its flow, taken out of Conductor (undoably), killed
/// (its successor archived; the parent free for new work), or completed (its successor
/// published).
const STATUSES: [&str; 4] = ["in_progress", "removed", "killed", "completed"];

/// What an activity entry records.
const KINDS: [&str; 15] = [
    "entered",
    "exited",
    "reversion",
    "flow_switch",
    "extension",
    "note",
    "update_email",
    "metadata",
    "beacon_post",
    "assigned",
    "started",
    "removed",
    "restored",
    "killed",
    "completed",
];

#[derive(DeriveIden)]
enum Stages {
    Table,
    Id,
    Name,
    /// Whether the stage's page offers posting the work to Beacon.
    PostOpportunities,
    /// The body an update email from this stage starts with.
    DefaultMessage,
    /// How many days the stage should take; past it the work is overdue.
    TargetDays,
}

#[derive(DeriveIden)]
enum Flows {
    Table,
    Id,
    Name,
    /// Hidden from starting work; items already in it carry on.
    IsArchived,
}

#[derive(DeriveIden)]
enum FlowStages {
    Table,
    FlowId,
    StageId,
    /// 0-based.
    Position,
}

#[derive(DeriveIden)]
enum WorkItems {
    Table,
    Id,
    /// The successor contract row the work produces.
    ContractId,
    /// The contract being renewed; NULL for new work.
    ParentId,
    FlowId,
    CurrentStageId,
    AssigneeId,
    DepartmentId,
    Status,
    /// The completion wizard's draft, as JSON.
    Wizard,
}

#[derive(DeriveIden)]
enum WorkItemStages {
    Table,
    Id,
    WorkItemId,
    FlowId,
    StageId,
    Position,
    EnteredAt,
    ExitedAt,
    SupersededAt,
}

#[derive(DeriveIden)]
enum WorkItemActivity {
    Table,
    Id,
    WorkItemId,
    WorkItemStageId,
    Kind,
    /// JSON.
    Detail,
    TakenAt,
    TakenBy,
    /// Who took it, as shown then: kept when the user is deleted.
    TakenByName,
    SupersededAt,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum ContractTerms {
    Table,
    Id,
    ContractId,
    /// The expiration this term runs to.
    ExpirationDate,
    /// The expiration before this term; NULL when there was none.
    PreviousExpiration,
    Reason,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: impl IntoIden,
    table: impl IntoIden,
    to: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from_col(from).to(table, to).on_delete(on_delete).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(Stages::Table)
                    .col(pk_auto(Stages::Id))
                    .col(string_uniq(Stages::Name))
                    .col(boolean(Stages::PostOpportunities).default(false))
                    .col(text_null(Stages::DefaultMessage))
                    .col(
                        integer_null(Stages::TargetDays)
                            .check(Expr::col(Stages::TargetDays).is_null().or(Expr::col(Stages::TargetDays).gt(0))),
                    ),
                "stages",
            ))
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(Flows::Table)
                    .col(pk_auto(Flows::Id))
                    .col(string_uniq(Flows::Name))
                    .col(boolean(Flows::IsArchived).default(false)),
                "flows",
            ))
            .await?;

        // A list's membership, like Beacon's link tables: no audit columns (the flow's own say
        // who made it, and the order never changes).
        manager
            .create_table(
                Table::create()
                    .table(FlowStages::Table)
                    .col(integer(FlowStages::FlowId))
                    .col(integer(FlowStages::StageId))
                    .col(integer(FlowStages::Position).check(Expr::col(FlowStages::Position).gte(0)))
                    .primary_key(Index::create().col(FlowStages::FlowId).col(FlowStages::Position))
                    .foreign_key(&mut fk(
                        "fk_flow_stages_flow",
                        FlowStages::FlowId,
                        Flows::Table,
                        Flows::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_flow_stages_stage",
                        FlowStages::StageId,
                        Stages::Table,
                        Stages::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_flow_stages_flow_stage")
                    .table(FlowStages::Table)
                    .col(FlowStages::FlowId)
                    .col(FlowStages::StageId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_flow_stages_stage")
                    .table(FlowStages::Table)
                    .col(FlowStages::StageId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(WorkItems::Table)
                    .col(pk_auto(WorkItems::Id))
                    .col(integer_uniq(WorkItems::ContractId))
                    .col(integer_null(WorkItems::ParentId))
                    .col(integer(WorkItems::FlowId))
                    .col(integer_null(WorkItems::CurrentStageId))
                    .col(integer_null(WorkItems::AssigneeId))
                    .col(integer_null(WorkItems::DepartmentId))
                    .col(
                        string(WorkItems::Status)
                            .default(STATUSES[0])
                            .check(Expr::col(WorkItems::Status).is_in(STATUSES)),
                    )
                    .col(text_null(WorkItems::Wizard))
                    .foreign_key(&mut fk(
                        "fk_work_items_contract",
                        WorkItems::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_items_parent",
                        WorkItems::ParentId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_items_flow",
                        WorkItems::FlowId,
                        Flows::Table,
                        Flows::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_items_current_stage",
                        WorkItems::CurrentStageId,
                        Stages::Table,
                        Stages::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_items_assignee",
                        WorkItems::AssigneeId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_items_department",
                        WorkItems::DepartmentId,
                        Departments::Table,
                        Departments::Id,
                        ForeignKeyAction::SetNull,
                    )),
                "work_items",
            ))
            .await?;
        // One live successor per contract: a second start on the same contract is refused until
        // the first is killed. Removed and completed items still hold their parent.
        manager
            .create_index(
                Index::create()
                    .name("idx_work_items_one_live_per_parent")
                    .table(WorkItems::Table)
                    .col(WorkItems::ParentId)
                    .unique()
                    .and_where(Expr::col(WorkItems::ParentId).is_not_null())
                    .and_where(Expr::col(WorkItems::Status).ne("killed"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_work_items_assignee")
                    .table(WorkItems::Table)
                    .col(WorkItems::AssigneeId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_work_items_flow").table(WorkItems::Table).col(WorkItems::FlowId).to_owned(),
            )
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(WorkItemStages::Table)
                    .col(big_pk_auto(WorkItemStages::Id))
                    .col(integer(WorkItemStages::WorkItemId))
                    .col(integer(WorkItemStages::FlowId))
                    .col(integer(WorkItemStages::StageId))
                    .col(integer(WorkItemStages::Position).check(Expr::col(WorkItemStages::Position).gte(0)))
                    .col(timestamp_with_time_zone_null(WorkItemStages::EnteredAt))
                    .col(timestamp_with_time_zone_null(WorkItemStages::ExitedAt))
                    .col(timestamp_with_time_zone_null(WorkItemStages::SupersededAt))
                    .foreign_key(&mut fk(
                        "fk_work_item_stages_work_item",
                        WorkItemStages::WorkItemId,
                        WorkItems::Table,
                        WorkItems::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_item_stages_flow",
                        WorkItemStages::FlowId,
                        Flows::Table,
                        Flows::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_item_stages_stage",
                        WorkItemStages::StageId,
                        Stages::Table,
                        Stages::Id,
                        ForeignKeyAction::Restrict,
                    )),
                "work_item_stages",
            ))
            .await?;
        // One current row per (item, flow, stage); superseded ones are kept beside it.
        manager
            .create_index(
                Index::create()
                    .name("idx_work_item_stages_current")
                    .table(WorkItemStages::Table)
                    .col(WorkItemStages::WorkItemId)
                    .col(WorkItemStages::FlowId)
                    .col(WorkItemStages::StageId)
                    .unique()
                    .and_where(Expr::col(WorkItemStages::SupersededAt).is_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(WorkItemActivity::Table)
                    .col(big_pk_auto(WorkItemActivity::Id))
                    .col(integer(WorkItemActivity::WorkItemId))
                    .col(big_integer_null(WorkItemActivity::WorkItemStageId))
                    .col(string(WorkItemActivity::Kind).check(Expr::col(WorkItemActivity::Kind).is_in(KINDS)))
                    .col(text(WorkItemActivity::Detail))
                    .col(timestamp_with_time_zone(WorkItemActivity::TakenAt))
                    .col(integer_null(WorkItemActivity::TakenBy))
                    .col(string_null(WorkItemActivity::TakenByName))
                    .col(timestamp_with_time_zone_null(WorkItemActivity::SupersededAt))
                    .col(timestamp_with_time_zone_null(WorkItemActivity::DeletedAt))
                    .col(integer_null(WorkItemActivity::DeletedBy))
                    .foreign_key(&mut fk(
                        "fk_work_item_activity_work_item",
                        WorkItemActivity::WorkItemId,
                        WorkItems::Table,
                        WorkItems::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_item_activity_stage",
                        WorkItemActivity::WorkItemStageId,
                        WorkItemStages::Table,
                        WorkItemStages::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_item_activity_taken_by",
                        WorkItemActivity::TakenBy,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_work_item_activity_deleted_by",
                        WorkItemActivity::DeletedBy,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    )),
                "work_item_activity",
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_work_item_activity_item_taken")
                    .table(WorkItemActivity::Table)
                    .col(WorkItemActivity::WorkItemId)
                    .col(WorkItemActivity::TakenAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(ContractTerms::Table)
                    .col(pk_auto(ContractTerms::Id))
                    .col(integer(ContractTerms::ContractId))
                    .col(date(ContractTerms::ExpirationDate))
                    .col(date_null(ContractTerms::PreviousExpiration))
                    .col(string(ContractTerms::Reason))
                    .foreign_key(&mut fk(
                        "fk_contract_terms_contract",
                        ContractTerms::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    )),
                "contract_terms",
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contract_terms_contract")
                    .table(ContractTerms::Table)
                    .col(ContractTerms::ContractId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            ["contract_terms", "work_item_activity", "work_item_stages", "work_items", "flow_stages", "flows", "stages"]
        {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
