//! Metrics: StatsD when `STATSD_HOST` is set, Prometheus text at `/__metrics__` when
//! `METRICS_TOKEN` is set, both fed by the `metrics` facade (one global recorder, fanned out).
//!
//! What is recorded, with the names contextgraph-service used:
//! - `request` timer and `request` counter, tags `path` (the route template, slashes as
//!   dots), `method` (lower case), `status`; Dockerflow endpoints are not counted;
//! - `task` timer per job run, tags `task` (job type) and `outcome`;
//! - `jobs.queue_depth` gauge (jobs waiting or running), sampled by workers.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_util::layers::FanoutBuilder;

use crate::Config;
use crate::http::AppState;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
/// The `request` counter goes to StatsD only: Prometheus gets the timer, whose summary already
/// counts, and cannot take a counter and a summary under one name.
static STATSD_ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Whether any recorder is installed: without one, requests skip building their labels.
static ENABLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Installs the process's metrics recorder (once; later calls keep the first).
pub fn init(config: &Config) -> anyhow::Result<()> {
    if PROMETHEUS.get().is_some() {
        return Ok(());
    }
    let mut fanout = FanoutBuilder::default();
    let mut any = false;
    if let Some(statsd) = &config.statsd {
        let recorder = metrics_exporter_statsd::StatsdBuilder::from(statsd.host.clone(), statsd.port)
            .histogram_is_timer()
            // One datagram per metric: a quiet site's metrics must not wait in a buffer.
            .with_buffer_size(1)
            .with_queue_size(5000)
            .build(Some(&statsd.prefix))?;
        fanout = fanout.add_recorder(recorder);
        any = true;
        STATSD_ON.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let prometheus = config.metrics_token.is_some().then(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        fanout = std::mem::take(&mut fanout).add_recorder(recorder);
        handle
    });
    any |= prometheus.is_some();
    if PROMETHEUS.set(prometheus).is_ok() && any {
        metrics::set_global_recorder(fanout.build()).map_err(|e| anyhow::anyhow!("metrics recorder: {e}"))?;
        ENABLED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// `/scout/contracts/{id}` → `scout.contracts.{id}`.
pub fn path_tag(template: &str) -> String {
    // axum names its fallback route with a private wildcard; any request it serves is unmatched.
    if template.contains("__private__axum_fallback") {
        return "unmatched".to_owned();
    }
    let trimmed = template.trim_matches('/');
    if trimmed.is_empty() { "root".to_owned() } else { trimmed.replace('/', ".") }
}

/// Records one request (called by the request middleware). Durations are in seconds, the
/// `metrics` convention; the StatsD exporter sends them as milliseconds.
pub fn record_request(path_template: &str, method: &str, status: u16, seconds: f64) {
    if !ENABLED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let labels =
        [("path", path_tag(path_template)), ("method", method.to_ascii_lowercase()), ("status", status.to_string())];
    metrics::histogram!("request", &labels).record(seconds);
    if STATSD_ON.load(std::sync::atomic::Ordering::Relaxed) {
        metrics::counter!("request", &labels).increment(1);
    }
}

/// Records one job run (seconds, as for requests).
pub fn record_task(job_type: &str, outcome: &'static str, seconds: f64) {
    metrics::histogram!("task", "task" => job_type.to_owned(), "outcome" => outcome).record(seconds);
}

pub fn record_queue_depth(depth: i64) {
    metrics::gauge!("jobs.queue_depth").set(depth as f64);
}

/// `GET /__metrics__`: Prometheus text for a bearer of `METRICS_TOKEN`; 404 when metrics are
/// not enabled, so the endpoint does not advertise itself.
pub async fn prometheus(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (Some(token), Some(Some(handle))) = (&state.config.metrics_token, PROMETHEUS.get()) else {
        return crate::http::errors::error_response(StatusCode::NOT_FOUND, None);
    };
    let offered =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let expected = crate::secrets::hmac_sha256(b"procure/metrics", token.expose().as_bytes());
    let matches = offered.is_some_and(|o| crate::secrets::hmac_sha256(b"procure/metrics", o.as_bytes()) == expected);
    if !matches {
        let mut r = crate::http::errors::error_response(StatusCode::UNAUTHORIZED, None);
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let mut response = handle.render().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_tags_use_dots() {
        assert_eq!(super::path_tag("/scout/contracts/{id}"), "scout.contracts.{id}");
        assert_eq!(super::path_tag("/"), "root");
    }
}
