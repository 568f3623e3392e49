//! The `procure` binary's wiring: which crates make up the app, and how each role starts.
//! No business rules live here.

pub mod api_docs;
pub mod app;
pub mod cli;
pub mod import_cmd;
pub mod jobs_cmd;
pub mod public_url;
pub mod roles;
pub mod version;
