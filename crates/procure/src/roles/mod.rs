//! How each role starts and stops. Every role reads the same configuration, reports its
//! backends, and stops cleanly on SIGTERM.

use std::sync::Arc;
use std::time::Instant;

use platform::Config;
use platform::config::BrokerConfig;
use platform::health::{CheckLevel, HealthCheck, StorageCheck};
use platform::jobs::broker::Broker;
use platform::jobs::{Worker, WorkerOptions};
use tokio_util::sync::CancellationToken;

use crate::app;

fn report_backends(role: &str, config: &Config) {
    tracing::info!(role, version = crate::version::one_line(), mode = config.env.as_str(), "starting");
    for (concern, backend) in config.backends_summary() {
        tracing::info!(role, concern, backend, "backend");
    }
}

/// `procure web`.
pub async fn run_web(config: Arc<Config>) -> anyhow::Result<()> {
    let started = Instant::now();
    report_backends("web", &config);
    let shutdown = platform::shutdown::on_signal();
    web(config, shutdown, started).await
}

async fn web(config: Arc<Config>, shutdown: CancellationToken, started: Instant) -> anyhow::Result<()> {
    let db = app::open_database(&config).await?;
    let state = app::build_state(config.clone(), db.clone()).await?;
    // Start-up check of every backend: failures are reported and serving starts anyway, as in
    // the seeds; the heartbeat keeps reporting them until they recover.
    let health = state.health.clone();
    tokio::spawn(async move {
        let report = health.run().await;
        // `details` also holds healthy checks' notes (which file store); only failures count.
        for (name, detail) in report.details.iter().filter(|(_, d)| d.status != CheckLevel::Ok) {
            tracing::error!(backend = name, messages = ?detail.messages, "backend check failed at start-up");
        }
    });
    // Scout's search index loads now rather than on the first visitor's search.
    let warming = state.clone();
    tokio::spawn(async move {
        if let Err(e) = scout::search::warm(&warming).await {
            tracing::warn!(error = %e, "search index not loaded at start-up; the first search will load it");
        }
    });
    let router = app::router(&state);
    let addr = std::net::SocketAddr::new(config.server.bind, config.server.port);
    serve_with_sockets(&state, router, addr, shutdown, started).await?;
    db.close().await?;
    tracing::info!("web stopped");
    Ok(())
}

/// Serves `router` on `addr` with this process's event relay, until `shutdown`; then says
/// goodbye to every websocket (close 1001) while open requests finish, both within the grace.
async fn serve_with_sockets(
    state: &platform::http::AppState,
    router: axum::Router,
    addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    started: Instant,
) -> anyhow::Result<()> {
    let config = &state.config;
    let listener = platform::http::serve::bind(addr).await?;
    let local = listener.local_addr()?;
    let relay = tokio::spawn(platform::events::relay::run(
        state.db.clone(),
        state.events.fanout().clone(),
        config.realtime.retention,
        shutdown.clone(),
    ));
    let hub = state.events.clone();
    let grace = config.server.shutdown_grace;
    let stop = shutdown.clone();
    let goodbyes = tokio::spawn(async move {
        stop.cancelled().await;
        hub.close(grace).await;
    });
    tracing::info!(address = %local, ready_ms = started.elapsed().as_millis() as u64, "listening");
    let served = platform::http::serve::serve(
        listener,
        router,
        shutdown,
        platform::http::serve::Limits::from_config(&config.server),
    )
    .await;
    let _ = goodbyes.await;
    let _ = relay.await;
    served
}

/// `procure websocket`: `/ws` alone (and the Dockerflow endpoints) on `WEBSOCKET_PORT`, with an
/// event relay: seed 003's websocket container.
pub async fn run_websocket(config: Arc<Config>) -> anyhow::Result<()> {
    let started = Instant::now();
    report_backends("websocket", &config);
    let shutdown = platform::shutdown::on_signal();
    let Some(db) = open_database_patiently(&config, &shutdown).await? else {
        return Ok(());
    };
    let state = app::build_state(config.clone(), db.clone()).await?;
    let router = app::websocket_router(&state);
    let addr = std::net::SocketAddr::new(config.server.bind, config.realtime.websocket_port);
    serve_with_sockets(&state, router, addr, shutdown, started).await?;
    close_database(db).await;
    tracing::info!("websocket stopped");
    Ok(())
}

/// `procure worker`: runs jobs until SIGTERM, then drains.
pub async fn run_worker(config: Arc<Config>) -> anyhow::Result<()> {
    report_backends("worker", &config);
    worker(config, platform::shutdown::on_signal(), true).await
}

