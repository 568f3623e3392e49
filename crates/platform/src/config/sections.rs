//! One struct per concern of the configuration, each reading its own variables.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use url::Url;

use super::Environment;
use super::env::Vars;

pub const DEFAULT_PORT: u16 = 8000;
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 2 * 1024 * 1024;
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

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: IpAddr,
    pub port: u16,
    /// Whole-request deadline; Heroku's router gives up at 30 s, so the default (25 s) answers
    /// 408 first.
    pub request_timeout: Duration,
    /// How long in-flight requests get to finish after SIGTERM (Heroku kills at 30 s).
    pub shutdown_grace: Duration,
}

impl ServerConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let port = vars.parsed_or(&["PORT"], DEFAULT_PORT);
        let bind = vars.parsed_or(&["BIND_ADDRESS"], IpAddr::from([0, 0, 0, 0]));
        let timeout = vars.parsed_or::<u64>(&["REQUEST_TIMEOUT"], 25);
        if timeout == 0 {
            vars.error("REQUEST_TIMEOUT", "must be at least 1 second");
        }
        let grace = vars.parsed_or::<u64>(&["SHUTDOWN_TIMEOUT"], 25);
        ServerConfig {
            bind,
            port,
            request_timeout: Duration::from_secs(timeout.max(1)),
            shutdown_grace: Duration::from_secs(grace),
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The public URL of the site, as users reach it (scheme, host, optional port, no path).
    pub app_url: Url,
    /// Which variable supplied the URL (or "default").
    pub app_url_source: &'static str,
    pub display_timezone: Tz,
    pub external_link_warning: bool,
}

impl SiteConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment, port: u16) -> Self {
        let display_timezone = match vars.first(&["DISPLAY_TIMEZONE"]) {
            None => chrono_tz::America::New_York,
            Some((name, raw)) => raw.parse::<Tz>().unwrap_or_else(|_| {
                vars.error(name, format!("{raw:?} is not an IANA time zone name (e.g. America/New_York)"));
                chrono_tz::America::New_York
            }),
        };
        let external_link_warning = vars.flag(&["EXTERNAL_LINK_WARNING"], false);
        let (app_url, app_url_source) = app_url(vars, env, port);
        SiteConfig { app_url, app_url_source, display_timezone, external_link_warning }
    }

    pub fn is_https(&self) -> bool {
        self.app_url.scheme() == "https"
    }

    /// Today's date where the city is (`DISPLAY_TIMEZONE`): what "expires today" means.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.display_timezone).date_naive()
    }

    /// The app URL's host, e.g. `purchasing.example.gov`.
    pub fn host(&self) -> &str {
        self.app_url.host_str().unwrap_or("localhost")
    }
}

/// The seeds name the public URL four ways: `APP_URL` (h), `SITE_SCHEME` + `SITE_DOMAIN`
/// (django-init), `BROWSERID_URL` (the original suite) and `SERVER_NAME` (Flask, host only).
fn app_url(vars: &mut Vars<'_>, env: Environment, port: u16) -> (Url, &'static str) {
    let fallback = || Url::parse(&format!("http://localhost:{port}")).expect("static URL is valid");
    let default_scheme = if env.is_production() { "https" } else { "http" };
    let candidate =
        if let Some((_, domain)) = vars.first(&["SITE_DOMAIN"]).filter(|_| vars.first(&["APP_URL"]).is_none()) {
            let scheme = vars.string_or(&["SITE_SCHEME"], default_scheme);
            Some(("SITE_DOMAIN", format!("{scheme}://{domain}")))
        } else {
            vars.first(&["APP_URL", "BROWSERID_URL", "SERVER_NAME"])
        };
    let Some((name, mut raw)) = candidate else {
        if env.is_production() {
            vars.error(
                "APP_URL",
                "must be set in production: the public URL of the site, e.g. https://purchasing.example.gov \
                 (or SITE_DOMAIN with SITE_SCHEME, BROWSERID_URL, SERVER_NAME)",
            );
        }
        return (fallback(), "default");
    };
    if !raw.contains("://") {
        // A bare `host[:port]`: Flask's SERVER_NAME, and BROWSERID_URL as the original documents it.
        raw = format!("{default_scheme}://{raw}");
    }
    match Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            let mut url = url;
            url.set_path("");
            url.set_query(None);
            url.set_fragment(None);
            (url, name)
        }
        Ok(_) => {
            vars.error(name, format!("{raw:?} must be an http:// or https:// URL with a host"));
            (fallback(), name)
        }
        Err(e) => {
            vars.error(name, format!("{raw:?} is not a URL: {e}"));
            (fallback(), name)
        }
    }
}

