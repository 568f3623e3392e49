//! Metrics from the real binary: StatsD datagrams on a UDP socket, and Prometheus text behind
//! the metrics token.

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::bin::{Server, http_get};

#[test]
fn requests_are_timed_and_counted_in_statsd_with_their_route() {
    let sink = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sink.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    let port = sink.local_addr().expect("addr").port().to_string();
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(dir.path(), &["web"], &[("STATSD_HOST", "127.0.0.1"), ("STATSD_PORT", &port)]);
    for path in ["/about/", "/about/", "/nowhere", "/__heartbeat__"] {
        http_get(server.port, path).expect("request");
    }
    let mut received = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 65536];
    while Instant::now() < deadline && received.matches("procure.request:").count() < 6 {
        if let Ok(n) = sink.recv(&mut buf) {
            received.push_str(&String::from_utf8_lossy(&buf[..n]));
            received.push('\n');
        }
    }
    let (ok, _, _) = server.stop();
    assert!(ok);
    let lines: Vec<&str> = received.lines().filter(|l| l.starts_with("procure.request:")).collect();
    let timer = lines.iter().find(|l| l.contains("|ms") && l.contains("path:about")).expect(&received);
    for tag in ["method:get", "status:200"] {
        assert!(timer.contains(tag), "{tag} missing: {timer}");
    }
    let counters: Vec<&&str> = lines.iter().filter(|l| l.contains("|c") && l.contains("path:about")).collect();
    assert_eq!(counters.len(), 2, "one count per request: {received}");
    assert!(lines.iter().any(|l| l.contains("path:unmatched") && l.contains("status:404")), "{received}");
    assert!(!received.contains("__heartbeat__"), "Dockerflow endpoints are not measured: {received}");
}

#[test]
fn prometheus_text_is_served_only_to_the_token_holder() {
    let dir = tempfile::tempdir().expect("dir");
    let token = "a-long-metrics-token-0123456789";
    let server = Server::start(dir.path(), &["web"], &[("METRICS_TOKEN", token)]);
    http_get(server.port, "/about/").expect("request");
    let (status, _) = http_get(server.port, "/__metrics__").expect("metrics");
    assert_eq!(status, 401);

    let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    use std::io::{Read, Write};
    write!(s, "GET /__metrics__ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("request_count{path=\"about\",method=\"get\",status=\"200\"}"), "{raw}");
    server.stop();

    // Without a token the endpoint does not exist.
    let plain = Server::start(dir.path(), &["web"], &[]);
    assert_eq!(http_get(plain.port, "/__metrics__").map(|r| r.0), Some(404));
    plain.stop();
}

#[test]
fn workers_time_each_job_and_report_the_queue_depth() {
    let sink = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sink.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    let port = sink.local_addr().expect("addr").port().to_string();
    let dir = tempfile::tempdir().expect("dir");
    let queued =
        common::bin::run(dir.path(), &["enqueue-job", "platform.probe", "--payload", "{\"token\":\"t\"}"], &[]);
    assert!(queued.status.success());
    let mut worker =
        common::bin::procure(dir.path(), &["worker"], &[("STATSD_HOST", "127.0.0.1"), ("STATSD_PORT", &port)])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("worker");
    let mut received = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buf = [0u8; 65536];
    while Instant::now() < deadline
        && !(received.contains("procure.task:") && received.contains("procure.jobs.queue_depth:"))
    {
        if let Ok(n) = sink.recv(&mut buf) {
            received.push_str(&String::from_utf8_lossy(&buf[..n]));
            received.push('\n');
        }
    }
    let _ = worker.kill();
    let _ = worker.wait();
    let task = received.lines().find(|l| l.starts_with("procure.task:")).expect(&received);
    assert!(task.contains("|ms") && task.contains("task:platform.probe") && task.contains("outcome:success"), "{task}");
    assert!(received.lines().any(|l| l.starts_with("procure.jobs.queue_depth:") && l.contains("|g")), "{received}");
}
