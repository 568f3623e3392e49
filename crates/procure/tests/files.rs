//! Files on the local folder and on a real S3-compatible server (moto): streaming upload with
//! type and size checks, download links, and deletion through the queue.

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use common::s3::S3Server;
use common::{Backend, TestApp};
use platform::http::{AppError, AppState};
use platform::storage::Visibility;
use sha2::{Digest, Sha256};

const LIMIT: u64 = 1024 * 1024;

/// A test upload route: one PDF, at most 1 MiB, into `public/test/…`.
async fn upload(State(state): State<AppState>, mut form: Multipart) -> Result<Response, AppError> {
    let field = form.next_field().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
    let Some(field) = field else { return Err(AppError::BadRequest("no file".into())) };
    let filename = field.file_name().unwrap_or("upload").to_owned();
    let record = platform::files::save_upload(
        &state,
        field,
        &filename,
        Visibility::Public,
        "test",
        LIMIT,
        Some(&["application/pdf"]),
    )
    .await?;
    let url = state
        .storage
        .url(&record.key, &record.content_type, Duration::from_secs(300))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(serde_json::json!({ "id": record.id, "key": record.key, "sha256": record.sha256, "size": record.size, "content_type": record.content_type, "url": url })).into_response())
}

fn routes() -> Router<AppState> {
    Router::new().route("/test/upload", post(upload))
}

fn multipart(filename: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "procureboundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/test/upload")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("accept", "application/json")
        .body(Body::from(body))
        .expect("request")
}

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    bytes.resize(size, b'x');
    bytes
}

