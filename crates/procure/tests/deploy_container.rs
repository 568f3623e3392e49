//! The container path (seeds 003 and 004, Dockerflow): the repository's own `Dockerfile`, built
//! by `.ci/run` with podman, run as separate containers per role (`migrate`, `web`, `worker`,
//! `scheduler`, `websocket`) on the host's network against this machine's PostgreSQL, RabbitMQ,
//! Redis, an S3-compatible server and an SMTP sink.
//!
//! The image under test is `PROCURE_TEST_IMAGE` (a tag), built from commit
//! `PROCURE_TEST_IMAGE_COMMIT`; without them these tests skip, or fail when
//! `PROCURE_TEST_REQUIRE` names `image` (CI). Containers run with `--network host`, so the
//! services' loopback addresses are the containers' too.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::journey::{self, Site};
use common::s3::{BUCKET, S3Server};
use common::smtp::SmtpSink;
use common::{PgDatabase, bin, service_url};

/// The image's tag and the commit it was built from, or `None` to skip.
fn image() -> Option<(String, String)> {
    let tag = std::env::var("PROCURE_TEST_IMAGE").ok().filter(|t| !t.is_empty());
    let Some(tag) = tag else {
        common::skip_unless_required("image", "PROCURE_TEST_IMAGE is not set (.ci/run builds the image)");
        return None;
    };
    let commit = std::env::var("PROCURE_TEST_IMAGE_COMMIT").expect("PROCURE_TEST_IMAGE_COMMIT with PROCURE_TEST_IMAGE");
    let found = podman(&["image", "exists", &tag]).status().expect("run podman");
    assert!(found.success(), "no image {tag}: build it first (.ci/run does)");
    Some((tag, commit))
}

fn podman(args: &[&str]) -> Command {
    let mut cmd = Command::new("podman");
    cmd.args(args);
    cmd
}

fn output(args: &[&str]) -> Output {
    podman(args).stdin(Stdio::null()).output().expect("run podman")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

/// A running container, removed on drop.
struct Container {
    name: String,
}

impl Container {
    /// `podman run -d` of `image ARGS` with `env_file`, on the host's network.
    fn start(image: &str, role: &str, env_file: &Path, args: &[&str]) -> Container {
        let name = format!("procure-test-{}-{role}", uuid::Uuid::new_v4().simple());
        let env_file = env_file.display().to_string();
        let mut all = vec!["run", "-d", "--name", &name, "--network", "host", "--env-file", &env_file, image];
        all.extend_from_slice(args);
        let out = output(&all);
        assert!(out.status.success(), "podman run {role}: {}", text(&out.stderr));
        Container { name }
    }

    fn inspect(&self, format: &str) -> String {
        text(&output(&["inspect", "--format", format, &self.name]).stdout)
    }

    fn logs(&self) -> String {
        let out = output(&["logs", &self.name]);
        format!("{}\n{}", text(&out.stdout), text(&out.stderr))
    }

    /// The uid and gid the container's first process runs as, read from the host's /proc.
    fn ids(&self) -> (String, String) {
        let pid = self.inspect("{{.State.Pid}}");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process's status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .unwrap_or_default()
                .to_owned()
        };
        (field("Uid:"), field("Gid:"))
    }

    /// `podman stop` with a grace period of `grace` seconds: (exit code, how long it took).
    fn stop(&self, grace: u32) -> (i32, Duration) {
        let started = Instant::now();
        let out = output(&["stop", "-t", &grace.to_string(), &self.name]);
        assert!(out.status.success(), "podman stop: {}", text(&out.stderr));
        let code = self.inspect("{{.State.ExitCode}}").parse().expect("an exit code");
        (code, started.elapsed())
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.name]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

/// `podman run --rm` of a one-off command: its output.
fn run_once(image: &str, env_file: Option<&Path>, args: &[&str]) -> Output {
    let env = env_file.map(|p| p.display().to_string());
    let mut all = vec!["run", "--rm", "--network", "host"];
    if let Some(env) = &env {
        all.extend_from_slice(&["--env-file", env]);
    }
    all.push(image);
    all.extend_from_slice(args);
    output(&all)
}

/// Writes `vars` as an env file in the format `--env-file` reads: `KEY=value`, nothing quoted
/// (`.env.example`'s format too).
fn env_file(dir: &Path, name: &str, vars: &[(&str, String)]) -> std::path::PathBuf {
    let path = dir.join(name);
    let body: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&path, body).expect("env file");
    path
}

