//! Background jobs: a durable queue whose store of record is the `jobs` table (see
//! `docs/decisions/0001-job-queue.md`).
//!
//! - A job is a serialisable value with a [`Job`] impl; [`enqueue`] writes it with the caller's
//!   connection or transaction, so it exists exactly when the caller's change commits.
//! - [`Worker`] claims jobs under a short lease that it renews while they run (30 s, renewed
//!   every 10 s), runs them with a timeout, deletes them on success and retries failures with
//!   exponential backoff; after the last retry a job stays `failed`.
//! - Jobs run at least once: a worker that dies mid-job stops renewing, its lease expires and the
//!   job runs again on another worker, so every job must be idempotent.

pub mod broker;
mod probe;
pub(crate) mod queue;
mod registry;
mod relay;
pub mod scheduler;
mod worker;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use probe::{NoopJob, ProbeJob};
pub use queue::{
    ClaimedJob, EnqueueOptions, JobRow, JobsError, claim, discard, enqueue, enqueue_named, enqueue_with, list,
    queue_depth, retry,
};
pub use registry::Registry;
pub use scheduler::{Days, Periodic, Schedule};
pub use worker::{Worker, WorkerOptions};

use crate::Config;

/// How one job type is run.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Retries after the first attempt (Celery's default, and the seeds': 3).
    pub retries: u32,
    /// First retry delay; each further retry doubles it (capped at one hour).
    pub retry_base: Duration,
    /// A run taking longer is cancelled and counts as a failure.
    pub timeout: Duration,
    /// How many of this type one worker process runs at once.
    pub concurrency: usize,
    /// Higher runs first.
    pub priority: i16,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            retries: 3,
            retry_base: Duration::from_secs(30),
            timeout: Duration::from_secs(300),
            concurrency: 4,
            priority: 0,
        }
    }
}

impl JobSettings {
    /// The longest a claim needs to hold a job: the timeout plus a margin for the bookkeeping
    /// after it. The worker claims for this or its own lease (`JOB_LEASE`), whichever is
    /// shorter, and renews the claim while the job runs; a job whose claim ran out belonged to a
    /// worker that died, and another may run it.
    pub fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(2)
    }

    /// Delay before retry number `attempt` (1-based count of failed attempts so far).
    pub fn backoff(&self, failed_attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed_attempts.saturating_sub(1));
        self.retry_base.saturating_mul(factor).min(Duration::from_secs(3600))
    }
}

/// The services a job can use. Cheap to clone.
#[derive(Clone)]
pub struct JobEnv {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub mailer: crate::mail::Mailer,
    pub storage: crate::storage::Storage,
    /// Templates for jobs that render email; the binary sets them (`with_templates`).
    pub templates: Option<crate::templates::Templates>,
    /// What the wings contributed to each other (e.g. the back-office's importers); the binary
    /// sets them (`with_contributions`).
    pub contributions: crate::wing::Contributions,
}

impl JobEnv {
    pub fn with_contributions(mut self, contributions: crate::wing::Contributions) -> JobEnv {
        self.contributions = contributions;
        self
    }

    pub fn with_templates(mut self, templates: crate::templates::Templates) -> JobEnv {
        self.templates = Some(templates);
        self
    }

    /// The templates, or an error naming what is missing.
    pub fn templates(&self) -> anyhow::Result<&crate::templates::Templates> {
        self.templates.as_ref().ok_or_else(|| anyhow::anyhow!("this worker has no templates to render email with"))
    }

    /// The services as configured: mail transport and file store on top of `db`.
    pub fn from_config(db: DatabaseConnection, config: Arc<Config>) -> anyhow::Result<JobEnv> {
        let mailer = crate::mail::Mailer::from_config(&config.mail)?;
        let secret = crate::secrets::app_secret(&config)?;
        let storage = crate::storage::Storage::from_config(&config, &secret)?;
        Ok(JobEnv { db, config, mailer, storage, templates: None, contributions: Default::default() })
    }
}

/// What a running job knows about its own run.
#[derive(Clone)]
pub struct JobContext {
    pub env: JobEnv,
    pub job_id: i64,
    /// 1 on the first run.
    pub attempt: u32,
    pub worker: Arc<str>,
}

/// A kind of background work. Implementations must be idempotent (see the module docs).
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name stored in the queue, e.g. `beacon.notify_vendors`.
    const NAME: &'static str;

    fn settings() -> JobSettings {
        JobSettings::default()
    }

    fn run(self, ctx: &JobContext) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Milliseconds since the epoch, the unit of the queue's times.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
