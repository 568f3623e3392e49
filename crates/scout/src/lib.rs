//! Scout: the city's contracts — importers, search, and the public pages to find what the city
//! buys, from whom, until when.

mod admin;
pub mod api;
pub mod contracts;
pub mod demo;
pub mod emails;
pub mod feedback;
pub mod freshness;
pub mod import;
pub mod notices;
mod pages;
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
        .openapi(api::ApiDoc::openapi())
        .with(admin::RESOURCES)
        .with(admin::IMPORTS)
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
        .get("/scout/companies/{id}", pages::company_page)
        .get("/scout/departments/{id}", pages::department_page)
        .get("/api/v1/contracts", api::search_contracts)
        .get("/api/v1/contracts/{id}", api::contract_detail)
        .get("/api/v1/companies/{id}", api::company_detail)
}
