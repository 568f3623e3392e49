//! Scout: the city's contracts — what the city buys, from whom, until when.
//!
//! - `import/`: the importers of the original's data files, run by `procure import KIND FILE…`
//!   and the back-office's web import. `reader.rs` reads its CSVs (CR, LF or CRLF endings,
//!   `None` cells); `store.rs` finds or creates each entity by all its attributes, as the
//!   original's `get_or_create` did, so a second import changes nothing. A whole file imports in
//!   one transaction: rows it cannot import are reported with their line and reason, values it
//!   cannot read are imported empty with a warning, a database error rolls the file back.
//!   COSTARS headers spelled `Controller` and `Manufacturing` are read (the original lost them).
//! - `search/`: one `contract_search` row per contract with its text by field, rewritten in the
//!   transaction that changes the contract. PostgreSQL: a weighted `tsvector` (A: companies and
//!   description, B: line items, D: properties) under GIN; SQLite: FTS5 with porter stemming and
//!   bm25 with the same weights: `search::search`, the reference. Pages and the API answer from
//!   each process's in-memory index instead (`search::find`; `index.rs`, `kept.rs`, which
//!   catches up through `search_changes` before every search, so never stale). `query.rs`
//!   parses the search box (AND by default, `OR`, `"phrases"`, `-exclusion`) once for all; an
//!   exact controller number comes first; passages are HTML-escaped in Rust, then marked. With an empty search box, `browse` lists contracts
//!   instead (soonest expiration first, then undated, then, if asked, expired ones), each part
//!   an indexed range read in order.
//! - `contracts.rs`: a contract's page data and status, a company, result rows (status,
//!   companies, the viewer's follows: four queries a page), following and private notes, each
//!   checked against the policy, in the caller's transaction.
//! - `renewals.rs`: what a contract's page shows of Conductor: its term history (everyone),
//!   and the work renewing it (conductor-level users), read through `model` (Conductor depends
//!   on Scout, not the reverse).
//! - `pages/`: `/scout/`, results and the list of contracts, contract (with its document
//!   through a signed link), company and department pages, and the feedback forms; anonymous
//!   pages are cached under the `contracts` data version (`freshness.rs`), which every writer of
//!   anything Scout shows raises.
//! - `api.rs`: `/api/v1/contracts`, `/api/v1/contracts/{id}`, `/api/v1/companies/{id}` (strict
//!   parameters, strong ETags), described with utoipa; it shows stored text as stored.
//! - `display.rs`: how pages write stored text (title case for what was stored in capitals,
//!   prices).
//! - `feedback.rs` (messages to the purchasing staff: kept, emailed to the admins when there are
//!   any, or nightly once there are; limited per address and client), `notices.rs` (nightly expiration notices to
//!   followers), `emails.rs`, `demo/` (`procure demo`: contracts of the kinds in
//!   `catalogue.rs`, and staff following them), and `admin/` (its back-office tables, the
//!   feedback inbox among them, and the importers it contributes to the web import).

mod admin;
pub mod api;
pub mod contracts;
pub mod demo;
pub mod display;
pub mod emails;
pub mod feedback;
pub mod freshness;
pub mod import;
pub mod notices;
mod pages;
mod profile;
pub mod renewals;
pub mod search;

use platform::Wing;
use platform::http::Routes;
use utoipa::OpenApi as _;

/// Scout's manifest.
pub fn wing() -> Wing {
    Wing::new("scout")
        .nav("Scout", "/scout/")
        .routes(routes())
        .templates(platform::template_source!())
        .nightly("scout.expiration_notices", notices::ExpirationNotices {})
        .nightly("scout.waiting_feedback", feedback::WaitingFeedback {})
        .openapi(api::ApiDoc::openapi().merge_from(api::write::ApiDoc::openapi()))
        .demo(demo_data)
        .with(admin::RESOURCES)
        .with(admin::IMPORTS)
        .with(profile::SECTIONS)
        // Not for another crate: this app state's search index, which Scout's pages find here.
        .with(search::Kept::new())
}

/// Scout's part of `procure demo --scale N`: `scale` contracts (see [`demo`]).
fn demo_data<'a>(
    db: &'a sea_orm::DatabaseConnection,
    config: &'a platform::Config,
    scale: u64,
) -> platform::wing::DemoFuture<'a> {
    Box::pin(async move {
        let started = std::time::Instant::now();
        let made = demo::load(db, scale, config.site.today()).await?;
        Ok(format!(
            "demo data: {} contracts, {} companies, {} line items, {} staff following {} contracts in {:.1} s",
            made.contracts,
            made.companies,
            made.line_items,
            made.staff,
            made.follows,
            started.elapsed().as_secs_f64()
        ))
    })
}

fn routes() -> Routes {
    Routes::new()
        .get("/scout", || async { axum::response::Redirect::permanent("/scout/") })
        .get("/scout/", pages::home)
        .get("/scout/search", pages::results)
        .get("/scout/contracts/{id}", pages::contract_page)
        .post("/scout/contracts/{id}/follow", pages::follow)
        .post("/scout/contracts/{id}/unfollow", pages::unfollow)
        .post("/scout/contracts/{id}/notes", pages::add_note)
        .get("/scout/contracts/{id}/document", pages::document)
        .get("/scout/contracts/{id}/feedback", pages::feedback_form)
        .post("/scout/contracts/{id}/feedback", pages::send_feedback)
        .post("/scout/notes/{id}/delete", pages::delete_note)
        .get("/scout/feedback", pages::site_feedback_form)
        .post("/scout/feedback", pages::send_site_feedback)
        .get("/scout/companies/{id}", pages::company_page)
        .get("/scout/departments/{id}", pages::department_page)
        .get("/api/v1/contracts", api::search_contracts)
        .get("/api/v1/contracts/{id}", api::contract_detail)
        .get("/api/v1/companies/{id}", api::company_detail)
        .get("/api/v1/contracts/by-controller/{number}", api::write::get_by_controller)
        .put("/api/v1/contracts/by-controller/{number}", api::write::put_by_controller)
        .post("/api/v1/contracts/by-controller/{number}/archive", api::write::archive_by_controller)
}
