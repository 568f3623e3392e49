//! The database: `DATABASE_URL`, `DATABASE_MAX_CONNECTIONS`, `DATABASE_CONNECT_TIMEOUT`.
//!
//! Rules: PostgreSQL (`postgres://`, `postgresql://`) or SQLite (`sqlite:` URLs, which get
//! `mode=rwc`); any other scheme is an error. The URL is required in production; elsewhere the
//! default is SQLite at `$DATA_DIR/procure.db`. Pool size and timeout are at least 1.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::Environment;
use super::env::Vars;
use super::secret::Secret;
use super::var;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseBackend {
    Sqlite { path: PathBuf },
    Postgres,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub backend: DatabaseBackend,
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// Whether `DATABASE_URL` was given (false: the embedded SQLite default).
    pub explicit: bool,
}

impl DatabaseConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment, data_dir: &Path) -> Self {
        let max_connections = vars.parsed_or::<u32>(var::DATABASE_MAX_CONNECTIONS, 10).max(1);
        let connect_timeout = Duration::from_secs(vars.parsed_or::<u64>(var::DATABASE_CONNECT_TIMEOUT, 5).max(1));
        let default_path = data_dir.join("procure.db");
        let default = || DatabaseConfig {
            url: Secret::new(format!("sqlite://{}?mode=rwc", default_path.display())),
            backend: DatabaseBackend::Sqlite { path: default_path.clone() },
            max_connections,
            connect_timeout,
            explicit: false,
        };
        let Some((name, raw)) = vars.first(var::DATABASE_URL) else {
            if env.is_production() {
                vars.error(
                    "DATABASE_URL",
                    "must be set in production (postgres://user:password@host:5432/dbname, or sqlite:///path/to/procure.db \
                     for a single-server deployment)",
                );
            }
            return default();
        };
        match parse_database_url(&raw) {
            Ok((url, backend)) => {
                DatabaseConfig { url: Secret::new(url), backend, max_connections, connect_timeout, explicit: true }
            }
            Err(message) => {
                vars.error(name, message);
                default()
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == DatabaseBackend::Postgres
    }

    /// The SQLite file, when the database is one.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.backend {
            DatabaseBackend::Sqlite { path } => Some(path),
            DatabaseBackend::Postgres => None,
        }
    }

    /// A description without credentials.
    pub fn describe(&self) -> String {
        match &self.backend {
            DatabaseBackend::Sqlite { path } => format!("SQLite {}", path.display()),
            DatabaseBackend::Postgres => match Url::parse(self.url.expose()) {
                Ok(u) => format!(
                    "PostgreSQL {}:{}{}",
                    u.host_str().unwrap_or("localhost"),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => "PostgreSQL".to_owned(),
            },
        }
    }
}

/// Accepts `postgres://`, `postgresql://` (Heroku writes the former), and SQLite as
/// `sqlite://relative/path`, `sqlite:///absolute/path` or `sqlite:path`. SQLite URLs get
/// `mode=rwc` so the file is created on first run.
pub fn parse_database_url(raw: &str) -> Result<(String, DatabaseBackend), String> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        let url = Url::parse(raw).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err("a PostgreSQL URL needs a host: postgres://user:password@host:5432/dbname".to_owned());
        }
        return Ok((raw.to_owned(), DatabaseBackend::Postgres));
    }
    if let Some(rest) = raw.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path == ":memory:" {
            return Err("SQLite needs a file path, e.g. sqlite://./data/procure.db".to_owned());
        }
        let query = if query.contains("mode=") {
            query.to_owned()
        } else if query.is_empty() {
            "mode=rwc".to_owned()
        } else {
            format!("{query}&mode=rwc")
        };
        return Ok((format!("sqlite://{path}?{query}"), DatabaseBackend::Sqlite { path: PathBuf::from(path) }));
    }
    let scheme = raw.split(':').next().unwrap_or_default();
    Err(format!("unsupported database {scheme:?}: use postgres://… (or postgresql://…) or sqlite://path"))
}
