//! Email end to end: rendered from templates, queued as a job, sent by a worker through a real
//! SMTP server (aiosmtpd), or written as `.eml` files when no server is configured.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::smtp::{SmtpSink, eml_files};
use common::{Backend, Deployment};
use platform::jobs::{self, JobEnv, Worker, WorkerOptions};
use platform::mail::{Email, SendEmail, Sender, Unsubscribe};

async fn wait_for_files(dir: &Path, n: usize) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = eml_files(dir);
        if files.len() >= n || Instant::now() > deadline {
            return files;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs a worker on `d` until `files_in` holds `n` messages.
async fn deliver(d: &Deployment, files_in: &Path, n: usize) -> Vec<PathBuf> {
    let config = Arc::new(d.config());
    let env = JobEnv::from_config(d.db.clone(), config).expect("job services");
    let mut options = WorkerOptions::new(Duration::from_secs(5));
    options.poll_interval = Duration::from_millis(20);
    let stop = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(Worker::new(env, procure::app::jobs(), options).run(stop.clone()));
    let files = wait_for_files(files_in, n).await;
    stop.cancel();
    worker.await.expect("worker");
    files
}

fn newsletter(host: &str) -> Email {
    Email {
        sender: Sender::Beacon,
        to: vec!["Vendor One <vendor1@example.com>".into()],
        cc: vec!["buyer@example.gov".into()],
        reply_to: Some("Ada Buyer <ada@example.gov>".into()),
        subject: "New opportunity: road salt".into(),
        text: "A new opportunity in Road Salt is open until December 1.".into(),
        html: Some("<p>A new opportunity in <b>Road Salt</b> is open until December 1.</p>".into()),
        unsubscribe: Some(Unsubscribe {
            url: "https://buy.example.gov/beacon/unsubscribe/abc".into(),
            mailto: Some("unsubscribe@buy.example.gov".into()),
        }),
        message_id: format!("<test-{}@{host}>", uuid::Uuid::new_v4().simple()),
        attachments: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_email_goes_out_through_smtp_as_multipart_with_our_headers() {
    let Some(sink) = SmtpSink::start() else { return };
    let port = sink.port.to_string();
    let d = Deployment::new(
        Backend::Sqlite,
        &[
            ("MAIL_SERVER", "127.0.0.1"),
            ("MAIL_PORT", &port),
            ("MAIL_USE_TLS", "false"),
            ("BEACON_SENDER", "Beacon <beacon@buy.example.gov>"),
            ("MAIL_SUBJECT_PREFIX", "[Pittsburgh Purchasing]"),
        ],
    )
    .await
    .expect("sqlite");
    let email = newsletter("buy.example.gov");
    jobs::enqueue(&d.db, &SendEmail(email.clone())).await.expect("enqueue");

    let files = deliver(&d, sink.dir.path(), 1).await;
    assert_eq!(files.len(), 1, "one message reached the SMTP server");
    // Long headers are folded onto continuation lines; unfold them to compare.
    let raw = std::fs::read_to_string(&files[0]).expect("read").replace("\r\n ", " ").replace("\n ", " ");
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(files[0].with_extension("json")).expect("envelope"))
            .expect("json");
    assert_eq!(envelope["mail_from"], "beacon@buy.example.gov");
    assert_eq!(envelope["rcpt_tos"], serde_json::json!(["vendor1@example.com", "buyer@example.gov"]));
    for header in [
        "From: Beacon <beacon@buy.example.gov>",
        "To: \"Vendor One\" <vendor1@example.com>",
        "Cc: buyer@example.gov",
        "Reply-To: \"Ada Buyer\" <ada@example.gov>",
        "Subject: [Pittsburgh Purchasing] New opportunity: road salt",
        &format!("Message-ID: {}", email.message_id),
        "List-Unsubscribe: <https://buy.example.gov/beacon/unsubscribe/abc>, <mailto:unsubscribe@buy.example.gov>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Content-Type: multipart/alternative",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/html; charset=utf-8",
        "A new opportunity in Road Salt is open until December 1.",
        "<p>A new opportunity in <b>Road Salt</b> is open until December 1.</p>",
    ] {
        assert!(raw.contains(header), "missing {header:?} in:\n{raw}");
    }
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM jobs").await, 0, "the job is done");
    drop(sink);
}

/// A send job run again after its message went out (its worker died before the job was marked
/// done) finds the message recorded as sent and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_job_run_again_after_its_message_went_out_sends_nothing() {
    let Some(sink) = SmtpSink::start() else { return };
    let port = sink.port.to_string();
    let vars = [("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", port.as_str()), ("MAIL_USE_TLS", "false")];
    let d = Deployment::new(Backend::Sqlite, &vars).await.expect("sqlite");
    let email = newsletter("buy.example.gov");
    jobs::enqueue(&d.db, &SendEmail(email.clone())).await.expect("enqueue");
    assert_eq!(deliver(&d, sink.dir.path(), 1).await.len(), 1);
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM sent_emails").await, 1, "recorded as sent");

    jobs::enqueue(&d.db, &SendEmail(email)).await.expect("the same job again");
    let config = Arc::new(d.config());
    let env = JobEnv::from_config(d.db.clone(), config).expect("job services");
    let stop = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(
        Worker::new(env, procure::app::jobs(), WorkerOptions::new(Duration::from_secs(5))).run(stop.clone()),
    );
    let left = d.wait_for_count("SELECT COUNT(*) AS n FROM jobs", 0, Duration::from_secs(20)).await;
    stop.cancel();
    worker.await.expect("worker");
    assert_eq!(left, 0, "the job ran");
    assert_eq!(eml_files(sink.dir.path()).len(), 1, "and sent nothing the second time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_same_email_becomes_an_eml_file() {
    let d = Deployment::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let outbox = d.config().mail.outbox.clone();
    let email = newsletter("localhost");
    jobs::enqueue(&d.db, &SendEmail(email.clone())).await.expect("enqueue");
    let files = deliver(&d, &outbox, 1).await;
    assert_eq!(files.len(), 1, "one .eml in {}", outbox.display());
    let raw = std::fs::read_to_string(&files[0]).expect("read");
    assert!(raw.contains("Subject: [Procure] New opportunity: road salt"), "{raw}");
    assert!(raw.contains(&format!("Message-ID: {}", email.message_id)));
    assert!(raw.contains("Content-Type: multipart/alternative"));
}

#[tokio::test]
async fn emails_render_from_their_three_templates() {
    let app = common::TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let ctx = minijinja::context! { what => "500 on /scout/", request_id => "abc123", when => "2026-11-22 12:00", quiet_minutes => 10 };
    let email = Email::render(
        &app.state.templates,
        "platform/emails/server_error",
        ctx,
        Sender::Default,
        vec!["ops@example.gov".into()],
        "buy.example.gov",
    )
    .expect("render");
    assert_eq!(email.subject, "Server error on Procure: 500 on /scout/");
    assert!(email.text.contains("Request id: abc123"));
    // Its HTML part is its text on the shared layout, the lines of its block kept.
    let html = email.html.clone().expect("every message has an HTML part");
    assert!(html.contains("<title>Server error on Procure: 500 on /scout/</title>"), "{html}");
    assert!(html.contains("500 on /scout/<br>\nRequest id: abc123"), "{html}");
    assert!(email.message_id.ends_with("@buy.example.gov>"));

    let bad = Email { to: vec!["not an address".into()], ..email };
    let config = app.state.config.mail.clone();
    let err = bad.to_message(&config).expect_err("bad address");
    assert!(err.to_string().contains("to: \"not an address\" is not an email address"), "{err}");
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Stores `bytes` as `name` the way a form's upload is stored; its `stored_files` record.
async fn stored(app: &common::TestApp, name: &str, bytes: &'static [u8]) -> platform::files::FileRecord {
    let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(bytes))]);
    let visibility = platform::storage::Visibility::Private;
    platform::files::save_upload(&app.state, body, name, visibility, "test", 1024 * 1024, None).await.expect("stored")
}

