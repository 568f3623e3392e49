//! The relay: numbers committed events and publishes them to the fan-out; forgets delivered
//! ones after the retention period. Runs in the worker and in every process serving `/ws`.
//!
//! It wakes when this process may have committed events ([`super::nudge`]), when PostgreSQL
//! says an insert into `events` committed (`NOTIFY procure_outbox`, sent by a trigger at
//! commit), and on a timer ([`SQLITE_POLL`]), which alone finds the events of other processes on
//! SQLite.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbBackend};
use tokio_util::sync::CancellationToken;

use super::fanout::Fanout;
use super::{NUDGE, outbox};

/// Events numbered per transaction.
const BATCH: u32 = 500;
/// How often a relay on SQLite looks for events committed by other processes.
pub const SQLITE_POLL: Duration = Duration::from_millis(25);
/// How often the outbox is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

pub async fn run(db: DatabaseConnection, fanout: Fanout, retention: Duration, shutdown: CancellationToken) {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    // PostgreSQL wakes the relay itself; the timer is only a safety net there. On SQLite the
    // timer finds other processes' events: a look that finds nothing is one indexed read, so
    // looking 40 times a second costs little and keeps a live page within ~25 ms.
    let poll = if postgres { Duration::from_secs(2) } else { SQLITE_POLL };
    let mut wake = if postgres { outbox_listener(&db).await } else { None };
    let mut stream = None;
    let mut pruned_at = tokio::time::Instant::now();
    tracing::info!(fanout = fanout.name(), "event relay started");
    while !shutdown.is_cancelled() {
        if postgres && wake.is_none() {
            wake = outbox_listener(&db).await;
        }
        if stream.is_none() {
            stream = outbox::position(&db).await.ok().map(|(s, _)| s);
        }
        let mut full = false;
        if let Some(stream) = &stream {
            match relay_once(&db, &fanout, stream).await {
                Ok(n) => full = n == BATCH as usize,
                Err(e) => tracing::warn!(error = %e, "cannot relay events; will retry"),
            }
        }
        if pruned_at.elapsed() >= PRUNE_EVERY {
            pruned_at = tokio::time::Instant::now();
            match outbox::prune(&db, retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "forgot delivered events past their retention"),
                Err(e) => tracing::warn!(error = %e, "cannot prune the event outbox"),
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = NUDGE.notified() => {}
            () = tokio::time::sleep(poll) => {}
            lost = notified(&mut wake) => if lost {
                // Remade on the next turn.
                wake = None;
            },
        }
    }
}

/// Numbers and publishes one batch; returns how many events it numbered. Publishing failures
/// are reported and not retried: listeners read numbered events from the outbox.
pub async fn relay_once(db: &DatabaseConnection, fanout: &Fanout, stream: &str) -> anyhow::Result<usize> {
    let events = outbox::number(db, BATCH).await?;
    if !events.is_empty()
        && let Err(e) = fanout.publish(stream, &events).await
    {
        tracing::warn!(fanout = fanout.name(), error = %e, events = events.len(), "cannot publish events; listeners will read them from the outbox");
    }
    Ok(events.len())
}

async fn outbox_listener(db: &DatabaseConnection) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(db.get_postgres_connection_pool()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for new events; polling instead");
            return None;
        }
    };
    match listener.listen("procure_outbox").await {
        Ok(()) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for new events; polling instead");
            None
        }
    }
}

/// Waits for a notification; true when the listener failed and should be remade. Pends forever
/// without a listener.
async fn notified(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(l) => l.try_recv().await.is_err(),
        None => std::future::pending().await,
    }
}
