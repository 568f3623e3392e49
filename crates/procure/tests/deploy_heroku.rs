//! The Heroku path (seeds 000, 001, 002): the repository's `Procfile` run by a real Procfile
//! runner (honcho, from PyPI) with the variables Heroku sets (`PORT`, `DATABASE_URL`,
//! `REDIS_URL`, `DYNO`) and the ones `app.json` asks for. The `release` line runs first, as
//! Heroku's release phase does, and a failing deploy check fails it before any migration; then
//! `web`, `worker` and `scheduler` run together and a journey goes through them, its requests
//! carrying what Heroku's router adds (`X-Forwarded-Proto: https`, the app's host name).
//! `app.json` is validated against the rules of Heroku's app.json schema.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::bin::free_port;
use common::journey::{self, Site};
use common::s3::{BUCKET, S3Server};
use common::smtp::SmtpSink;
use common::{PgDatabase, service_url};

const HOST: &str = "procure-review.herokuapp.test";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn honcho_available() -> bool {
    let found = Command::new("honcho").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if found.is_ok_and(|s| s.success()) {
        return true;
    }
    common::skip_unless_required("honcho", "honcho is not installed (pip install honcho)");
    false
}

/// `honcho start -f Procfile ROLES` in `dir` with only `env` (and a PATH that finds this
/// build's `procure` first), as a dyno manager would start them.
fn honcho(dir: &Path, env: &[(String, String)], roles: &[&str]) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_procure")).parent().expect("bin dir").to_owned();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("honcho");
    cmd.arg("start").arg("-f").arg(repo().join("Procfile")).arg("-d").arg(dir).args(roles);
    cmd.current_dir(dir).env_clear().env("PATH", path).env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Heroku's config vars for this test's add-ons (Postgres, Redis, S3, an SMTP server).
