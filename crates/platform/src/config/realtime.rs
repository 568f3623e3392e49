//! Realtime: how committed domain events reach every process serving `/ws`
//! (`REALTIME_FANOUT`), the port of `procure websocket` (`WEBSOCKET_PORT`) and how long the
//! outbox keeps delivered events (`EVENTS_RETENTION_HOURS`).
//!
//! Rules: `auto` (the default) picks RabbitMQ when `BROKER_URL` is `amqp://`, Redis when it is
//! `redis://`, PostgreSQL `LISTEN/NOTIFY` when the database is PostgreSQL, and otherwise the
//! process itself (other processes on the same database still see every event by reading the
//! outbox). Naming a backend requires what it runs on: `redis` a Redis URL (the broker's or
//! the cache's), `amqp` an `amqp://` broker, `postgres` a PostgreSQL database. The port
//! defaults to 5001 (seed 003's websocket container); the retention (hours, default 24) must
//! be at least 1.

use std::time::Duration;

use super::env::Vars;
use super::secret::Secret;
use super::var;
use super::{BrokerConfig, BrokerKind, DatabaseBackend, DatabaseConfig, RedisConfig};

pub const DEFAULT_WEBSOCKET_PORT: u16 = 5001;

/// Where relays publish events and `/ws` processes hear them.
#[derive(Debug, Clone)]
pub enum Fanout {
    /// Within this process (others tail the outbox).
    Process,
    /// `NOTIFY` on the database's own connection.
    Postgres,
    /// Redis `PUBLISH`/`SUBSCRIBE` on this server.
    Redis { url: Secret },
    /// A fanout exchange on this RabbitMQ, one auto-delete queue per listening process.
    Amqp { url: Secret },
}

impl Fanout {
    pub fn name(&self) -> &'static str {
        match self {
            Fanout::Process => "in-process",
            Fanout::Postgres => "PostgreSQL LISTEN/NOTIFY",
            Fanout::Redis { .. } => "Redis pub/sub",
            Fanout::Amqp { .. } => "RabbitMQ fanout exchange",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    pub fanout: Fanout,
    /// `procure websocket` listens here.
    pub websocket_port: u16,
    /// Delivered events older than this are deleted from the outbox; a client resuming from
    /// an older one is told to reload.
    pub retention: Duration,
}

impl RealtimeConfig {
    pub(super) fn read(
        vars: &mut Vars<'_>,
        database: &DatabaseConfig,
        redis: Option<&RedisConfig>,
        broker: Option<&BrokerConfig>,
    ) -> Self {
        let broker_of = |kind| broker.filter(|b| b.kind == kind).map(|b| b.url.clone());
        let redis_url = broker_of(BrokerKind::Redis).or_else(|| redis.map(|r| r.url.clone()));
        let postgres = matches!(database.backend, DatabaseBackend::Postgres);
        let choice = vars.string_or(var::REALTIME_FANOUT, "auto").to_ascii_lowercase();
        let fanout = match choice.as_str() {
            "auto" => match (broker_of(BrokerKind::Amqp), broker_of(BrokerKind::Redis)) {
                (Some(url), _) => Fanout::Amqp { url },
                (None, Some(url)) => Fanout::Redis { url },
                (None, None) if postgres => Fanout::Postgres,
                (None, None) => Fanout::Process,
            },
            "process" => Fanout::Process,
            "postgres" if postgres => Fanout::Postgres,
            "postgres" => {
                vars.error("REALTIME_FANOUT", "postgres needs a PostgreSQL DATABASE_URL");
                Fanout::Process
            }
            "redis" => match redis_url {
                Some(url) => Fanout::Redis { url },
                None => {
                    vars.error("REALTIME_FANOUT", "redis needs REDIS_URL (or a redis:// BROKER_URL)");
                    Fanout::Process
                }
            },
            "amqp" => match broker_of(BrokerKind::Amqp) {
                Some(url) => Fanout::Amqp { url },
                None => {
                    vars.error("REALTIME_FANOUT", "amqp needs an amqp:// BROKER_URL");
                    Fanout::Process
                }
            },
            other => {
                vars.error("REALTIME_FANOUT", format!("{other:?} is not one of auto, process, postgres, redis, amqp"));
                Fanout::Process
            }
        };
        let websocket_port = vars.parsed_or(var::WEBSOCKET_PORT, DEFAULT_WEBSOCKET_PORT);
        let hours = vars.parsed_or::<u64>(var::EVENTS_RETENTION_HOURS, 24);
        if hours == 0 {
            vars.error("EVENTS_RETENTION_HOURS", "must be at least 1 hour");
        }
        RealtimeConfig { fanout, websocket_port, retention: Duration::from_secs(hours.max(1) * 3600) }
    }
}
