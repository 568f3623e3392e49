//! Conductor's pages under `/conductor/`, for conductor-level users only. Every page checks
//! that first ([`conductor_only`]); every change is a POST (CSRF-checked by the platform) that
//! calls one service in one transaction and redirects with a flash message.
//!
//! - `index.rs`: "In progress" and "All contracts", sorted, searched and paged on the server;
//!   bulk reassignment.
//! - `start.rs`: starting work on a contract or on new work; moving the start.
//! - `detail.rs`: one work item: its stages, activity, notes, details and every transition.
//!
//! Each module adds its own routes in [`routes`].

pub mod detail;
pub mod email;
pub mod index;
pub mod start;

use accounts::{Action, CurrentUser, Resource};
use platform::http::{AppError, Routes};

use crate::store;

/// Every page module's routes.
pub fn routes(routes: Routes) -> Routes {
    let routes = index::routes(routes);
    let routes = start::routes(routes);
    let routes = email::routes(routes);
    detail::routes(routes)
}

/// Conductor's pages are for conductor-level users only (403 for other signed-in users; the
/// `SignedIn` extractor already sent anonymous visitors to sign in).
pub fn conductor_only(me: &CurrentUser) -> Result<(), AppError> {
    Ok(accounts::authorize(Some(me), Action::View, Resource::WorkItem)?)
}

/// The work item `id` with its flow's rows and stages, or 404.
pub async fn item_or_404(db: &impl sea_orm::ConnectionTrait, id: i32) -> Result<store::Item, AppError> {
    store::load(db, id).await?.ok_or(AppError::NotFound)
}

/// A work item's page.
pub fn item_link(id: i32) -> String {
    format!("/conductor/items/{id}")
}
