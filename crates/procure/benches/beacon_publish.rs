//! Benchmark harness, not a test: `bench/beacon.sh` runs it with
//! `cargo bench -p procure --bench beacon_publish` (see bench/RESULTS.md). One opportunity is
//! published to `BENCH_VENDORS` (10,000) subscribed vendors with a `procure worker` (the
//! release binary, or `PROCURE_TEST_BIN`) sending through pooled SMTP connections into the
//! aiosmtpd sink; it prints the time from the approval to the last message accepted, the
//! duplicates and the worker's peak RSS. PostgreSQL (`TEST_DATABASE_URL`) when
//! `BENCH_DATABASE=postgres`, SQLite otherwise.
//!
//! It shares the delivery acceptance test's deployment and data (`tests/common/beacon.rs`).

#[path = "../tests/common/mod.rs"]
mod common;

use common::Backend;
use common::beacon::{accepted, mail_deployment, publish_in, subscribed_vendors};

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and must not start a
    // ten-minute benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        println!("beacon_publish: a benchmark; run it with `cargo bench -p procure --bench beacon_publish`");
        return;
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    runtime.block_on(publish_to_subscribed_vendors());
}

async fn publish_to_subscribed_vendors() {
    let n: usize = std::env::var("BENCH_VENDORS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let backend = if std::env::var("BENCH_DATABASE").is_ok_and(|b| b == "postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let sink = common::smtp::SmtpSink::start().expect("aiosmtpd");
    let d = mail_deployment(backend, &sink).await.expect("database");
    let (categories, expected) = subscribed_vendors(&d, n).await;
    let mut worker = d.spawn("worker", &["worker"]);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;

    let started = std::time::Instant::now();
    publish_in(&d, categories).await;
    let deadline = started + std::time::Duration::from_secs(600);
    while common::smtp::eml_files(sink.dir.path()).len() < n && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    let status = std::fs::read_to_string(format!("/proc/{}/status", worker.id())).unwrap_or_default();
    let peak = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: ?").to_owned();
    common::signal(&worker, "-TERM");
    worker.wait().expect("reap");
    let received = accepted(sink.dir.path());
    let recipients: std::collections::BTreeSet<&String> = received.iter().map(|(to, _)| to).collect();
    println!(
        "{backend:?}: {} messages to {} of {} vendors in {:.2} s ({:.0}/s), {} duplicates; worker peak RSS {}",
        received.len(),
        recipients.len(),
        expected.len(),
        elapsed.as_secs_f64(),
        received.len() as f64 / elapsed.as_secs_f64(),
        received.len() - recipients.len(),
        peak.trim_start_matches("VmHWM:").trim()
    );
}
