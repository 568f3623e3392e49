//! Metrics: StatsD (`STATSD_HOST`, `STATSD_PORT`, `STATSD_PREFIX`) and the Prometheus endpoint's
//! `METRICS_TOKEN`.
//!
//! Rules: StatsD is on when a host is named (port 8125, prefix `procure` by default); the token,
//! when set, has at least 16 characters.

use super::env::Vars;
use super::secret::Secret;
use super::var;

/// `METRICS_TOKEN`: when set, `/__metrics__` serves Prometheus text to `Authorization: Bearer
/// <token>`.
pub fn read_metrics_token(vars: &mut Vars<'_>) -> Option<Secret> {
    let token = vars.string(var::METRICS_TOKEN)?;
    if token.len() < 16 {
        vars.error("METRICS_TOKEN", "use at least 16 characters");
    }
    Some(Secret::new(token))
}

#[derive(Debug, Clone)]
pub struct StatsdConfig {
    pub host: String,
    pub port: u16,
    pub prefix: String,
}

impl StatsdConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let host = vars.string(var::STATSD_HOST)?;
        Some(StatsdConfig {
            host,
            port: vars.parsed_or(var::STATSD_PORT, 8125),
            prefix: vars.string_or(var::STATSD_PREFIX, "procure"),
        })
    }
}
