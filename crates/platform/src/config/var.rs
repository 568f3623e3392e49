//! Every environment variable the configuration reads, declared once, with its aliases in
//! precedence order (the first one that is set wins).
//!
//! This table is the only way to read a variable: [`Vars`](super::Vars) takes a [`Var`], and a
//! `Var` can only be made here (its field is private to this module). So a section cannot read a
//! name that is not declared below, and `docs_tests` compares this table with
//! `docs/configuration.md` and `.env.example`. The other direction holds too: the constants are
//! `pub(super)` in a private module and [`ALL`] is built from the names, not from the constants,
//! so a declared variable no section reads is dead code (a warning, an error under
//! `clippy -D warnings`), and `docs_tests` fails when a declared name is never asked for.
//!
//! Defaults, parsing and validation stay with each section, next to the type they produce; this
//! table holds names only. Their meaning is documented in `docs/configuration.md`.

/// One setting: its names, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var(&'static [&'static str]);

impl Var {
    /// Every name of the setting, the preferred one first.
    pub const fn names(self) -> &'static [&'static str] {
        self.0
    }

    /// A variable outside the table, for the tests of the reading helpers themselves.
    #[cfg(test)]
    pub(super) const fn ad_hoc(names: &'static [&'static str]) -> Var {
        Var(names)
    }
}

macro_rules! declare {
    ($($konst:ident = [$($name:literal),+ $(,)?];)+) => {
        $(pub(super) const $konst: Var = Var(&[$($name),+]);)+

        /// Every declared setting's names. Written out from the names rather than the constants,
        /// so that a constant no section uses is still reported as dead code.
        #[cfg(test)]
        pub(super) const ALL: &[&[&str]] = &[$(&[$($name),+]),+];
    };
}

