//! Built-in jobs for operators and tests: `platform.noop` does nothing (queue throughput), and
//! `platform.probe` leaves a row in `job_probes`, proving end to end that workers run jobs
//! (`procure enqueue-job platform.probe --payload '{"token":"check-1"}'`).

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::queue::stmt;
use super::{Job, JobContext, JobSettings};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NoopJob {}

impl Job for NoopJob {
    const NAME: &'static str = "platform.noop";

    fn settings() -> JobSettings {
        JobSettings { concurrency: 16, ..JobSettings::default() }
    }

    async fn run(self, _ctx: &JobContext) -> anyhow::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProbeJob {
    /// Groups the probes of one check.
    pub token: String,
    /// Work time before writing the probe row.
    #[serde(default)]
    pub sleep_ms: u64,
    /// Fail this many first attempts (to exercise retries).
    #[serde(default)]
    pub fail_first: u32,
}

impl Job for ProbeJob {
    const NAME: &'static str = "platform.probe";

    fn settings() -> JobSettings {
        JobSettings {
            retries: 3,
            retry_base: Duration::from_millis(200),
            timeout: Duration::from_secs(3),
            concurrency: 8,
            priority: 0,
        }
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        if self.sleep_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.sleep_ms)).await;
        }
        if ctx.attempt <= self.fail_first {
            anyhow::bail!("probe {} failing attempt {} on purpose", self.token, ctx.attempt);
        }
        let db = &ctx.env.db;
        let backend = db.get_database_backend();
        db.execute_raw(stmt(
            backend,
            "INSERT INTO job_probes (token, job_id, attempt, worker) VALUES ($1, $2, $3, $4)",
            vec![
                self.token.into(),
                ctx.job_id.into(),
                i32::try_from(ctx.attempt).unwrap_or(i32::MAX).into(),
                ctx.worker.to_string().into(),
            ],
        ))
        .await?;
        Ok(())
    }
}
