//! The SQL of the queue: enqueue, claim, finish, and the operator's list/retry/discard.
//!
//! Statements are written once with `$n` placeholders; SQLite gets `?n`, which binds the same
//! way. Only the claim differs: PostgreSQL locks the rows it picks with `FOR UPDATE SKIP
//! LOCKED` so concurrent workers never wait on each other; SQLite serialises writers itself,
//! so the same `UPDATE … RETURNING` is already atomic there.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde::Serialize;

use super::{Job, JobSettings, millis, now_ms};

#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error("cannot serialise the job: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("no failed job with id {0}")]
    NotFound(i64),
}

/// Options for [`enqueue_with`].
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// Run no earlier than this far in the future.
    pub delay: Option<Duration>,
    /// Overrides the type's priority.
    pub priority: Option<i16>,
}

pub(crate) use crate::db::stmt;

/// Queues `job` with the connection or transaction given: it becomes visible to workers when
/// that transaction commits, and never if it rolls back.
pub async fn enqueue<J: Job>(conn: &impl ConnectionTrait, job: &J) -> Result<i64, JobsError> {
    enqueue_with(conn, job, EnqueueOptions::default()).await
}

pub async fn enqueue_with<J: Job>(
    conn: &impl ConnectionTrait,
    job: &J,
    opts: EnqueueOptions,
) -> Result<i64, JobsError> {
    let payload = serde_json::to_string(job)?;
    insert(conn, J::NAME, &payload, J::settings(), opts, None).await
}

/// Queues a job by name with a JSON payload (for `procure enqueue-job`); the caller checks the
/// name is registered.
pub async fn enqueue_named(
    conn: &impl ConnectionTrait,
    name: &str,
    payload: &serde_json::Value,
    settings: JobSettings,
) -> Result<i64, JobsError> {
    insert(conn, name, &payload.to_string(), settings, EnqueueOptions::default(), None).await
}

/// Queues the run of a scheduled slot; the worker reports its progress on `job_status` row
/// `slot`.
pub(crate) async fn enqueue_for_slot(
    conn: &impl ConnectionTrait,
    name: &str,
    payload: &serde_json::Value,
    settings: JobSettings,
    slot: i32,
) -> Result<i64, JobsError> {
    insert(conn, name, &payload.to_string(), settings, EnqueueOptions::default(), Some(slot)).await
}

