//! SIGTERM semantics of the server loop: in-flight requests finish, new connections are refused,
//! and the grace period bounds the wait.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// The shutdown grace `grace`, and connection limits far beyond these tests.
fn limits(grace: Duration) -> platform::http::serve::Limits {
    platform::http::serve::Limits {
        grace,
        header_read: Duration::from_secs(60),
        keep_alive: Duration::from_secs(60),
        stall: Duration::from_secs(60),
    }
}

fn slow_router(delay: Duration) -> Router {
    Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(delay).await;
            "finished"
        }),
    )
}

async fn get_slow(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out
}

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_begins() {
    let listener = platform::http::serve::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let token = CancellationToken::new();
    let server = tokio::spawn(platform::http::serve::serve(
        listener,
        slow_router(Duration::from_millis(400)),
        token.clone(),
        limits(Duration::from_secs(10)),
    ));
    let request = tokio::spawn(get_slow(addr));
    tokio::time::sleep(Duration::from_millis(100)).await;
    token.cancel();

    let answer = request.await.expect("request task");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("finished"));
    server.await.expect("server task").expect("clean stop");
    assert!(TcpStream::connect(addr).await.is_err(), "no new connections after shutdown");
}

#[tokio::test]
async fn the_grace_period_bounds_the_wait() {
    let listener = platform::http::serve::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let token = CancellationToken::new();
    let server = tokio::spawn(platform::http::serve::serve(
        listener,
        slow_router(Duration::from_secs(30)),
        token.clone(),
        limits(Duration::from_millis(200)),
    ));
    let _stuck = tokio::spawn(get_slow(addr));
    tokio::time::sleep(Duration::from_millis(100)).await;
    token.cancel();
    // Bounded by the test itself: the server must return long before the 30 s handler would.
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returned after the grace period")
        .expect("task")
        .expect("ok");
}
