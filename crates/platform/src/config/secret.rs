//! The secret key (`SECRET_KEY` and its aliases), and [`Secret`], the wrapper that keeps every
//! credential out of logs and `{:?}`.
//!
//! Rules: the first alias set wins; in production the key is required and must pass Django's
//! deploy-check rule (at least 50 characters, 5 distinct), and the error names the alias that
//! supplied it. Outside production the key may be unset.

use std::fmt;

use url::Url;

use super::Environment;
use super::env::Vars;
use super::var;

/// Django's rule, which the seeds' deploy check applies: at least 50 characters, 5 distinct.
pub const SECRET_MIN_LEN: usize = 50;
pub const SECRET_MIN_UNIQUE: usize = 5;

/// A value that must never reach a log line or a `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct SecretConfig {
    /// `None` only outside production.
    pub key: Option<Secret>,
    /// The variable that supplied the key.
    pub source: &'static str,
}

/// The secret key's names, in precedence order.
pub const SECRET_VARS: &[&str] = var::SECRET_KEY.names();

impl SecretConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment) -> Self {
        match vars.first(var::SECRET_KEY) {
            Some((name, key)) => {
                if env.is_production()
                    && let Some(problem) = secret_weakness(&key)
                {
                    vars.error(name, format!("too weak for production: {problem}"));
                }
                SecretConfig { key: Some(Secret::new(key)), source: name }
            }
            None => {
                if env.is_production() {
                    vars.error(
                        "SECRET_KEY",
                        "must be set in production (aliases PITTSBURGH-PURCHASING-SUITE_SECRET, DJANGO_SECRET_KEY); \
                         generate one with `openssl rand -base64 48`",
                    );
                }
                SecretConfig { key: None, source: "SECRET_KEY" }
            }
        }
    }
}

/// Why a secret key is weak, or `None` if it passes Django's deploy-check rule.
pub fn secret_weakness(key: &str) -> Option<String> {
    let len = key.chars().count();
    let mut distinct: Vec<char> = key.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if len < SECRET_MIN_LEN || distinct.len() < SECRET_MIN_UNIQUE {
        Some(format!(
            "it has {len} characters ({} distinct); use at least {SECRET_MIN_LEN} characters with at least \
             {SECRET_MIN_UNIQUE} distinct ones, e.g. from `openssl rand -base64 48`",
            distinct.len()
        ))
    } else {
        None
    }
}

/// `redis://user:pass@host:6379/0` → `host:6379`, for logs.
pub(super) fn redacted_host(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(u) => format!("{}:{}", u.host_str().unwrap_or("?"), u.port_or_known_default().unwrap_or(0)),
        Err(_) => "(unparsable URL)".to_owned(),
    }
}