async fn app_on(s3: Option<&S3Server>) -> TestApp {
    let mut env = vec![];
    if let Some(s3) = s3 {
        env = vec![
            ("S3_BUCKET", "procure-test"),
            ("S3_ENDPOINT", s3.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ];
    }
    TestApp::with_routes(Backend::Sqlite, &env, routes()).await.expect("app")
}

/// Every object under `public/test/` in the store.
async fn stored_keys(app: &TestApp) -> Vec<String> {
    let mut keys = Vec::new();
    for id in 1..=20 {
        if let Ok(Some(r)) = platform::files::find(&app.state.db, id).await {
            keys.push(r.key);
        }
    }
    keys
}

async fn objects(app: &TestApp, s3: Option<&S3Server>) -> usize {
    match s3 {
        Some(s3) => s3.keys().await.iter().filter(|k| k.starts_with("public/")).count(),
        None => walk(&app.state.config.uploads.folder),
    }
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

/// Status, content type, cache control, the bytes and the content disposition of a download.
async fn fetch(app: &TestApp, url: &str) -> (u16, String, String, Vec<u8>, String) {
    if url.starts_with("http") {
        let r = reqwest::get(url).await.expect("GET");
        let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let (status, ct, cache, disposition) =
            (r.status().as_u16(), h("content-type"), h("cache-control"), h("content-disposition"));
        (status, ct, cache, r.bytes().await.expect("bytes").to_vec(), disposition)
    } else {
        let r = app.request(Request::get(url).body(Body::empty()).expect("req")).await;
        let disposition = r.header("content-disposition").to_owned();
        (
            r.status.as_u16(),
            r.header("content-type").to_owned(),
            r.header("cache-control").to_owned(),
            r.raw,
            disposition,
        )
    }
}

async fn a_file_round_trips_and_bad_uploads_leave_nothing(s3: Option<&S3Server>) {
    let app = app_on(s3).await;
    let body = pdf(300 * 1024);
    let r = app.request(multipart("Bid Form (final).pdf", &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = r.json();
    assert_eq!(saved["content_type"], "application/pdf");
    assert_eq!(saved["size"], body.len());
    assert_eq!(saved["sha256"], hex::encode(Sha256::digest(&body)));
    let key = saved["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("public/test/") && key.ends_with("-Bid-Form--final-.pdf"), "{key}");

    let url = saved["url"].as_str().expect("url");
    let (status, content_type, cache, bytes, disposition) = fetch(&app, url).await;
    assert_eq!(status, 200, "{url}");
    assert_eq!(content_type, "application/pdf");
    assert_eq!(disposition, "inline; filename=\"Bid-Form--final-.pdf\"", "the download keeps its name");
    assert!(bytes == body, "the bytes come back unchanged ({} bytes back)", bytes.len());
    if s3.is_some() {
        assert!(url.starts_with("http://127.0.0.1:"), "a public object has a plain URL: {url}");
        assert_eq!(cache, "public, max-age=155520000");
    } else {
        assert!(url.starts_with("/files/public/test/") && url.contains("&sig="), "{url}");
        assert!(cache.starts_with("private, max-age="));
    }
    assert_eq!(objects(&app, s3).await, 1);

    // Refused uploads: wrong type (a text file named .pdf), too large, empty.
    let r = app.request(multipart("fake.pdf", b"just some text, not a PDF")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("are not accepted here")), "{}", r.body);
    let r = app.request(multipart("huge.pdf", &pdf(LIMIT as usize + 100_000))).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let r = app.request(multipart("empty.pdf", b"")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(objects(&app, s3).await, 1, "refused uploads leave no object behind");
    assert_eq!(stored_keys(&app).await, vec![key.clone()], "and no record");

    // Deleting the record queues the object's deletion; a worker carries it out.
    let id = saved["id"].as_i64().expect("id");
    platform::files::delete_now(&app.state.db, id).await.expect("delete");
    assert!(platform::files::find(&app.state.db, id).await.expect("find").is_none());
    let queued = platform::jobs::list(&app.state.db, "queued", 10).await.expect("list");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].job_type, "platform.delete_object");
    let env = platform::jobs::JobEnv::from_config(app.state.db.clone(), app.state.config.clone()).expect("env");
    let stop = tokio_util::sync::CancellationToken::new();
    let mut options = platform::jobs::WorkerOptions::new(Duration::from_secs(5));
    options.poll_interval = Duration::from_millis(20);
    let worker = tokio::spawn(platform::jobs::Worker::new(env, procure::app::jobs(), options).run(stop.clone()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while objects(&app, s3).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    worker.await.expect("worker");
    assert_eq!(objects(&app, s3).await, 0, "the object went with its record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_round_trip() {
    a_file_round_trips_and_bad_uploads_leave_nothing(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_files_round_trip() {
    let Some(s3) = S3Server::start().await else { return };
    a_file_round_trips_and_bad_uploads_leave_nothing(Some(&s3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_s3_objects_get_presigned_urls() {
    let Some(s3) = S3Server::start().await else { return };
    let app = app_on(Some(&s3)).await;
    let body = pdf(10_000);
    let key = platform::storage::Storage::new_key(Visibility::Private, "test", "secret.pdf");
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(body.clone()))]);
    app.state.storage.put_stream(&key, stream, LIMIT, None).await.expect("store");
    let url = app.state.storage.url(&key, "application/pdf", Duration::from_secs(60)).await.expect("url");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let (status, content_type, _, bytes, disposition) = fetch(&app, &url).await;
    assert_eq!(disposition, "inline; filename=\"secret.pdf\"");
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert!(bytes == body, "the bytes come back unchanged ({} bytes back)", bytes.len());
}

#[tokio::test]
async fn local_download_links_expire_and_cannot_be_altered() {
    let app = app_on(None).await;
    let key = platform::storage::Storage::new_key(Visibility::Private, "test", "a.pdf");
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(pdf(2000)))]);
    app.state.storage.put_stream(&key, stream, LIMIT, None).await.expect("store");
    let now = chrono::Utc::now().timestamp();

    let valid = app.state.storage.local_url(&key, "application/pdf", now + 60);
    assert_eq!(fetch(&app, &valid).await.0, 200);
    let expired = app.state.storage.local_url(&key, "application/pdf", now - 1);
    let r = app
        .request(Request::get(&expired).header("accept", "application/json").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("expired")), "{}", r.body);
    let retyped = valid.replace("ct=application%2Fpdf", "ct=text%2Fhtml");
    assert_eq!(fetch(&app, &retyped).await.0, 403, "the content type is part of the signature");
    let stretched = valid.replace(&format!("exp={}", now + 60), &format!("exp={}", now + 999_999));
    assert_eq!(fetch(&app, &stretched).await.0, 403, "the expiry is part of the signature");
}
