//! Public pages that belong to no wing: the home page, the about page, the accessibility
//! statement, and the original suite's `/_status` report.

pub mod emails;
mod pages;
pub mod status;

use platform::Wing;
use platform::http::Routes;

/// The site's manifest: pages that belong to no wing.
pub fn wing() -> Wing {
    Wing::new("site").routes(routes()).templates(platform::template_source!())
}

fn routes() -> Routes {
    Routes::new()
        .get("/", pages::home)
        .get("/about/", pages::about)
        .get("/about", pages::about_redirect)
        .get("/accessibility/", pages::accessibility)
        .get("/_status", status::status)
}