declare! {
    // Mode (mod.rs, mode.rs) and data folder.
    PROCURE_ENV = ["PROCURE_ENV"];
    DYNO = ["DYNO"];
    PITTSBURGH_PURCHASING_SUITE_ENV = ["PITTSBURGH-PURCHASING-SUITE_ENV"];
    DJANGO_SETTINGS_MODULE = ["DJANGO_SETTINGS_MODULE"];
    DATA_DIR = ["DATA_DIR"];

    // Server (server.rs).
    PORT = ["PORT"];
    BIND_ADDRESS = ["BIND_ADDRESS"];
    REQUEST_TIMEOUT = ["REQUEST_TIMEOUT"];
    SHUTDOWN_TIMEOUT = ["SHUTDOWN_TIMEOUT"];
    HEADER_READ_TIMEOUT = ["HEADER_READ_TIMEOUT"];
    KEEP_ALIVE_TIMEOUT = ["KEEP_ALIVE_TIMEOUT"];

    // Site (site.rs). The public URL's four spellings are separate settings tried in turn.
    APP_URL = ["APP_URL"];
    SITE_DOMAIN = ["SITE_DOMAIN"];
    SITE_SCHEME = ["SITE_SCHEME"];
    BROWSERID_URL = ["BROWSERID_URL"];
    SERVER_NAME = ["SERVER_NAME"];
    DISPLAY_TIMEZONE = ["DISPLAY_TIMEZONE"];
    EXTERNAL_LINK_WARNING = ["EXTERNAL_LINK_WARNING"];
    PURCHASING_OFFICE = ["PURCHASING_OFFICE"];
    PURCHASING_EMAIL = ["PURCHASING_EMAIL"];
    PURCHASING_PHONE = ["PURCHASING_PHONE"];

    // Database (database.rs).
    DATABASE_URL = ["DATABASE_URL"];
    DATABASE_MAX_CONNECTIONS = ["DATABASE_MAX_CONNECTIONS"];
    DATABASE_CONNECT_TIMEOUT = ["DATABASE_CONNECT_TIMEOUT"];

    // Secret key (secret.rs).
    SECRET_KEY = ["SECRET_KEY", "PITTSBURGH-PURCHASING-SUITE_SECRET", "DJANGO_SECRET_KEY"];

    // Security (security.rs).
    ALLOWED_HOSTS = ["ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"];
    ALLOWED_ORIGINS = ["ALLOWED_ORIGINS"];
    AUTH_WALL_USERNAME = ["AUTH_WALL_USERNAME"];
    AUTH_WALL_PASSWORD = ["AUTH_WALL_PASSWORD"];
    AUTH_WALL_REALM = ["AUTH_WALL_REALM"];
    SECURE_HSTS_SECONDS = ["SECURE_HSTS_SECONDS", "DJANGO_SECURE_HSTS_SECONDS"];
    SECURE_HSTS_INCLUDE_SUBDOMAINS = ["SECURE_HSTS_INCLUDE_SUBDOMAINS"];
    SECURE_HSTS_PRELOAD = ["SECURE_HSTS_PRELOAD"];
    CSP_ENABLED = ["CSP_ENABLED"];
    CSP_REPORT_ONLY = ["CSP_REPORT_ONLY"];
    CSP_REPORT_URI = ["CSP_REPORT_URI"];
    PASSWORD_LOGIN = ["PASSWORD_LOGIN"];

    // Uploads (uploads.rs).
    MAX_CONTENT_LENGTH = ["MAX_CONTENT_LENGTH"];
    UPLOAD_FOLDER = ["UPLOAD_FOLDER", "MEDIA_ROOT"];

    // Mail (mail.rs).
    MAIL_SERVER = ["MAIL_SERVER", "EMAIL_HOST", "MAILGUN_SMTP_SERVER", "MAIL_HOST"];
    MAIL_USERNAME = ["MAIL_USERNAME", "EMAIL_HOST_USER", "MAILGUN_SMTP_LOGIN", "SENDGRID_USERNAME"];
    MAIL_PASSWORD = ["MAIL_PASSWORD", "EMAIL_HOST_PASSWORD", "MAILGUN_SMTP_PASSWORD", "SENDGRID_PASSWORD"];
    MAIL_PORT = ["MAIL_PORT", "EMAIL_PORT", "MAILGUN_SMTP_PORT"];
    MAIL_USE_SSL = ["MAIL_USE_SSL", "EMAIL_USE_SSL"];
    MAIL_USE_TLS = ["MAIL_USE_TLS", "EMAIL_USE_TLS"];
    MAIL_DEFAULT_SENDER = ["MAIL_DEFAULT_SENDER", "DEFAULT_FROM_EMAIL"];
    BEACON_SENDER = ["BEACON_SENDER"];
    CONDUCTOR_SENDER = ["CONDUCTOR_SENDER"];
    MAIL_SUBJECT_PREFIX = ["MAIL_SUBJECT_PREFIX", "EMAIL_SUBJECT_PREFIX"];
    MAIL_OUTBOX = ["MAIL_OUTBOX"];
    MAIL_MAX_EMAILS = ["MAIL_MAX_EMAILS"];

    // Redis / cache (cache.rs).
    CACHE_REDIS_URL = ["CACHE_REDIS_URL", "REDIS_URL", "REDISTOGO_URL"];
    REDIS_HOST = ["REDIS_HOST"];
    REDIS_PORT = ["REDIS_PORT"];
    REDIS_DB = ["REDIS_DB"];
    REDIS_MAX_CONNECTIONS = ["REDIS_MAX_CONNECTIONS"];

    // Broker, jobs and scheduler (jobs.rs).
    CELERY_BROKER_URL = ["CELERY_BROKER_URL", "BROKER_URL"];
    BROKER_QUEUE_PREFIX = ["BROKER_QUEUE_PREFIX"];

    // Realtime (realtime.rs).
    REALTIME_FANOUT = ["REALTIME_FANOUT"];
    WEBSOCKET_PORT = ["WEBSOCKET_PORT"];
    EVENTS_RETENTION_HOURS = ["EVENTS_RETENTION_HOURS"];
    NIGHTLY_JOBS_AT = ["NIGHTLY_JOBS_AT"];
    SCHEDULER_TICK_MS = ["SCHEDULER_TICK_MS"];
    JOB_LEASE = ["JOB_LEASE"];

    // S3 / files (storage.rs).
    S3_BUCKET_NAME = ["S3_BUCKET_NAME", "S3_BUCKET", "DJANGO_AWS_STORAGE_BUCKET_NAME"];
    ENABLE_MEDIA_UPLOAD_TO_S3 = ["ENABLE_MEDIA_UPLOAD_TO_S3"];
    AWS_ACCESS_KEY_ID = ["AWS_ACCESS_KEY_ID", "DJANGO_AWS_ACCESS_KEY_ID"];
    AWS_SECRET_ACCESS_KEY = ["AWS_SECRET_ACCESS_KEY", "DJANGO_AWS_SECRET_ACCESS_KEY"];
    S3_REGION = ["S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "DJANGO_AWS_S3_REGION_NAME"];
    S3_ENDPOINT = ["S3_ENDPOINT", "AWS_ENDPOINT_URL", "DJANGO_AWS_S3_HOST"];

    // Sentry (sentry.rs).
    SENTRY_DSN = ["SENTRY_DSN"];
    SENTRY_ENVIRONMENT = ["SENTRY_ENVIRONMENT"];

    // StatsD and the metrics endpoint (telemetry.rs).
    STATSD_HOST = ["STATSD_HOST"];
    STATSD_PORT = ["STATSD_PORT"];
    STATSD_PREFIX = ["STATSD_PREFIX"];
    METRICS_TOKEN = ["METRICS_TOKEN"];

    // Logging (logging.rs).
    LOG_FORMAT = ["LOG_FORMAT", "RUST_LOG_FORMAT"];
    RUST_LOG = ["RUST_LOG", "LOG_LEVEL"];

    // Health endpoints (health.rs).
    HEARTBEAT_FAILED_STATUS = ["HEARTBEAT_FAILED_STATUS"];
    VERSION_FILE = ["VERSION_FILE"];

    // Admins (admins.rs).
    ADMINS = ["ADMINS", "DJANGO_ADMINS"];

    // Sessions (sessions.rs).
    SESSION_IDLE_TIMEOUT = ["SESSION_IDLE_TIMEOUT"];
    SESSION_MAX_AGE = ["SESSION_MAX_AGE"];

    // API clients and tokens (api.rs).
    CLIENT_ID = ["CLIENT_ID"];
    CLIENT_SECRET = ["CLIENT_SECRET"];
    CLIENT_OWNER = ["CLIENT_OWNER"];
    CLIENT_SCOPES = ["CLIENT_SCOPES"];
    API_TOKEN_LIFETIME = ["API_TOKEN_LIFETIME"];
    API_RATE_LIMIT = ["API_RATE_LIMIT"];
}
