//! Conductor's metrics (`research/conductor.md` §6, issue 16): per flow, the average days per
//! stage, each stage's distribution and the work in progress by days in its stage; the flow's
//! data as JSON; the flow and all-contracts exports.
//!
//! - `figures`: the figures as pure functions of a flow's stage rows.
//! - `data`: the JSON data endpoint's shape.
//! - `export`: the TSV/CSV downloads, streamed.
//!
//! Source rows are a flow's current (never superseded) rows that work has entered, of every
//! work item, assigned or not. Completed rows count whatever became of the work since; open
//! rows count only work in progress.
//!
//! Invariant: a page's figures are never older than the data. What they are made of is kept by
//! each process under the `conductor` data version, which the database raises on every change
//! to work items, their rows, stages and flows (migration 21); only the moment (for open work)
//! and the descriptions shown are read per request.

pub mod data;
pub mod export;
pub mod figures;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use model::entities::{flow_stage, stage, work_item, work_item_stage};
use platform::http::AppState;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};

pub use figures::{Bucket, Completed, Open, Passage, Stage, Took};

/// The data version Conductor's metrics are kept under (raised by triggers, migration 21; Scout
/// keeps a contract page's Conductor part under it too).
pub const DATA: &str = scout::renewals::CONDUCTOR_DATA;

/// Which work a flow's figures count: of one department, and stages completed in a range of
/// moments (`from` inclusive, `until` exclusive). Open work is counted as it is now, in any case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub department: Option<i32>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Filter {
    fn key(&self) -> String {
        let at = |t: Option<DateTime<Utc>>| t.map_or(String::new(), |t| t.timestamp().to_string());
        format!("{}/{}/{}", self.department.map_or(String::new(), |d| d.to_string()), at(self.from), at(self.until))
    }
}

/// A flow's figures but for the moment: its stages, their completed passages, and the open rows
/// of its work in progress (which [`figures::open`] buckets at the moment of asking).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub stages: Vec<Stage>,
    pub completed: Vec<Completed>,
    pub open: Vec<Passage>,
}

impl Prepared {
    /// About the bytes it holds.
    fn bytes(&self) -> usize {
        use std::mem::size_of;
        let names: usize = self.stages.iter().map(|s| size_of::<Stage>() + s.name.len()).sum();
        let took: usize =
            self.completed.iter().map(|c| size_of::<Completed>() + c.took.len() * size_of::<Took>()).sum();
        size_of::<Self>() + names + took + self.open.len() * size_of::<Passage>()
    }
}

/// [`Prepared`] for `flow` under `filter`, kept by this process under the `conductor` version.
pub async fn prepared(state: &AppState, flow: i32, filter: Filter) -> Result<Arc<Prepared>, DbErr> {
    let what = format!("metrics:{flow}:{}", filter.key());
    platform::freshness::shared(state, DATA, &what, Prepared::bytes, || async {
        let stages = stages(&state.db, flow).await?;
        let passages = passages(&state.db, flow, filter).await?;
        let completed = figures::completed(&stages, &passages);
        let open = passages.into_iter().filter(|p| p.exited.is_none() && p.in_progress).collect();
        Ok(Prepared { stages, completed, open })
    })
    .await
}

/// `flow`'s stages in flow order.
pub async fn stages(db: &impl ConnectionTrait, flow: i32) -> Result<Vec<Stage>, DbErr> {
    let rows: Vec<(i32, String, Option<i32>)> = flow_stage::Entity::find()
        .select_only()
        .column(stage::Column::Id)
        .column(stage::Column::Name)
        .column(stage::Column::TargetDays)
        .join(JoinType::InnerJoin, flow_stage::Relation::Stage.def())
        .filter(flow_stage::Column::FlowId.eq(flow))
        .order_by_asc(flow_stage::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, name, target_days)| Stage { id, name, target_days }).collect())
}

/// The current rows of `flow` that work has entered, under `filter`.
pub async fn passages(db: &impl ConnectionTrait, flow: i32, filter: Filter) -> Result<Vec<Passage>, DbErr> {
    type Row = (i32, i32, i32, DateTime<Utc>, Option<DateTime<Utc>>, String);
    let mut query = work_item_stage::Entity::find()
        .select_only()
        .column(work_item_stage::Column::WorkItemId)
        .column(work_item::Column::ContractId)
        .column(work_item_stage::Column::StageId)
        .column(work_item_stage::Column::EnteredAt)
        .column(work_item_stage::Column::ExitedAt)
        .column(work_item::Column::Status)
        .join(JoinType::InnerJoin, work_item_stage::Relation::WorkItem.def())
        .filter(work_item_stage::Column::FlowId.eq(flow))
        .filter(work_item_stage::Column::SupersededAt.is_null())
        .filter(work_item_stage::Column::EnteredAt.is_not_null());
    if let Some(department) = filter.department {
        query = query.filter(work_item::Column::DepartmentId.eq(department));
    }
    if let Some(from) = filter.from {
        query =
            query.filter(work_item_stage::Column::ExitedAt.is_null().or(work_item_stage::Column::ExitedAt.gte(from)));
    }
    if let Some(until) = filter.until {
        query =
            query.filter(work_item_stage::Column::ExitedAt.is_null().or(work_item_stage::Column::ExitedAt.lt(until)));
    }
    let rows: Vec<Row> = query.order_by_asc(work_item_stage::Column::Id).into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(work_item_id, contract_id, stage_id, entered, exited, status)| Passage {
            work_item_id,
            contract_id,
            stage_id,
            entered,
            exited,
            in_progress: status == work_item::IN_PROGRESS,
        })
        .collect())
}
