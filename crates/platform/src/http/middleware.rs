//! The middleware every request passes through, outermost first:
//! request id and `request.summary` log → compression → security headers → `Cache-Control`
//! (`caching.rs`) → error pages → requests hyper refused ([`RefusedHead`]) → site guard (hosts,
//! https, auth wall) → CSRF → timeout → panic catcher → body-size limit → control characters out
//! of the request's text (`input.rs`) → session (with its one-time message, `flash.rs`) → the router.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::errors::{ErrorPage, render_errors};
use super::security::{SiteGuard, site_guard};
use super::state::AppState;
use crate::config::SecurityConfig;
use crate::logging::REQUEST_SUMMARY;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id: the proxy's `X-Request-ID` when it is sane, otherwise a new UUID.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A request whose head hyper refused before it became a request (an address of 64 KiB or more,
/// headers too large, a malformed request line). The server loop (`serve.rs`) sends a stand-in
/// carrying this through the stack, so the refusal is answered like every other error: its
/// page or JSON body, security headers, request id and log line. Only the server can set it.
#[derive(Debug, Clone, Copy)]
pub struct RefusedHead(pub StatusCode);

async fn refused_head(request: Request, next: Next) -> Response {
    match request.extensions().get::<RefusedHead>() {
        Some(RefusedHead(status)) => super::errors::error_response(*status, None),
        None => next.run(request).await,
    }
}

/// Set on a response by whatever knows the signed-in user, so `request.summary` can name them.
#[derive(Debug, Clone)]
pub struct LogUser(pub String);

/// Wraps `router` (state already attached) in the standard stack.
pub fn apply_middleware(router: Router, state: &AppState) -> Router {
    let config = &state.config;
    let headers = Arc::new(SecurityHeaders::new(&config.security));
    let limit = usize::try_from(config.uploads.max_content_length).unwrap_or(usize::MAX);
    // `.layer` wraps what is already there, so the last one added is the outermost.
    router
        .layer(middleware::from_fn(crate::events::origin::layer))
        .layer(middleware::from_fn(crate::flash::carry))
        .layer(middleware::from_fn_with_state(config.sessions.idle_timeout, crate::sessions::signed_in))
        .layer(state.sessions.clone())
        .layer(middleware::from_fn(super::input::clean_text))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::from_fn_with_state(limit, drain_refused_body))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.server.request_timeout))
        .layer(csrf_layer(config))
        .layer(middleware::from_fn_with_state(SiteGuard::new(config), site_guard))
        .layer(middleware::from_fn(refused_head))
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(middleware::from_fn(super::caching::cache_control))
        .layer(middleware::map_response_with_state(headers, add_security_headers))
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(NotUpgrade)),
        )
        .layer(middleware::from_fn(request_context))
}

/// The most of a refused body [`drain_refused_body`] reads (above nginx's 10 MiB ceiling).
const DRAIN_AT_MOST: usize = 16 * 1024 * 1024;

/// How long [`drain_refused_body`] reads at most.
const DRAIN_FOR_AT_MOST: std::time::Duration = std::time::Duration::from_secs(5);

/// Behind a proxy (the request carries `X-Forwarded-For`), a body declared larger than the
/// limit is read and dropped before the 413 goes out, up to [`DRAIN_AT_MOST`] bytes and
/// [`DRAIN_FOR_AT_MOST`]: a connection closed with unread bytes is reset, and a proxy still
/// sending the body (nginx) then answers 502 instead of passing the app's 413 page on. A proxy
/// has the whole body already, so this is quick. A client talking to the app directly, or one
/// that sent `Expect: 100-continue`, is refused at once, before it sends the body.
async fn drain_refused_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if !headers.contains_key("x-forwarded-for") {
        return next.run(request).await;
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<usize>().ok());
    let waits = headers.get(header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let Some(declared) = declared.filter(|n| *n > limit && *n <= DRAIN_AT_MOST && !waits) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let drain = async {
        let mut read = 0usize;
        while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut stream).await {
            read = read.saturating_add(chunk.len());
            if read > declared {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_FOR_AT_MOST, drain).await;
    // The limit below answers from the declared length, as it does for any oversized request.
    next.run(Request::from_parts(parts, axum::body::Body::empty())).await
}

/// A protocol switch (`/ws`) is never compressed: its body is the websocket's, not HTTP's.
#[derive(Clone, Copy)]
struct NotUpgrade;

impl Predicate for NotUpgrade {
    fn should_compress<B: http_body::Body>(&self, response: &http::Response<B>) -> bool {
        response.status() != StatusCode::SWITCHING_PROTOCOLS
    }
}

/// Cross-site state-changing requests are refused (403, then an error page): browsers say
/// where a request comes from (`Sec-Fetch-Site`, `Origin`); `ALLOWED_ORIGINS` are trusted too.
fn csrf_layer(config: &crate::Config) -> CsrfLayer {
    let mut layer = CsrfLayer::new();
    for origin in &config.security.allowed_origins {
        match layer.clone().add_trusted_origin(origin) {
            Ok(with) => layer = with,
            Err(e) => tracing::warn!(origin, error = %e, "ignoring an ALLOWED_ORIGINS entry"),
        }
    }
    layer
}

fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "handler panicked");
    super::errors::error_response(StatusCode::INTERNAL_SERVER_ERROR, None)
}

