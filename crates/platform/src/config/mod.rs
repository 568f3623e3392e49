//! The one typed configuration, built once at start-up from the environment.
//!
//! Every variable the seed documents name is accepted, with its aliases (the first alias that is
//! set wins, in the order listed in `docs/configuration.md`). A bad value is an error naming the
//! variable; in production, missing essentials are errors too.

pub mod deploy_check;
mod env;
mod var;

mod admins;
mod api;
mod cache;
mod database;
mod health;
mod jobs;
mod logging;
mod mail;
mod mode;
mod realtime;
mod secret;
mod security;
mod sentry;
mod server;
mod sessions;
mod site;
mod storage;
mod telemetry;
mod uploads;

use std::path::PathBuf;

pub use admins::Admin;
pub use api::{ApiConfig, CLIENT_SECRET_MIN_LEN, ConfiguredClient, RateLimit};
pub use cache::RedisConfig;
pub use database::{DatabaseBackend, DatabaseConfig, parse_database_url};
pub use env::{ConfigError, ConfigErrors, EnvSource, ProcessEnv, Vars, load_dotenv, parse_bool};
pub use health::HealthConfig;
pub use jobs::{BrokerConfig, BrokerKind, JobsConfig};
pub use logging::{LogConfig, LogFormat};
pub use mail::{MailConfig, SmtpConfig, SmtpSecurity, looks_like_mailbox};
pub use mode::Environment;
pub use realtime::{DEFAULT_WEBSOCKET_PORT, Fanout, RealtimeConfig};
pub use secret::{SECRET_MIN_LEN, SECRET_MIN_UNIQUE, SECRET_VARS, Secret, SecretConfig, secret_weakness};
pub use security::{AuthWall, SecurityConfig};
pub use sentry::SentryConfig;
pub use server::{DEFAULT_PORT, ServerConfig};
pub use sessions::SessionConfig;
pub use site::SiteConfig;
pub use storage::S3Config;
pub use telemetry::{StatsdConfig, read_metrics_token};
pub use uploads::{DEFAULT_MAX_CONTENT_LENGTH, UploadConfig, parse_size};
pub use var::Var;

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    /// Why the environment was chosen, e.g. "PROCURE_ENV=production" or "DYNO is set".
    pub env_reason: String,
    /// Running on a Heroku dyno (`DYNO` is set), whatever chose the mode: the filesystem is
    /// ephemeral there.
    pub on_heroku: bool,
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub site: SiteConfig,
    pub database: DatabaseConfig,
    pub secret: SecretConfig,
    pub security: SecurityConfig,
    pub uploads: UploadConfig,
    pub mail: MailConfig,
    pub redis: Option<RedisConfig>,
    pub broker: Option<BrokerConfig>,
    pub realtime: RealtimeConfig,
    pub s3: Option<S3Config>,
    pub sentry: Option<SentryConfig>,
    pub statsd: Option<StatsdConfig>,
    pub metrics_token: Option<Secret>,
    pub logging: LogConfig,
    pub health: HealthConfig,
    pub jobs: JobsConfig,
    pub sessions: SessionConfig,
    pub admins: Vec<Admin>,
    pub api: ApiConfig,
}

impl Config {
    /// Reads the process environment (call [`load_dotenv`] first).
    pub fn from_env() -> Result<Config, ConfigErrors> {
        Self::from_source(&ProcessEnv)
    }

    /// Builds the configuration from any variable source, collecting every problem.
    pub fn from_source(source: &dyn EnvSource) -> Result<Config, ConfigErrors> {
        let mut vars = Vars::new(source);
        let (env, env_reason) = mode::environment(&mut vars);
        let on_heroku = vars.first(var::DYNO).is_some();
        let data_dir = PathBuf::from(vars.string_or(var::DATA_DIR, "./data"));
        let server = ServerConfig::read(&mut vars);
        let site = SiteConfig::read(&mut vars, env, server.port);
        let database = DatabaseConfig::read(&mut vars, env, &data_dir);
        let secret = SecretConfig::read(&mut vars, env);
        let security = SecurityConfig::read(&mut vars, env, &site);
        let uploads = UploadConfig::read(&mut vars, &data_dir);
        let mail = MailConfig::read(&mut vars, &data_dir);
        let redis = RedisConfig::read(&mut vars);
        let broker = BrokerConfig::read(&mut vars);
        let realtime = RealtimeConfig::read(&mut vars, &database, redis.as_ref(), broker.as_ref());
        let s3 = S3Config::read(&mut vars);
        let sentry = SentryConfig::read(&mut vars, env);
        let statsd = StatsdConfig::read(&mut vars);
        let metrics_token = read_metrics_token(&mut vars);
        let logging = LogConfig::read(&mut vars, env);
        let health = HealthConfig::read(&mut vars);
        let jobs = JobsConfig::read(&mut vars);
        let sessions = SessionConfig::read(&mut vars);
        let admins = admins::read_admins(&mut vars);
        let api = ApiConfig::read(&mut vars);

        if vars.errors.is_empty() {
            Ok(Config {
                env,
                env_reason,
                on_heroku,
                data_dir,
                server,
                site,
                database,
                secret,
                security,
                uploads,
                mail,
                redis,
                broker,
                realtime,
                s3,
                sentry,
                statsd,
                metrics_token,
                logging,
                health,
                jobs,
                sessions,
                admins,
                api,
            })
        } else {
            Err(ConfigErrors(vars.errors))
        }
    }

    /// One line per backend, for the start-up report of every role.
    pub fn backends_summary(&self) -> Vec<(&'static str, String)> {
        vec![
            ("database", self.database.describe()),
            (
                "files",
                self.s3
                    .as_ref()
                    .map_or_else(|| format!("local folder {}", self.uploads.folder.display()), S3Config::describe),
            ),
            ("email", self.mail.describe()),
            ("jobs", self.broker.as_ref().map_or_else(|| "database queue".to_owned(), BrokerConfig::describe)),
            ("realtime", self.realtime.fanout.name().to_owned()),
            ("cache", self.redis.as_ref().map_or_else(|| "in-memory".to_owned(), RedisConfig::describe)),
            ("errors", if self.sentry.is_some() { "Sentry".to_owned() } else { "logs only".to_owned() }),
            (
                "metrics",
                self.statsd.as_ref().map_or_else(|| "none".to_owned(), |s| format!("StatsD {}:{}", s.host, s.port)),
            ),
        ]
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
