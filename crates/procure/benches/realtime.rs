//! Benchmark harness, not a test: `bench/realtime.sh` runs it (see bench/RESULTS.md).
//! Issue 14, "Performance", measured against the real binary (`PROCURE_TEST_BIN`, the script
//! passes the release build) serving `/ws` (`procure websocket`, or `procure web` with
//! `BENCH_ROLE=web`) on a fresh deployment, SQLite and PostgreSQL (`TEST_DATABASE_URL`):
//!
//! - `idle`: `BENCH_SOCKETS` (10,000) websockets opened from here, each reading its `hello`;
//!   the server's RSS (`VmRSS`) with none, at 1,000, 2,000, 5,000 and all of them, after
//!   `BENCH_IDLE_HOLD` seconds (35: every socket has sent its first ping) and after closing
//!   them all.
//! - `burst`: `BENCH_CLIENTS` (1,000) websockets; `BENCH_EVENTS` (1,000) events recorded in
//!   one transaction straight into the deployment's database (`platform::events::record`);
//!   each delivery's latency is its receipt here minus the moment `commit` returned. Then
//!   `BENCH_TRICKLE` (50) events in a transaction each, 200-299 ms apart: the latency of one
//!   event to every client with nothing queued. Every client must get every event exactly
//!   once and in order; what did not is counted and printed. A client told `lagged` sends
//!   `resume` after the highest id it heard, as `assets/js/live.js` does (`BENCH_RESUME=0`:
//!   it does not).
//!
//! Each deployment is a fresh folder and database (a new PostgreSQL database per run), migrated
//! by the binary under test.
//!
//! Arguments after `--bench` pick scenarios (`idle`, `burst`) and backends (`sqlite`,
//! `postgres`); none means all. Everything is on 127.0.0.1 and bounded in time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Backend;
use futures_util::{FutureExt, SinkExt, StreamExt};
use platform::events::{Audience, NewEvent};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

type Ws = WebSocketStream<TcpStream>;

/// Handshakes in flight at once while opening sockets.
const OPENING: usize = 64;
/// How long one socket may take to open and say hello.
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);
/// Spacing of the trickled events.
const TRICKLE_EVERY: Duration = Duration::from_millis(200);

fn main() {
    // `cargo test --benches` runs it without `--bench`; that must not start a benchmark.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("realtime: a benchmark; run it with bench/realtime.sh");
        return;
    }
    let picked = |names: &[&str]| -> Vec<String> {
        let chosen: Vec<String> = args.iter().filter(|a| names.contains(&a.as_str())).cloned().collect();
        if chosen.is_empty() { names.iter().map(|s| (*s).to_owned()).collect() } else { chosen }
    };
    let scenarios = picked(&["idle", "burst"]);
    let backends: Vec<Backend> = picked(&["sqlite", "postgres"])
        .iter()
        .map(|b| if b == "sqlite" { Backend::Sqlite } else { Backend::Postgres })
        .collect();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    runtime.block_on(async {
        for scenario in &scenarios {
            for &backend in &backends {
                let run = async {
                    match scenario.as_str() {
                        "idle" => idle(backend).await,
                        _ => burst(backend).await,
                    }
                };
                // Every scenario is bounded; this is the backstop.
                if tokio::time::timeout(Duration::from_secs(140), run).await.is_err() {
                    println!("error: {scenario} on {} did not finish within 140 s", name(backend));
                }
            }
        }
    });
}

fn env_or<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// `procure websocket` (or `web`) on a fresh deployment, answering its heartbeat: its own folder
/// and database (SQLite there, or a new PostgreSQL database), migrated by the binary under test
/// (`procure migrate`), so the schema is that binary's whatever this harness was built from.
struct Server {
    child: Child,
    port: u16,
    /// The harness's own connection to the deployment's database.
    db: sea_orm::DatabaseConnection,
    dir: tempfile::TempDir,
    _pg: Option<common::PgDatabase>,
}

