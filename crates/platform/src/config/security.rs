//! Request security: `ALLOWED_HOSTS`, `ALLOWED_ORIGINS`, the basic-auth wall (`AUTH_WALL_*`),
//! HSTS (`SECURE_HSTS_*`), the Content-Security-Policy switches (`CSP_*`) and `PASSWORD_LOGIN`.
//!
//! Rules: allowed hosts default to the public URL's host, plus localhost outside production;
//! each origin must be an http(s) URL with a host; the auth wall needs both halves or neither.

use url::Url;

use super::Environment;
use super::env::Vars;
use super::secret::Secret;
use super::site::SiteConfig;
use super::var;

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
        let mut allowed_hosts = vars.list(var::ALLOWED_HOSTS);
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
        for raw in vars.list(var::ALLOWED_ORIGINS) {
            match Url::parse(&raw) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                    allowed_origins.push(u.origin().ascii_serialization());
                }
                _ => vars.error("ALLOWED_ORIGINS", format!("{raw:?} is not an origin like https://example.org")),
            }
        }
        let username = vars.string(var::AUTH_WALL_USERNAME);
        let password = vars.string(var::AUTH_WALL_PASSWORD);
        let auth_wall = match (username, password) {
            (Some(username), Some(password)) => Some(AuthWall {
                username,
                password: Secret::new(password),
                realm: vars.string_or(var::AUTH_WALL_REALM, "Development"),
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
            hsts_seconds: vars.parsed_or(var::SECURE_HSTS_SECONDS, 60),
            hsts_include_subdomains: vars.flag(var::SECURE_HSTS_INCLUDE_SUBDOMAINS, true),
            hsts_preload: vars.flag(var::SECURE_HSTS_PRELOAD, false),
            csp_enabled: vars.flag(var::CSP_ENABLED, true),
            csp_report_only: vars.flag(var::CSP_REPORT_ONLY, false),
            csp_report_uri: vars.string(var::CSP_REPORT_URI),
            password_login: vars.flag(var::PASSWORD_LOGIN, false),
        }
    }
}
