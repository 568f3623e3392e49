//! The HTTP surface on both databases: Dockerflow endpoints, `/_status`, pages, error pages,
//! middleware (request id, security headers, compression, limits, timeout).

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use common::{Backend, TestApp};

async fn dockerflow_endpoints(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };

    let lb = app.get("/__lbheartbeat__").await;
    assert_eq!(lb.status, StatusCode::OK);
    assert_eq!(lb.json()["status"], "OK");
    let head = app.request(Request::head("/__lbheartbeat__").body(Body::empty()).expect("req")).await;
    assert_eq!(head.status, StatusCode::OK);

    let hb = app.get("/__heartbeat__").await;
    assert_eq!(hb.status, StatusCode::OK);
    assert_eq!(hb.header("cache-control"), "no-store");
    let body = hb.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"], "ok");
    // Only the note of which file store was checked, at python-dockerflow's INFO level.
    assert_eq!(body["details"].as_object().map(|d| d.keys().collect::<Vec<_>>()), Some(vec![&"storage".to_owned()]));
    assert_eq!(body["details"]["storage"]["level"], 20);
    assert_eq!(body["details"]["storage"]["messages"]["storage.I001"], "local folder");
    let head = app.request(Request::head("/__heartbeat__").body(Body::empty()).expect("req")).await;
    assert_eq!(head.status, StatusCode::OK);

    let robots = app.get("/robots.txt").await;
    for path in ["/__heartbeat__", "/__lbheartbeat__", "/__version__", "/_status"] {
        assert!(robots.body.contains(&format!("Disallow: {path}\n")), "{}", robots.body);
    }
}
on_both_backends!(dockerflow_endpoints);

async fn version_json(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("version.json");
    let file_str = file.display().to_string();
    let Some(app) = TestApp::new(backend, &[("VERSION_FILE", &file_str)]).await else { return };

    let missing = app.get("/__version__").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("content-type"), "application/json");
    assert_eq!(missing.json()["status"], 404);

    std::fs::write(&file, r#"{"source":"https://example.org/procure","version":"1.2.3","commit":"abc","build":""}"#)
        .expect("write");
    let found = app.get("/__version__").await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.json()["version"], "1.2.3");
    assert_eq!(found.json()["commit"], "abc");
}
on_both_backends!(version_json);

async fn boom() -> &'static str {
    panic!("deliberate test panic")
}

