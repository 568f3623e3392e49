//! Beacon: the city's bid opportunities, and the vendors who hear about them.
//!
//! - `lifecycle/`: an opportunity's life with every permission rule in the service: drafts and
//!   edits (`drafts.rs`), the stages and transition table (`stages.rs`), approve, publish on the
//!   planned date (by the approval or the nightly `beacon.publish_due`) and archive as guarded
//!   updates (`publishing.rs`), and the read side (`queries.rs`). The contact is a city email: an
//!   existing user, or a new `staff` user at an accepted domain.
//! - `notify.rs`: every vendor mailing goes through one fan-out (`fan_out` over an `Audience`:
//!   an opportunity's categories and followers, its followers, or newsletter readers), one
//!   email per recipient with a `deliveries` row in the same transaction, so a rerun sends only
//!   what is missing; the new-opportunity announcement, the addendum notice (a document added to
//!   a published, open opportunity), deadline reminders 5 days and 1 day before, and the staff
//!   emails (sent for approval, needs review, approved).
//! - `digest.rs`: the biweekly digest on the 1st and 15th; each edition's window is stored in
//!   `beacon_digests` before any email, so a rerun resumes it.
//! - `signup.rs`, `vendors.rs`, `links.rs`: sign-up with double opt-in (the first confirmation
//!   sends the welcome email and tells the admins; an address already signed up changes
//!   nothing and is sent its own link), "follow this opportunity", manage subscriptions and
//!   one-click unsubscribe, through HMAC-signed links per purpose and vendor.
//! - `staff.rs`: `/beacon/admin/`: draft and edit with a document (PDF, Word or Excel by its
//!   bytes, through the platform's upload kit), approve, archive; documents through short-lived
//!   signed links for whoever may see the opportunity. `export.rs`: the vendor list as CSV or
//!   TSV with the original's columns, spreadsheet formulas defused, and as JSON
//!   (`/api/v1/vendors`, `vendors:read`).
//! - `drafts_api.rs`: opportunity drafts and their documents in the API (`opportunities:write`),
//!   through the staff page's services, so approval stays with Beacon's approvers.
//! - `subscriptions_api.rs`: a vendor's own subscriptions in the API, by its manage link's
//!   signature (for a vendor's app; no password, as the page).
//! - `pages.rs` (open and upcoming, closed, one opportunity; cached for anonymous visitors under
//!   the `opportunities` data version, today and the next deadline), `feeds.rs` (Atom and
//!   iCalendar), `api.rs` (`/api/v1/opportunities`), `emails.rs`, `demo.rs`, and `admin/`.

mod admin;
pub mod api;
pub mod demo;
pub mod digest;
mod drafts_api;
pub mod emails;
mod export;
mod feeds;
pub mod lifecycle;
pub mod links;
mod nav;
pub mod notify;
mod pages;
pub mod signup;
mod staff;
mod subscriptions_api;

/// The opportunity form, as other wings' pages read and offer it.
pub use staff::{form_choices, read_draft};
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
        .openapi(
            api::ApiDoc::openapi()
                .merge_from(export::ApiDoc::openapi())
                .merge_from(subscriptions_api::ApiDoc::openapi())
                .merge_from(drafts_api::ApiDoc::openapi()),
        )
        .demo(demo_data)
        .with(admin::RESOURCES)
        .with(accounts::nav::UserLinks(&nav::StaffLinks))
}

/// Beacon's part of `procure demo --scale N`: `scale / 20` open opportunities among others, and
/// vendors.
fn demo_data<'a>(
    db: &'a sea_orm::DatabaseConnection,
    config: &'a platform::Config,
    scale: u64,
) -> platform::wing::DemoFuture<'a> {
    Box::pin(async move {
        let made = demo::load(db, config, config.site.today(), scale / 20).await?;
        Ok(format!("beacon demo data: {} opportunities, {} vendors", made.opportunities, made.vendors))
    })
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
        .get("/api/v1/vendors", export::vendors_json)
        .post("/api/v1/opportunities/drafts", drafts_api::create_draft)
        .get("/api/v1/opportunities/drafts/{id}", drafts_api::get_draft)
        .put("/api/v1/opportunities/drafts/{id}", drafts_api::put_draft)
        .post("/api/v1/opportunities/drafts/{id}/documents", drafts_api::add_document)
        .get("/api/v1/vendors/{id}/subscriptions", subscriptions_api::get_subscriptions)
        .put("/api/v1/vendors/{id}/subscriptions", subscriptions_api::put_subscriptions)
        .get("/beacon/admin/", staff::index)
        .get("/beacon/admin/new", staff::new_form)
        .get("/beacon/admin/vendors.csv", export::csv)
        .get("/beacon/admin/vendors.tsv", export::tsv)
        .post("/beacon/admin/new", staff::create)
        .get("/beacon/admin/{id}", staff::edit_form)
        .post("/beacon/admin/{id}", staff::update)
        .post("/beacon/admin/{id}/approve", staff::approve)
        .post("/beacon/admin/{id}/archive", staff::archive)
        .get("/beacon/vendors", pages::vendor_information)
        .get("/beacon/manage", vendors::manage_link_page)
        .post("/beacon/manage", vendors::manage_link)
        .get("/beacon/sign-up", vendors::sign_up_page)
        .post("/beacon/sign-up", vendors::sign_up)
        .get("/beacon/vendors/{id}/confirm", vendors::confirm_page)
        .post("/beacon/vendors/{id}/confirm", vendors::confirm)
        .get("/beacon/opportunities/{id}/follow", vendors::follow_form_page)
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