// ---------------------------------------------------------------------------------------------

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
        let max_connections = vars.parsed_or::<u32>(&["DATABASE_MAX_CONNECTIONS"], 10).max(1);
        let connect_timeout = Duration::from_secs(vars.parsed_or::<u64>(&["DATABASE_CONNECT_TIMEOUT"], 5).max(1));
        let default_path = data_dir.join("procure.db");
        let default = || DatabaseConfig {
            url: Secret::new(format!("sqlite://{}?mode=rwc", default_path.display())),
            backend: DatabaseBackend::Sqlite { path: default_path.clone() },
            max_connections,
            connect_timeout,
            explicit: false,
        };
        let Some((name, raw)) = vars.first(&["DATABASE_URL"]) else {
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

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct SecretConfig {
    /// `None` only outside production.
    pub key: Option<Secret>,
    /// The variable that supplied the key.
    pub source: &'static str,
}

pub const SECRET_VARS: &[&str] = &["SECRET_KEY", "PITTSBURGH-PURCHASING-SUITE_SECRET", "DJANGO_SECRET_KEY"];

impl SecretConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment) -> Self {
        match vars.first(SECRET_VARS) {
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

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthWall {
    pub username: String,
    pub password: Secret,
    pub realm: String,
}

#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// Host names the app answers to (a leading `.` matches subdomains, `*` matches any).
    pub allowed_hosts: Vec<String>,
    /// Extra origins allowed for cross-origin API and websocket use.
    pub allowed_origins: Vec<String>,
    pub auth_wall: Option<AuthWall>,
    pub hsts_seconds: u64,
    pub hsts_include_subdomains: bool,
    pub hsts_preload: bool,
    pub csp_enabled: bool,
    pub csp_report_only: bool,
    pub csp_report_uri: Option<String>,
    /// Staff may also sign in with a password (argon2id), set on their profile.
    pub password_login: bool,
}

impl SecurityConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment, site: &SiteConfig) -> Self {
        let mut allowed_hosts = vars.list(&["ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"]);
        if allowed_hosts.is_empty() {
            allowed_hosts.push(site.host().to_owned());
        }
        if !env.is_production() {
            for local in ["localhost", "127.0.0.1", "[::1]"] {
                if !allowed_hosts.iter().any(|h| h == local) {
                    allowed_hosts.push(local.to_owned());
                }
            }
        }
        let mut allowed_origins = Vec::new();
        for raw in vars.list(&["ALLOWED_ORIGINS"]) {
            match Url::parse(&raw) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                    allowed_origins.push(u.origin().ascii_serialization());
                }
                _ => vars.error("ALLOWED_ORIGINS", format!("{raw:?} is not an origin like https://example.org")),
            }
        }
        let username = vars.string(&["AUTH_WALL_USERNAME"]);
        let password = vars.string(&["AUTH_WALL_PASSWORD"]);
        let auth_wall = match (username, password) {
            (Some(username), Some(password)) => Some(AuthWall {
                username,
                password: Secret::new(password),
                realm: vars.string_or(&["AUTH_WALL_REALM"], "Development"),
            }),
            (Some(_), None) => {
                vars.error("AUTH_WALL_PASSWORD", "must be set too when AUTH_WALL_USERNAME is (or unset both)");
                None
            }
            (None, Some(_)) => {
                vars.error("AUTH_WALL_USERNAME", "must be set too when AUTH_WALL_PASSWORD is (or unset both)");
                None
            }
            (None, None) => None,
        };
        SecurityConfig {
            allowed_hosts,
            allowed_origins,
            auth_wall,
            hsts_seconds: vars.parsed_or(&["SECURE_HSTS_SECONDS", "DJANGO_SECURE_HSTS_SECONDS"], 60),
            hsts_include_subdomains: vars.flag(&["SECURE_HSTS_INCLUDE_SUBDOMAINS"], true),
            hsts_preload: vars.flag(&["SECURE_HSTS_PRELOAD"], false),
            csp_enabled: vars.flag(&["CSP_ENABLED"], true),
            csp_report_only: vars.flag(&["CSP_REPORT_ONLY"], false),
            csp_report_uri: vars.string(&["CSP_REPORT_URI"]),
            password_login: vars.flag(&["PASSWORD_LOGIN"], false),
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// Largest request body accepted, in bytes (413 above it).
    pub max_content_length: u64,
    pub folder: PathBuf,
}

