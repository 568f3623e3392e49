//! Test harness: an app on a throwaway database (SQLite in a temp folder, or a fresh
//! PostgreSQL database per test when `TEST_DATABASE_URL` is set), and helpers to call it.
//!
//! When `PROCURE_TEST_REQUIRE=postgres` (CI sets it), a PostgreSQL test that cannot run fails
//! instead of skipping, so a missing service can never pass silently.
#![allow(dead_code)]

pub mod api;
pub mod beacon;
pub mod bin;
pub mod browser;
pub mod builders;
pub mod journey;
pub mod mail;
pub mod proxy;
pub mod s3;
pub mod smtp;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use platform::Config;
use platform::http::AppState;
use sea_orm::{ConnectionTrait, Database, Statement};
use std::time::Duration;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The URL of a test service from `var`, or `None` to skip; panics instead when
/// `PROCURE_TEST_REQUIRE` names `service` (CI sets it, so no service suite skips silently).
pub fn service_url(var: &str, service: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let required = std::env::var("PROCURE_TEST_REQUIRE").unwrap_or_default();
            assert!(
                !required.split(',').any(|s| s.trim() == service),
                "PROCURE_TEST_REQUIRE names {service} but {var} is not set"
            );
            eprintln!("SKIPPED: {service} test ({var} is not set)");
            None
        }
    }
}

/// Reports a service suite as skipped because `why`, or fails when CI requires `service`.
pub fn skip_unless_required(service: &str, why: &str) {
    let required = std::env::var("PROCURE_TEST_REQUIRE").unwrap_or_default();
    assert!(!required.split(',').any(|s| s.trim() == service), "PROCURE_TEST_REQUIRE names {service} but {why}");
    eprintln!("SKIPPED: {service} test ({why})");
}

/// The admin URL of the test PostgreSQL server, or `None` to skip.
pub fn postgres_admin_url() -> Option<String> {
    service_url("TEST_DATABASE_URL", "postgres")
}

