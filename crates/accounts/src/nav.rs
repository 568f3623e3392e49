//! Links in the header for a signed-in user that depend on who they are and on a wing's data
//! (Beacon's "Post an opportunity", "Awaiting approval (3)"). Wings contribute a [`UserLinks`]
//! through their manifest; the viewer is given every wing's links when it is read, once per
//! request, so the header needs no query of its own. Anonymous visitors get none (their pages
//! are cached and alike).

use async_trait::async_trait;
use platform::http::AppState;
use sea_orm::DbErr;
use serde::Serialize;

use crate::viewer::CurrentUser;

/// One header link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavLink {
    pub label: String,
    pub href: String,
}

/// A wing's links for `user`.
#[async_trait]
pub trait NavLinks: Send + Sync {
    async fn links(&self, state: &AppState, user: &CurrentUser) -> Result<Vec<NavLink>, DbErr>;
}

/// A wing's contribution: `Wing::with(UserLinks(&MyLinks))`.
#[derive(Clone, Copy)]
pub struct UserLinks(pub &'static dyn NavLinks);