/// The worker role; with `relay`, it also numbers and publishes events (`procure` alone leaves
/// that to its web role, which relays for the whole process).
async fn worker(config: Arc<Config>, shutdown: CancellationToken, relay: bool) -> anyhow::Result<()> {
    let Some(db) = open_database_patiently(&config, &shutdown).await? else {
        return Ok(());
    };
    let env = app::job_env(db.clone(), config.clone())?;
    // Start-up check of the file store the jobs write to: reported, and the worker starts anyway.
    let storage = StorageCheck { storage: env.storage.clone(), timeout: std::time::Duration::from_secs(5) };
    let result = storage.check().await;
    if result.level != CheckLevel::Ok {
        tracing::error!(messages = ?result.messages, "file store check failed at start-up");
    }
    let mut options = WorkerOptions::new(config.server.shutdown_grace);
    options.lease = config.jobs.lease;
    // Events committed by jobs are numbered and published from here too.
    let relay = if relay {
        Some(tokio::spawn(platform::events::relay::run(
            db.clone(),
            app::fanout(&config, &db)?,
            config.realtime.retention,
            shutdown.clone(),
        )))
    } else {
        None
    };
    let mut worker = Worker::new(env, app::jobs(), options);
    if let Some(broker_config) = &config.broker {
        let Some(broker) = connect_broker(broker_config, &shutdown).await else {
            return Ok(());
        };
        worker = worker.with_broker(broker);
    }
    worker.run(shutdown).await;
    if let Some(relay) = relay {
        let _ = relay.await;
    }
    close_database(db).await;
    Ok(())
}

/// Opens the database for a background role, retrying while the server cannot be reached: a
/// worker or scheduler started before its database (or while it restarts, or while every
/// connection is busy) keeps starting rather than exiting. Any other failure (pending
/// migrations, a bad URL) is returned at once. `None` if shutdown came first.
async fn open_database_patiently(
    config: &Config,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<sea_orm::DatabaseConnection>> {
    loop {
        match app::open_database(config).await {
            Ok(db) => return Ok(Some(db)),
            Err(e) if is_unreachable(&e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot reach the database; retrying in 5 s")
            }
            Err(e) => return Err(e),
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(None),
            () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
        }
    }
}

/// Whether opening the database failed for want of a connection (worth retrying).
fn is_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let db_err = match cause.downcast_ref::<platform::db::DbConnectError>() {
            Some(platform::db::DbConnectError::Connect { source, .. }) => Some(source),
            Some(platform::db::DbConnectError::Folder { .. } | platform::db::DbConnectError::NotWritable { .. }) => {
                None
            }
            None => cause.downcast_ref::<sea_orm::DbErr>(),
        };
        matches!(db_err, Some(sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)))
    })
}

/// Closing the pool at shutdown: a failure loses nothing (the work is done or handed back),
/// so it is reported and the role still exits successfully.
async fn close_database(db: sea_orm::DatabaseConnection) {
    if let Err(e) = db.close().await {
        tracing::warn!(error = %e, "closing the database pool failed");
    }
}

/// Connects to the broker, retrying until it answers: a worker started before its broker keeps
/// starting rather than crash-looping. `None` if shutdown came first.
async fn connect_broker(config: &BrokerConfig, shutdown: &CancellationToken) -> Option<Broker> {
    loop {
        match Broker::connect(config, &config.prefix).await {
            Ok(broker) => return Some(broker),
            Err(e) => tracing::error!(error = %e, "cannot reach the job broker; retrying in 5 s"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
        }
    }
}

/// `procure scheduler`: enqueues each periodic job once per slot.
pub async fn run_scheduler(config: Arc<Config>) -> anyhow::Result<()> {
    report_backends("scheduler", &config);
    scheduler(config, platform::shutdown::on_signal()).await
}

async fn scheduler(config: Arc<Config>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let Some(db) = open_database_patiently(&config, &shutdown).await? else {
        return Ok(());
    };
    let schedule = app::schedule(&config);
    let (tz, tick) = (config.site.display_timezone, config.jobs.scheduler_tick);
    platform::jobs::scheduler::run(db.clone(), app::jobs(), schedule, tz, tick, shutdown).await;
    close_database(db).await;
    Ok(())
}

/// `procure` with no command: web, worker and scheduler in one process. The first role to
/// fail stops the others.
pub async fn run_all(config: Arc<Config>) -> anyhow::Result<()> {
    let started = Instant::now();
    report_backends("all", &config);
    let shutdown = platform::shutdown::on_signal();
    // Migrate once, before the roles race to do it.
    app::open_database(&config).await?.close().await?;
    let stop_all = shutdown.clone();
    let guard = |result: anyhow::Result<()>| {
        if result.is_err() {
            stop_all.cancel();
        }
        result
    };
    let (web, worker, scheduler) = tokio::join!(
        async { guard(web(config.clone(), shutdown.clone(), started).await) },
        async { guard(worker(config.clone(), shutdown.clone(), false).await) },
        async { guard(scheduler(config.clone(), shutdown.clone()).await) },
    );
    web.and(worker).and(scheduler)
}

/// `procure migrate`: applies what is pending, says what it did.
pub async fn migrate(config: Arc<Config>) -> anyhow::Result<()> {
    let db = platform::db::connect(&config.database).await?;
    let applied = model::migrate(&db).await?;
    if applied.is_empty() {
        println!("{}: no pending migrations", config.database.describe());
    } else {
        println!("{}: applied {}", config.database.describe(), applied.join(", "));
    }
    db.close().await?;
    Ok(())
}
