//! Conductor: the staff workflow for renewing contracts (`docs/conductor.md`).
//!
//! - `workflow/`: the state machine (`machine.rs`), pure functions over a work item's stage
//!   times with the transition table, and the item statuses (`status.rs`), so every rule of
//!   `research/conductor.md` §4 is tested without a database.
//! - Services, each in the caller's transaction, each checking `accounts::policy`: starting
//!   work (`start`); completing, reverting and moving the start (`transitions`); reassigning,
//!   removing, restoring and killing (`items`); switching flow and extending the renewed
//!   contract (`flows`); notes (`notes`); the item's details (`metadata`); update emails
//!   (`updates`); posting to Beacon (`post`); the completion wizard (`completion`); contracts
//!   set aside (`set_aside`); COSTARS contracts' documents (`costars`). `store` reads and writes an item under a guard; `activity` is the
//!   log's typed entries; `people` who may be given work.
//! - `metrics/`: each flow's figures (pure functions in `figures`), its data as JSON and the
//!   exports, kept per process under the `conductor` data version.
//! - `reminders`: the nightly lead-time reminders of renewals not started or behind;
//!   `digest`: each assignee's Monday digest of their work; `calendar`: the renewal calendar's
//!   entries and its signed, rotatable feed links.
//! - `emails`: what Conductor sends, and the `Mailing` services queue them with.
//! - `pages/`: the staff pages under `/conductor/`; `admin/`: stages and flows in the
//!   back-office; `colours`: how urgent a date looks; `demo`: `procure demo`'s part.
//!
//! The data model is `model`'s conductor migrations (17-19).

pub mod activity;
mod admin;
pub mod calendar;
mod colours;
pub mod completion;
pub mod costars;
pub mod demo;
pub mod digest;
pub mod emails;
pub mod flows;
pub mod items;
pub mod metadata;
pub mod metrics;
pub mod notes;
mod pages;
pub use pages::index::PAGE_SIZE as INDEX_PAGE_SIZE;
pub mod people;
pub mod post;
pub mod reminders;
pub mod set_aside;
pub mod start;
pub mod store;
pub mod transitions;
pub mod updates;
pub mod workflow;

use platform::Wing;
use platform::http::Routes;

/// Conductor's manifest.
pub fn wing() -> Wing {
    Wing::new("conductor")
        .nav("Conductor", "/conductor/")
        .routes(routes())
        .templates(platform::template_source!())
        .demo(demo_data)
        .openapi(<pages::metrics::ApiDoc as utoipa::OpenApi>::openapi())
        .nightly("conductor.lead_time_reminders", reminders::LeadTimeReminders {})
        .weekly("conductor.weekly_digest", digest::WeeklyDigest {}, chrono::Weekday::Mon, digest::sent_at())
        .with(admin::RESOURCES)
}

/// Conductor's part of `procure demo --scale N`: its flows, and `scale / 5` renewals in
/// progress.
fn demo_data<'a>(
    db: &'a sea_orm::DatabaseConnection,
    config: &'a platform::Config,
    scale: u64,
) -> platform::wing::DemoFuture<'a> {
    Box::pin(async move {
        let made = demo::load(db, config, scale / 5).await?;
        Ok(format!("conductor demo data: {} flows, {} work items in progress", made.flows, made.items))
    })
}

fn routes() -> Routes {
    let routes = Routes::new()
        .get("/conductor", || async { axum::response::Redirect::permanent("/conductor/") })
        .get("/conductor/", pages::index::index);
    // Each page module adds its own routes.
    pages::routes(routes)
}
