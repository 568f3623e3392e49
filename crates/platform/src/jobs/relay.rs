//! The relay: publishes the ids of committed, ready jobs from the table to the broker. Runs in
//! every worker process; concurrent relays skip each other's rows (PostgreSQL) or take turns
//! (SQLite), and a job is published again only if nobody took it (see `take_for_publishing`).

use std::collections::BTreeMap;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::broker::Broker;
use super::queue;

const BATCH: usize = 500;
/// A published job nobody has claimed after this long is published again (its message was
/// lost, e.g. popped from Redis by a worker that died).
const REPUBLISH_AFTER: Duration = Duration::from_secs(30);

pub async fn run(db: DatabaseConnection, broker: Broker, interval: Duration, shutdown: CancellationToken) {
    tracing::info!(broker = broker.kind(), "job relay started");
    while !shutdown.is_cancelled() {
        let full = match relay_once(&db, &broker).await {
            Ok(n) => n == BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "cannot relay jobs to the broker; will retry");
                false
            }
        };
        if !full {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

/// Publishes one batch; returns how many jobs it took.
pub async fn relay_once(db: &DatabaseConnection, broker: &Broker) -> anyhow::Result<usize> {
    let taken = queue::take_for_publishing(db, BATCH, REPUBLISH_AFTER).await?;
    let mut by_type: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (id, job_type) in &taken {
        by_type.entry(job_type.as_str()).or_default().push(*id);
    }
    for (job_type, ids) in by_type {
        if let Err(e) = broker.publish(job_type, &ids).await {
            queue::unpublish(db, &ids).await?;
            return Err(e.into());
        }
    }
    Ok(taken.len())
}
