//! Dockerflow's endpoints and robots.txt. `/_status` lives with the pages that own its table.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::routes::Routes;
use super::state::AppState;
use crate::health::CheckLevel;

/// The operational routes; mount them before any auth wall so load balancers can reach them.
pub fn routes() -> Routes {
    Routes::new()
        .get("/__lbheartbeat__", lbheartbeat)
        .get("/__heartbeat__", heartbeat)
        .get("/__version__", version)
        .get("/robots.txt", robots)
        .get("/__metrics__", crate::telemetry::prometheus)
}

fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// For load balancers: answers 200 without touching any backing service.
async fn lbheartbeat() -> Response {
    json(StatusCode::OK, r#"{"status":"OK"}"#.to_owned())
}

/// Checks every backing service; 200 unless one is at error level.
async fn heartbeat(State(state): State<AppState>) -> Response {
    let report = state.health.run().await;
    let status = if report.status == CheckLevel::Error {
        StatusCode::from_u16(state.config.health.heartbeat_failed_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    } else {
        StatusCode::OK
    };
    if report.status != CheckLevel::Ok {
        tracing::warn!(status = ?report.status, details = ?report.details, "heartbeat is not ok");
    }
    let body = serde_json::to_string(&report).unwrap_or_else(|_| r#"{"status":"error"}"#.to_owned());
    json(status, body)
}

/// Serves `version.json` as written at build time.
async fn version(State(state): State<AppState>) -> Response {
    for path in state.config.health.version_files() {
        match tokio::fs::read(&path).await {
            Ok(bytes) => {
                return match serde_json::from_slice::<serde_json::Value>(&bytes) {
                    Ok(v) => json(StatusCode::OK, v.to_string()),
                    Err(e) => {
                        tracing::error!(path = %path.display(), error = %e, "version.json is not valid JSON");
                        json(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            r#"{"status":500,"error":"version.json is not valid JSON"}"#.to_owned(),
                        )
                    }
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot read version.json");
                return json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"status":500,"error":"cannot read version.json"}"#.to_owned(),
                );
            }
        }
    }
    json(StatusCode::NOT_FOUND, r#"{"status":404,"error":"version.json not found"}"#.to_owned())
}

pub const ROBOTS_TXT: &str = "User-agent: *\n\
Disallow: /__heartbeat__\n\
Disallow: /__lbheartbeat__\n\
Disallow: /__version__\n\
Disallow: /__metrics__\n\
Disallow: /_status\n";

async fn robots() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], ROBOTS_TXT)
}
