//! The server loop's connection limits at the socket level: a client that never finishes its
//! headers, a connection left idle, and a client that stops reading its response are closed by
//! the server; a slow handler is not cut off by any limit; a keep-alive connection in use stays
//! open.
//!
//! "Closed" means the server ended the connection (a read returns end of file or a reset)
//! before a generous bound; no test measures how soon.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use platform::http::serve::{Limits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// How long a busy connection may stall in these tests (longer than the slow handler).
const STALL: Duration = Duration::from_secs(3);

/// Far beyond the limits the tests configure: reaching it means the server kept the connection.
const BOUND: Duration = Duration::from_secs(15);

struct TestServer {
    addr: SocketAddr,
    stop: CancellationToken,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start(header_read: Duration, keep_alive: Duration) -> TestServer {
    let router = Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "slow but whole"
            }),
        )
        .route(
            "/big",
            get(|| async {
                // 64 MiB made as it is sent: far more than the socket buffers hold.
                let chunks =
                    futures_util::stream::iter((0..1024).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024])));
                axum::body::Body::from_stream(chunks)
            }),
        );
    let listener = platform::http::serve::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = CancellationToken::new();
    let limits = Limits { grace: Duration::from_secs(1), header_read, keep_alive, stall: STALL };
    tokio::spawn(serve(listener, router, stop.clone(), limits));
    TestServer { addr, stop }
}

/// Reads until the server closes the connection; `Err` with what was read if it is still open
/// at `BOUND`.
async fn read_until_closed(s: &mut TcpStream) -> Result<String, String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return Err(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(0)) => return Ok(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionReset => {
                return Ok(String::from_utf8_lossy(&seen).into_owned());
            }
            Ok(Err(e)) => panic!("read: {e}"),
        }
    }
}

/// Reads one response whose body ends with `end`.
async fn read_response(s: &mut TcpStream, end: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).ends_with(end) {
        let n = tokio::time::timeout(BOUND, s.read(&mut buf)).await.expect("an answer").expect("read");
        assert!(n > 0, "closed before the answer was whole: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn half_a_request_line_and_then_nothing_is_disconnected() {
    let server = start(Duration::from_millis(500), Duration::from_secs(60)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(b"GET /slo").await.expect("write");
    let answer = read_until_closed(&mut s).await.expect("the server closed the connection");
    assert_eq!(answer, "", "no answer, just the close");
}

#[tokio::test]
async fn headers_trickled_a_byte_at_a_time_are_cut_off() {
    // The limit runs from the first byte: bytes that keep coming do not extend it.
    let server = start(Duration::from_millis(500), Duration::from_secs(60)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    let prefix = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: ";
    let bytes = prefix.iter().copied().chain(std::iter::repeat(b'a'));
    let deadline = tokio::time::Instant::now() + BOUND;
    let mut cut_off = false;
    for byte in bytes {
        if tokio::time::Instant::now() > deadline {
            break;
        }
        if s.write_all(&[byte]).await.is_err() {
            cut_off = true;
            break;
        }
        let mut probe = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut probe)).await {
            Err(_) => {}
            Ok(Ok(0) | Err(_)) => {
                cut_off = true;
                break;
            }
            Ok(Ok(_)) => panic!("the server answered headers that never ended"),
        }
    }
    assert!(cut_off, "a client trickling headers for minutes was kept");
}

#[tokio::test]
async fn a_connection_that_never_sends_anything_is_closed() {
    let server = start(Duration::from_millis(500), Duration::from_millis(500)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    assert_eq!(read_until_closed(&mut s).await.expect("closed"), "");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_limit() {
    let server = start(Duration::from_secs(60), Duration::from_millis(500)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("write");
    let first = read_response(&mut s, "hello").await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(!first.to_ascii_lowercase().contains("connection: close"), "kept alive: {first}");
    let rest = read_until_closed(&mut s).await.expect("the idle connection was closed");
    assert_eq!(rest, "", "closed without another answer");
}

#[tokio::test]
async fn a_request_being_handled_is_not_cut_off_by_either_limit() {
    // The handler takes 1.5 s, three times each limit: neither applies while it works.
    let server = start(Duration::from_millis(500), Duration::from_millis(500)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("write");
    let answer = read_response(&mut s, "slow but whole").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_keep_alive_connection_in_use_serves_request_after_request() {
    let server = start(Duration::from_millis(500), Duration::from_secs(2)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    // Requests a little apart, together longer than the idle limit: each one restarts it.
    for _ in 0..10 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("write");
        let answer = read_response(&mut s, "hello").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_its_response_is_dropped() {
    let server = start(Duration::from_secs(60), Duration::from_secs(60)).await;
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("write");
    // Read nothing while the stall limit passes; then whatever the buffers held, and the close.
    tokio::time::sleep(STALL + Duration::from_secs(2)).await;
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let closed = loop {
        match tokio::time::timeout(BOUND, s.read(&mut buf)).await {
            Err(_) => break false,
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(n)) => received += n,
        }
    };
    assert!(closed, "the connection was kept open");
    assert!(received < 64 << 20, "the response was cut short ({received} bytes), not finished");
}
