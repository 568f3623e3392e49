//! Error reporting: a job that fails for good reaches Sentry (here a local stand-in for its
//! ingest endpoint, since no Sentry server can run on this machine) with email addresses
//! removed, and a 404 does not.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use common::bin::{Server, http_get};

type Received = Arc<Mutex<Vec<String>>>;

async fn ingest(State(received): State<Received>, body: Bytes) -> &'static str {
    if let Ok(mut r) = received.lock() {
        r.push(String::from_utf8_lossy(&body).into_owned());
    }
    "{}"
}

/// A listener that records every envelope POSTed to `/api/{project}/envelope/`.
async fn ingest_endpoint() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new().route("/api/{project}/envelope/", post(ingest)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://publickey@127.0.0.1:{port}/1"), received)
}

fn events(received: &Received) -> Vec<String> {
    received
        .lock()
        .map(|r| r.iter().filter(|e| e.contains("\"type\":\"event\"")).cloned().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_for_good_is_reported_without_email_addresses() {
    let (dsn, received) = ingest_endpoint().await;
    let dir = tempfile::tempdir().expect("dir");
    let env = [("SENTRY_DSN", dsn.as_str()), ("SENTRY_ENVIRONMENT", "ci")];

    // A web request that ends in 404 is not an error worth reporting.
    let web = Server::start(dir.path(), &["web"], &env);
    assert_eq!(http_get(web.port, "/nowhere").map(|r| r.0), Some(404));
    web.stop();
    assert!(events(&received).is_empty(), "a 404 was reported: {:?}", events(&received));

    let payload = r#"{"token":"for ada.lovelace@example.gov","fail_first":99}"#;
    let out = common::bin::run(dir.path(), &["enqueue-job", "platform.probe", "--payload", payload], &env);
    assert!(out.status.success(), "{}", common::bin::text(&out.stderr));
    let mut worker = common::bin::procure(dir.path(), &["worker"], &env)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("worker");
    let deadline = Instant::now() + Duration::from_secs(20);
    while events(&received).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    common::signal(&worker, "-TERM");
    let _ = worker.wait();
    let events = events(&received);
    assert_eq!(events.len(), 1, "one event, for the last failure only: {events:?}");
    let event = &events[0];
    assert!(event.contains("job failed for good"), "{event}");
    assert!(event.contains("failing attempt 4 on purpose"), "{event}");
    assert!(event.contains("[email]") && !event.contains("ada.lovelace@example.gov"), "{event}");
    assert!(event.contains("\"environment\":\"ci\""), "{event}");
    assert!(event.contains("\"release\":\"procure@"), "{event}");
}
