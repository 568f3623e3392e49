use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use crate::assets::Assets;
use crate::config::Config;
use crate::health::Health;
use crate::templates::Templates;

/// Called after a response with status 500 went out: (request id, what went wrong).
/// The binary wires it to the `app_status` row that `/_status` reports.
pub type ServerErrorHook = Arc<dyn Fn(String, String) + Send + Sync>;

/// A wing's entry in the site's navigation: `NavEntry { name: "Scout", path: "/scout/" }`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NavEntry {
    pub name: &'static str,
    pub path: &'static str,
}

/// What every handler can reach. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(pub Arc<AppStateInner>);

pub struct AppStateInner {
    pub config: Arc<Config>,
    /// The application secret, read once at start-up (signing keys are derived from it).
    pub secret: crate::config::Secret,
    pub db: DatabaseConnection,
    pub templates: Templates,
    pub assets: Assets,
    pub health: Health,
    pub storage: crate::storage::Storage,
    pub cache: crate::cache::Cache,
    /// Values this process keeps as they are, keyed by data versions.
    pub local: crate::cache::Local,
    /// This process's hub of domain events, for the sockets at `/ws`.
    pub events: crate::events::Hub,
    pub sessions: tower_sessions::SessionManagerLayer<crate::sessions::Store, tower_sessions::service::SignedCookie>,
    /// The navigation entries of the mounted wings, in order.
    pub nav: Vec<NavEntry>,
    /// What each wing contributed to other crates (see [`crate::wing`]).
    pub contributions: crate::wing::Contributions,
    pub on_server_error: Option<ServerErrorHook>,
}

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        AppState(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

impl FromRef<AppState> for Assets {
    fn from_ref(state: &AppState) -> Assets {
        state.assets.clone()
    }
}

impl FromRef<AppState> for Templates {
    fn from_ref(state: &AppState) -> Templates {
        state.templates.clone()
    }
}
