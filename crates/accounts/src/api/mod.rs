//! Authenticated API access (issue 19, `docs/api.md`): registered clients and the
//! client-credentials grant (`clients.rs`, `grant.rs`), bearer tokens (`tokens.rs`), their
//! scopes (`scopes.rs`), the middleware that reads them and counts each token's requests
//! (`bearer.rs`, `rate.rs`).
//!
//! Reading public data needs no token, as before. A token acts for a user (a personal token's
//! own, or a client's owner): services decide with `accounts::policy` as for that user's pages,
//! and the token's scopes only narrow what it may do.

pub mod bearer;
pub mod clients;
pub mod grant;
pub mod me;
pub mod personal;
pub mod rate;
pub mod scopes;
pub mod tokens;

pub use bearer::ApiCaller;
pub use scopes::{Scope, Scopes};
