//! Logs on stdout: `LOG_FORMAT` (alias `RUST_LOG_FORMAT`) and the filter `RUST_LOG` (alias
//! `LOG_LEVEL`).
//!
//! Rules: the format is text (or plain), json or mozlog, in any case, defaulting to mozlog in
//! production and text otherwise; the filter defaults to `info`.

use super::Environment;
use super::env::Vars;
use super::var;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for development.
    Text,
    /// One JSON object per line (tracing-subscriber's shape).
    Json,
    /// Mozilla's mozlog JSON, as Dockerflow recommends.
    MozLog,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `procure=debug,sqlx=warn`.
    pub filter: String,
}

impl LogConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment) -> Self {
        let default = if env.is_production() { LogFormat::MozLog } else { LogFormat::Text };
        let format = match vars.first(var::LOG_FORMAT) {
            None => default,
            Some((name, raw)) => match raw.to_ascii_lowercase().as_str() {
                "text" | "plain" => LogFormat::Text,
                "json" => LogFormat::Json,
                "mozlog" => LogFormat::MozLog,
                _ => {
                    vars.error(name, format!("expected text, json or mozlog, got {raw:?}"));
                    default
                }
            },
        };
        LogConfig { format, filter: vars.string_or(var::RUST_LOG, "info") }
    }
}
