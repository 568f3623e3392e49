//! Health checks for `/__heartbeat__`: each backing service reports a level and messages, in
//! the shape python-dockerflow uses, so existing dashboards read it unchanged.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckLevel {
    Ok,
    Warning,
    Error,
}

impl CheckLevel {
    /// Python logging levels, which python-dockerflow puts in `details.*.level`.
    pub fn numeric(self) -> u8 {
        match self {
            CheckLevel::Ok => 20,
            CheckLevel::Warning => 30,
            CheckLevel::Error => 40,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub level: CheckLevel,
    /// id → message, e.g. `database.E001` → "no answer within 2000 ms".
    pub messages: BTreeMap<String, String>,
}

impl CheckResult {
    pub fn ok() -> Self {
        CheckResult { level: CheckLevel::Ok, messages: BTreeMap::new() }
    }
    pub fn new(level: CheckLevel, id: impl Into<String>, message: impl Into<String>) -> Self {
        CheckResult { level, messages: BTreeMap::from([(id.into(), message.into())]) }
    }
    /// Healthy, with a note for whoever reads the heartbeat (shown in `details` at level 20,
    /// python-dockerflow's INFO, without changing the status).
    pub fn ok_noting(id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(CheckLevel::Ok, id, message)
    }
}

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// One backing service's check. Implementations must bound their own time.
pub trait HealthCheck: Send + Sync {
    fn name(&self) -> &'static str;
    fn check(&self) -> CheckFuture<'_>;
}

/// Every registered check, run concurrently.
#[derive(Clone, Default)]
pub struct Health {
    checks: Vec<Arc<dyn HealthCheck>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub status: CheckLevel,
    pub level: u8,
    pub messages: BTreeMap<String, String>,
}

/// The `/__heartbeat__` body: `{"status", "checks", "details"}`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    pub status: CheckLevel,
    pub checks: BTreeMap<&'static str, CheckLevel>,
    pub details: BTreeMap<&'static str, Detail>,
}

impl Health {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, check: impl HealthCheck + 'static) {
        self.checks.push(Arc::new(check));
    }

    pub async fn run(&self) -> HealthReport {
        let results =
            futures_util::future::join_all(self.checks.iter().map(|c| async move { (c.name(), c.check().await) }))
                .await;
        let mut report = HealthReport { status: CheckLevel::Ok, checks: BTreeMap::new(), details: BTreeMap::new() };
        for (name, result) in results {
            report.status = report.status.max(result.level);
            report.checks.insert(name, result.level);
            if result.level != CheckLevel::Ok || !result.messages.is_empty() {
                report.details.insert(
                    name,
                    Detail { status: result.level, level: result.level.numeric(), messages: result.messages },
                );
            }
        }
        report
    }
}

/// The database answers a trivial query within the timeout.
pub struct DatabaseCheck {
    pub db: DatabaseConnection,
    pub timeout: Duration,
}

impl HealthCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match crate::db::ping(&self.db, self.timeout).await {
                Ok(()) => CheckResult::ok(),
                Err(e) => CheckResult::new(CheckLevel::Error, "database.E001", format!("database unreachable: {e}")),
            }
        })
    }
}

/// The file store answers a listing within the timeout.
pub struct StorageCheck {
    pub storage: crate::storage::Storage,
    pub timeout: Duration,
}

impl HealthCheck for StorageCheck {
    fn name(&self) -> &'static str {
        "storage"
    }

    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.storage.check()).await {
                // Which store, not where: a container without S3 settings (seed 004's web) serves
                // from its own disk, and whoever reads the heartbeat should see that.
                Ok(Ok(())) => CheckResult::ok_noting("storage.I001", self.storage.kind()),
                Ok(Err(e)) => {
                    CheckResult::new(CheckLevel::Error, "storage.E001", format!("file store unreachable: {e}"))
                }
                Err(_) => CheckResult::new(CheckLevel::Error, "storage.E001", "file store did not answer in time"),
            }
        })
    }
}

/// The job broker answers. The connection is made on first use and remade after a failure,
/// so the check recovers when the broker does.
pub struct BrokerCheck {
    pub config: crate::config::BrokerConfig,
    pub timeout: Duration,
    broker: tokio::sync::Mutex<Option<crate::jobs::broker::Broker>>,
}

impl BrokerCheck {
    pub fn new(config: crate::config::BrokerConfig, timeout: Duration) -> Self {
        BrokerCheck { config, timeout, broker: tokio::sync::Mutex::new(None) }
    }
}

impl HealthCheck for BrokerCheck {
    fn name(&self) -> &'static str {
        "broker"
    }

    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let mut slot = self.broker.lock().await;
            let attempt = async {
                if slot.is_none() {
                    *slot = Some(crate::jobs::broker::Broker::connect(&self.config, &self.config.prefix).await?);
                }
                match slot.as_ref() {
                    Some(broker) => broker.ping().await,
                    None => Ok(()),
                }
            };
            let result = match tokio::time::timeout(self.timeout, attempt).await {
                Ok(Ok(())) => return CheckResult::ok(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "no answer in time".to_owned(),
            };
            *slot = None;
            CheckResult::new(CheckLevel::Error, "broker.E001", format!("job broker unreachable: {result}"))
        })
    }
}
