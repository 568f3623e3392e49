//! Sign-in sessions: `SESSION_IDLE_TIMEOUT` and `SESSION_MAX_AGE`, in seconds.
//!
//! Rules: idle timeout 2 h and maximum age 24 h by default, each at least 1 s; the maximum age
//! must not be shorter than the idle timeout.

use std::time::Duration;

use super::env::Vars;
use super::var;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after it began, however much it is used.
    pub max_age: Duration,
}

impl SessionConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let idle = vars.parsed_or::<u64>(var::SESSION_IDLE_TIMEOUT, 2 * 3600).max(1);
        let max_age = vars.parsed_or::<u64>(var::SESSION_MAX_AGE, 24 * 3600).max(1);
        if max_age < idle {
            vars.error("SESSION_MAX_AGE", format!("{max_age} s is shorter than SESSION_IDLE_TIMEOUT ({idle} s)"));
        }
        SessionConfig { idle_timeout: Duration::from_secs(idle), max_age: Duration::from_secs(max_age) }
    }
}
