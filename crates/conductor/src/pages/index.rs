//! The index (being built).

use accounts::{SignedIn, Viewer, page};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use platform::http::{AppError, AppState, Routes};

use super::conductor_only;

pub fn routes(routes: Routes) -> Routes {
    routes
}

pub async fn index(State(state): State<AppState>, SignedIn(me): SignedIn, viewer: Viewer) -> Result<Response, AppError> {
    conductor_only(&me)?;
    Ok(page(&state, &viewer, "conductor/index.html", context! {})?.into_response())
}