/// Dockerflow's own endpoints are polled constantly and are not logged.
pub fn is_ops_path(path: &str) -> bool {
    matches!(path, "/__lbheartbeat__" | "/__heartbeat__" | "/__version__" | "/__metrics__" | "/_status")
}

/// Query parameters that are credentials (sign-in tokens, link signatures): logged as `…`, and
/// a response to an address carrying one is never kept by a shared cache.
pub const SECRET_PARAMS: [&str; 3] = ["token", "sig", "password"];

/// The query string with the values of [`SECRET_PARAMS`] replaced, for the request log.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMS.contains(&key) => format!("{key}=…"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn valid_request_id(raw: &str) -> bool {
    (1..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Assigns the request id, echoes it back, and logs one `request.summary` line per request
/// with the fields mozlog's request summary defines.
pub async fn request_context(mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let rid = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
    request.extensions_mut().insert(RequestId(rid.clone()));
    let logged = !is_ops_path(request.uri().path());
    let summary = logged.then(|| {
        let h = request.headers();
        let text = |name| h.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or("").to_owned();
        (
            request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned(),
            request.method().to_string(),
            request.uri().path().to_owned(),
            redact_query(request.uri().query().unwrap_or("")),
            text(header::USER_AGENT),
            text(header::ACCEPT_LANGUAGE),
            client_address(&request),
        )
    });

    let mut response = next.run(request).await;
    if let Ok(v) = HeaderValue::from_str(&rid) {
        response.headers_mut().insert(X_REQUEST_ID, v);
    }
    if let Some((template, method, path, querystring, agent, lang, client)) = summary {
        let status = response.status().as_u16();
        let errno = if status >= 400 { status } else { 0 };
        let uid = response.extensions().get::<LogUser>().map_or("", |u| u.0.as_str());
        let elapsed = start.elapsed();
        crate::telemetry::record_request(&template, &method, status, elapsed.as_secs_f64());
        let t = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let msg = if response.extensions().get::<ErrorPage>().is_some() || status >= 500 { "error" } else { "" };
        tracing::info!(
            target: REQUEST_SUMMARY,
            agent, client, code = status, errno, lang, method, path, querystring, rid, t, uid, msg,
        );
    }
    response
}

/// The client as the limits count it (behind nginx, the address nginx saw).
fn client_address(request: &Request) -> String {
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    super::client::client_ip(request.headers(), peer)
}

/// Headers sent with every response, computed once.
pub struct SecurityHeaders {
    csp: Option<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    pub fn new(config: &SecurityConfig) -> Self {
        let csp = config.csp_enabled.then(|| {
            let mut policy = String::from(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                 connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            );
            if let Some(uri) = &config.csp_report_uri {
                policy.push_str("; report-uri ");
                policy.push_str(uri);
            }
            let name = if config.csp_report_only {
                HeaderName::from_static("content-security-policy-report-only")
            } else {
                header::CONTENT_SECURITY_POLICY
            };
            // A report URI with bytes a header cannot carry falls back to no report URI.
            let value = HeaderValue::from_str(&policy).unwrap_or_else(|_| {
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
                )
            });
            (name, value)
        });
        SecurityHeaders { csp }
    }
}

async fn add_security_headers(State(sec): State<Arc<SecurityHeaders>>, mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if let Some((name, value)) = &sec.csp
        && !h.contains_key(name)
    {
        h.insert(name.clone(), value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_outside_are_kept_only_when_harmless() {
        assert!(valid_request_id("7f3c9a2e-1b4d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert!(valid_request_id("heroku.router:abc_123"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("evil\nINFO fake log line"));
        assert!(!valid_request_id(&"x".repeat(129)));
    }

    #[test]
    fn credentials_in_query_strings_stay_out_of_the_log() {
        assert_eq!(redact_query("token=abc"), "token=…");
        assert_eq!(redact_query("ct=pdf&exp=9&sig=00ff"), "ct=pdf&exp=9&sig=…");
        assert_eq!(redact_query("q=token%3Dx&page=2"), "q=token%3Dx&page=2");
        assert_eq!(redact_query(""), "");
    }
}
