//! Background jobs: the broker that relays the database queue (`CELERY_BROKER_URL` →
//! `BROKER_URL`, `BROKER_QUEUE_PREFIX`), the scheduler (`NIGHTLY_JOBS_AT`,
//! `SCHEDULER_TICK_MS`) and the workers' claims (`JOB_LEASE`).
//!
//! Rules: no broker means the database queue alone; a broker URL is `redis(s)://` or
//! `amqp(s)://`; the queue prefix uses letters, digits, `-`, `_`, `.` and `:`. The nightly time is
//! `HH:MM` (default 07:00); the tick is in milliseconds (default 30 000, at least 10). The lease
//! is in seconds (default 30, at least 1).

use std::time::Duration;

use url::Url;

use super::env::Vars;
use super::secret::{Secret, redacted_host};
use super::var;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    Redis,
    Amqp,
}

#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub url: Secret,
    pub kind: BrokerKind,
    /// Queue names are `<prefix>.jobs.<job type>`, so deployments can share a broker.
    pub prefix: String,
}

impl BrokerConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let (name, raw) = vars.first(var::CELERY_BROKER_URL)?;
        let kind = match Url::parse(&raw).map(|u| u.scheme().to_owned()) {
            Ok(s) if s == "redis" || s == "rediss" => BrokerKind::Redis,
            Ok(s) if s == "amqp" || s == "amqps" => BrokerKind::Amqp,
            _ => {
                vars.error(name, "expected redis://… or amqp://user:password@host:5672/vhost");
                return None;
            }
        };
        let prefix = vars.string_or(var::BROKER_QUEUE_PREFIX, "procure");
        if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
            vars.error("BROKER_QUEUE_PREFIX", "use letters, digits, '-', '_', '.' or ':'");
        }
        Some(BrokerConfig { url: Secret::new(raw), kind, prefix })
    }

    pub fn describe(&self) -> String {
        let kind = match self.kind {
            BrokerKind::Redis => "Redis",
            BrokerKind::Amqp => "RabbitMQ",
        };
        format!("database queue relayed to {kind} {}", redacted_host(self.url.expose()))
    }
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Local time (in `DISPLAY_TIMEZONE`) of the nightly jobs; the original started at 07:00.
    pub nightly_at: chrono::NaiveTime,
    /// How often the scheduler looks for due slots.
    pub scheduler_tick: Duration,
    /// The longest a worker's claim on a job lasts without being renewed; a running job's claim
    /// is renewed every third of it, so a dead worker's jobs are taken over within this time.
    pub lease: Duration,
}

impl JobsConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let default_at = chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default();
        let nightly_at = match vars.first(var::NIGHTLY_JOBS_AT) {
            None => default_at,
            Some((name, raw)) => chrono::NaiveTime::parse_from_str(&raw, "%H:%M").unwrap_or_else(|_| {
                vars.error(name, format!("{raw:?} is not a time like 07:00"));
                default_at
            }),
        };
        let tick = vars.parsed_or::<u64>(var::SCHEDULER_TICK_MS, 30_000).max(10);
        let lease = vars.parsed_or::<u64>(var::JOB_LEASE, 30);
        if lease == 0 {
            vars.error("JOB_LEASE", "must be at least 1 second");
        }
        JobsConfig { nightly_at, scheduler_tick: Duration::from_millis(tick), lease: Duration::from_secs(lease.max(1)) }
    }
}