impl Server {
    async fn start(backend: Backend) -> Option<Server> {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let Some(pg) = common::PgDatabase::create().await else {
                    println!("skipped: PostgreSQL (TEST_DATABASE_URL is not set)");
                    return None;
                };
                Some(pg)
            }
        };
        let port = common::bin::free_port();
        let web = std::env::var("BENCH_ROLE").is_ok_and(|r| r == "web");
        let mut vars: Vec<(&str, String)> = vec![
            ("DATA_DIR", dir.path().join("data").display().to_string()),
            ("LOG_FORMAT", "text".to_owned()),
            (if web { "PORT" } else { "WEBSOCKET_PORT" }, port.to_string()),
        ];
        if let Some(pg) = &pg {
            vars.push(("DATABASE_URL", pg.url.clone()));
        }
        let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let migrated = common::bin::run(dir.path(), &["migrate"], &env);
        if !migrated.status.success() {
            println!("error: procure migrate failed: {}", common::bin::text(&migrated.stderr));
            return None;
        }
        let config = common::test_config(dir.path(), None, &env);
        let db = platform::db::connect(&config.database).await.expect("connect to the deployment's database");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = common::bin::procure(dir.path(), &[if web { "web" } else { "websocket" }], &env)
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("spawn procure");
        let server = Server { child, port, db, dir, _pg: pg };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let up = tokio::task::spawn_blocking(move || common::bin::http_get(port, "/__lbheartbeat__"))
                .await
                .ok()
                .flatten()
                .is_some_and(|(status, _)| status == 200);
            if up {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
        println!("error: the server did not answer within 30 s; its log:\n{log}");
        None
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then SIGKILL if it has not stopped within 20 s.
    async fn stop(mut self) {
        common::signal(&self.child, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        println!("error: the server did not stop within 20 s of SIGTERM; killed");
    }
}

impl Drop for Server {
    /// Whatever happened, the server does not outlive its database (a reaped one is left alone).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`).
fn status_kb(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU seconds of a process (clock ticks of 1/100 s).
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the command: state is field 3, utime 14 and stime 15.
    (ticks(11) + ticks(12)) / 100.0
}

/// The machine's (busy, total) CPU time so far, in clock ticks (`/proc/stat`).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let total: u64 = fields.iter().take(8).sum();
    // idle and iowait
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

/// Opens a websocket and reads its `hello`; returns it with the hello's `last`.
async fn open(port: u16) -> Result<(Ws, i64), String> {
    let opening = async {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        // Small buffers: the harness holds as many sockets as the server.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024).write_buffer_size(0);
        let url = format!("ws://127.0.0.1:{port}/ws");
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                let hello: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("hello: {e}"))?;
                if hello["type"] != "hello" {
                    return Err(format!("first frame not a hello: {text}"));
                }
                Ok((ws, hello["last"].as_i64().unwrap_or(-1)))
            }
            other => Err(format!("no hello: {other:?}")),
        }
    };
    tokio::time::timeout(OPEN_TIMEOUT, opening).await.unwrap_or_else(|_| Err("no hello within 15 s".to_owned()))
}

/// Opens `n` websockets, [`OPENING`] at a time; the failures are counted and the first printed.
async fn open_many(port: u16, n: usize) -> (Vec<(Ws, i64)>, usize) {
    let results: Vec<Result<(Ws, i64), String>> =
        futures_util::stream::iter(0..n).map(|_| open(port)).buffer_unordered(OPENING).collect().await;
    let mut opened = Vec::with_capacity(n);
    let mut failed = 0;
    for result in results {
        match result {
            Ok(ws) => opened.push(ws),
            Err(e) => {
                if failed < 5 {
                    println!("error: a websocket did not open: {e}");
                }
                failed += 1;
            }
        }
    }
    (opened, failed)
}

