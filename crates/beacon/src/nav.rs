//! Beacon's links in the header for signed-in staff: "Post an opportunity" for whoever may draft
//! one, and "Awaiting approval (N)" for whoever may approve (N drafts whose bids have not closed).

use accounts::nav::{NavLink, NavLinks};
use accounts::{Action, CurrentUser, Resource};
use chrono::{DateTime, Utc};
use model::entities::opportunity;
use platform::http::AppState;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

pub struct StaffLinks;

#[async_trait::async_trait]
impl NavLinks for StaffLinks {
    async fn links(&self, state: &AppState, user: &CurrentUser) -> Result<Vec<NavLink>, DbErr> {
        let mut links = Vec::new();
        if accounts::can(Some(user), Action::Create, Resource::Opportunity { public: false, own: true }) {
            links.push(NavLink { label: "Post an opportunity".into(), href: "/beacon/admin/new".into() });
        }
        if accounts::can(Some(user), Action::Publish, Resource::Opportunity { public: false, own: false }) {
            let now = Utc::now();
            let waiting = waiting_deadlines(state, now).await?.into_iter().filter(|end| *end > now).count();
            links.push(NavLink { label: format!("Awaiting approval ({waiting})"), href: "/beacon/admin/".into() });
        }
        Ok(links)
    }
}

/// When the bids of each draft still open at `now` close, cached under Beacon's data version:
/// every header of every approver shows the count, which changes with a write or as a deadline
/// passes (counted by the caller, so the cached list never goes stale).
async fn waiting_deadlines(state: &AppState, now: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, DbErr> {
    let made = platform::freshness::cached_value(state, crate::lifecycle::DATA, "drafts:deadlines", || async {
        let ends: Vec<DateTime<Utc>> = opportunity::Entity::find()
            .select_only()
            .column(opportunity::Column::PlannedSubmissionEnd)
            .filter(opportunity::Column::IsPublic.eq(false))
            .filter(opportunity::Column::IsArchived.eq(false))
            .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
            .into_tuple()
            .all(&state.db)
            .await?;
        Ok(Some(ends))
    })
    .await?;
    Ok(made.unwrap_or_default())
}