fn attached(record: &platform::files::FileRecord) -> platform::mail::Attachment {
    platform::mail::Attachment {
        file_id: record.id,
        filename: record.filename.clone(),
        content_type: record.content_type.clone(),
    }
}

/// A message naming a stored file goes out with the file: text and HTML as alternatives, then
/// the file, in one `multipart/mixed` `.eml`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_stored_file_goes_out_in_the_message() {
    let app = common::TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let record = stored(&app, "terms.pdf", PDF).await;
    let email = Email { attachments: vec![attached(&record)], ..newsletter("localhost") };
    jobs::enqueue(&app.state.db, &SendEmail(email.clone())).await.expect("enqueue");
    app.run_pending_jobs().await;

    let outbox = &app.state.config.mail.outbox;
    let files = eml_files(outbox);
    assert_eq!(files.len(), 1, "one .eml in {}", outbox.display());
    let raw = std::fs::read_to_string(&files[0]).expect("read");
    assert!(raw.contains("Content-Type: multipart/mixed"), "{raw}");
    assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
    assert!(raw.contains("Content-Disposition: attachment; filename=\"terms.pdf\""), "{raw}");
    let mails = app.emails().await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.delivered && mail.text.contains("Road Salt") && mail.html.is_some(), "{mail:?}");
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].filename, "terms.pdf");
    assert_eq!(mail.attachments[0].content_type, "application/pdf");
    assert_eq!(mail.attachments[0].bytes, PDF, "the file's bytes, whole");
}

