//! Procure's technical foundation. Knows nothing about contracts or vendors: configuration,
//! database connection, HTTP kit (middleware, error pages, Dockerflow endpoints, assets,
//! templates), logging, health checks and shutdown.

pub mod assets;
pub mod cache;
pub mod config;
pub mod db;
pub mod error_reporting;
pub mod files;
pub mod freshness;
pub mod health;
pub mod http;
pub mod jobs;
pub mod logging;
pub mod mail;
pub mod secrets;
pub mod sessions;
pub mod shutdown;
pub mod storage;
pub mod telemetry;
pub mod templates;

pub use config::Config;
