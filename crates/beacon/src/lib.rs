//! Beacon: the city's bid opportunities, and (as later parts land) the vendors who hear about
//! them. So far: the opportunity lifecycle with its permission rules (`lifecycle.rs`), the
//! nightly publishing job, and the public pages.

mod admin;
pub mod api;
pub mod demo;
pub mod digest;
pub mod emails;
mod export;
mod feeds;
pub mod lifecycle;
pub mod links;
pub mod notify;
mod pages;
pub mod signup;
mod staff;
mod vendors;

use platform::Wing;
use platform::http::Routes;
use platform::jobs::{Job, JobContext};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi as _;

/// Beacon's manifest.
pub fn wing() -> Wing {
    Wing::new("beacon")
        .nav("Beacon", "/beacon/")
        .routes(routes())
        .templates(platform::template_source!())
        .job::<notify::NewOpportunity>()
        .job::<notify::Addendum>()
        .nightly("beacon.publish_due", PublishDue {})
        .nightly("beacon.deadline_reminders", notify::DeadlineReminders {})
        .monthly("beacon.digest", digest::Digest {}, &digest::DAYS)
        .openapi(api::ApiDoc::openapi())
        .with(admin::RESOURCES)
}

fn routes() -> Routes {
    Routes::new()
        .get("/beacon", || async { axum::response::Redirect::permanent("/beacon/") })
        .get("/beacon/", pages::current)
        .get("/beacon/opportunities/closed", pages::closed)
        .get("/beacon/feeds/opportunities.atom", feeds::atom)
        .get("/beacon/feeds/deadlines.ics", feeds::ical)
        .get("/beacon/opportunities/{id}", pages::opportunity)
        .get("/beacon/opportunities/{id}/documents/{doc}", staff::document)
        .get("/api/v1/opportunities", api::list_opportunities)
        .get("/api/v1/opportunities/{id}", api::opportunity_detail)
        .get("/beacon/admin/", staff::index)
        .get("/beacon/admin/new", staff::new_form)
        .get("/beacon/admin/vendors.csv", export::csv)
        .get("/beacon/admin/vendors.tsv", export::tsv)
        .post("/beacon/admin/new", staff::create)
        .get("/beacon/admin/{id}", staff::edit_form)
        .post("/beacon/admin/{id}", staff::update)
        .post("/beacon/admin/{id}/approve", staff::approve)
        .post("/beacon/admin/{id}/archive", staff::archive)
        .get("/beacon/sign-up", vendors::sign_up_page)
        .post("/beacon/sign-up", vendors::sign_up)
        .get("/beacon/vendors/{id}/confirm", vendors::confirm_page)
        .post("/beacon/vendors/{id}/confirm", vendors::confirm)
        .post("/beacon/opportunities/{id}/follow", vendors::follow_request)
        .get("/beacon/vendors/{id}/follow/{opportunity}", vendors::follow_link_page)
        .post("/beacon/vendors/{id}/follow/{opportunity}", vendors::follow_link_page)
        .get("/beacon/vendors/{id}/manage", vendors::manage_page)
        .post("/beacon/vendors/{id}/manage", vendors::manage)
        .get("/beacon/vendors/{id}/unsubscribe", vendors::unsubscribe_page)
        .post("/beacon/vendors/{id}/unsubscribe", vendors::unsubscribe)
}

/// Nightly: publishes every approved opportunity whose planned publish date has come, setting
/// `published_at` (the original's nightly job forgot to, so those missed the digest).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PublishDue {}

impl Job for PublishDue {
    const NAME: &'static str = "beacon.publish_due";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let today = ctx.env.config.site.today();
        let published = lifecycle::publish_due(&ctx.env.db, chrono::Utc::now(), today).await?;
        tracing::info!(count = published.len(), ids = ?published, %today, "published due opportunities");
        Ok(())
    }
}
