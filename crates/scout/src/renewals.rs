//! What a contract's page shows of Conductor, the staff workflow that renews contracts: the
//! contract's term history (its extensions, for everyone), and for conductor-level users the
//! work renewing it and the work it came out of.
//!
//! Read through `model`'s entities: Conductor depends on Scout, never the other way round. The
//! term history is on the cached anonymous page, so whatever records a term raises Scout's data
//! version (`conductor::flows::extend` does); the work is shown to signed-in users only, whose
//! pages are never cached.

use chrono::{DateTime, NaiveDate, Utc};
use model::entities::{contract_term, stage, work_item, work_item_stage};
use platform::config::SiteConfig;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// One extension of a contract's expiration.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    /// The expiration before it; None when the contract had none.
    pub previous_expiration: Option<NaiveDate>,
    /// The expiration it runs to.
    pub expiration: NaiveDate,
    /// The day it was recorded, in the site's display time zone.
    pub recorded_on: NaiveDate,
    pub reason: String,
}

/// Contract `id`'s extensions, newest first.
pub async fn term_history(db: &impl ConnectionTrait, id: i32, site: &SiteConfig) -> Result<Vec<Term>, DbErr> {
    Ok(contract_term::Entity::find()
        .filter(contract_term::Column::ContractId.eq(id))
        .order_by_desc(contract_term::Column::CreatedAt)
        .order_by_desc(contract_term::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| Term {
            previous_expiration: t.previous_expiration,
            expiration: t.expiration_date,
            recorded_on: t.created_at.with_timezone(&site.display_timezone).date_naive(),
            reason: t.reason,
        })
        .collect())
}

/// The Conductor work renewing a contract, as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    /// The work item's id (its page is [`Renewal::href`]).
    pub id: i32,
    pub href: String,
    /// The stage it is at; None before it enters its flow.
    pub stage: Option<String>,
    /// Whole days since it entered that stage; None when it has not, or has finished it.
    pub days_in_stage: Option<i64>,
    /// When it entered that stage (while it is in it): `days_in_stage` counts from here.
    #[serde(skip)]
    entered: Option<DateTime<Utc>>,
    /// As stored: `in_progress`, `removed` or `completed`.
    pub status: String,
    /// The status in words.
    pub status_text: &'static str,
}

/// What a conductor-level user sees of Conductor on a contract's page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConductorView {
    /// The work renewing the contract (not killed; there is at most one).
    pub renewal: Option<Renewal>,
    /// The work item the contract is the successor of, as a link to it.
    pub made_by: Option<String>,
}

impl ConductorView {
    pub fn is_empty(&self) -> bool {
        self.renewal.is_none() && self.made_by.is_none()
    }
}

/// A work item's page in Conductor.
fn item_href(id: i32) -> String {
    format!("/conductor/items/{id}")
}

fn status_text(status: &str) -> &'static str {
    match status {
        work_item::IN_PROGRESS => "In progress",
        work_item::REMOVED => "Removed from Conductor",
        work_item::COMPLETED => "Completed",
        _ => "Ended",
    }
}

/// Conductor's data version: its database triggers raise it with every change to work items,
/// their stage rows, stages and flows (migration 21), which is all [`conductor_view`] reads.
pub const CONDUCTOR_DATA: &str = "conductor";

/// [`conductor_view`], kept by the process under [`CONDUCTOR_DATA`] (so never older than the
/// work), with the days in stage counted at `now`.
pub async fn conductor_view_kept(
    state: &platform::http::AppState,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ConductorView, DbErr> {
    let what = format!("scout:conductor:{id}");
    // Boxed: making it (up to four queries) is a large future for every caller's.
    let making =
        platform::freshness::shared(state, CONDUCTOR_DATA, &what, |_| 512, || conductor_view(&state.db, id, now));
    let kept = Box::pin(making).await?;
    let mut view = ConductorView::clone(&kept);
    if let Some(renewal) = &mut view.renewal {
        renewal.days_in_stage = renewal.entered.map(|entered| (now - entered).num_days().max(0));
    }
    Ok(view)
}

/// Conductor's work on contract `id` at `now`.
pub async fn conductor_view(db: &impl ConnectionTrait, id: i32, now: DateTime<Utc>) -> Result<ConductorView, DbErr> {
    let renewing = work_item::Entity::find()
        .filter(work_item::Column::ParentId.eq(id))
        .filter(work_item::Column::Status.ne(work_item::KILLED))
        .order_by_desc(work_item::Column::Id)
        .one(db)
        .await?;
    let renewal = match renewing {
        Some(w) => Some(renewal_of(db, w, now).await?),
        None => None,
    };
    let made_by =
        work_item::Entity::find().filter(work_item::Column::ContractId.eq(id)).one(db).await?.map(|w| item_href(w.id));
    Ok(ConductorView { renewal, made_by })
}

async fn renewal_of(db: &impl ConnectionTrait, w: work_item::Model, now: DateTime<Utc>) -> Result<Renewal, DbErr> {
    let (stage, entered) = match w.current_stage_id {
        Some(stage_id) => {
            let name = stage::Entity::find_by_id(stage_id).one(db).await?.map(|s| s.name);
            // The stage's current row in the item's flow (reverts and switches leave others).
            let row = work_item_stage::Entity::find()
                .filter(work_item_stage::Column::WorkItemId.eq(w.id))
                .filter(work_item_stage::Column::FlowId.eq(w.flow_id))
                .filter(work_item_stage::Column::StageId.eq(stage_id))
                .filter(work_item_stage::Column::SupersededAt.is_null())
                .one(db)
                .await?;
            let entered = row.filter(|r| r.exited_at.is_none()).and_then(|r| r.entered_at);
            (name, entered)
        }
        None => (None, None),
    };
    let days_in_stage = entered.map(|entered| (now - entered).num_days().max(0));
    Ok(Renewal {
        href: item_href(w.id),
        id: w.id,
        stage,
        days_in_stage,
        entered,
        status_text: status_text(&w.status),
        status: w.status,
    })
}
