//! The site guard, in front of every route but Dockerflow's (load balancers reach those by IP,
//! over plain http, without credentials):
//! - host validation against `ALLOWED_HOSTS` (400 otherwise, as Django does);
//! - with an https app URL: redirect to https when the proxy says the request came over http
//!   (`X-Forwarded-Proto`), and HSTS on every response;
//! - the basic-auth wall of django-init, when `AUTH_WALL_USERNAME` and `AUTH_WALL_PASSWORD`
//!   are both set.
//!
//! CSRF is tower-http's `CsrfLayer` (Fetch metadata and Origin checks), added beside this.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;

use super::errors::error_response;
use super::middleware::is_ops_path;
use crate::Config;

pub struct SiteGuard {
    allowed_hosts: Vec<String>,
    https: bool,
    hsts: Option<HeaderValue>,
    /// The expected `Authorization` value's MAC, and the challenge to send.
    wall: Option<(Vec<u8>, HeaderValue)>,
}

const WALL_MAC_KEY: &[u8] = b"procure/auth-wall";

impl SiteGuard {
    pub fn new(config: &Config) -> Arc<SiteGuard> {
        let sec = &config.security;
        let https = config.site.is_https();
        let hsts = (https && sec.hsts_seconds > 0).then(|| {
            let mut value = format!("max-age={}", sec.hsts_seconds);
            if sec.hsts_include_subdomains {
                value.push_str("; includeSubDomains");
            }
            if sec.hsts_preload {
                value.push_str("; preload");
            }
            HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("max-age=60"))
        });
        let wall = sec.auth_wall.as_ref().map(|w| {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", w.username, w.password.expose()));
            let expected = crate::secrets::hmac_sha256(WALL_MAC_KEY, format!("Basic {token}").as_bytes());
            let realm = w.realm.replace('"', "'");
            let challenge = HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("Basic realm=\"Development\""));
            (expected, challenge)
        });
        Arc::new(SiteGuard { allowed_hosts: sec.allowed_hosts.clone(), https, hsts, wall })
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        self.allowed_hosts.iter().any(|allowed| {
            let allowed = allowed.to_ascii_lowercase();
            allowed == "*"
                || allowed == name
                || allowed.strip_prefix('.').is_some_and(|domain| name == domain || name.ends_with(&allowed))
        })
    }
}

/// `example.gov:443` → `example.gov`; `[::1]:8000` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(name, _)| name)
}

pub async fn site_guard(State(guard): State<Arc<SiteGuard>>, request: Request, next: Next) -> Response {
    if is_ops_path(request.uri().path()) {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("")
        .to_owned();
    if !guard.host_allowed(&host) {
        tracing::warn!(host, "request for a host not in ALLOWED_HOSTS");
        return error_response(StatusCode::BAD_REQUEST, Some("This site does not answer to that host name.".into()));
    }
    if guard.https {
        let proto = request.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("");
        if proto.eq_ignore_ascii_case("http") {
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
            return Redirect::permanent(&format!("https://{host}{path}")).into_response();
        }
    }
    if let Some((expected, challenge)) = &guard.wall {
        let offered = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        if crate::secrets::hmac_sha256(WALL_MAC_KEY, offered.as_bytes()) != *expected {
            let mut response = error_response(StatusCode::UNAUTHORIZED, Some("This site is not public yet.".into()));
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge.clone());
            return response;
        }
    }
    let mut response = next.run(request).await;
    if let Some(hsts) = &guard.hsts {
        response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_not_part_of_the_host_name() {
        assert_eq!(strip_port("buy.example.gov:8000"), "buy.example.gov");
        assert_eq!(strip_port("[::1]:8000"), "[::1]");
        assert_eq!(strip_port("localhost"), "localhost");
    }
}
