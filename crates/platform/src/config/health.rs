//! The Dockerflow endpoints: `HEARTBEAT_FAILED_STATUS` and `VERSION_FILE`.
//!
//! Rules: the failed-heartbeat status is 500–599 (default 500); without `VERSION_FILE`,
//! `/app/version.json` then `./version.json` are tried.

use std::path::PathBuf;

use super::env::Vars;
use super::var;

#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Status of `/__heartbeat__` when a check is at error level (Dockerflow: 500; some load
    /// balancers want 503).
    pub heartbeat_failed_status: u16,
    /// `version.json`; `None` means `/app/version.json`, then `./version.json`.
    pub version_file: Option<PathBuf>,
}

impl HealthConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let mut status = vars.parsed_or::<u16>(var::HEARTBEAT_FAILED_STATUS, 500);
        if !(500..=599).contains(&status) {
            vars.error("HEARTBEAT_FAILED_STATUS", format!("{status} is not a 5xx status"));
            status = 500;
        }
        HealthConfig {
            heartbeat_failed_status: status,
            version_file: vars.string(var::VERSION_FILE).map(PathBuf::from),
        }
    }

    /// The candidates for `version.json`, in order.
    pub fn version_files(&self) -> Vec<PathBuf> {
        match &self.version_file {
            Some(p) => vec![p.clone()],
            None => vec![PathBuf::from("/app/version.json"), PathBuf::from("./version.json")],
        }
    }
}