async fn wait_for(url: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if reqwest::get(url).await.is_ok_and(|r| r.status().as_u16() == 200) {
            return;
        }
        let running =
            text(&output(&["ps", "--filter", "name=procure-test-", "--format", "{{.Names}} {{.Status}}"]).stdout);
        assert!(Instant::now() < deadline, "{what} did not answer 200 at {url} within 60 s; running:\n{running}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The acceptance run: every role in its own container, one journey through them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_each_role_in_its_own_container_against_the_machines_services() {
    let Some((image, commit)) = image() else { return };
    let Some(pg) = PgDatabase::create().await else { return };
    let Some(amqp) = service_url("TEST_AMQP_URL", "rabbitmq") else { return };
    let Some(redis) = service_url("TEST_REDIS_URL", "redis") else { return };
    let Some(s3) = S3Server::start().await else { return };
    let Some(sink) = SmtpSink::start() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let (port, ws_port) = (bin::free_port(), bin::free_port());
    let app_url = format!("http://127.0.0.1:{port}");
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());

    // What every role reads: production mode, the machine's services, email to the sink. The
    // sender has a space and angle brackets, unquoted, as an env file must carry it.
    let shared: Vec<(&str, String)> = vec![
        ("PROCURE_ENV", "production".into()),
        ("SECRET_KEY", format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())),
        ("APP_URL", app_url.clone()),
        ("PORT", port.to_string()),
        ("WEBSOCKET_PORT", ws_port.to_string()),
        ("DATABASE_URL", pg.url.clone()),
        ("BROKER_URL", amqp),
        ("BROKER_QUEUE_PREFIX", prefix),
        ("REDIS_URL", redis),
        ("MAIL_SERVER", "127.0.0.1".into()),
        ("MAIL_PORT", sink.port.to_string()),
        ("MAIL_USE_TLS", "false".into()),
        ("MAIL_DEFAULT_SENDER", "City Purchasing <purchasing@example.gov>".into()),
        ("SHUTDOWN_TIMEOUT", "5".into()),
    ];
    // Seed 004: only the worker holds the bucket's credentials.
    let mut with_s3 = shared.clone();
    with_s3.extend([
        ("S3_BUCKET_NAME", BUCKET.to_owned()),
        ("S3_ENDPOINT", s3.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ]);
    let plain = env_file(dir.path(), "web.env", &shared);
    let worker_env = env_file(dir.path(), "worker.env", &with_s3);

    // migrate, twice: the second run has nothing to do and still succeeds.
    for round in ["first", "second"] {
        let out = run_once(&image, Some(&plain), &["migrate"]);
        assert!(out.status.success(), "{round} migrate: {}\n{}", text(&out.stdout), text(&out.stderr));
    }

    let web = Container::start(&image, "web", &plain, &[]);
    let worker = Container::start(&image, "worker", &worker_env, &["worker"]);
    let scheduler = Container::start(&image, "scheduler", &plain, &["scheduler"]);
    let websocket = Container::start(&image, "websocket", &plain, &["websocket"]);
    wait_for(&format!("{app_url}/__lbheartbeat__"), "the web container").await;
    wait_for(&format!("http://127.0.0.1:{ws_port}/__lbheartbeat__"), "the websocket container").await;

    // Dockerflow, from the web container.
    let heartbeat = reqwest::get(format!("{app_url}/__heartbeat__")).await.expect("heartbeat");
    let status = heartbeat.status().as_u16();
    let body: serde_json::Value = heartbeat.json().await.expect("heartbeat JSON");
    assert_eq!(status, 200, "web without S3 credentials is healthy on its own store: {body}");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(body["checks"]["storage"], "ok", "{body}");
    assert_eq!(body["details"]["storage"]["messages"]["storage.I001"], "local folder", "it says which store: {body}");
    let version: serde_json::Value =
        reqwest::get(format!("{app_url}/__version__")).await.expect("version").json().await.expect("version JSON");
    assert_eq!(version["commit"], commit, "{version}");
    let source = version["source"].as_str().unwrap_or_default();
    assert!(!source.contains('@') && !source.contains("s3cret"), "no credentials in the public source URL: {version}");

    // The live pages' socket, from the websocket container.
    let mut live = journey::Live::open(&format!("ws://127.0.0.1:{ws_port}/ws")).await;

    // The journey: pages from the web container, email from the worker container.
    let link = run_once(&image, Some(&plain), &["createsuperuser", "--email", "first-admin@example.gov"]);
    assert!(link.status.success(), "createsuperuser: {}", text(&link.stderr));
    let site = Site::new(&app_url);
    let walked =
        journey::sign_up_and_publish(&site, &pg_connection(&pg).await, sink.dir.path(), &text(&link.stdout)).await;
    journey::assert_sender(&walked.announcement, "City Purchasing", "purchasing@example.gov");
    live.hear("beacon.opportunity.published").await;

    // The worker's credentials reach the bucket: a file stored with them lands there.
    let stored = run_once(&image, Some(&worker_env), &["store-file", "/app/version.json", "--area", "deploy-test"]);
    assert!(stored.status.success(), "store-file with the worker's settings: {}", text(&stored.stderr));
    assert!(
        s3.keys().await.iter().any(|k| k.contains("deploy-test")),
        "the object is in the bucket: {:?}",
        s3.keys().await
    );

    // Every role runs as 10001, and stops on SIGTERM within its grace period, exiting 0.
    for (role, c) in [("web", &web), ("worker", &worker), ("scheduler", &scheduler), ("websocket", &websocket)] {
        assert_eq!(c.ids(), ("10001".to_owned(), "10001".to_owned()), "{role} runs as uid/gid 10001");
    }
    for (role, c) in [("web", &web), ("worker", &worker), ("scheduler", &scheduler), ("websocket", &websocket)] {
        let (code, took) = c.stop(20);
        assert_eq!(code, 0, "{role} exits 0 on SIGTERM (137 would be a kill after the grace period)\n{}", c.logs());
        assert!(took < Duration::from_secs(20), "{role} stopped within its grace period ({took:?})");
    }
}

