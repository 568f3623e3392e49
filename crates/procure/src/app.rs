//! Assembling the app: database, shared state, and the router of every mounted crate.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use minijinja::value::{Serde, Value};
use platform::Config;
use platform::assets::Assets;
use platform::cache::{Cache, CacheCheck};
use platform::config::DatabaseBackend;
use platform::events::Hub;
use platform::events::fanout::Fanout;
use platform::health::{BrokerCheck, DatabaseCheck, Health, StorageCheck};
use platform::http::errors::not_found;
use platform::http::{AppState, AppStateInner, NavEntry, Routes, ServerErrorHook, apply_middleware};
use platform::jobs::{Registry, Schedule};
use platform::storage::Storage;
use platform::templates::{LinkPolicy, Templates};
use platform::wing::{Contributions, Wing};
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

/// The one list of what this build mounts, in navigation and back-office order. Adding a wing
/// is one line here (and its crate in Cargo.toml); everything below iterates over this list.
pub fn wings() -> Vec<Wing> {
    vec![
        platform::wing(),
        site::wing(),
        accounts::wing(),
        admin::wing(),
        scout::wing(),
        beacon::wing(),
        conductor::wing(),
        crate::api_docs::wing(),
    ]
}

/// Every job type this build runs.
pub fn jobs() -> Registry {
    platform::wing::registry(&wings())
}

/// The periodic jobs `procure scheduler` enqueues.
pub fn schedule(config: &Config) -> Schedule {
    platform::wing::schedule(&wings(), config)
}

/// Every wing's page and email templates, with the globals pages use.
fn templates(config: &Config, assets: &Assets, wings: &[Wing]) -> Templates {
    let nav: Vec<NavEntry> = wings.iter().filter_map(|w| w.nav.clone()).collect();
    Templates::new(
        wings.iter().filter_map(|w| w.templates).collect(),
        assets,
        LinkPolicy { site_host: config.site.host().to_owned(), warn: config.site.external_link_warning },
        vec![
            ("site_name", Value::from(SITE_NAME)),
            ("wings", Value::from(Serde(nav))),
            ("source_url", Value::from(crate::version::SOURCE)),
            ("purchasing", Value::from(Serde(config.site.purchasing.clone()))),
        ],
    )
}

/// The job services, with the templates that jobs render emails with.
pub fn job_env(db: DatabaseConnection, config: Arc<Config>) -> anyhow::Result<platform::jobs::JobEnv> {
    let env = platform::jobs::JobEnv::from_config(db, config.clone())?;
    let wings = wings();
    Ok(env.with_templates(templates(&config, &Assets::load(), &wings)).with_contributions(Contributions::of(&wings)))
}

/// The configured fan-out of domain events (connected on first use).
pub fn fanout(config: &Config, db: &DatabaseConnection) -> anyhow::Result<Fanout> {
    Fanout::new(&config.realtime.fanout, db).context("REALTIME_FANOUT")
}

pub async fn build_state(config: Arc<Config>, db: DatabaseConnection) -> anyhow::Result<AppState> {
    accounts::api::clients::check_configured(config.api.client.as_ref())?;
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
    let events = Hub::new(db.clone(), fanout(&config, &db)?, config.realtime.retention);
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
        local: platform::cache::Local::new(platform::freshness::TTL),
        events,
        sessions,
        nav: wings.iter().filter_map(|w| w.nav.clone()).collect(),
        contributions: Contributions::of(&wings),
        on_server_error: Some(on_server_error),
    }))
}

/// Every route of every mounted wing. The route-by-role test walks this list, so a route
/// added anywhere is a route someone has decided the permissions of.
pub fn route_table() -> Routes {
    wings().into_iter().fold(Routes::new(), |all, wing| all.merge(wing.routes))
}

/// Every route of every mounted crate, without the standard middleware, but with the API's
/// bearer tokens read (`accounts::api::bearer`), inside it, so its errors get the API's shape.
pub fn routes(state: &AppState) -> Router {
    route_table()
        .into_router()
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), accounts::api::bearer::authenticate))
        .with_state(state.clone())
}

/// What `procure websocket` serves: `/ws` and the Dockerflow endpoints, in the standard
/// middleware (sessions say who is listening; the site guard applies as everywhere).
pub fn websocket_router(state: &AppState) -> Router {
    let routes = platform::http::ops::routes().merge(accounts::live::routes());
    apply_middleware(routes.into_router().fallback(not_found).with_state(state.clone()), state)
}

/// Every route, wrapped in the standard middleware: what `procure web` serves.
pub fn router(state: &AppState) -> Router {
    apply_middleware(routes(state), state)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_wing_is_mounted_once_and_its_parts_fit_together() {
        let wings = wings();
        let names: BTreeSet<_> = wings.iter().map(|w| w.name).collect();
        assert_eq!(names.len(), wings.len(), "a wing is listed twice");

        // Every periodic job is a registered job type.
        let empty = std::collections::HashMap::<String, String>::new();
        let config = Config::from_source(&empty).expect("default configuration");
        let registry = jobs();
        for periodic in schedule(&config).entries() {
            assert!(registry.contains(periodic.job), "{} schedules unregistered job {}", periodic.name, periodic.job);
        }

        // Back-office slugs are unique across wings, and each navigation entry is a route.
        let contributions = Contributions::of(&wings);
        let slugs: Vec<_> =
            contributions.all::<admin::BackOffice>().flat_map(|b| b.0.iter()).map(|r| r.slug()).collect();
        assert_eq!(slugs.iter().collect::<BTreeSet<_>>().len(), slugs.len(), "{slugs:?}");
        let routes: BTreeSet<String> = route_table().list().into_iter().map(|r| r.path).collect();
        for nav in wings.iter().filter_map(|w| w.nav.as_ref()) {
            assert!(routes.contains(nav.path), "{} links to {}, which no wing serves", nav.name, nav.path);
        }
    }
}
