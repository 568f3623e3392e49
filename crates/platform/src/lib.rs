//! Procure's technical foundation. Knows nothing about contracts or vendors: configuration
//! (`config/`), the database connection (`db.rs`), the HTTP kit (`http/`: state, middleware,
//! error pages, Dockerflow endpoints, routes, uploads), the wing manifest (`wing.rs`), the job
//! queue, worker, broker relay and scheduler (`jobs/`), email (`mail.rs`), files and storage
//! (`files.rs`, `storage.rs`), the cache and the data versions cached answers are keyed by
//! (`cache.rs`, `freshness.rs`), server-side SVG charts (`charts.rs`), sessions and their one-time messages (`flash.rs`), logging, metrics (`telemetry.rs`), Sentry
//! (`error_reporting.rs`), the application secret, templates, assets, health checks, shutdown, and the
//! one rule for which characters outside text may carry (`text.rs`).

pub mod assets;
pub mod cache;
pub mod charts;
pub mod config;
pub mod db;
pub mod error_reporting;
pub mod events;
pub mod files;
pub mod flash;
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
pub mod text;
pub mod wing;

pub use config::Config;
pub use wing::Wing;

/// The platform's own part of the app: the Dockerflow endpoints, assets, file downloads, the
/// base templates, the jobs every deployment runs (email, file deletion, probes) and their
/// nightly housekeeping.
pub fn wing() -> Wing {
    use jobs::{NoopJob, Periodic, ProbeJob};
    let routes = http::ops::routes()
        .get(&format!("{}/{{hash}}/{{*path}}", assets::PREFIX), assets::serve)
        .get("/files/{*key}", files::download);
    Wing::new("platform")
        .routes(routes)
        .templates(templates::platform_templates())
        .job::<NoopJob>()
        .job::<ProbeJob>()
        .job::<mail::SendEmail>()
        .job::<files::DeleteObject>()
        // A nightly probe row proves, day by day, that the scheduler and a worker both ran.
        .periodic(|config| {
            let probe = ProbeJob { token: "nightly".into(), ..ProbeJob::default() };
            Periodic::daily("platform.nightly_probe", &probe, config.jobs.nightly_at)
        })
        .nightly("platform.purge_sessions", sessions::PurgeExpiredSessions {})
        .nightly("platform.purge_sent_emails", mail::PurgeSentEmails {})
}