impl UploadConfig {
    pub(super) fn read(vars: &mut Vars<'_>, data_dir: &Path) -> Self {
        let max_content_length = match vars.first(&["MAX_CONTENT_LENGTH"]) {
            None => DEFAULT_MAX_CONTENT_LENGTH,
            Some((name, raw)) => match parse_size(&raw) {
                Some(0) | None => {
                    vars.error(name, format!("{raw:?} is not a size in bytes (e.g. 2097152, 2MiB, 10M)"));
                    DEFAULT_MAX_CONTENT_LENGTH
                }
                Some(n) => n,
            },
        };
        let folder =
            vars.string(&["UPLOAD_FOLDER", "MEDIA_ROOT"]).map_or_else(|| data_dir.join("uploads"), PathBuf::from);
        UploadConfig { max_content_length, folder }
    }
}

/// Bytes, optionally with a K/M/G suffix (powers of 1024, as nginx reads `client_max_body_size`).
pub fn parse_size(raw: &str) -> Option<u64> {
    let s = raw.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); required, never optional.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a test sink.
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub security: SmtpSecurity,
    /// Which preset or variable named the server.
    pub preset: &'static str,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `None`: messages are written as `.eml` files to `outbox`.
    pub smtp: Option<SmtpConfig>,
    pub outbox: PathBuf,
    pub default_sender: String,
    pub beacon_sender: String,
    pub conductor_sender: String,
    pub subject_prefix: String,
    pub max_emails_per_connection: u32,
}

impl MailConfig {
    pub(super) fn read(vars: &mut Vars<'_>, data_dir: &Path) -> Self {
        let user = vars.first(&["MAIL_USERNAME", "EMAIL_HOST_USER", "MAILGUN_SMTP_LOGIN", "SENDGRID_USERNAME"]);
        let pass = vars.first(&["MAIL_PASSWORD", "EMAIL_HOST_PASSWORD", "MAILGUN_SMTP_PASSWORD", "SENDGRID_PASSWORD"]);
        let sendgrid_user = matches!(user, Some(("MAIL_USERNAME" | "SENDGRID_USERNAME", _)));
        match (&user, &pass) {
            (Some((u, _)), None) => vars.error("MAIL_PASSWORD", format!("must be set too when {u} is")),
            (None, Some((p, _))) => vars.error("MAIL_USERNAME", format!("must be set too when {p} is")),
            _ => {}
        }
        let username = user.map(|(_, v)| v);
        let password = pass.map(|(_, v)| Secret::new(v));
        let server = vars.first(&["MAIL_SERVER", "EMAIL_HOST", "MAILGUN_SMTP_SERVER", "MAIL_HOST"]);
        let (host, preset) = match server {
            Some((name, host)) => (Some(host), name),
            // The original suite: a Sendgrid username and no server means Sendgrid.
            None if sendgrid_user => (Some("smtp.sendgrid.net".to_owned()), "Sendgrid preset"),
            None if username.is_some() => {
                vars.error("MAIL_SERVER", "a mail username is set but no server (MAIL_SERVER, or MAILGUN_SMTP_SERVER)");
                (None, "")
            }
            None => (None, ""),
        };
        let smtp = host.map(|host| {
            let port = vars.parsed_or::<u16>(&["MAIL_PORT", "EMAIL_PORT", "MAILGUN_SMTP_PORT"], 587);
            let use_ssl = vars.flag(&["MAIL_USE_SSL", "EMAIL_USE_SSL"], port == 465);
            let use_tls = vars.flag(&["MAIL_USE_TLS", "EMAIL_USE_TLS"], !use_ssl);
            let security = if use_ssl {
                SmtpSecurity::Tls
            } else if use_tls {
                SmtpSecurity::StartTls
            } else {
                SmtpSecurity::None
            };
            SmtpConfig { host, port, username: username.clone(), password: password.clone(), security, preset }
        });
        let default_sender =
            vars.string_or(&["MAIL_DEFAULT_SENDER", "DEFAULT_FROM_EMAIL"], "Procure <no-reply@localhost>");
        let beacon_sender = vars.string(&["BEACON_SENDER"]).unwrap_or_else(|| default_sender.clone());
        let conductor_sender = vars.string(&["CONDUCTOR_SENDER"]).unwrap_or_else(|| default_sender.clone());
        for (var, value) in [
            ("MAIL_DEFAULT_SENDER", &default_sender),
            ("BEACON_SENDER", &beacon_sender),
            ("CONDUCTOR_SENDER", &conductor_sender),
        ] {
            if !looks_like_mailbox(value) {
                vars.error(
                    var,
                    format!("{value:?} is not an address like \"Name <user@example.gov>\" or user@example.gov"),
                );
            }
        }
        let subject_prefix = vars.first(&["MAIL_SUBJECT_PREFIX", "EMAIL_SUBJECT_PREFIX"]).map_or_else(
            || "[Procure] ".to_owned(),
            |(_, v)| {
                if v.ends_with(' ') || v.is_empty() { v } else { format!("{v} ") }
            },
        );
        let outbox = vars.string(&["MAIL_OUTBOX"]).map_or_else(|| data_dir.join("outbox"), PathBuf::from);
        MailConfig {
            smtp,
            outbox,
            default_sender,
            beacon_sender,
            conductor_sender,
            subject_prefix,
            max_emails_per_connection: vars.parsed_or(&["MAIL_MAX_EMAILS"], 100),
        }
    }