/// A fresh, empty PostgreSQL database, dropped when this value is.
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Option<PgDatabase> {
        let admin_url = postgres_admin_url()?;
        let name = format!("procure_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
        admin.close().await.expect("close admin connection");
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Some(PgDatabase { admin_url, name, url: url.to_string() })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; use a thread with its own to stay synchronous.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// An app on its own database, driven in-process through the router.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (lossy); `raw` has the bytes.
    pub body: String,
    pub raw: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// The configuration a test app gets: its own data folder, the given database, `extra` on top.
pub fn test_config(dir: &std::path::Path, database_url: Option<&str>, extra: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("DATA_DIR".into(), dir.display().to_string());
    env.insert("PROCURE_ENV".into(), "test".into());
    if let Some(url) = database_url {
        env.insert("DATABASE_URL".into(), url.into());
    }
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    Config::from_source(&env).unwrap_or_else(|e| panic!("test configuration: {e}"))
}

impl TestApp {
    /// `None` when the backend is unavailable and not required.
    pub async fn new(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
        Self::with_routes(backend, extra, Router::new()).await
    }

    /// As [`TestApp::new`], with `extra_routes` mounted beside the app's (for faults on demand).
    pub async fn with_routes(
        backend: Backend,
        extra: &[(&str, &str)],
        extra_routes: Router<AppState>,
    ) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await?),
        };
        let mut env: Vec<(&str, &str)> = extra.to_vec();
        let url;
        if let Some(pg) = &pg {
            url = pg.url.clone();
            if !extra.iter().any(|(k, _)| *k == "DATABASE_URL") {
                env.push(("DATABASE_URL", &url));
            }
            // A PostgreSQL database starts empty: migrate as the release phase would.
            let config = test_config(dir.path(), None, &env);
            let db = platform::db::connect(&config.database).await.expect("connect");
            model::migrate(&db).await.expect("migrate");
            db.close().await.expect("close");
        }
        let config = Arc::new(test_config(dir.path(), None, &env));
        let db = procure::app::open_database(&config).await.expect("open database");
        let state = procure::app::build_state(config, db).await.expect("app state");
        let routes = procure::app::routes(&state).merge(extra_routes.with_state(state.clone()));
        let router = platform::http::apply_middleware(routes, &state);
        Some(TestApp { state, router, dir, pg })
    }

    /// Sends `request` as a browser on this machine would: with `Host: localhost` unless the
    /// test set one.
    pub async fn request(&self, mut request: Request<Body>) -> Response {
        if !request.headers().contains_key("host") {
            request.headers_mut().insert("host", axum::http::HeaderValue::from_static("localhost"));
        }
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Response { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), raw: bytes.to_vec() }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Request::get(path).header("accept", "text/html").body(Body::empty()).expect("request")).await
    }

    pub async fn get_json(&self, path: &str) -> Response {
        self.request(Request::get(path).header("accept", "application/json").body(Body::empty()).expect("request"))
            .await
    }

    /// A single integer from `sql` (e.g. a `COUNT(*)`).
    pub async fn count(&self, sql: &str) -> i64 {
        count(&self.state.db, sql).await
    }

    /// The emails waiting in the queue (`platform.send_email` jobs), oldest first, as queued.
    pub async fn queued_emails(&self) -> Vec<platform::mail::Email> {
        let db = &self.state.db;
        let sql = "SELECT payload FROM jobs WHERE job_type = 'platform.send_email' ORDER BY id";
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("query");
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("", "payload").expect("payload");
                serde_json::from_str(&payload).unwrap_or_else(|e| panic!("not an email ({e}): {payload}"))
            })
            .collect()
    }

    /// Every email the app has sent or queued, as its recipient gets it: first those a worker
    /// delivered to the outbox (see [`TestApp::run_pending_jobs`]) in the order written, then
    /// those still queued, oldest first.
    pub async fn emails(&self) -> Vec<mail::Mail> {
        let config = &self.state.config.mail;
        let mut all = mail::Mail::outbox(&config.outbox);
        all.extend(self.queued_emails().await.iter().map(|e| mail::Mail::of_queued(e, config)));
        all
    }

    /// [`TestApp::emails`] whose `To` is exactly `address`.
    pub async fn emails_to(&self, address: &str) -> Vec<mail::Mail> {
        self.emails().await.into_iter().filter(|m| m.to == [address]).collect()
    }

    /// Runs every job that is due, and those they queue, in-process with the app's registry
    /// and a real [`platform::jobs::Worker`] (emails go to the outbox in the test's folder),
    /// until none is left; panics if one fails or cannot run. Jobs delayed to later stay. (The
    /// queue is looked at every 10 ms, so a failure its retry mends in between can go unseen.)
    pub async fn run_pending_jobs(&self) {
        use platform::jobs::{Worker, WorkerOptions};
        let registry = procure::app::jobs();
        let env = procure::app::job_env(self.state.db.clone(), self.state.config.clone()).expect("job services");
        let mut options = WorkerOptions::new(Duration::from_secs(5));
        options.id = "run_pending_jobs".into();
        options.poll_interval = Duration::from_millis(10);
        let stop = tokio_util::sync::CancellationToken::new();
        let worker = tokio::spawn(Worker::new(env, registry.clone(), options).run(stop.clone()));
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let trouble = loop {
            let jobs = self.job_rows().await;
            if let Some(failed) = jobs.iter().find(|j| j.last_error.is_some()) {
                break format!("job {} ({}) failed: {:?}", failed.id, failed.job_type, failed.last_error);
            }
            if let Some(unknown) = jobs.iter().find(|j| !registry.contains(&j.job_type)) {
                break format!("job {} has no registered type: {}", unknown.id, unknown.job_type);
            }
            let now = platform::jobs::now_ms();
            let pending: Vec<_> =
                jobs.iter().filter(|j| j.status == "running" || (j.status == "queued" && j.run_at <= now)).collect();
            if pending.is_empty() {
                break String::new();
            }
            if std::time::Instant::now() > deadline {
                break format!("jobs still pending after 60 s: {pending:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        stop.cancel();
        worker.await.expect("the worker stops");
        assert!(trouble.is_empty(), "{trouble}");
    }

    /// Every row of the queue.
    async fn job_rows(&self) -> Vec<platform::jobs::JobRow> {
        let mut rows = Vec::new();
        for status in ["queued", "running", "failed"] {
            rows.extend(platform::jobs::list(&self.state.db, status, u64::MAX >> 1).await.expect("jobs"));
        }
        rows
    }
}

/// How many jobs named `name` are in the queue, whatever their state.
pub async fn jobs_named(app: &TestApp, name: &str) -> i64 {
    let db = &app.state.db;
    let sql = "SELECT COUNT(*) FROM jobs WHERE job_type = $1";
    let row = db.query_one_raw(platform::db::stmt(db.get_database_backend(), sql, vec![name.into()])).await;
    integer(&row.expect("query").expect("one row"))
}

/// How many files the app has stored (`stored_files` rows).
pub async fn stored_files(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM stored_files").await
}

/// A single integer from `sql` on `db`.
pub async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("query");
    integer(&row.expect("one row"))
}

fn integer(row: &sea_orm::QueryResult) -> i64 {
    row.try_get_by_index::<i64>(0).or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from)).expect("an integer")
}

