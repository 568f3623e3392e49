//! The SQL of the outbox (see the migration `m20261206_000016_events` for the table's rules).
//! Statements use `$n` placeholders on both databases, as the job queue does.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult};

use super::{Audience, Event, NewEvent, now_ms};
use crate::db::stmt;

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    event: &NewEvent,
    payload: &str,
    origin: Option<&str>,
) -> Result<(), DbErr> {
    let (audience, user) = event.audience.column();
    db.execute_raw(stmt(
        db.get_database_backend(),
        "INSERT INTO events (kind, subject_id, audience, user_id, payload, origin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            event.kind.into(),
            event.subject.into(),
            audience.into(),
            user.into(),
            payload.into(),
            origin.map(str::to_owned).into(),
            now_ms().into(),
        ],
    ))
    .await?;
    Ok(())
}

const COLUMNS: &str = "seq, kind, subject_id, audience, user_id, payload, origin, created_at";

fn event_from(row: &QueryResult) -> Result<Option<Event>, DbErr> {
    let audience: String = row.try_get("", "audience")?;
    let user: Option<i64> = row.try_get("", "user_id")?;
    let Some(audience) = Audience::from_column(&audience, user) else {
        tracing::warn!(audience, "an event with an unknown audience was skipped");
        return Ok(None);
    };
    let payload: String = row.try_get("", "payload")?;
    Ok(Some(Event {
        seq: row.try_get("", "seq")?,
        kind: row.try_get("", "kind")?,
        subject: row.try_get("", "subject_id")?,
        audience,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        origin: row.try_get("", "origin")?,
        at: row.try_get("", "created_at")?,
    }))
}

/// Numbers up to `limit` committed, unnumbered events in the order of their ids, and returns
/// them. Relays take turns: the sequence row is locked until this transaction commits.
pub async fn number(db: &DatabaseConnection, limit: u32) -> Result<Vec<Event>, DbErr> {
    let backend = db.get_database_backend();
    // Relays look often; a look that finds nothing must not take SQLite's write lock.
    let waiting =
        db.query_one_raw(stmt(backend, "SELECT id FROM events WHERE seq IS NULL LIMIT 1", vec![])).await?.is_some();
    if !waiting {
        return Ok(Vec::new());
    }
    let txn = crate::db::begin_write(db).await?;
    let lock = match backend {
        DbBackend::Postgres => "SELECT last_seq FROM event_sequence WHERE id = 1 FOR UPDATE",
        // BEGIN IMMEDIATE already holds the database's write lock.
        _ => "SELECT last_seq FROM event_sequence WHERE id = 1",
    };
    let last: i64 = match txn.query_one_raw(stmt(backend, lock, vec![])).await? {
        Some(row) => row.try_get("", "last_seq")?,
        None => return Err(DbErr::RecordNotFound("event_sequence row 1 (run the migrations)".into())),
    };
    let rows = txn
        .query_all_raw(stmt(
            backend,
            &format!(
                "UPDATE events SET seq = numbered.seq FROM ( \
                   SELECT id, $1 + row_number() OVER (ORDER BY id) AS seq FROM events \
                   WHERE seq IS NULL ORDER BY id LIMIT $2 \
                 ) AS numbered WHERE events.id = numbered.id RETURNING {}",
                COLUMNS.replace("seq,", "events.seq,")
            ),
            vec![last.into(), i64::from(limit).into()],
        ))
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        events.extend(event_from(row)?);
    }
    events.sort_by_key(|e| e.seq);
    let numbered = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if numbered > 0 {
        txn.execute_raw(stmt(
            backend,
            "UPDATE event_sequence SET last_seq = $1 WHERE id = 1",
            vec![(last + numbered).into()],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(events)
}

/// Numbered events after `after`, in order, at most `limit`.
pub async fn after(db: &impl ConnectionTrait, after: i64, limit: u32) -> Result<Vec<Event>, DbErr> {
    let rows = db
        .query_all_raw(stmt(
            db.get_database_backend(),
            &format!("SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
            vec![after.into(), i64::from(limit).into()],
        ))
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        events.extend(event_from(row)?);
    }
    Ok(events)
}

/// The outbox's identity and the last number given: (stream, last seq).
pub async fn position(db: &impl ConnectionTrait) -> Result<(String, i64), DbErr> {
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            "SELECT stream, last_seq FROM event_sequence WHERE id = 1",
            vec![],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("event_sequence row 1 (run the migrations)".into()))?;
    Ok((row.try_get("", "stream")?, row.try_get("", "last_seq")?))
}

/// The oldest number still kept (0 when none is): a client resuming from before it has missed
/// events that are gone.
pub async fn oldest_kept(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            "SELECT COALESCE(MIN(seq), 0) AS first FROM events WHERE seq IS NOT NULL",
            vec![],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "first")?,
        None => 0,
    })
}

/// Deletes numbered events older than `retention`; returns how many.
pub async fn prune(db: &DatabaseConnection, retention: Duration) -> Result<u64, DbErr> {
    let cutoff = now_ms() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let done = db
        .execute_raw(stmt(
            db.get_database_backend(),
            "DELETE FROM events WHERE seq IS NOT NULL AND created_at < $1",
            vec![cutoff.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}
