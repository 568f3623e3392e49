//! Redis for the cache and sessions: `CACHE_REDIS_URL` → `REDIS_URL` → `REDISTOGO_URL`, else
//! `REDIS_HOST` (+ `REDIS_PORT`, `REDIS_DB`), and `REDIS_MAX_CONNECTIONS`.
//!
//! Rules: none set means the in-memory cache; the URL must be `redis://` or `rediss://` with a
//! host; a `REDIS_HOST` with a port or a scheme is taken as it is.

use url::Url;

use super::env::Vars;
use super::secret::{Secret, redacted_host};
use super::var;

#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: Secret,
    pub source: &'static str,
    pub max_connections: u32,
}

impl RedisConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let max_connections = vars.parsed_or::<u32>(var::REDIS_MAX_CONNECTIONS, 10).max(1);
        let (source, raw) = if let Some(found) = vars.first(var::CACHE_REDIS_URL) {
            found
        } else if let Some((_, host)) = vars.first(var::REDIS_HOST) {
            // contextgraph-service: REDIS_HOST (+ port) → redis://HOST:6379/0; a `host:port`
            // value is taken as it is.
            if host.contains("://") {
                return Self::read_url(vars, "REDIS_HOST", host, max_connections);
            }
            if host.contains(':') {
                let db = vars.parsed_or::<u16>(var::REDIS_DB, 0);
                return Self::read_url(vars, "REDIS_HOST", format!("redis://{host}/{db}"), max_connections);
            }
            let port = vars.parsed_or::<u16>(var::REDIS_PORT, 6379);
            let db = vars.parsed_or::<u16>(var::REDIS_DB, 0);
            ("REDIS_HOST", format!("redis://{host}:{port}/{db}"))
        } else {
            return None;
        };
        Self::read_url(vars, source, raw, max_connections)
    }

    fn read_url(vars: &mut Vars<'_>, source: &'static str, raw: String, max_connections: u32) -> Option<Self> {
        match Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "redis" | "rediss") && u.host_str().is_some() => {
                Some(RedisConfig { url: Secret::new(raw), source, max_connections })
            }
            _ => {
                vars.error(source, "expected redis://[:password@]host[:port][/db] or rediss://…");
                None
            }
        }
    }

    pub fn describe(&self) -> String {
        format!("Redis {}", redacted_host(self.url.expose()))
    }
}
