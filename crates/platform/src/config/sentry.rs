//! Error reporting: `SENTRY_DSN` and `SENTRY_ENVIRONMENT`.
//!
//! Rules: the DSN must be a URL with a host and a key; the environment tag defaults to the mode
//! and is read only with a DSN.

use url::Url;

use super::Environment;
use super::env::Vars;
use super::secret::Secret;
use super::var;

#[derive(Debug, Clone)]
pub struct SentryConfig {
    pub dsn: Secret,
    pub environment: String,
}

impl SentryConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment) -> Option<Self> {
        let (name, dsn) = vars.first(var::SENTRY_DSN)?;
        match Url::parse(&dsn) {
            Ok(u) if u.host_str().is_some() && !u.username().is_empty() => {}
            _ => {
                vars.error(name, "expected a DSN like https://key@o0.ingest.sentry.io/1");
                return None;
            }
        }
        Some(SentryConfig { dsn: Secret::new(dsn), environment: vars.string_or(var::SENTRY_ENVIRONMENT, env.as_str()) })
    }
}