    pub fn describe(&self) -> String {
        match &self.smtp {
            Some(s) => format!(
                "SMTP {}:{} ({}, {})",
                s.host,
                s.port,
                match s.security {
                    SmtpSecurity::StartTls => "STARTTLS",
                    SmtpSecurity::Tls => "TLS",
                    SmtpSecurity::None => "unencrypted",
                },
                s.preset
            ),
            None => format!(".eml files in {}", self.outbox.display()),
        }
    }
}

/// `user@host` or `Name <user@host>`: enough to catch a misplaced value, not a full RFC 5322 parse
/// (the mail library validates properly when it sends).
pub fn looks_like_mailbox(value: &str) -> bool {
    let addr = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        (None, None) => value,
        _ => return false,
    };
    match addr.trim().split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !addr.contains(char::is_whitespace),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: Secret,
    pub source: &'static str,
    pub max_connections: u32,
}

impl RedisConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let max_connections = vars.parsed_or::<u32>(&["REDIS_MAX_CONNECTIONS"], 10).max(1);
        let (source, raw) = if let Some(found) = vars.first(&["CACHE_REDIS_URL", "REDIS_URL", "REDISTOGO_URL"]) {
            found
        } else if let Some((_, host)) = vars.first(&["REDIS_HOST"]) {
            // contextgraph-service: REDIS_HOST (+ port) → redis://HOST:6379/0; a `host:port`
            // value is taken as it is.
            if host.contains("://") {
                return Self::read_url(vars, "REDIS_HOST", host, max_connections);
            }
            if host.contains(':') {
                let db = vars.parsed_or::<u16>(&["REDIS_DB"], 0);
                return Self::read_url(vars, "REDIS_HOST", format!("redis://{host}/{db}"), max_connections);
            }
            let port = vars.parsed_or::<u16>(&["REDIS_PORT"], 6379);
            let db = vars.parsed_or::<u16>(&["REDIS_DB"], 0);
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    Redis,
    Amqp,
}

#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub url: Secret,
    pub kind: BrokerKind,
    /// Queue names are `<prefix>.jobs.<job type>`, so deployments can share a broker.
    pub prefix: String,
}

impl BrokerConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let (name, raw) = vars.first(&["CELERY_BROKER_URL", "BROKER_URL"])?;
        let kind = match Url::parse(&raw).map(|u| u.scheme().to_owned()) {
            Ok(s) if s == "redis" || s == "rediss" => BrokerKind::Redis,
            Ok(s) if s == "amqp" || s == "amqps" => BrokerKind::Amqp,
            _ => {
                vars.error(name, "expected redis://… or amqp://user:password@host:5672/vhost");
                return None;
            }
        };
        let prefix = vars.string_or(&["BROKER_QUEUE_PREFIX"], "procure");
        if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
            vars.error("BROKER_QUEUE_PREFIX", "use letters, digits, '-', '_', '.' or ':'");
        }
        Some(BrokerConfig { url: Secret::new(raw), kind, prefix })
    }

    pub fn describe(&self) -> String {
        let kind = match self.kind {
            BrokerKind::Redis => "Redis",
            BrokerKind::Amqp => "RabbitMQ",
        };
        format!("database queue relayed to {kind} {}", redacted_host(self.url.expose()))
    }
}