/// The id at the end of a redirect's `Location` (`…?id=7` or `…=7`).
pub fn id_from(location: &str) -> i32 {
    location.rsplit('=').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no id in {location}"))
}

/// A file of the shared Pittsburgh data (`shared/data/pittsburgh/…`).
pub fn data(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pittsburgh").join(path)
}

/// Generates a variant of an async test taking a [`Queue`] for each way of queueing jobs.
#[macro_export]
macro_rules! on_every_queue {
    ($name:ident) => {
        mod $name {
            use $crate::common::Queue;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Queue::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Queue::Postgres).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                super::$name(Queue::Redis).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn rabbitmq() {
                super::$name(Queue::Rabbitmq).await
            }
        }
    };
}

/// Generates `sqlite` and `postgres` variants of an async test taking a [`Backend`].
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    };
}

/// Where jobs are queued: the table alone on either database, or relayed through a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Sqlite,
    Postgres,
    /// PostgreSQL as the store of record, Redis as the broker.
    Redis,
    /// SQLite as the store of record, RabbitMQ as the broker.
    Rabbitmq,
}

impl Queue {
    /// The database, and the broker settings (`BROKER_URL`, a queue prefix of its own).
    pub fn setup(self) -> Option<(Backend, Vec<(String, String)>)> {
        let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
        let broker =
            |url: String| vec![("BROKER_URL".to_owned(), url), ("BROKER_QUEUE_PREFIX".to_owned(), prefix.clone())];
        Some(match self {
            Queue::Sqlite => (Backend::Sqlite, vec![]),
            Queue::Postgres => (Backend::Postgres, vec![]),
            Queue::Redis => (Backend::Postgres, broker(service_url("TEST_REDIS_URL", "redis")?)),
            Queue::Rabbitmq => (Backend::Sqlite, broker(service_url("TEST_AMQP_URL", "rabbitmq")?)),
        })
    }
}

/// A database shared by several `procure` processes (SQLite file in a temp folder, or a fresh
/// PostgreSQL database), migrated, with a connection for the test's own checks.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
    pub db: sea_orm::DatabaseConnection,
    vars: Vec<(String, String)>,
}

impl Deployment {
    /// A deployment queueing jobs the way `queue` says.
    pub async fn for_queue(queue: Queue, extra: &[(&str, &str)]) -> Option<Deployment> {
        let (backend, broker) = queue.setup()?;
        let mut vars: Vec<(&str, &str)> = broker.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        vars.extend_from_slice(extra);
        Self::new(backend, &vars).await
    }

    /// The configuration the deployment's processes read.
    pub fn config(&self) -> Config {
        test_config(self.dir.path(), None, &self.env())
    }

    pub async fn new(backend: Backend, extra: &[(&str, &str)]) -> Option<Deployment> {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await?),
        };
        let mut vars: Vec<(String, String)> = vec![
            ("DATA_DIR".into(), dir.path().join("data").display().to_string()),
            ("LOG_FORMAT".into(), "text".into()),
        ];
        if let Some(pg) = &pg {
            vars.push(("DATABASE_URL".into(), pg.url.clone()));
        }
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let config = test_config(dir.path(), None, &pairs);
        let db = platform::db::connect(&config.database).await.expect("connect");
        model::migrate(&db).await.expect("migrate");
        Some(Deployment { dir, pg, db, vars })
    }

    pub fn env(&self) -> Vec<(&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    /// Starts `procure ARGS` on this deployment, its output going to `<name>.log` in the folder.
    pub fn spawn(&self, name: &str, args: &[&str]) -> std::process::Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).expect("log file");
        let err = log.try_clone().expect("log file");
        bin::procure(self.dir.path(), args, &self.env()).stdout(log).stderr(err).spawn().expect("spawn procure")
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    /// A single integer from `sql` (e.g. a `COUNT(*) AS n`).
    pub async fn count(&self, sql: &str) -> i64 {
        count(&self.db, sql).await
    }

    /// Polls `sql` until it returns `expected`, for at most `limit`; returns the last value.
    pub async fn wait_for_count(&self, sql: &str, expected: i64, limit: std::time::Duration) -> i64 {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let n = self.count(sql).await;
            if n == expected || std::time::Instant::now() >= deadline {
                return n;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Waits at most `limit` for `child` to exit; kills it and answers `None` if it did not, so a
/// process that hangs fails its test (with the log) instead of stalling the suite.
pub fn exit_within(child: &mut std::process::Child, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            return Some(status);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Sends `signal` (e.g. "-KILL", "-TERM") to a child process.
pub fn signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill");
    assert!(status.success(), "kill {signal} failed");
}
