//! Public pages that belong to no wing: the home page, the about page, and the original suite's
//! `/_status` report.

pub mod emails;
mod pages;
pub mod status;

use platform::http::Routes;
use platform::templates::TemplateSource;

/// This crate's templates (`site/…`).
pub fn templates() -> TemplateSource {
    platform::template_source!()
}

pub fn routes() -> Routes {
    Routes::new()
        .get("/", pages::home)
        .get("/about/", pages::about)
        .get("/about", pages::about_redirect)
        .get("/_status", status::status)
}
