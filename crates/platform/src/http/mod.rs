//! The HTTP kit every wing uses: shared state, middleware, error pages, Dockerflow endpoints
//! and the server loop.

pub mod api;
pub mod caching;
pub mod client;
pub mod errors;
pub mod input;
pub mod middleware;
pub mod ops;
pub mod routes;
pub mod security;
pub mod serve;
mod state;
pub mod upload;

pub use errors::{AppError, ErrorPage, wants_json};
pub use middleware::{RequestId, apply_middleware};
pub use routes::{RouteInfo, Routes};
pub use state::{AppState, AppStateInner, NavEntry, ServerErrorHook};
