//! Public pages that belong to no wing: the home page, the about page, and the original suite's
//! `/_status` report.

mod pages;
pub mod status;

use axum::Router;
use axum::routing::get;
use platform::http::AppState;
use platform::templates::TemplateSource;

/// This crate's templates (`site/…`).
pub fn templates() -> TemplateSource {
    platform::template_source!()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/about/", get(pages::about))
        .route("/about", get(pages::about_redirect))
        .route("/_status", get(status::status))
}