#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub region: String,
    /// An S3-compatible endpoint (path-style requests); `None` for AWS.
    pub endpoint: Option<Url>,
}

impl S3Config {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let toggle = vars.first(&["ENABLE_MEDIA_UPLOAD_TO_S3"]).is_some();
        let enabled = vars.flag(&["ENABLE_MEDIA_UPLOAD_TO_S3"], true);
        let Some(bucket) = vars.string(&["S3_BUCKET_NAME", "S3_BUCKET", "DJANGO_AWS_STORAGE_BUCKET_NAME"]) else {
            if toggle && enabled {
                vars.error("S3_BUCKET_NAME", "ENABLE_MEDIA_UPLOAD_TO_S3 is on but no bucket is named");
            }
            return None;
        };
        if !enabled {
            return None;
        }
        let access_key_id = vars.string(&["AWS_ACCESS_KEY_ID", "DJANGO_AWS_ACCESS_KEY_ID"]);
        let secret_access_key =
            vars.string(&["AWS_SECRET_ACCESS_KEY", "DJANGO_AWS_SECRET_ACCESS_KEY"]).map(Secret::new);
        match (access_key_id.is_some(), secret_access_key.is_some()) {
            (true, false) => vars.error("AWS_SECRET_ACCESS_KEY", "must be set too when AWS_ACCESS_KEY_ID is"),
            (false, true) => vars.error("AWS_ACCESS_KEY_ID", "must be set too when AWS_SECRET_ACCESS_KEY is"),
            _ => {}
        }
        let endpoint = match vars.first(&["S3_ENDPOINT", "AWS_ENDPOINT_URL", "DJANGO_AWS_S3_HOST"]) {
            None => None,
            Some((name, raw)) => {
                let with_scheme = if raw.contains("://") { raw.clone() } else { format!("https://{raw}") };
                match Url::parse(&with_scheme) {
                    Ok(u) if u.host_str().is_some() => Some(u),
                    _ => {
                        vars.error(name, format!("{raw:?} is not an endpoint URL like http://127.0.0.1:5055"));
                        None
                    }
                }
            }
        };
        let region = vars
            .string_or(&["S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "DJANGO_AWS_S3_REGION_NAME"], "us-east-1");
        Some(S3Config { bucket, access_key_id, secret_access_key, region, endpoint })
    }

    pub fn describe(&self) -> String {
        match &self.endpoint {
            Some(e) => format!("S3 bucket {} at {}", self.bucket, e.origin().ascii_serialization()),
            None => format!("S3 bucket {} ({})", self.bucket, self.region),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SentryConfig {
    pub dsn: Secret,
    pub environment: String,
}

impl SentryConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment) -> Option<Self> {
        let (name, dsn) = vars.first(&["SENTRY_DSN"])?;
        match Url::parse(&dsn) {
            Ok(u) if u.host_str().is_some() && !u.username().is_empty() => {}
            _ => {
                vars.error(name, "expected a DSN like https://key@o0.ingest.sentry.io/1");
                return None;
            }
        }
        Some(SentryConfig { dsn: Secret::new(dsn), environment: vars.string_or(&["SENTRY_ENVIRONMENT"], env.as_str()) })
    }
}

/// `METRICS_TOKEN`: when set, `/__metrics__` serves Prometheus text to `Authorization: Bearer
/// <token>`.
pub fn read_metrics_token(vars: &mut Vars<'_>) -> Option<Secret> {
    let token = vars.string(&["METRICS_TOKEN"])?;
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
        let host = vars.string(&["STATSD_HOST"])?;
        Some(StatsdConfig {
            host,
            port: vars.parsed_or(&["STATSD_PORT"], 8125),
            prefix: vars.string_or(&["STATSD_PREFIX"], "procure"),
        })
    }
}

// ---------------------------------------------------------------------------------------------

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
        let format = match vars.first(&["LOG_FORMAT", "RUST_LOG_FORMAT"]) {
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
        LogConfig { format, filter: vars.string_or(&["RUST_LOG", "LOG_LEVEL"], "info") }
    }
}

