//! Reading a work item with its current stage rows, writing the state machine's result back
//! under a guard, and appending to its activity log. Every function takes the caller's
//! connection or transaction.
//!
//! The guard: a change of stages is an `UPDATE work_items … WHERE id = ? AND status =
//! 'in_progress' AND current_stage_id = <the stage it was read at>`. Of two people acting on
//! one item at once, one changes it and the other gets [`CHANGED_MEANWHILE`], with nothing
//! written (the caller rolls back).

use accounts::{CurrentUser, ServiceError};
use chrono::{DateTime, Utc};
use model::entities::{flow_stage, stage, work_item, work_item_activity, work_item_stage};
use model::{Stamp, StampUpdate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, UpdateMany,
};

use crate::activity::Activity;
use crate::workflow::machine::{Progress, StageTimes};

/// What a user is told when someone else changed the item first.
pub const CHANGED_MEANWHILE: &str =
    "Someone else changed this work just now, so nothing was saved: reload the page to see where it is.";

/// A work item and the rows of its current flow's stages, in flow order.
#[derive(Debug, Clone)]
pub struct Item {
    pub work: work_item::Model,
    pub rows: Vec<work_item_stage::Model>,
    /// The stages of `rows`, in the same order.
    pub stages: Vec<stage::Model>,
}

/// The item `id`, or `None`.
pub async fn load(db: &impl ConnectionTrait, id: i32) -> Result<Option<Item>, DbErr> {
    let Some(work) = work_item::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let rows = work_item_stage::Entity::find()
        .filter(work_item_stage::Column::WorkItemId.eq(id))
        .filter(work_item_stage::Column::FlowId.eq(work.flow_id))
        .filter(work_item_stage::Column::SupersededAt.is_null())
        .order_by_asc(work_item_stage::Column::Position)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.stage_id).collect();
    let found = stage::Entity::find().filter(stage::Column::Id.is_in(ids.clone())).all(db).await?;
    let stages = ids
        .iter()
        .map(|id| {
            found.iter().find(|s| s.id == *id).cloned().ok_or_else(|| DbErr::RecordNotFound(format!("stage {id}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Item { work, rows, stages }))
}

impl Item {
    /// The stage times, as the state machine reads them.
    pub fn progress(&self) -> Progress {
        let stages = self
            .rows
            .iter()
            .map(|r| StageTimes { stage_id: r.stage_id, entered: r.entered_at, exited: r.exited_at })
            .collect();
        let current = self.work.current_stage_id.and_then(|id| self.rows.iter().position(|r| r.stage_id == id));
        Progress { stages, current }
    }

    /// The name of the stage at `position`.
    pub fn stage_name(&self, position: usize) -> String {
        self.stages.get(position).map_or_else(String::new, |s| s.name.clone())
    }

    /// The row id of the stage at `position`.
    pub fn row_id(&self, position: usize) -> Option<i64> {
        self.rows.get(position).map(|r| r.id)
    }

    /// Runs `update` on this item only if it is still in progress at the stage it was read at;
    /// otherwise someone else changed it first: [`CHANGED_MEANWHILE`].
    pub async fn guarded(
        &self,
        db: &impl ConnectionTrait,
        update: UpdateMany<work_item::Entity>,
    ) -> Result<(), ServiceError> {
        let update = update
            .filter(work_item::Column::Id.eq(self.work.id))
            .filter(work_item::Column::Status.eq(work_item::IN_PROGRESS))
            .filter(work_item::Column::FlowId.eq(self.work.flow_id));
        let update = match self.work.current_stage_id {
            Some(id) => update.filter(work_item::Column::CurrentStageId.eq(id)),
            None => update.filter(work_item::Column::CurrentStageId.is_null()),
        };
        if update.exec(db).await?.rows_affected != 1 {
            return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
        }
        Ok(())
    }

    /// Writes `next` (the state machine's result from [`Item::progress`]): the current stage
    /// under the guard, then every stage row whose times changed.
    pub async fn save(
        &self,
        db: &impl ConnectionTrait,
        next: &Progress,
        actor: &CurrentUser,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let update = work_item::Entity::update_many()
            .col_expr(work_item::Column::CurrentStageId, Expr::value(next.current_stage()))
            .stamped(Some(actor.id), now);
        self.guarded(db, update).await?;
        for (row, times) in self.rows.iter().zip(&next.stages) {
            if row.entered_at != times.entered || row.exited_at != times.exited {
                let mut active: work_item_stage::ActiveModel = row.clone().into();
                active.entered_at = Set(times.entered);
                active.exited_at = Set(times.exited);
                active.stamp(Some(actor.id), now);
                active.update(db).await?;
            }
        }
        Ok(())
    }
}

/// Appends `activity` to item `work_item_id`'s log, on the stage row `row` if any, taken at
/// `at` by `actor` (kept by name too, for when the user is deleted); returns the entry's id.
pub async fn log(
    db: &impl ConnectionTrait,
    work_item_id: i32,
    row: Option<i64>,
    activity: &Activity,
    actor: Option<&CurrentUser>,
    at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let now = Utc::now();
    let entry = work_item_activity::ActiveModel {
        work_item_id: Set(work_item_id),
        work_item_stage_id: Set(row),
        kind: Set(activity.kind().to_owned()),
        detail: Set(activity.detail()),
        taken_at: Set(at),
        taken_by: Set(actor.map(|a| a.id)),
        taken_by_name: Set(actor.map(|a| a.email.clone())),
        superseded_at: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Stamp::created(actor.map(|a| a.id), now)
    }
    .insert(db)
    .await?;
    Ok(entry.id)
}

/// The stages of flow `flow_id`, in order.
pub async fn stages_of(db: &impl ConnectionTrait, flow_id: i32) -> Result<Vec<stage::Model>, DbErr> {
    let order = flow_stage::Entity::find()
        .filter(flow_stage::Column::FlowId.eq(flow_id))
        .order_by_asc(flow_stage::Column::Position)
        .all(db)
        .await?;
    let ids: Vec<i32> = order.iter().map(|o| o.stage_id).collect();
    let found = stage::Entity::find().filter(stage::Column::Id.is_in(ids.clone())).all(db).await?;
    Ok(ids.iter().filter_map(|id| found.iter().find(|s| s.id == *id).cloned()).collect())
}

/// Makes item `work_item_id`'s rows for flow `flow_id`'s `stages`, the first entered at
/// `entered`; returns the first row's id.
pub async fn enter_flow(
    db: &impl ConnectionTrait,
    work_item_id: i32,
    flow_id: i32,
    stages: &[stage::Model],
    entered: DateTime<Utc>,
    actor: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let mut first_row = None;
    for (position, s) in stages.iter().enumerate() {
        let row = work_item_stage::ActiveModel {
            work_item_id: Set(work_item_id),
            flow_id: Set(flow_id),
            stage_id: Set(s.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            entered_at: Set((position == 0).then_some(entered)),
            exited_at: Set(None),
            superseded_at: Set(None),
            ..Stamp::created(Some(actor.id), now)
        }
        .insert(db)
        .await?;
        first_row.get_or_insert(row.id);
    }
    Ok(first_row)
}
