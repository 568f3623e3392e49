//! `procure check --deploy`: the production checks of Django's `check --deploy` that apply to
//! Procure (deployment.md §3), plus our own, each with a stable number.
//!
//! Checks Django makes for settings Procure cannot turn off (frame options, nosniff, the
//! security and CSRF middleware, HttpOnly cookies) have no number here: those are always on.

use std::fmt;

use super::{Config, DatabaseBackend, secret_weakness};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn parse(raw: &str) -> Option<Level> {
        match raw.to_ascii_lowercase().as_str() {
            "info" => Some(Level::Info),
            "warning" | "warn" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Django's number where there is one (W009 = weak secret key), `P…` for ours.
    pub id: &'static str,
    pub level: Level,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}] {}", self.id, self.level, self.message)
    }
}

/// Every finding for this configuration, most severe first.
pub fn run(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |id, level, message: String| out.push(Finding { id, level, message });
    let sec = &config.security;

    if !config.env.is_production() {
        add(
            "W018",
            Level::Warning,
            format!(
                "running in {} mode ({}); set PROCURE_ENV=production for a deployment",
                config.env.as_str(),
                config.env_reason
            ),
        );
    }
    match &config.secret.key {
        None => add(
            "W009",
            Level::Warning,
            "SECRET_KEY is not set; set one of at least 50 characters (e.g. `openssl rand -base64 48`)".to_owned(),
        ),
        Some(key) => {
            if let Some(problem) = secret_weakness(key.expose()) {
                add("W009", Level::Warning, format!("{} is weak: {problem}", config.secret.source));
            }
        }
    }
    if sec.allowed_hosts.iter().any(|h| h == "*") {
        add("W020", Level::Warning, "ALLOWED_HOSTS allows any host; list the site's host names".to_owned());
    }
    if config.site.is_https() {
        if sec.hsts_seconds == 0 {
            add(
                "W004",
                Level::Warning,
                "SECURE_HSTS_SECONDS is 0: browsers are not told to insist on https".to_owned(),
            );
        } else {
            if !sec.hsts_include_subdomains {
                add(
                    "W005",
                    Level::Warning,
                    "SECURE_HSTS_INCLUDE_SUBDOMAINS is off: subdomains can still be reached over http".to_owned(),
                );
            }
            if !sec.hsts_preload {
                add(
                    "W021",
                    Level::Info,
                    "SECURE_HSTS_PRELOAD is off: the site cannot be submitted to browsers' preload lists".to_owned(),
                );
            }
        }
    } else {
        add(
            "W008",
            Level::Warning,
            format!(
                "the app URL {} is not https: no redirect to https, no HSTS, and cookies (W012, W016) are not Secure",
                config.site.app_url
            ),
        );
    }
    if !sec.csp_enabled {
        add(
            "P001",
            Level::Warning,
            "CSP_ENABLED is off: pages are served without a Content-Security-Policy".to_owned(),
        );
    } else if sec.csp_report_only {
        add(
            "P002",
            Level::Info,
            "CSP_REPORT_ONLY is on: the Content-Security-Policy is reported, not enforced".to_owned(),
        );
    }
    if config.mail.smtp.is_none() {
        add(
            "P003",
            Level::Warning,
            format!("no MAIL_SERVER: email is written to {} instead of being sent", config.mail.outbox.display()),
        );
    }
    if config.on_heroku && config.s3.is_none() {
        add(
            "P004",
            Level::Warning,
            "on Heroku without S3_BUCKET_NAME: uploaded files are lost whenever a dyno restarts".to_owned(),
        );
    }
    if config.on_heroku
        && let DatabaseBackend::Sqlite { .. } = config.database.backend
    {
        add(
            "P005",
            Level::Error,
            "on Heroku with SQLite: the database is lost whenever a dyno restarts; set DATABASE_URL".to_owned(),
        );
    }
    if sec.auth_wall.is_some() {
        add(
            "P006",
            Level::Info,
            "the basic-auth wall (AUTH_WALL_USERNAME) is on: only people with its password can use the site".to_owned(),
        );
    }
    if config.admins.is_empty() {
        add("P007", Level::Info, "ADMINS is empty: nobody is emailed about server errors".to_owned());
    }
    if config.sentry.is_none() {
        add("P008", Level::Info, "SENTRY_DSN is not set: errors are only logged".to_owned());
    }
    out.sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(b.id)));
    out
}
