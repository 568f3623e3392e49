//! Rendering a page with the viewer in it, so the header can show who is signed in.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Value;
use minijinja::value::Serde;
use platform::http::{AppError, AppState};

use crate::viewer::Viewer;

/// Renders `template` with `ctx` plus `viewer` (see [`crate::viewer::ViewerContext`]).
pub fn page(state: &AppState, viewer: &Viewer, template: &str, ctx: Value) -> Result<Html<String>, AppError> {
    let ctx = minijinja::context! { viewer => Serde(viewer.context()), ..ctx };
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
