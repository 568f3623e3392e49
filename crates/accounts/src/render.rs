//! Rendering a page with the viewer in it, so the header can show who is signed in.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Value;
use minijinja::value::Serde;
use platform::http::{AppError, AppState};

use crate::viewer::Viewer;

/// Renders `template` with `ctx` plus `viewer` (see [`crate::viewer::ViewerContext`]) and
/// `flash`, the browser's one-time message, which this page shows (the base layout's
/// `platform/_flash.html`) and so uses up.
pub fn page(state: &AppState, viewer: &Viewer, template: &str, ctx: Value) -> Result<Html<String>, AppError> {
    let ctx = minijinja::context! { viewer => Serde(viewer.context()), flash => Serde(viewer.flash.take()), ..ctx };
    Ok(Html(state.templates.render(template, ctx)?))
}

/// [`page`] with a status other than 200 (a form with errors is a 400).
pub fn page_with_status(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    template: &str,
    ctx: Value,
) -> Result<Response, AppError> {
    Ok((status, page(state, viewer, template, ctx)?).into_response())
}

/// A public page as `viewer` gets it: for anonymous visitors, cached under data `name`'s
/// version (see [`platform::freshness::cached`], and `what` there); a signed-in viewer's page
/// has their own parts (notes, following, drafts), so it is always made afresh, as is the page
/// of a visitor with a one-time message waiting (it shows the message).
pub async fn public_page<F, Fut>(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    what: &str,
    make: F,
) -> Result<Option<String>, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, AppError>>,
{
    if viewer.user.is_some() || viewer.flash.is_waiting() {
        return make().await;
    }
    platform::freshness::cached(state, name, what, make).await
}