async fn insert(
    conn: &impl ConnectionTrait,
    name: &str,
    payload: &str,
    settings: JobSettings,
    opts: EnqueueOptions,
    slot: Option<i32>,
) -> Result<i64, JobsError> {
    let run_at = now_ms() + opts.delay.map_or(0, millis);
    let max_attempts = i32::try_from(settings.retries.saturating_add(1)).unwrap_or(i32::MAX);
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(stmt(
            backend,
            "INSERT INTO jobs (job_type, payload, priority, status, attempts, max_attempts, run_at, job_status_id) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6) RETURNING id",
            vec![
                name.into(),
                payload.into(),
                opts.priority.unwrap_or(settings.priority).into(),
                max_attempts.into(),
                run_at.into(),
                slot.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    Ok(row.try_get::<i64>("", "id")?)
}

/// A job taken by a worker, under a lease.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ClaimedJob {
    pub id: i64,
    pub job_type: String,
    pub payload: String,
    /// Including this run.
    pub attempts: i32,
    pub max_attempts: i32,
    /// The `job_status` row of a scheduled run.
    pub slot: Option<i32>,
}

/// Claims up to `limit` ready jobs of `job_type` for `worker`: queued ones whose time has come,
/// and running ones whose lease has expired (their worker died).
pub async fn claim(
    conn: &impl ConnectionTrait,
    job_type: &str,
    limit: usize,
    worker: &str,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, DbErr> {
    let backend = conn.get_database_backend();
    let now = now_ms();
    let lock = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, \
         updated_at = CURRENT_TIMESTAMP \
         WHERE id IN (SELECT id FROM jobs WHERE job_type = $3 \
           AND ((status = 'queued' AND run_at <= $4) OR (status = 'running' AND locked_until <= $4)) \
           ORDER BY priority DESC, run_at, id LIMIT $5{lock}) \
         RETURNING id, job_type, payload, attempts, max_attempts, job_status_id AS slot"
    );
    let rows = conn
        .query_all_raw(stmt(
            backend,
            &sql,
            vec![
                worker.into(),
                (now + millis(lease)).into(),
                job_type.into(),
                now.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    let mut jobs = rows.iter().map(|r| ClaimedJob::from_query_result(r, "")).collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Claims job `id` if it is ready (a broker delivered its id). `None` when it is not: done,
/// failed, waiting for a retry, or running under another worker's live lease.
pub(crate) async fn claim_one(
    conn: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    lease: Duration,
) -> Result<Option<ClaimedJob>, DbErr> {
    let backend = conn.get_database_backend();
    let now = now_ms();
    let row = conn
        .query_one_raw(stmt(
            backend,
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, \
             updated_at = CURRENT_TIMESTAMP \
             WHERE id = $3 AND ((status = 'queued' AND run_at <= $4) OR (status = 'running' AND locked_until <= $4)) \
             RETURNING id, job_type, payload, attempts, max_attempts, job_status_id AS slot",
            vec![worker.into(), (now + millis(lease)).into(), id.into(), now.into()],
        ))
        .await?;
    row.as_ref().map(|r| ClaimedJob::from_query_result(r, "")).transpose()
}

/// Marks up to `limit` jobs as published and returns them as (id, type): ready jobs not yet
/// published (or published longer than `republish_after` ago and still waiting), and running
/// jobs whose lease expired since they were last published (their worker died).
pub(crate) async fn take_for_publishing(
    conn: &impl ConnectionTrait,
    limit: usize,
    republish_after: Duration,
) -> Result<Vec<(i64, String)>, DbErr> {
    let backend = conn.get_database_backend();
    let now = now_ms();
    let lock = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET published_at = $1 WHERE id IN (SELECT id FROM jobs WHERE \
           (status = 'queued' AND run_at <= $1 AND (published_at IS NULL OR published_at <= $2)) \
           OR (status = 'running' AND locked_until <= $1 AND (published_at IS NULL OR published_at <= locked_until)) \
           ORDER BY priority DESC, run_at, id LIMIT $3{lock}) \
         RETURNING id, job_type"
    );
    let rows = conn
        .query_all_raw(stmt(
            backend,
            &sql,
            vec![now.into(), (now - millis(republish_after)).into(), i64::try_from(limit).unwrap_or(i64::MAX).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "job_type")?))).collect()
}

/// Undoes [`take_for_publishing`] for jobs whose publication failed.
pub(crate) async fn unpublish(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let sql = format!("UPDATE jobs SET published_at = NULL WHERE id IN ({})", placeholders(ids.len()));
    conn.execute_raw(stmt(backend, &sql, ids.iter().map(|&id| id.into()).collect())).await?;
    Ok(())
}

/// Reports a scheduled run's progress on its `job_status` row.
pub(crate) async fn report_slot(
    conn: &impl ConnectionTrait,
    slot: i32,
    status: &str,
    info: Option<&str>,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(stmt(
        backend,
        "UPDATE job_status SET status = $1, info = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $3",
        vec![status.into(), info.map(str::to_owned).into(), slot.into()],
    ))
    .await?;
    Ok(())
}

/// Successful runs of `worker`: those jobs are done and their rows go. A job another worker
/// has taken over meanwhile stays, for that worker's run to decide.
pub(crate) async fn complete(conn: &impl ConnectionTrait, ids: &[i64], worker: &str) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let sql = format!("DELETE FROM jobs WHERE locked_by = $1 AND id IN ({})", placeholders_from(2, ids.len()));
    let mut values = vec![worker.into()];
    values.extend(ids.iter().map(|&id| id.into()));
    conn.execute_raw(stmt(backend, &sql, values)).await?;
    Ok(())
}

/// The heartbeat: extends `worker`'s claims on the running jobs `ids` to `lease` from now.
/// Returns the ids it renewed; the others are no longer this worker's (taken over after the
/// claim expired, or given back).
pub(crate) async fn renew(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    worker: &str,
    lease: Duration,
) -> Result<Vec<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let sql = format!(
        "UPDATE jobs SET locked_until = $1 WHERE status = 'running' AND locked_by = $2 AND id IN ({}) RETURNING id",
        placeholders_from(3, ids.len())
    );
    let mut values = vec![(now_ms() + millis(lease)).into(), worker.into()];
    values.extend(ids.iter().map(|&id| id.into()));
    let rows = conn.query_all_raw(stmt(backend, &sql, values)).await?;
    rows.iter().map(|r| r.try_get::<i64>("", "id")).collect()
}

/// `$1, $2, …, $n`.
fn placeholders(n: usize) -> String {
    placeholders_from(1, n)
}

/// `$first, …`, `n` of them.
fn placeholders_from(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A failed run of `worker`: queue a retry after the backoff, or keep the job as `failed` when
/// its attempts are used up. Returns whether it will be retried, or `None` when the job is no
/// longer this worker's (another took it over; its run decides).
pub(crate) async fn fail(
    conn: &impl ConnectionTrait,
    job: &ClaimedJob,
    worker: &str,
    error: &str,
    settings: &JobSettings,
) -> Result<Option<bool>, DbErr> {
    let backend = conn.get_database_backend();
    let retry = job.attempts < job.max_attempts;
    let run_at = now_ms() + millis(settings.backoff(u32::try_from(job.attempts).unwrap_or(1)));
    let result = conn
        .execute_raw(stmt(
            backend,
            "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL, \
             published_at = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = $4 AND status = 'running' AND locked_by = $5",
            vec![
                if retry { "queued" } else { "failed" }.into(),
                run_at.into(),
                error.into(),
                job.id.into(),
                worker.into(),
            ],
        ))
        .await?;
    Ok((result.rows_affected() > 0).then_some(retry))
}

/// Gives a job `worker` claimed back without counting the attempt (worker shutting down).
pub(crate) async fn release(conn: &impl ConnectionTrait, id: i64, worker: &str) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(stmt(
        backend,
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, \
         published_at = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = $1 AND status = 'running' AND locked_by = $2",
        vec![id.into(), worker.into()],
    ))
    .await?;
    Ok(())
}

/// A row of the queue, for `procure jobs list`.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct JobRow {
    pub id: i64,
    pub job_type: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it may run (next), in milliseconds since the epoch.
    pub run_at: i64,
    pub last_error: Option<String>,
    pub payload: String,
}

/// Jobs in `status` (`queued`, `running`, `failed`), oldest first.
pub async fn list(conn: &impl ConnectionTrait, status: &str, limit: u64) -> Result<Vec<JobRow>, DbErr> {
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(stmt(
            backend,
            "SELECT id, job_type, status, attempts, max_attempts, run_at, last_error, payload FROM jobs \
             WHERE status = $1 ORDER BY id LIMIT $2",
            vec![status.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()],
        ))
        .await?;
    rows.iter().map(|r| JobRow::from_query_result(r, "")).collect()
}

/// Puts a failed job back in the queue with a fresh set of attempts.
pub async fn retry(conn: &impl ConnectionTrait, id: i64) -> Result<(), JobsError> {
    let backend = conn.get_database_backend();
    let result = conn
        .execute_raw(stmt(
            backend,
            "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, locked_by = NULL, locked_until = NULL, \
             published_at = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = $2 AND status = 'failed'",
            vec![now_ms().into(), id.into()],
        ))
        .await?;
    if result.rows_affected() == 0 { Err(JobsError::NotFound(id)) } else { Ok(()) }
}

/// Deletes a failed job for good.
pub async fn discard(conn: &impl ConnectionTrait, id: i64) -> Result<(), JobsError> {
    let backend = conn.get_database_backend();
    let result = conn
        .execute_raw(stmt(backend, "DELETE FROM jobs WHERE id = $1 AND status = 'failed'", vec![id.into()]))
        .await?;
    if result.rows_affected() == 0 { Err(JobsError::NotFound(id)) } else { Ok(()) }
}

/// Jobs waiting or running, for the queue-depth gauge.
pub async fn queue_depth(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let backend = conn.get_database_backend();
    let row =
        conn.query_one_raw(stmt(backend, "SELECT COUNT(*) AS n FROM jobs WHERE status <> 'failed'", vec![])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}