fn config_vars(pg: &PgDatabase, redis: &str, s3: &S3Server, sink: &SmtpSink, port: u16) -> Vec<(String, String)> {
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    [
        // What Heroku sets.
        ("PORT", port.to_string()),
        ("DATABASE_URL", pg.url.clone()),
        ("REDIS_URL", redis.to_owned()),
        ("DYNO", "web.1".to_owned()),
        // What app.json asks for.
        ("SECRET_KEY", secret),
        ("PROCURE_ENV", "production".to_owned()),
        ("APP_URL", format!("https://{HOST}")),
        ("MAIL_SERVER", "127.0.0.1".to_owned()),
        ("MAIL_PORT", sink.port.to_string()),
        ("MAIL_USE_TLS", "false".to_owned()),
        ("MAIL_DEFAULT_SENDER", "City Purchasing <purchasing@example.gov>".to_owned()),
        ("ADMINS", "Ops <ops@example.gov>".to_owned()),
        ("S3_BUCKET_NAME", BUCKET.to_owned()),
        ("S3_ENDPOINT", s3.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("SHUTDOWN_TIMEOUT", "5".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

async fn migrated(pg: &PgDatabase) -> bool {
    let db = sea_orm::Database::connect(&pg.url).await.expect("connect");
    let n = common::count(&db, "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'users'").await;
    n == 1
}

/// honcho and the processes it started, stopped with SIGTERM on drop.
struct Formation {
    child: Option<Child>,
    log: PathBuf,
}

impl Formation {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM to honcho, which passes it on and waits for its processes to end.
    fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        common::signal(&child, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if child.try_wait().expect("wait").is_some() {
                return;
            }
            assert!(Instant::now() < deadline, "honcho did not stop within 30 s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Formation {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_procfile_releases_then_runs_web_worker_and_scheduler() {
    if !honcho_available() {
        return;
    }
    let Some(pg) = PgDatabase::create().await else { return };
    let Some(redis) = service_url("TEST_REDIS_URL", "redis") else { return };
    let Some(s3) = S3Server::start().await else { return };
    let Some(sink) = SmtpSink::start() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let vars = config_vars(&pg, &redis, &s3, &sink, port);

    // A release whose deploy check fails changes nothing: no migration ran. Without a bucket,
    // a dyno's uploads would vanish at its next restart: a warning (P004) that only the deploy
    // check raises (the migration itself would run).
    let no_bucket: Vec<(String, String)> =
        vars.iter().filter(|(k, _)| !k.starts_with("S3_") && !k.starts_with("AWS_")).cloned().collect();
    let refused = honcho(dir.path(), &no_bucket, &["release"]).output().expect("honcho");
    assert!(!refused.status.success(), "a failing deploy check fails the release:\n{}", text(&refused));
    assert!(text(&refused).contains("P004"), "and says why:\n{}", text(&refused));
    assert!(!migrated(&pg).await, "no migration ran after a failed deploy check");

    // The release phase: deploy check, then migrations.
    let release = honcho(dir.path(), &vars, &["release"]).output().expect("honcho");
    assert!(release.status.success(), "release:\n{}", text(&release));
    assert!(migrated(&pg).await, "the release migrated the database");

    // The dynos.
    let log = dir.path().join("honcho.log");
    let out = std::fs::File::create(&log).expect("log");
    let err = out.try_clone().expect("log");
    let child = honcho(dir.path(), &vars, &["web", "worker", "scheduler"]).stdout(out).stderr(err).spawn();
    let mut formation = Formation { child: Some(child.expect("start honcho")), log };
    let deadline = Instant::now() + Duration::from_secs(30);
    while common::bin::http_get(port, "/__lbheartbeat__").is_none_or(|(s, _)| s != 200) {
        assert!(Instant::now() < deadline, "the web dyno did not answer:\n{}", formation.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let heartbeat = reqwest::get(format!("http://127.0.0.1:{port}/__heartbeat__")).await.expect("heartbeat");
    assert_eq!(heartbeat.status().as_u16(), 200, "{}", heartbeat.text().await.unwrap_or_default());

    // Heroku's router ends TLS and says so; requests reach the dyno on $PORT.
    let mut router = reqwest::header::HeaderMap::new();
    router.insert("x-forwarded-proto", reqwest::header::HeaderValue::from_static("https"));
    router.insert("host", reqwest::header::HeaderValue::from_static(HOST));
    let client =
        reqwest::Client::builder().default_headers(router).resolve(HOST, SocketAddr::from(([127, 0, 0, 1], port)));
    let site = Site::routed(&format!("https://{HOST}"), &format!("http://{HOST}:{port}"), client);
    let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // A one-off dyno (`heroku run procure createsuperuser --email …`).
    let link = common::bin::procure(dir.path(), &["createsuperuser", "--email", "first-admin@example.gov"], &env)
        .output()
        .expect("createsuperuser");
    assert!(link.status.success(), "createsuperuser:\n{}", text(&link));
    let db = sea_orm::Database::connect(&pg.url).await.expect("connect");
    let admin_link = String::from_utf8_lossy(&link.stdout).trim().to_owned();
    let walked = journey::sign_up_and_publish(&site, &db, sink.dir.path(), &admin_link).await;
    assert!(walked.confirm_link.starts_with(&format!("https://{HOST}/")), "{}", walked.confirm_link);
    journey::assert_sender(&walked.announcement, "City Purchasing", "purchasing@example.gov");

    // All three dynos ran, and on SIGTERM (what Heroku sends a dyno) each finished its own
    // shutdown. honcho reports the shell around each command as killed by the signal (rc=-15),
    // so the processes' own last words are what tells a clean stop.
    formation.stop();
    let log = formation.log();
    for (dyno, last_words) in
        [("web.1", "web stopped"), ("worker.1", "worker stopped"), ("scheduler.1", "scheduler stopped")]
    {
        assert!(log.contains(&format!("{dyno} started")), "{dyno} ran:\n{log}");
        let said = log.lines().any(|l| l.contains(&format!("{dyno} ")) && l.contains(last_words));
        assert!(said, "{dyno} stopped cleanly:\n{log}");
    }
    assert!(!log.contains("panicked"), "{log}");
}

/// Heroku's app.json schema, the rules that apply to what Procure's manifest uses, as Heroku's
/// documentation states them (no schema package for it is in the registries here).
const APP_JSON_SCHEMA: &str = r#"{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "name": { "type": "string", "minLength": 3, "maxLength": 30 },
    "description": { "type": "string", "maxLength": 140 },
    "keywords": { "type": "array", "items": { "type": "string" } },
    "website": { "type": "string", "format": "uri" },
    "repository": { "type": "string", "format": "uri" },
    "logo": { "type": "string", "format": "uri" },
    "success_url": { "type": "string" },
    "scripts": {
      "type": "object",
      "additionalProperties": false,
      "properties": { "postdeploy": { "type": "string" }, "pr-predestroy": { "type": "string" } }
    },
    "env": {
      "type": "object",
      "propertyNames": { "pattern": "^[A-Z][A-Z0-9_]*$" },
      "additionalProperties": {
        "oneOf": [
          { "type": "string" },
          {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "description": { "type": "string" },
              "value": { "type": "string" },
              "required": { "type": "boolean" },
              "generator": { "enum": ["secret"] }
            }
          }
        ]
      }
    },
    "formation": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "additionalProperties": false,
        "required": ["quantity"],
        "properties": { "quantity": { "type": "integer", "minimum": 0 }, "size": { "type": "string" } }
      }
    },
    "image": { "type": "string" },
    "stack": { "type": "string" },
    "addons": {
      "type": "array",
      "items": {
        "oneOf": [
          { "type": "string" },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["plan"],
            "properties": { "plan": { "type": "string" }, "as": { "type": "string" }, "options": { "type": "object" } }
          }
        ]
      }
    },
    "buildpacks": {
      "type": "array",
      "items": { "type": "object", "required": ["url"], "properties": { "url": { "type": "string" } } }
    },
    "environments": { "type": "object" }
  }
}"#;

#[test]
fn app_json_follows_herokus_schema_and_matches_the_procfile() {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("app.json")).expect("app.json")).expect("JSON");
    let schema: serde_json::Value = serde_json::from_str(APP_JSON_SCHEMA).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let problems: Vec<String> =
        validator.iter_errors(&manifest).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(problems.is_empty(), "app.json breaks Heroku's schema: {problems:#?}");
    // The schema check itself can fail.
    let broken = serde_json::json!({ "name": "P", "env": { "lower_case": "x" }, "formation": { "web": {} } });
    assert!(validator.iter_errors(&broken).count() >= 3);

    // Every formation entry is a Procfile process type, and the release phase is in the Procfile.
    let procfile = std::fs::read_to_string(repo().join("Procfile")).expect("Procfile");
    let types: Vec<&str> = procfile.lines().filter_map(|l| l.split_once(':')).map(|(t, _)| t.trim()).collect();
    for kind in manifest["formation"].as_object().expect("formation").keys() {
        assert!(types.contains(&kind.as_str()), "formation names {kind}, which the Procfile lacks");
    }
    assert!(types.contains(&"release"));
}