#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Status of `/__heartbeat__` when a check is at error level (Dockerflow: 500; some load
    /// balancers want 503).
    pub heartbeat_failed_status: u16,
    /// `version.json`; `None` means `/app/version.json`, then `./version.json`.
    pub version_file: Option<PathBuf>,
}

impl HealthConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let mut status = vars.parsed_or::<u16>(&["HEARTBEAT_FAILED_STATUS"], 500);
        if !(500..=599).contains(&status) {
            vars.error("HEARTBEAT_FAILED_STATUS", format!("{status} is not a 5xx status"));
            status = 500;
        }
        HealthConfig {
            heartbeat_failed_status: status,
            version_file: vars.string(&["VERSION_FILE"]).map(PathBuf::from),
        }
    }

    /// The candidates for `version.json`, in order.
    pub fn version_files(&self) -> Vec<PathBuf> {
        match &self.version_file {
            Some(p) => vec![p.clone()],
            None => vec![PathBuf::from("/app/version.json"), PathBuf::from("./version.json")],
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// Someone who gets error reports (the seeds' `ADMINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub name: Option<String>,
    pub email: String,
}

/// `ADMINS`/`DJANGO_ADMINS`: comma-separated `Name <email>`, `Name:email` or bare addresses.
pub(super) fn read_admins(vars: &mut Vars<'_>) -> Vec<Admin> {
    let Some((name, raw)) = vars.first(&["ADMINS", "DJANGO_ADMINS"]) else {
        return Vec::new();
    };
    let mut admins = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = if let (Some(a), Some(b)) = (entry.rfind('<'), entry.rfind('>')) {
            let display = entry[..a].trim().trim_matches('"');
            Some(Admin {
                name: (!display.is_empty()).then(|| display.to_owned()),
                email: entry[a + 1..b].trim().to_owned(),
            })
        } else if let Some((display, email)) = entry.split_once(':') {
            Some(Admin { name: Some(display.trim().to_owned()), email: email.trim().to_owned() })
        } else {
            Some(Admin { name: None, email: entry.to_owned() })
        };
        match parsed {
            Some(admin) if looks_like_mailbox(&admin.email) => admins.push(admin),
            _ => vars.error(name, format!("{entry:?} is not \"Name <email>\", \"Name:email\" or an address")),
        }
    }
    admins
}

/// `redis://user:pass@host:6379/0` → `host:6379`, for logs.
fn redacted_host(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(u) => format!("{}:{}", u.host_str().unwrap_or("?"), u.port_or_known_default().unwrap_or(0)),
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Local time (in `DISPLAY_TIMEZONE`) of the nightly jobs; the original started at 07:00.
    pub nightly_at: chrono::NaiveTime,
    /// How often the scheduler looks for due slots.
    pub scheduler_tick: Duration,
}

impl JobsConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let default_at = chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default();
        let nightly_at = match vars.first(&["NIGHTLY_JOBS_AT"]) {
            None => default_at,
            Some((name, raw)) => chrono::NaiveTime::parse_from_str(&raw, "%H:%M").unwrap_or_else(|_| {
                vars.error(name, format!("{raw:?} is not a time like 07:00"));
                default_at
            }),
        };
        let tick = vars.parsed_or::<u64>(&["SCHEDULER_TICK_MS"], 30_000).max(10);
        JobsConfig { nightly_at, scheduler_tick: Duration::from_millis(tick) }
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after it began, however much it is used.
    pub max_age: Duration,
}

impl SessionConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let idle = vars.parsed_or::<u64>(&["SESSION_IDLE_TIMEOUT"], 2 * 3600).max(1);
        let max_age = vars.parsed_or::<u64>(&["SESSION_MAX_AGE"], 24 * 3600).max(1);
        if max_age < idle {
            vars.error("SESSION_MAX_AGE", format!("{max_age} s is shorter than SESSION_IDLE_TIMEOUT ({idle} s)"));
        }
        SessionConfig { idle_timeout: Duration::from_secs(idle), max_age: Duration::from_secs(max_age) }
    }
}
