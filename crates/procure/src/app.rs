//! Assembling the app: database, shared state, and the router of every mounted crate.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use minijinja::value::{Serde, Value};
use platform::Config;
use platform::assets::{self, Assets};
use platform::cache::{Cache, CacheCheck};
use platform::config::DatabaseBackend;
use platform::files::{self, DeleteObject};
use platform::health::{BrokerCheck, DatabaseCheck, Health, StorageCheck};
use platform::http::errors::not_found;
use platform::http::{AppState, AppStateInner, Routes, ServerErrorHook, Wing, apply_middleware, ops};
use platform::jobs::{NoopJob, Periodic, ProbeJob, Registry, Schedule};
use platform::mail::SendEmail;
use platform::sessions::PurgeExpiredSessions;
use platform::storage::Storage;
use platform::templates::{LinkPolicy, Templates, platform_templates};
use sea_orm::DatabaseConnection;

/// How long the heartbeat waits for the database before calling it down.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Redis keys of the cache start with this.
const CACHE_PREFIX: &str = "procure";

/// The product name shown in pages.
pub const SITE_NAME: &str = "Procure";

/// Connects and brings the schema up to date where that is safe to do implicitly.
///
/// SQLite (one machine, one file): pending migrations are applied, so the zero-configuration
/// start just works. PostgreSQL (shared, production): a role refuses to start on a database
/// with pending migrations; `procure migrate` (Heroku's release phase) applies them.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = platform::db::connect(&config.database).await?;
    match config.database.backend {
        DatabaseBackend::Sqlite { .. } => {
            let applied = model::migrate(&db).await.context("applying migrations")?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "applied migrations");
            }
        }
        DatabaseBackend::Postgres => {
            let state = model::migration_state(&db).await.context("reading the migration state")?;
            if !state.pending.is_empty() {
                anyhow::bail!(
                    "the database has {} pending migration(s) ({}); run `procure migrate` first",
                    state.pending.len(),
                    state.pending.join(", ")
                );
            }
        }
    }
    Ok(db)
}

/// Every job type this build runs. Each wing adds its own.
pub fn jobs() -> Registry {
    let mut registry = Registry::new();
    registry
        .register::<NoopJob>()
        .register::<ProbeJob>()
        .register::<SendEmail>()
        .register::<DeleteObject>()
        .register::<PurgeExpiredSessions>()
        .register::<accounts::PurgeSignInRecords>()
        .register::<scout::notices::ExpirationNotices>()
        .register::<beacon::PublishDue>()
        .register::<beacon::notify::NewOpportunity>()
        .register::<beacon::notify::DeadlineReminders>()
        .register::<beacon::notify::Addendum>()
        .register::<beacon::digest::Digest>()
        .register::<platform::mail::PurgeSentEmails>()
        .register::<admin::imports::ImportFile>();
    registry
}

/// The periodic jobs `procure scheduler` enqueues. Each wing adds its nightly jobs here.
pub fn schedule(config: &Config) -> Schedule {
    let mut schedule = Schedule::new();
    // A nightly probe row proves, day by day, that the scheduler and a worker both ran.
    schedule.add(Periodic::daily(
        "platform.nightly_probe",
        &ProbeJob { token: "nightly".into(), ..ProbeJob::default() },
        config.jobs.nightly_at,
    ));
    schedule.add(Periodic::daily("platform.purge_sessions", &PurgeExpiredSessions {}, config.jobs.nightly_at));
    schedule.add(Periodic::daily(
        "scout.expiration_notices",
        &scout::notices::ExpirationNotices {},
        config.jobs.nightly_at,
    ));
    schedule.add(Periodic::daily("beacon.publish_due", &beacon::PublishDue {}, config.jobs.nightly_at));
    schedule.add(Periodic::daily(
        "beacon.deadline_reminders",
        &beacon::notify::DeadlineReminders {},
        config.jobs.nightly_at,
    ));
    schedule.add(Periodic::monthly_on(
        "beacon.digest",
        &beacon::digest::Digest {},
        &beacon::digest::DAYS,
        config.jobs.nightly_at,
    ));
    schedule.add(Periodic::daily(
        "platform.purge_sent_emails",
        &platform::mail::PurgeSentEmails {},
        config.jobs.nightly_at,
    ));
    schedule.add(Periodic::daily(
        "accounts.purge_sign_in_records",
        &accounts::PurgeSignInRecords {},
        config.jobs.nightly_at,
    ));
    schedule
}

