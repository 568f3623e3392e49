//! The heartbeat and the cache against real Redis and RabbitMQ, cut off and restored through a
//! TCP proxy (never by stopping the shared servers other tests use).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use common::proxy::ChaosProxy;
use common::{Backend, TestApp};

/// A proxy to the host:port of `url`, and `url` rewritten to go through it.
async fn proxied(url: &str) -> (ChaosProxy, String) {
    let mut parsed = url::Url::parse(url).expect("url");
    let host = match parsed.host_str() {
        Some("localhost") | None => "127.0.0.1".to_owned(),
        Some(h) => h.to_owned(),
    };
    let port = parsed.port_or_known_default().unwrap_or(match parsed.scheme() {
        "redis" => 6379,
        _ => 5672,
    });
    let target: SocketAddr = format!("{host}:{port}").parse().expect("address");
    let proxy = ChaosProxy::start(target).await;
    parsed.set_ip_host(proxy.addr.ip()).expect("host");
    parsed.set_port(Some(proxy.addr.port())).expect("port");
    (proxy, parsed.to_string())
}

async fn eventually(app: &TestApp, path: &str, want: StatusCode) -> common::Response {
    let mut last = app.get_json(path).await;
    for _ in 0..60 {
        if last.status == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = app.get_json(path).await;
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_keeps_serving_while_redis_is_down_and_the_cache_recovers() {
    let Some(redis) = common::service_url("TEST_REDIS_URL", "redis") else { return };
    let (proxy, url) = proxied(&redis).await;
    let app = TestApp::new(Backend::Sqlite, &[("REDIS_URL", &url)]).await.expect("app");
    let cache = &app.state.cache;
    let key = format!("test-{}", uuid::Uuid::new_v4().simple());
    cache.set(&key, "cached value", Duration::from_secs(30)).await;
    assert_eq!(cache.get(&key).await.as_deref(), Some("cached value"));
    let hb = app.get_json("/__heartbeat__").await;
    assert_eq!(hb.json()["checks"]["cache"], "ok", "{}", hb.body);

    proxy.cut().await;
    assert_eq!(cache.get(&key).await, None, "a cache that cannot answer is a miss");
    cache.set(&key, "dropped", Duration::from_secs(30)).await;
    assert_eq!(app.get("/").await.status, StatusCode::OK, "pages are still served");
    let hb = app.get_json("/__heartbeat__").await;
    assert_eq!(hb.status, StatusCode::OK, "a cache outage is a warning, not a failure: {}", hb.body);
    assert_eq!(hb.json()["status"], "warning");
    assert_eq!(hb.json()["checks"]["cache"], "warning");
    assert_eq!(hb.json()["details"]["cache"]["level"], 30);

    proxy.restore();
    let hb = eventually(&app, "/__heartbeat__", StatusCode::OK).await;
    let mut status = hb.json()["status"].clone();
    for _ in 0..60 {
        if status == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = app.get_json("/__heartbeat__").await.json()["status"].clone();
    }
    assert_eq!(status, "ok", "the heartbeat is clean once Redis is back");
    cache.set(&key, "after", Duration::from_secs(30)).await;
    assert_eq!(cache.get(&key).await.as_deref(), Some("after"), "the cache works again without a restart");
}

async fn heartbeat_fails_while_the_broker_is_down(var: &str, service: &str) {
    let Some(broker) = common::service_url(var, service) else { return };
    let (proxy, url) = proxied(&broker).await;
    let app = TestApp::new(Backend::Sqlite, &[("BROKER_URL", &url)]).await.expect("app");
    let hb = app.get_json("/__heartbeat__").await;
    assert_eq!(hb.status, StatusCode::OK, "{}", hb.body);
    let checks = hb.json()["checks"].clone();
    for backend in ["database", "storage", "broker"] {
        assert_eq!(checks[backend], "ok", "{backend} is checked: {checks}");
    }

    proxy.cut().await;
    let hb = eventually(&app, "/__heartbeat__", StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(hb.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", hb.body);
    assert_eq!(hb.json()["checks"]["broker"], "error");
    assert_eq!(hb.json()["checks"]["database"], "ok");

    proxy.restore();
    let hb = eventually(&app, "/__heartbeat__", StatusCode::OK).await;
    assert_eq!(hb.status, StatusCode::OK, "recovers without a restart: {}", hb.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_fails_while_rabbitmq_is_down() {
    heartbeat_fails_while_the_broker_is_down("TEST_AMQP_URL", "rabbitmq").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_fails_while_the_redis_broker_is_down() {
    heartbeat_fails_while_the_broker_is_down("TEST_REDIS_URL", "redis").await;
}