/// A route that fails on purpose, mounted only in tests.
fn faulty_routes() -> Router<platform::http::AppState> {
    Router::new().route("/test/panic", get(boom)).route(
        "/test/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    )
}

async fn server_errors_are_pages_and_reach_status(backend: Backend) {
    let Some(app) = TestApp::with_routes(backend, &[], faulty_routes()).await else { return };
    let status = app.get_json("/_status").await;
    assert_eq!(status.status, StatusCode::OK);
    let body = status.json();
    assert_eq!(body["status"], "ok");
    let expected_db = if backend == Backend::Postgres { "Postgres" } else { "SQLite" };
    assert_eq!(body["dependencies"], serde_json::json!([expected_db]));
    assert!(body["resources"].is_object());
    assert!(body["updated"].as_i64().is_some_and(|t| t > 1_700_000_000));

    let html = app.get("/test/panic").await;
    assert_eq!(html.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(html.header("content-type").starts_with("text/html"));
    assert!(html.body.contains("Something went wrong"), "{}", html.body);
    assert!(!html.body.contains("deliberate"), "the panic message must not leak");
    let json = app.get_json("/test/panic").await;
    assert_eq!(json.json()["status"], 500);
    assert_eq!(json.json()["request_id"], json.header("x-request-id"));

    // The hook records the error asynchronously; give it a bounded number of chances.
    let mut reported = String::new();
    for _ in 0..50 {
        reported = app.get_json("/_status").await.json()["status"].as_str().unwrap_or_default().to_owned();
        if reported != "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reported.starts_with("error: 500 on /test/panic"), "{reported}");
}
on_both_backends!(server_errors_are_pages_and_reach_status);

#[tokio::test]
async fn client_errors_are_html_for_browsers_and_json_for_api_clients() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let html = app.get("/no/such/page").await;
    assert_eq!(html.status, StatusCode::NOT_FOUND);
    assert!(html.header("content-type").starts_with("text/html"));
    assert!(html.body.contains("Page not found") && html.body.contains("usa-button"));

    let json = app.get_json("/no/such/page").await;
    assert_eq!(json.status, StatusCode::NOT_FOUND);
    assert_eq!(json.json()["error"], "Page not found");

    let api = app.get("/api/nothing").await;
    assert_eq!(api.header("content-type"), "application/json", "paths under /api/ always get JSON");

    let post = app.request(Request::post("/").header("accept", "text/html").body(Body::empty()).expect("req")).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(post.header("allow").contains("GET"), "405 keeps its Allow header");
    assert!(post.body.contains("Method not allowed"));
}

#[tokio::test]
async fn bodies_above_the_limit_get_413_with_the_limit_named() {
    let app = TestApp::new(Backend::Sqlite, &[("MAX_CONTENT_LENGTH", "1KiB")]).await.expect("sqlite");
    let big = vec![b'x'; 2048];
    let response = app
        .request(
            Request::post("/")
                .header("accept", "text/html")
                .header("content-length", big.len())
                .body(Body::from(big))
                .expect("req"),
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.body.contains("larger than the 1 KiB"), "{}", response.body);
}

#[tokio::test]
async fn slow_requests_time_out_with_408() {
    let app =
        TestApp::with_routes(Backend::Sqlite, &[("REQUEST_TIMEOUT", "1")], faulty_routes()).await.expect("sqlite");
    let response = app.get_json("/test/slow").await;
    assert_eq!(response.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(response.json()["error"], "Request timed out");
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    for path in ["/", "/no/such/page", "/__heartbeat__"] {
        let r = app.get(path).await;
        assert_eq!(r.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        assert!(r.header("content-security-policy").contains("default-src 'self'"), "{path}");
        assert!(r.header("content-security-policy").contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(r.header("x-request-id").len(), 32, "{path}: a generated id");
    }

    let echoed =
        app.request(Request::get("/").header("x-request-id", "router-abc.123").body(Body::empty()).expect("req")).await;
    assert_eq!(echoed.header("x-request-id"), "router-abc.123");
    let replaced = app
        .request(Request::get("/").header("x-request-id", "bad id with spaces").body(Body::empty()).expect("req"))
        .await;
    assert_ne!(replaced.header("x-request-id"), "bad id with spaces");
}

#[tokio::test]
async fn csp_can_be_report_only_or_off() {
    let app = TestApp::new(Backend::Sqlite, &[("CSP_REPORT_ONLY", "1"), ("CSP_REPORT_URI", "/csp-report")])
        .await
        .expect("app");
    let r = app.get("/").await;
    assert!(r.header("content-security-policy").is_empty());
    assert!(r.header("content-security-policy-report-only").ends_with("report-uri /csp-report"));
    let app = TestApp::new(Backend::Sqlite, &[("CSP_ENABLED", "false")]).await.expect("app");
    let r = app.get("/").await;
    assert!(
        r.header("content-security-policy").is_empty() && r.header("content-security-policy-report-only").is_empty()
    );
}

#[tokio::test]
async fn pages_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let r = app.request(Request::get("/").header("accept-encoding", "gzip").body(Body::empty()).expect("req")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), "gzip");
}

#[tokio::test]
async fn home_and_about_pages_use_the_uswds_shell() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let home = app.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    for text in ["Scout", "Beacon", "Conductor", "usa-header", "usa-skipnav", "<main id=\"main-content\""] {
        assert!(home.body.contains(text), "home page lacks {text}");
    }
    let about = app.get("/about/").await;
    assert_eq!(about.status, StatusCode::OK);
    assert!(about.body.contains("About Procure"));
    let redirect = app.get("/about").await;
    assert_eq!(redirect.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.header("location"), "/about/");
}

#[tokio::test]
async fn assets_are_served_under_a_content_hash_and_cached_forever() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let home = app.get("/").await;
    let css = home
        .body
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with("uswds.min.css"))
        .expect("the page links the USWDS stylesheet")
        .to_owned();
    let hash = app.state.assets.hash().to_owned();
    assert_eq!(css, format!("/assets/{hash}/vendor/uswds/css/uswds.min.css"));

    let r = app.get(&css).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/css"));
    assert_eq!(r.header("cache-control"), "public, max-age=31536000, immutable");
    assert!(r.body.contains("usa-header"));

    // Fonts referenced relatively from the stylesheet resolve under the same hash.
    let font = app
        .get(&format!("/assets/{hash}/vendor/uswds/fonts/source-sans-pro/sourcesanspro-regular-webfont.woff2"))
        .await;
    assert_eq!(font.status, StatusCode::OK);
    for script in ["vendor/htmx/htmx.min.js", "vendor/uswds/js/uswds.min.js"] {
        assert!(home.body.contains(&format!("/assets/{hash}/{script}")), "{script} not linked");
        assert_eq!(app.get(&format!("/assets/{hash}/{script}")).await.status, StatusCode::OK);
    }

    let stale = app.get("/assets/0000000000/vendor/uswds/css/uswds.min.css").await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.header("cache-control"), "no-cache", "an old hash must not be cached forever");
    assert_eq!(app.get(&format!("/assets/{hash}/nope.css")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/assets/{hash}/../Cargo.toml")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_production_server_errors_email_the_admins_once_per_quiet_period() {
    let dbdir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/p.db", dbdir.path().display());
    let env = [
        ("PROCURE_ENV", "production"),
        ("SECRET_KEY", "Zq8vN3pL0sX7rT2mW9yB4cH6jK1fD5gA8eU3iO0pQ7wE2rT9yU4iO6pA1sD3fG5h"),
        ("APP_URL", "https://buy.example.gov"),
        ("DATABASE_URL", url.as_str()),
        ("ADMINS", "Ops <ops@example.gov>, dev@example.gov"),
    ];
    let app = TestApp::with_routes(Backend::Sqlite, &env, faulty_routes()).await.expect("app");
    for _ in 0..3 {
        let request = Request::get("/test/panic").header("host", "buy.example.gov").body(Body::empty()).expect("req");
        assert_eq!(app.request(request).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    let db = &app.state.db;
    for _ in 0..50 {
        if !platform::jobs::list(db, "queued", 10).await.expect("list").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Time for the other two errors' hooks to have queued mail, had they been going to.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queued = platform::jobs::list(db, "queued", 10).await.expect("list");
    assert_eq!(queued.len(), 1, "one email for three errors: {queued:?}");
    assert_eq!(queued[0].job_type, "platform.send_email");
    let email: platform::mail::Email = serde_json::from_str(&queued[0].payload).expect("an Email");
    assert_eq!(email.to, ["Ops <ops@example.gov>", "dev@example.gov"]);
    assert!(email.subject.starts_with("Server error on Procure: 500 on /test/panic"), "{}", email.subject);
    assert!(email.message_id.ends_with("@buy.example.gov>"));
}

fn with_host(method: &str, path: &str, host: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(path).header("host", host).header("accept", "application/json")
}

#[tokio::test]
async fn only_allowed_hosts_are_answered_but_load_balancers_always_are() {
    let app = TestApp::new(Backend::Sqlite, &[("APP_URL", "http://buy.example.gov")]).await.expect("app");
    let ok = app.request(with_host("GET", "/", "buy.example.gov:8000").body(Body::empty()).expect("req")).await;
    assert_eq!(ok.status, StatusCode::OK);
    let local = app.request(with_host("GET", "/", "localhost:8000").body(Body::empty()).expect("req")).await;
    assert_eq!(local.status, StatusCode::OK, "localhost is allowed outside production");
    let evil = app.request(with_host("GET", "/", "evil.example.com").body(Body::empty()).expect("req")).await;
    assert_eq!(evil.status, StatusCode::BAD_REQUEST);
    assert!(evil.json()["message"].as_str().is_some_and(|m| m.contains("host name")));
    let lb = app.request(with_host("GET", "/__lbheartbeat__", "10.0.0.7").body(Body::empty()).expect("req")).await;
    assert_eq!(lb.status, StatusCode::OK, "the load balancer calls by IP");
}

#[tokio::test]
async fn https_sites_redirect_plain_http_and_send_hsts() {
    let app = TestApp::new(Backend::Sqlite, &[("APP_URL", "https://buy.example.gov")]).await.expect("app");
    let r = app
        .request(
            with_host("GET", "/about/?x=1", "buy.example.gov")
                .header("x-forwarded-proto", "http")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.header("location"), "https://buy.example.gov/about/?x=1");
    let r = app
        .request(
            with_host("GET", "/about/", "buy.example.gov")
                .header("x-forwarded-proto", "https")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("strict-transport-security"), "max-age=60; includeSubDomains");
    let lb = app
        .request(
            with_host("GET", "/__lbheartbeat__", "10.0.0.7")
                .header("x-forwarded-proto", "http")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(lb.status, StatusCode::OK, "nginx's port 80 health check is not redirected");
}

#[tokio::test]
async fn the_auth_wall_asks_for_the_password_and_leaves_dockerflow_open() {
    let app = TestApp::new(
        Backend::Sqlite,
        &[("AUTH_WALL_USERNAME", "city"), ("AUTH_WALL_PASSWORD", "staging-pass"), ("AUTH_WALL_REALM", "Staging")],
    )
    .await
    .expect("app");
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("www-authenticate"), "Basic realm=\"Staging\"");
    let wrong = app
        .request(Request::get("/").header("authorization", "Basic Y2l0eTpub3Bl").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // base64("city:staging-pass")
    let right = app
        .request(
            Request::get("/")
                .header("authorization", "Basic Y2l0eTpzdGFnaW5nLXBhc3M=")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(app.get("/__lbheartbeat__").await.status, StatusCode::OK);
    assert_eq!(app.get("/__heartbeat__").await.status, StatusCode::OK);
}

async fn echo() -> &'static str {
    "accepted"
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_same_site_posts_pass() {
    let routes = Router::new().route("/test/echo", axum::routing::post(echo));
    let app = TestApp::with_routes(Backend::Sqlite, &[], routes).await.expect("app");
    let cross = app
        .request(
            with_host("POST", "/test/echo", "localhost")
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://evil.example.com")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(cross.header("content-type"), "application/json", "refusals get the error page");
    let same = app
        .request(
            with_host("POST", "/test/echo", "localhost")
                .header("sec-fetch-site", "same-origin")
                .header("origin", "http://localhost")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.body, "accepted");
    let old_browser = app
        .request(
            with_host("POST", "/test/echo", "localhost")
                .header("origin", "https://evil.example.com")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(old_browser.status, StatusCode::FORBIDDEN, "without Fetch metadata, the Origin decides");
}

/// What a shared cache may keep (issue 12, finding 2; every route × role is checked in
/// `permissions.rs`): the cases a signed-in session does not cover.
async fn shared_caches_keep_only_what_is_the_same_for_everyone(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = common::builders::Contract::new("Road salt").insert(&app).await;

    // Anonymous pages say so, and that a signed-in visitor's copy differs.
    for path in ["/", "/scout/", &format!("/scout/contracts/{}", c.id), "/beacon/"] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.header("cache-control"), "public, no-cache", "{path}");
        let vary: Vec<_> = page.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
        assert!(vary.iter().any(|v| v.contains("Cookie")), "{path}: {vary:?}");
    }
    // The API keeps its own revalidation header beside its ETag.
    let detail = app.get(&format!("/api/v1/contracts/{}", c.id)).await;
    assert_eq!(detail.header("cache-control"), "no-cache");
    assert_eq!(app.get("/api/v1/contracts").await.header("cache-control"), "public, no-cache");

    // An address that carries a credential is someone's own, signed in or not.
    let vendor = common::builders::Vendor::new("acme@example.com").confirmed().insert(&app).await;
    let manage = common::beacon::links(&app).manage(vendor.id);
    let page = app.get(&format!("{}?{}", manage.path(), manage.query().unwrap_or(""))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.header("cache-control"), "private, no-store");
    let link = app.get("/sign-in/link?token=not-a-real-token").await;
    assert_eq!(link.header("cache-control"), "private, no-store");

    // The reply to a form, and a signed-in user's pages and exports.
    let reply = common::browser::Browser::new(&app).post("/sign-in", &[("email", "nobody@example.com")]).await;
    assert_eq!(reply.header("cache-control"), "private, no-store", "{}", reply.status);
    let staff = common::browser::Browser::sign_in_as(&app, "ada@example.org", &[accounts::Role::Staff]).await;
    for path in ["/profile", "/beacon/admin/vendors.csv", &format!("/scout/contracts/{}", c.id), "/scout/"] {
        let page = staff.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.header("cache-control"), "private, no-store", "{path}");
    }
    // Assets are the same bytes for everyone, signed in or not.
    let css = staff.get(&app.state.assets.url("css/procure.css")).await;
    assert!(css.header("cache-control").contains("immutable"), "{}", css.header("cache-control"));
}
on_both_backends!(shared_caches_keep_only_what_is_the_same_for_everyone);

/// Sends `request` (raw bytes) to `addr` and returns everything the server answers until it
/// closes the connection or stops answering for two seconds.
async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    socket.write_all(request).await.expect("send");
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Requests hyper refuses before they reach the router (an address of 64 KiB or more, headers
/// over its buffer) are answered like every other error: the error shape (JSON under `/api/`),
/// security headers and a request id; before, a bare `414` head with nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_before_routing_still_get_the_error_shape_and_security_headers() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let listener = platform::http::serve::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = tokio_util::sync::CancellationToken::new();
    let limits = platform::http::serve::Limits::from_config(&app.state.config.server);
    tokio::spawn(platform::http::serve::serve(listener, app.router.clone(), stop.clone(), limits));

    let long = "a".repeat(70 * 1024);
    let api =
        raw_exchange(addr, format!("GET /api/v1/contracts?q={long} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await;
    let (head, body) = api.split_once("\r\n\r\n").unwrap_or((&api, ""));
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 414 uri too long"), "{api}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("x-frame-options: deny") && head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(head.contains("content-security-policy: default-src 'self'"), "{head}");
    assert!(head.contains("x-request-id: "), "{head}");
    let error: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!((error["status"].as_u64(), error["error"].as_str()), (Some(414), Some("Address too long")), "{body}");
    assert_eq!(error["request_id"].as_str().map(str::len), Some(32));

    let page =
        raw_exchange(addr, format!("GET /scout/search?q={long} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).await;
    let lower = page.to_ascii_lowercase();
    assert!(lower.starts_with("http/1.1 414"), "{page}");
    assert!(lower.contains("content-type: text/html") && page.contains("Address too long"), "{page}");
    assert!(lower.contains("x-frame-options: deny"), "{page}");

    let huge_header = "x".repeat(600 * 1024);
    let headers =
        raw_exchange(addr, format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {huge_header}\r\n\r\n").as_bytes())
            .await;
    assert!(headers.to_ascii_lowercase().starts_with("http/1.1 431"), "{}", &headers[..headers.len().min(300)]);
    assert!(headers.to_ascii_lowercase().contains("x-frame-options: deny"), "{headers}");

    // An ordinary body-less error (HEAD of a missing page) is the router's own answer, untouched:
    // no body, and the connection stays open for the next request.
    let two = raw_exchange(
        addr,
        b"HEAD /no/such/page HTTP/1.1\r\nHost: localhost\r\n\r\nGET /__lbheartbeat__ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(two.starts_with("HTTP/1.1 404"), "{two}");
    assert_eq!(two.matches("HTTP/1.1 ").count(), 2, "both answered on one connection: {two}");
    assert!(
        !two.to_ascii_lowercase().split("http/1.1 200").next().unwrap_or("").contains("connection: close"),
        "{two}"
    );
    stop.cancel();
}

/// API ids are read as the document describes them: a whole number from 1 to 2147483647, or a
/// 400 in the error shape that names `id` (the framework's answer named nothing).
#[tokio::test]
async fn api_ids_outside_int32_or_not_numbers_are_a_named_400() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("sqlite");
    for path in ["/api/v1/contracts/", "/api/v1/companies/", "/api/v1/opportunities/"] {
        for bad in ["abc", "2147483648", "0", "-3", "1.5"] {
            let r = app.get_json(&format!("{path}{bad}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}{bad}: {}", r.body);
            assert_eq!(r.json()["message"], "`id` must be a whole number from 1 to 2147483647.", "{path}{bad}");
        }
        assert_eq!(app.get_json(&format!("{path}2147483647")).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let doc = app.get_json("/api/openapi.json").await.json();
    let id = &doc["paths"]["/api/v1/contracts/{id}"]["get"]["parameters"][0]["schema"];
    assert_eq!((id["minimum"].as_i64(), id["format"].as_str()), (Some(1), Some("int32")), "{id}");
    assert!(doc["paths"]["/api/v1/contracts/{id}"]["get"]["responses"]["400"].is_object());
}