/// A file that is gone (its record, or its object in the store) fails the send, with an error
/// naming it; the job is retried later, and nothing goes out without the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_file_is_gone_is_not_sent_without_it() {
    use platform::jobs::{Job, JobContext};
    let app = common::TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let env = procure::app::job_env(app.state.db.clone(), app.state.config.clone()).expect("job services");
    let ctx = JobContext { env, job_id: 0, attempt: 1, worker: "test".into() };

    // The object is gone from the store, its record still there.
    let object_gone = stored(&app, "terms.pdf", PDF).await;
    app.state.storage.delete(&object_gone.key).await.expect("delete the object");
    let email = Email { attachments: vec![attached(&object_gone)], ..newsletter("localhost") };
    let err = SendEmail(email).run(&ctx).await.expect_err("not sent without its file");
    let said = format!("{err:#}");
    assert!(said.contains("\"terms.pdf\"") && said.contains(&format!("stored file {}", object_gone.id)), "{said}");

    // The record is gone (and the object with it).
    let record_gone = stored(&app, "prices.pdf", PDF).await;
    platform::files::delete_now(&app.state.db, record_gone.id).await.expect("delete the file");
    let email = Email { attachments: vec![attached(&record_gone)], ..newsletter("localhost") };
    let err = SendEmail(email.clone()).run(&ctx).await.expect_err("not sent without its file");
    assert!(format!("{err:#}").contains("record is gone"), "{err:#}");

    // Queued, it fails and waits to be tried again; nothing was sent.
    jobs::enqueue(&app.state.db, &SendEmail(email)).await.expect("enqueue");
    let stop = tokio_util::sync::CancellationToken::new();
    let mut options = WorkerOptions::new(Duration::from_secs(5));
    options.poll_interval = Duration::from_millis(10);
    let env = procure::app::job_env(app.state.db.clone(), app.state.config.clone()).expect("job services");
    let worker = tokio::spawn(Worker::new(env, procure::app::jobs(), options).run(stop.clone()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let row = loop {
        let rows = jobs::list(&app.state.db, "queued", 100).await.expect("jobs");
        if let Some(row) = rows.into_iter().find(|r| r.job_type == SendEmail::NAME && r.last_error.is_some()) {
            break row;
        }
        assert!(Instant::now() < deadline, "the send job did not fail");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    stop.cancel();
    worker.await.expect("worker");
    assert_eq!(row.attempts, 1, "tried once, to be tried again: {row:?}");
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("prices.pdf")), "{row:?}");
    assert!(eml_files(&app.state.config.mail.outbox).is_empty(), "nothing was sent");
    assert_eq!(app.count("SELECT COUNT(*) FROM sent_emails").await, 0);
}
