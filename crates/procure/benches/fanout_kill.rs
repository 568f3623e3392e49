//! Benchmark harness, not a test: `bench/fanout-kill.sh` runs it (see bench/RESULTS.md).
//! Issue 12, finding 9, measured: an opportunity is published to `BENCH_VENDORS` (1,503)
//! subscribed vendors on PostgreSQL (`TEST_DATABASE_URL`); the `procure worker` doing the
//! fan-out is killed with SIGKILL once the fan-out has queued its first batch, and a second
//! worker is started at once. It prints how long after the kill the fan-out was taken over and
//! finished, and the last message was accepted by the SMTP sink, and whether any vendor got
//! none or two. The binary is this build's, or `PROCURE_TEST_BIN` (to compare builds);
//! `BENCH_JOB_LEASE` sets the workers' `JOB_LEASE` (302 is the fan-out's lease before claims
//! were renewed).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::Backend;
use common::beacon::{accepted, publish_in, subscribed_vendors};

fn main() {
    // `cargo test --benches` runs it without `--bench`; that must not start a benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        println!("fanout_kill: a benchmark; run it with bench/fanout-kill.sh");
        return;
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    runtime.block_on(kill_during_fan_out());
}

async fn kill_during_fan_out() {
    let n: usize = std::env::var("BENCH_VENDORS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_503);
    let sink = common::smtp::SmtpSink::start().expect("aiosmtpd");
    let port = sink.port.to_string();
    let mut vars = vec![("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", port.as_str()), ("MAIL_USE_TLS", "false")];
    // `BENCH_JOB_LEASE=302` gives the workers the lease a fan-out had before claims were renewed.
    let lease = std::env::var("BENCH_JOB_LEASE").unwrap_or_default();
    if !lease.is_empty() {
        vars.push(("JOB_LEASE", lease.as_str()));
    }
    let d = common::Deployment::new(Backend::Postgres, &vars).await.expect("TEST_DATABASE_URL");
    let (categories, expected) = subscribed_vendors(&d, n).await;
    let mut first = d.spawn("worker-1", &["worker"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    publish_in(&d, categories).await;

    // Kill once the fan-out has committed its first batch of deliveries and is still running.
    let fan_out = "SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'beacon.new_opportunity' AND status = 'running'";
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut at_kill = 0;
    while Instant::now() < deadline {
        at_kill = d.count("SELECT COUNT(*) AS n FROM deliveries").await;
        if at_kill > 0 && d.count(fan_out).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    common::signal(&first, "-KILL");
    let killed = Instant::now();
    first.wait().expect("reap");
    if at_kill == 0 || at_kill as usize >= n || d.count(fan_out).await != 1 {
        println!("missed: the fan-out was not caught mid-run ({at_kill} of {n} deliveries queued); run again");
        return;
    }
    let mut second = d.spawn("worker-2", &["worker"]);

    let limit = killed + Duration::from_secs(600);
    let mut taken_over = None;
    let mut fan_out_done = None;
    let mut all_queued = None;
    let mut all_sent = None;
    while Instant::now() < limit && all_sent.is_none() {
        let now = Instant::now();
        if taken_over.is_none()
            && d.count("SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'beacon.new_opportunity' AND attempts > 1")
                .await
                > 0
        {
            taken_over = Some(now - killed);
        }
        if fan_out_done.is_none()
            && d.count("SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'beacon.new_opportunity'").await == 0
        {
            fan_out_done = Some(now - killed);
            taken_over.get_or_insert(now - killed);
        }
        if all_queued.is_none() && d.count("SELECT COUNT(*) AS n FROM deliveries").await as usize == n {
            all_queued = Some(now - killed);
        }
        let recipients: BTreeSet<String> = accepted(sink.dir.path()).into_iter().map(|(to, _)| to).collect();
        if recipients.len() == n {
            all_sent = Some(now - killed);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    common::signal(&second, "-TERM");
    second.wait().expect("reap");

    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let received = accepted(sink.dir.path());
    for (to, id) in &received {
        ids.entry(to.clone()).or_default().insert(id.clone());
    }
    let missing = expected.iter().filter(|e| !ids.contains_key(*e)).count();
    let two_messages = ids.values().filter(|set| set.len() > 1).count();
    let secs = |d: Option<Duration>| d.map_or("not within 600 s".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()));
    println!(
        "PostgreSQL, {n} vendors, JOB_LEASE {}, worker killed with {at_kill} deliveries queued: fan-out taken over after {}, \
         finished after {}; all {n} deliveries queued after {}; last message accepted after {} (times from the kill); \
         {} received, {missing} vendors without a message, {two_messages} with two different messages, {} resent under \
         the same Message-ID",
        if lease.is_empty() { "default" } else { lease.as_str() },
        secs(taken_over),
        secs(fan_out_done),
        secs(all_queued),
        secs(all_sent),
        received.len(),
        received.len().saturating_sub(ids.len()),
    );
}
