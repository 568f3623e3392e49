//! The listening socket and request deadlines: `PORT`, `BIND_ADDRESS`, `REQUEST_TIMEOUT`,
//! `SHUTDOWN_TIMEOUT`, `HEADER_READ_TIMEOUT`, `KEEP_ALIVE_TIMEOUT`.
//!
//! Rules: `PORT` defaults to 8000 and `BIND_ADDRESS` (an IP literal) to 0.0.0.0; the request
//! timeout (seconds, default 25) must be at least 1; the shutdown grace defaults to 25 s; the
//! header-read timeout (default 10 s) and the idle keep-alive limit (default 75 s) must be at
//! least 1 second.

use std::net::IpAddr;
use std::time::Duration;

use super::env::Vars;
use super::var;

pub const DEFAULT_PORT: u16 = 8000;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: IpAddr,
    pub port: u16,
    /// Whole-request deadline; Heroku's router gives up at 30 s, so the default (25 s) answers
    /// 408 first.
    pub request_timeout: Duration,
    /// How long in-flight requests get to finish after SIGTERM (Heroku kills at 30 s).
    pub shutdown_grace: Duration,
    /// From a request's first byte to the end of its headers; a slower client is disconnected.
    pub header_read_timeout: Duration,
    /// How long a connection may wait for its next request; then the server closes it. Longer
    /// than the usual load balancers' idle timeout (60 s), so they close first.
    pub keep_alive_timeout: Duration,
}

impl ServerConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let port = vars.parsed_or(var::PORT, DEFAULT_PORT);
        let bind = vars.parsed_or(var::BIND_ADDRESS, IpAddr::from([0, 0, 0, 0]));
        let timeout = vars.parsed_or::<u64>(var::REQUEST_TIMEOUT, 25);
        if timeout == 0 {
            vars.error("REQUEST_TIMEOUT", "must be at least 1 second");
        }
        let grace = vars.parsed_or::<u64>(var::SHUTDOWN_TIMEOUT, 25);
        let header_read = vars.parsed_or::<u64>(var::HEADER_READ_TIMEOUT, 10);
        if header_read == 0 {
            vars.error("HEADER_READ_TIMEOUT", "must be at least 1 second");
        }
        let keep_alive = vars.parsed_or::<u64>(var::KEEP_ALIVE_TIMEOUT, 75);
        if keep_alive == 0 {
            vars.error("KEEP_ALIVE_TIMEOUT", "must be at least 1 second");
        }
        ServerConfig {
            bind,
            port,
            request_timeout: Duration::from_secs(timeout.max(1)),
            shutdown_grace: Duration::from_secs(grace),
            header_read_timeout: Duration::from_secs(header_read.max(1)),
            keep_alive_timeout: Duration::from_secs(keep_alive.max(1)),
        }
    }
}