/// Idle sockets: the server's memory per connection.
async fn idle(backend: Backend) {
    let n: usize = env_or("BENCH_SOCKETS", 10_000);
    let hold: u64 = env_or("BENCH_IDLE_HOLD", 35);
    let Some(server) = Server::start(backend).await else { return };
    let pid = server.pid().to_string();
    let me = std::process::id().to_string();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let base = status_kb(&pid, "VmRSS");
    let me_base = status_kb(&me, "VmRSS");
    println!("idle {}: server RSS with no socket {}", name(backend), mb(base));
    let mut steps: Vec<usize> = [1_000, 2_000, 5_000, n].into_iter().filter(|&s| s <= n).collect();
    steps.dedup();
    let mut sockets: Vec<Ws> = Vec::with_capacity(n);
    let (mut failed, mut attempted) = (0, 0);
    let mut at_first = None;
    let started = Instant::now();
    let mut opening_time = Duration::ZERO;
    for step in steps {
        let t = Instant::now();
        let (opened, failures) = open_many(server.port, step - attempted).await;
        attempted = step;
        opening_time += t.elapsed();
        failed += failures;
        sockets.extend(opened.into_iter().map(|(ws, _)| ws));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = status_kb(&pid, "VmRSS");
        let open = sockets.len().max(1) as f64;
        let per = (rss.saturating_sub(base)) as f64 / open;
        let marginal = at_first
            .map(|(count, kb): (usize, u64)| {
                format!(
                    "; {:.1} KB each from {count} to {}",
                    (rss.saturating_sub(kb)) as f64 / (sockets.len() - count).max(1) as f64,
                    sockets.len()
                )
            })
            .unwrap_or_default();
        println!(
            "idle {}: {} open ({failed} failed): server RSS {} ({per:.1} KB per socket over the empty server{marginal})",
            name(backend),
            sockets.len(),
            mb(rss),
        );
        at_first.get_or_insert((sockets.len(), rss));
    }
    let total = sockets.len();
    println!(
        "idle {}: {total} sockets opened in {:.1} s of handshakes ({:.0}/s, {OPENING} at a time); harness RSS {} \
         (+{:.1} KB per client socket)",
        name(backend),
        opening_time.as_secs_f64(),
        total as f64 / opening_time.as_secs_f64().max(1e-9),
        mb(status_kb(&me, "VmRSS")),
        status_kb(&me, "VmRSS").saturating_sub(me_base) as f64 / total.max(1) as f64,
    );
    // Through the first ping round: the server writes to every socket once more.
    let held = Instant::now();
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let rss = status_kb(&pid, "VmRSS");
    let (mut pinged, mut quiet, mut gone) = (0, 0, 0);
    for ws in &mut sockets {
        // Unconstrained: tokio's per-task budget would report the 129th socket on as empty.
        match tokio::task::unconstrained(ws.next()).now_or_never() {
            Some(Some(Ok(Message::Ping(_)))) => pinged += 1,
            None => quiet += 1,
            Some(Some(Ok(_))) => pinged += 1,
            Some(_) => gone += 1,
        }
    }
    println!(
        "idle {}: after holding them {:.0} s ({:.0} s since the first opened): server RSS {} ({:.1} KB per socket), \
         VmHWM {}; {pinged} had a ping waiting, {quiet} nothing yet, {gone} closed",
        name(backend),
        held.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64(),
        mb(rss),
        rss.saturating_sub(base) as f64 / total.max(1) as f64,
        mb(status_kb(&pid, "VmHWM")),
    );
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!("idle {}: 3 s after closing them all: server RSS {}", name(backend), mb(status_kb(&pid, "VmRSS")));
    server.stop().await;
}

/// What one client heard.
#[derive(Default)]
struct Heard {
    /// (event id, receipt in ns since the harness's clock began), in order of receipt.
    got: Vec<(i64, u64)>,
    lagged: u32,
    missed: u64,
    resumes: u32,
    /// `reset` frames (events asked for are gone, or more than a resume replays).
    resets: u32,
    /// Frames that were neither events, `lagged` nor `reset`.
    other: Vec<String>,
    closed: bool,
}