/// The wings this build mounts. Each wing issue adds its entry here with its routes.
pub fn wings() -> Vec<Wing> {
    vec![Wing { name: "Scout", path: "/scout/" }, Wing { name: "Beacon", path: "/beacon/" }]
}

/// Every crate's page and email templates, with the globals pages use.
pub fn templates(config: &Config, assets: &Assets, wings: &[Wing]) -> Templates {
    Templates::new(
        vec![
            platform_templates(),
            site::templates(),
            accounts::templates(),
            admin::templates(),
            scout::templates(),
            beacon::templates(),
            platform::template_source!(),
        ],
        assets,
        LinkPolicy { site_host: config.site.host().to_owned(), warn: config.site.external_link_warning },
        vec![
            ("site_name", Value::from(SITE_NAME)),
            ("wings", Value::from(Serde(wings))),
            ("source_url", Value::from(crate::version::SOURCE)),
        ],
    )
}

/// The job services, with the templates that jobs render emails with.
pub fn job_env(db: DatabaseConnection, config: Arc<Config>) -> anyhow::Result<platform::jobs::JobEnv> {
    let env = platform::jobs::JobEnv::from_config(db, config.clone())?;
    Ok(env.with_templates(templates(&config, &Assets::load(), &wings())))
}

pub async fn build_state(config: Arc<Config>, db: DatabaseConnection) -> anyhow::Result<AppState> {
    let secret = platform::secrets::app_secret(&config).context("reading the application secret")?;
    let storage = Storage::from_config(&config, &secret).context("opening the file store")?;
    let sessions = platform::sessions::layer(&config, &secret, db.clone()).await.context("session store")?;
    let cache = match &config.redis {
        Some(redis) => Cache::redis(redis, CACHE_PREFIX).await.context("REDIS_URL")?,
        None => Cache::memory(),
    };
    let assets = Assets::load();
    let wings = wings();
    let templates = templates(&config, &assets, &wings);
    let mut health = Health::new();
    health.register(DatabaseCheck { db: db.clone(), timeout: DATABASE_CHECK_TIMEOUT });
    health.register(StorageCheck { storage: storage.clone(), timeout: DATABASE_CHECK_TIMEOUT });
    if config.redis.is_some() {
        health.register(CacheCheck(cache.clone()));
    }
    if let Some(broker) = &config.broker {
        health.register(BrokerCheck::new(broker.clone(), DATABASE_CHECK_TIMEOUT));
    }
    let errors = Arc::new(site::status::ServerErrors::new(db.clone(), config.clone(), templates.clone()));
    let on_server_error: ServerErrorHook = Arc::new(move |rid, what| {
        let errors = errors.clone();
        tokio::spawn(async move { errors.record(&rid, &what).await });
    });
    Ok(AppState::new(AppStateInner {
        config,
        secret,
        db,
        templates,
        assets,
        health,
        storage,
        cache,
        sessions,
        wings,
        on_server_error: Some(on_server_error),
    }))
}

/// Every route of every mounted crate. The route-by-role test walks this list, so a route
/// added anywhere is a route someone has decided the permissions of.
pub fn route_table() -> Routes {
    Routes::new()
        .merge(ops::routes())
        .merge(site::routes())
        .merge(accounts::routes())
        .merge(admin::routes())
        .merge(scout::routes())
        .merge(beacon::routes())
        .merge(crate::api_docs::routes())
        .get(&format!("{}/{{hash}}/{{*path}}", assets::PREFIX), assets::serve)
        .get("/files/{*key}", files::download)
}

/// Every route of every mounted crate, without middleware.
pub fn routes(state: &AppState) -> Router {
    route_table().into_router().fallback(not_found).with_state(state.clone())
}

/// Every route, wrapped in the standard middleware: what `procure web` serves.
pub fn router(state: &AppState) -> Router {
    apply_middleware(routes(state), state)
}