async fn pg_connection(pg: &PgDatabase) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(&pg.url).await.expect("connect to the deployment's database")
}

#[test]
fn an_unknown_role_exits_1_with_usage_and_help_names_every_role() {
    let Some((image, _)) = image() else { return };
    let out = run_once(&image, None, &["bogus"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Usage"), "{}", text(&out.stderr));
    let help = run_once(&image, None, &["--help"]);
    let help = text(&help.stdout);
    for role in ["web", "worker", "scheduler", "websocket", "migrate"] {
        assert!(help.contains(role), "--help names {role}: {help}");
    }
}

/// Dockerflow's `/app/version.json`, the user the image declares, and the size target.
#[test]
fn the_image_declares_its_user_its_version_file_and_stays_small() {
    let Some((image, commit)) = image() else { return };
    let user = text(&output(&["image", "inspect", "--format", "{{.Config.User}}", &image]).stdout);
    assert_eq!(user, "10001:10001");
    let version = run_once(&image, None, &["version", "--json"]);
    let version: serde_json::Value = serde_json::from_slice(&version.stdout).expect("version --json");
    assert_eq!(version["commit"], commit);
    let size: u64 = text(&output(&["image", "inspect", "--format", "{{.Size}}", &image]).stdout).parse().expect("size");
    assert!(size <= 100 * 1_000_000, "the image is {:.1} MB, over the 100 MB target", size as f64 / 1e6);
}

/// A bind-mounted data folder the image's user cannot write fails naming the folder, the uid and
/// the fix, instead of SQLite's "unable to open database file".
#[test]
fn a_root_owned_data_volume_is_named_with_the_fix() {
    let Some((image, _)) = image() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let mount = format!("{}:/app/data", data.display());
    let out = output(&["run", "--rm", "-v", &mount, &image, "migrate"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("/app/data") && err.contains("10001"), "names the folder and the uid: {err}");
    assert!(err.contains("chown"), "and says how to fix it: {err}");
}