/// The id of an event frame, cheaply (a million of them pass through here).
fn event_id(text: &str) -> Option<i64> {
    if !text.contains(r#""type":"event""#) {
        return None;
    }
    let at = text.find(r#""id":"#)? + 5;
    let digits = text[at..].split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// One client: reads frames until it has every id in `first..first + total`, the harness says
/// stop, or (having seen the last id) nothing came for 2 s; returns the socket, open.
/// `delivered` counts first receipts.
/// Told `lagged`, it resumes after the highest id it heard, as `assets/js/live.js` does.
async fn listen(
    mut ws: Ws,
    first: i64,
    total: usize,
    clock: Instant,
    resume: bool,
    delivered: Arc<AtomicU64>,
    stop: CancellationToken,
) -> (Heard, Ws) {
    let mut heard = Heard { got: Vec::with_capacity(total), ..Heard::default() };
    let mut seen = vec![false; total];
    let mut distinct = 0;
    let mut highest = first - 1;
    let last = first + total as i64 - 1;
    while distinct < total {
        let wait = if highest >= last { Duration::from_secs(2) } else { Duration::from_secs(3600) };
        let frame = tokio::select! {
            () = stop.cancelled() => break,
            frame = tokio::time::timeout(wait, ws.next()) => match frame {
                Err(_) => break,
                Ok(frame) => frame,
            },
        };
        let at = clock.elapsed().as_nanos() as u64;
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => {
                heard.other.push(format!("{other:?}"));
                if matches!(other, Message::Close(_)) {
                    heard.closed = true;
                    break;
                }
                continue;
            }
            None | Some(Err(_)) => {
                heard.closed = true;
                break;
            }
        };
        if let Some(id) = event_id(&text) {
            heard.got.push((id, at));
            highest = highest.max(id);
            if let Some(slot) = usize::try_from(id - first).ok().and_then(|i| seen.get_mut(i))
                && !*slot
            {
                *slot = true;
                distinct += 1;
                delivered.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        let frame: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if frame["code"] == "lagged" {
            heard.lagged += 1;
            heard.missed += frame["missed"].as_u64().unwrap_or(0);
            if resume {
                let after = highest;
                let asked = serde_json::json!({ "type": "resume", "after": after }).to_string();
                if ws.send(Message::Text(asked.into())).await.is_err() {
                    heard.closed = true;
                    break;
                }
                heard.resumes += 1;
            }
        } else if frame["type"] == "reset" {
            heard.resets += 1;
        } else {
            heard.other.push(text.to_string());
        }
    }
    (heard, ws)
}

/// Waits until `delivered` reaches `target`, stops moving for 3 s, or `limit` passes; returns
/// `usage()` as it was when `delivered` last moved.
async fn settle<T>(delivered: &AtomicU64, target: u64, limit: Duration, usage: impl Fn() -> T) -> T {
    let deadline = Instant::now() + limit;
    let mut last = (delivered.load(Ordering::Relaxed), Instant::now(), usage());
    while Instant::now() < deadline {
        let now = delivered.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now(), usage());
        } else if last.1.elapsed() >= Duration::from_secs(3) {
            break;
        }
        if now >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    last.2
}

fn ms(ns: u64) -> String {
    format!("{:.1} ms", ns as f64 / 1e6)
}

/// p50, p99, max of `latencies` (sorted in place).
fn spread(latencies: &mut [u64]) -> String {
    if latencies.is_empty() {
        return "none".to_owned();
    }
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];
    format!("p50 {}, p99 {}, max {} (min {})", ms(at(0.5)), ms(at(0.99)), ms(at(1.0)), ms(latencies[0]))
}

/// A burst of events to many clients: delivery latency and rate.
async fn burst(backend: Backend) {
    let clients: usize = env_or("BENCH_CLIENTS", 1_000);
    let events: usize = env_or("BENCH_EVENTS", 1_000);
    let trickle: usize = env_or("BENCH_TRICKLE", 50);
    let wait: u64 = env_or("BENCH_BURST_WAIT", 60);
    let resume = std::env::var("BENCH_RESUME").map_or(true, |v| v != "0");
    let Some(server) = Server::start(backend).await else { return };
    let pid = server.pid().to_string();
    let me = std::process::id().to_string();
    let (sockets, failed) = open_many(server.port, clients).await;
    let last = sockets.first().map_or(0, |(_, last)| *last);
    if failed > 0 || sockets.iter().any(|(_, l)| *l != last) {
        println!("error: {failed} clients did not open, or their hellos disagree on the last event");
    }
    let first = last + 1;
    let total = events + trickle;
    let clock = Instant::now();
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|(ws, _)| tokio::spawn(listen(ws, first, total, clock, resume, delivered.clone(), stop.clone())))
        .collect();
    let n = tasks.len();
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The burst: one transaction, straight into the deployment's outbox.
    let db = &server.db;
    let mut committed = vec![0u64; total];
    let usage = || (cpu_secs(&pid), cpu_secs(&me), machine_ticks());
    let rss_connected = status_kb(&pid, "VmRSS");
    let before = usage();
    let began = Instant::now();
    let txn = platform::db::begin_write(db).await.expect("begin");
    for i in 0..events {
        let event = NewEvent::new("bench.burst", i as i64, Audience::Public).with(serde_json::json!({ "i": i }));
        platform::events::record(&txn, event).await.expect("record");
    }
    let written = began.elapsed();
    txn.commit().await.expect("commit");
    let at = clock.elapsed().as_nanos() as u64;
    committed[..events].fill(at);
    // CPU from before the transaction to the burst's last delivery.
    let after = settle(&delivered, (n * events) as u64, Duration::from_secs(wait), usage).await;
    let burst_cpu = (after.0 - before.0, after.1 - before.1);
    let busy = (after.2.0 - before.2.0) as f64 * 100.0 / (after.2.1 - before.2.1).max(1) as f64;
    let burst_delivered = delivered.load(Ordering::Relaxed);
    let rss_burst = status_kb(&pid, "VmRSS");

    // Then one event at a time, with nothing queued.
    for (k, slot) in committed[events..].iter_mut().enumerate() {
        let txn = platform::db::begin_write(db).await.expect("begin");
        let event = NewEvent::new("bench.trickle", k as i64, Audience::Public).with(serde_json::json!({ "k": k }));
        platform::events::record(&txn, event).await.expect("record");
        txn.commit().await.expect("commit");
        *slot = clock.elapsed().as_nanos() as u64;
        // Spaced unevenly, so the commits do not keep one phase against a relay's polling.
        tokio::time::sleep(TRICKLE_EVERY + Duration::from_millis((k as u64 * 37) % 100)).await;
    }
    settle(&delivered, (n * total) as u64, Duration::from_secs(10), || ()).await;
    stop.cancel();
    let mut heard = Vec::with_capacity(n);
    // Kept open to the end, to see what the server keeps per socket after the burst.
    let mut kept = Vec::with_capacity(n);
    for task in tasks {
        if let Ok(Ok((h, ws))) = tokio::time::timeout(Duration::from_secs(10), task).await {
            heard.push(h);
            kept.push(ws);
        }
    }

    // Exactly once, in order, and how late: latencies are of each (client, event)'s first receipt.
    let mut burst_lat = Vec::with_capacity(n * events);
    let mut in_order_lat = Vec::with_capacity(n * events);
    let mut trickle_lat = Vec::with_capacity(n * trickle);
    let mut trickle_max = vec![0u64; trickle];
    let (mut frames, mut missing, mut doubled, mut disordered, mut perfect, mut early) = (0, 0, 0, 0, 0, 0);
    let (mut lagged, mut missed, mut resumes, mut resets, mut closed) = (0u64, 0u64, 0u64, 0u64, 0usize);
    let mut last_burst_receipt = 0u64;
    // (events missing, what went wrong) per client that did not get everything once, in order.
    let mut problems: Vec<(usize, String)> = Vec::new();
    for (c, h) in heard.iter().enumerate() {
        let mut count = vec![0u32; total];
        let mut highest = first - 1;
        let mut out_of_order = 0;
        frames += h.got.len();
        for &(id, at) in &h.got {
            let Some(i) = usize::try_from(id - first).ok().filter(|&i| i < total) else {
                problems.push((total, format!("client {c}: event {id} outside {first}..{}", first + total as i64)));
                continue;
            };
            count[i] += 1;
            if count[i] > 1 {
                continue;
            }
            // A first receipt below the highest id already seen came late (a resume's replay).
            let late = id < highest;
            out_of_order += usize::from(late);
            highest = highest.max(id);
            early += usize::from(at < committed[i]);
            let latency = at.saturating_sub(committed[i]);
            if i < events {
                burst_lat.push(latency);
                if !late {
                    in_order_lat.push(latency);
                }
                last_burst_receipt = last_burst_receipt.max(at);
            } else {
                trickle_lat.push(latency);
                trickle_max[i - events] = trickle_max[i - events].max(latency);
            }
        }
        let lost = count.iter().filter(|&&k| k == 0).count();
        let twice = count.iter().map(|&k| k.saturating_sub(1) as usize).sum::<usize>();
        missing += lost;
        doubled += twice;
        disordered += out_of_order;
        lagged += u64::from(h.lagged);
        missed += h.missed;
        resumes += u64::from(h.resumes);
        resets += u64::from(h.resets);
        closed += usize::from(h.closed);
        if lost == 0 && twice == 0 && out_of_order == 0 && h.lagged == 0 && h.resets == 0 && h.other.is_empty() {
            perfect += 1;
            continue;
        }
        let mut gaps: Vec<String> = Vec::new();
        let mut i = 0;
        while i < total {
            if count[i] == 0 {
                let from = i;
                while i < total && count[i] == 0 {
                    i += 1;
                }
                gaps.push(format!("{}-{}", first + from as i64, first + i as i64 - 1));
            }
            i += 1;
        }
        problems.push((
            lost,
            format!(
                "client {c}: {} frames, {lost} events missing{}, {twice} repeated, {out_of_order} out of order, \
                 {} lagged (missed {}), {} resumes, {} resets, closed: {}{}",
                h.got.len(),
                if gaps.is_empty() { String::new() } else { format!(" ({})", gaps.join(", ")) },
                h.lagged,
                h.missed,
                h.resumes,
                h.resets,
                h.closed,
                h.other.first().map(|o| format!("; unexpected frame {o}")).unwrap_or_default(),
            ),
        ));
    }
    // Those missing most first.
    problems.sort_by_key(|(lost, _)| std::cmp::Reverse(*lost));
    let span = last_burst_receipt.saturating_sub(committed.first().copied().unwrap_or(0));
    let secs = (span as f64 / 1e9).max(1e-9);
    let deliveries = burst_lat.len();
    println!(
        "burst {}: {n} clients ({failed} failed to open), {events} events written in {:.0} ms and committed in one \
         transaction: {deliveries} of {} (client, event) deliveries; latency from commit {}; last delivery {} after \
         the commit ({:.0} deliveries/s, {:.0} events/s per client); CPU during the burst: server {:.1} s, harness \
         {:.1} s, the machine {busy:.0} % busy; server VmHWM {}",
        name(backend),
        written.as_secs_f64() * 1000.0,
        n * events,
        spread(&mut burst_lat),
        ms(span),
        deliveries as f64 / secs,
        events as f64 / secs,
        burst_cpu.0,
        burst_cpu.1,
        mb(status_kb(&pid, "VmHWM")),
    );
    println!(
        "burst {}: of which {} came in order (latency {}) and {disordered} late, after ids above them",
        name(backend),
        in_order_lat.len(),
        spread(&mut in_order_lat),
    );
    println!(
        "burst {}: then {trickle} events, one transaction each, {}-{} ms apart: {} of {} deliveries, latency {}; \
         each event's slowest delivery (ms): {}",
        name(backend),
        TRICKLE_EVERY.as_millis(),
        TRICKLE_EVERY.as_millis() + 99,
        trickle_lat.len(),
        n * trickle,
        spread(&mut trickle_lat),
        trickle_max.iter().map(|ns| format!("{:.0}", *ns as f64 / 1e6)).collect::<Vec<_>>().join(" "),
    );
    println!(
        "burst {}: {perfect} of {n} clients got every event exactly once and in order; {frames} event frames, \
         {missing} (client, event) missing, {doubled} repeated, {disordered} out of order; {lagged} `lagged` frames \
         (missed {missed}), {resumes} resumes sent{}, {resets} `reset` frames; {closed} clients closed; {early} receipts before commit \
         returned; {} of {n} clients reported ({burst_delivered} burst deliveries before the trickle began)",
        name(backend),
        if resume { "" } else { " (BENCH_RESUME=0)" },
        heard.len(),
    );
    for (_, problem) in problems.iter().take(8) {
        println!("  {problem}");
    }
    // What the sockets, still open, keep after a burst (write buffers grown for it, say).
    let rss_end = status_kb(&pid, "VmRSS");
    drop(kept);
    println!(
        "burst {}: server RSS with the clients connected {}, just after the burst {}, at the end with them still \
         open {} ({:.1} KB per client more than before the burst)",
        name(backend),
        mb(rss_connected),
        mb(rss_burst),
        mb(rss_end),
        rss_end.saturating_sub(rss_connected) as f64 / n.max(1) as f64,
    );
    server.stop().await;
}
