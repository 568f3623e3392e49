//! Realtime (issue 14), against real processes and real servers: for each fan-out (in-process
//! on SQLite, PostgreSQL `LISTEN/NOTIFY`, Redis pub/sub, a RabbitMQ fanout exchange), one
//! `procure web` and two `procure websocket` processes share a database.
//!
//! - A change committed in the web process (an approval) reaches clients of both websocket
//!   processes; events recorded in a transaction that rolls back reach nobody.
//! - Each client hears only its audience: anonymous, staff, conductor-level, admin, one user.
//! - The client whose request caused a change is not told of it.
//! - A websocket process whose broker connection is cut and restored delivers what was
//!   committed meanwhile, once each and in order; a client resuming from its last id gets
//!   what it missed.
//! - A foreign `Origin` is refused with 403, an `ALLOWED_ORIGINS` one accepted.
//! - SIGTERM: every client gets close code 1001 and the process exits within the grace.
//!
//! "Within N s" is a polling bound, far above what is expected; nothing here is a timing.

mod common;

use std::process::Child;
use std::time::{Duration, Instant};

use accounts::Role;
use chrono::Utc;
use common::bin::{free_port, http_get, procure};
use common::builders::{Opportunity, User};
use common::proxy::ChaosProxy;
use common::{Backend, Deployment, service_url, signal};
use futures_util::{SinkExt, StreamExt};
use platform::events::{Audience, NewEvent};
use sea_orm::TransactionTrait;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

const APP_URL: &str = "http://localhost:8000";
const PARTNER: &str = "https://partner.example.org";
/// How long any one expected thing may take before the test fails.
const LIMIT: Duration = Duration::from_secs(30);

/// The fan-outs, each on the database it is tested with.
#[derive(Debug, Clone, Copy)]
enum Fan {
    Process,
    Postgres,
    Redis,
    Amqp,
}

impl Fan {
    /// How the processes' logs name the fan-out they listen to.
    fn logged(self) -> &'static str {
        match self {
            Fan::Process => "fanout=\"in-process\"",
            Fan::Postgres => "fanout=\"PostgreSQL\"",
            Fan::Redis => "fanout=\"Redis\"",
            Fan::Amqp => "fanout=\"RabbitMQ\"",
        }
    }

    /// The deployment's database and settings; `None` when the service is not available here
    /// (and not required).
    fn setup(self) -> Option<(Backend, Vec<(String, String)>)> {
        let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        Some(match self {
            Fan::Process => (Backend::Sqlite, vec![pair("REALTIME_FANOUT", "process")]),
            Fan::Postgres => (Backend::Postgres, vec![pair("REALTIME_FANOUT", "postgres")]),
            // Redis and RabbitMQ come as the job broker (its own queue prefix), which `auto`
            // picks; Redis with SQLite, RabbitMQ with PostgreSQL, so both databases meet a broker.
            Fan::Redis => (
                Backend::Sqlite,
                vec![
                    pair("BROKER_URL", &service_url("TEST_REDIS_URL", "redis")?),
                    pair("BROKER_QUEUE_PREFIX", &prefix),
                ],
            ),
            Fan::Amqp => (
                Backend::Postgres,
                vec![
                    pair("BROKER_URL", &service_url("TEST_AMQP_URL", "rabbitmq")?),
                    pair("BROKER_QUEUE_PREFIX", &prefix),
                ],
            ),
        })
    }
}

/// A deployment of one web and two websocket processes.
struct Site {
    d: Deployment,
    web: Proc,
    ws: [Proc; 2],
}

/// A `procure` process serving on `port`, killed if the test fails first.
struct Proc {
    child: Option<Child>,
    port: u16,
    name: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn common_vars() -> Vec<(String, String)> {
    [("APP_URL", APP_URL), ("ALLOWED_ORIGINS", PARTNER), ("REQUEST_TIMEOUT", "2"), ("SHUTDOWN_TIMEOUT", "5")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Site {
    async fn start(fan: Fan) -> Option<Site> {
        let (backend, mut vars) = fan.setup()?;
        vars.extend(common_vars());
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let d = Deployment::new(backend, &pairs).await?;
        let web = spawn(&d, "web", &[]);
        let ws = [spawn(&d, "ws1", &[]), spawn(&d, "ws2", &[])];
        Some(Site { d, web, ws })
    }
}

/// Starts `procure web` (name "web…") or `procure websocket` on a free port, with `extra`
/// settings over the deployment's, and waits until it answers.
fn spawn(d: &Deployment, name: &str, extra: &[(&str, &str)]) -> Proc {
    let port = free_port();
    let port_s = port.to_string();
    let role = if name.starts_with("web") { "web" } else { "websocket" };
    let mut env = d.env();
    env.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    env.extend_from_slice(extra);
    env.push(if role == "web" { ("PORT", &port_s) } else { ("WEBSOCKET_PORT", &port_s) });
    let log = std::fs::File::create(d.dir.path().join(format!("{name}.log"))).expect("log file");
    let err = log.try_clone().expect("log file");
    let child = procure(d.dir.path(), &[role], &env).stdout(log).stderr(err).spawn().expect("spawn procure");
    // Killed by its drop if it never answers.
    let process = Proc { child: Some(child), port, name: name.to_owned() };
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        if http_get(port, "/__lbheartbeat__").is_some_and(|(s, _)| s == 200) {
            return process;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{name} did not start listening on {port}:\n{}", d.log(name));
}

/// A websocket client.
struct Client {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    /// The id the server gave it (its requests carry it as `X-Client-Id`).
    id: String,
    /// The last event id the server had when it said hello.
    hello_last: i64,
}

/// An event as a client heard it: (id, kind, subject).
type Heard = (i64, String, Option<i64>);

/// Opens `/ws` on `port` with `cookie` and `origin`; the HTTP status if refused.
async fn open(port: u16, cookie: Option<&str>, origin: Option<&str>) -> Result<Client, u16> {
    open_at(&format!("ws://127.0.0.1:{port}/ws"), cookie, origin).await
}

/// Opens the websocket at `url`.
async fn open_at(url: &str, cookie: Option<&str>, origin: Option<&str>) -> Result<Client, u16> {
    let mut request = url.into_client_request().expect("request");
    if let Some(cookie) = cookie {
        request.headers_mut().insert("cookie", cookie.parse().expect("cookie"));
    }
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", origin.parse().expect("origin"));
    }
    let (mut ws, _) = match tokio_tungstenite::connect_async(request).await {
        Ok(pair) => pair,
        Err(tungstenite::Error::Http(response)) => return Err(response.status().as_u16()),
        Err(e) => panic!("websocket to {url}: {e}"),
    };
    let hello = next_json(&mut ws).await.expect("a hello frame");
    assert_eq!(hello["type"], "hello", "{hello}");
    let id = hello["client"].as_str().expect("client id").to_owned();
    let hello_last = hello["last"].as_i64().expect("last");
    Ok(Client { ws, id, hello_last })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text frame (pings are answered by the library), or `None` at the end.
async fn next_json(ws: &mut Ws) -> Option<serde_json::Value> {
    loop {
        match tokio::time::timeout(LIMIT, ws.next()).await.expect("a frame in time")? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).expect("JSON frame")),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

impl Client {
    /// Every event heard until one of kind `marker` with subject `subject` (included).
    async fn until(&mut self, marker: &str, subject: i64) -> Vec<Heard> {
        let mut heard = Vec::new();
        loop {
            let frame = next_json(&mut self.ws).await.unwrap_or_else(|| panic!("closed before {marker} {subject}"));
            if frame["type"] != "event" {
                panic!("unexpected frame {frame}");
            }
            let event: Heard = (
                frame["id"].as_i64().expect("id"),
                frame["kind"].as_str().expect("kind").to_owned(),
                frame["subject"].as_i64(),
            );
            let done = event.1 == marker && event.2 == Some(subject);
            heard.push(event);
            if done {
                return heard;
            }
        }
    }

    async fn send(&mut self, frame: serde_json::Value) {
        self.ws.send(Message::Text(frame.to_string().into())).await.expect("send");
    }
}

/// Kinds heard, in order.
fn kinds(heard: &[Heard]) -> Vec<&str> {
    heard.iter().map(|(_, k, _)| k.as_str()).collect()
}

/// Ids heard are increasing (each event once, in order).
fn assert_in_order(heard: &[Heard]) {
    assert!(heard.windows(2).all(|w| w[0].0 < w[1].0), "ids must increase: {heard:?}");
}

/// Records `events` in one transaction of the test's own and commits (or rolls back).
async fn record(d: &Deployment, events: Vec<NewEvent>, commit: bool) {
    let txn = d.db.begin().await.expect("begin");
    for event in events {
        platform::events::record(&txn, event).await.expect("record");
    }
    if commit { txn.commit().await.expect("commit") } else { txn.rollback().await.expect("rollback") }
}

fn marker(n: i64) -> NewEvent {
    NewEvent::new("test.marker", n, Audience::Public)
}

/// Signs `email` in on the web process through a one-time link; returns the session cookie.
async fn sign_in(d: &Deployment, web: &Proc, user: &accounts::CurrentUser) -> String {
    let token = accounts::links::issue(&d.db, &user.email, Some(user.id), None, None).await.expect("link");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = client
        .post(format!("http://127.0.0.1:{}/sign-in/link", web.port))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .expect("sign in");
    assert!(response.status().is_redirection(), "signing in: {}", response.status());
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    assert!(!cookies.is_empty(), "a session cookie");
    cookies.join("; ")
}

/// The acceptance test of each fan-out (see the module docs).
async fn fan_out(fan: Fan) {
    let Some(site) = Site::start(fan).await else { return };
    let d = &site.d;
    let today = Utc::now().with_timezone(&common::builders::Db::timezone(d)).date_naive();
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).insert(d).await;
    let conductor = User::new("conductor@pittsburghpa.gov").roles(&[Role::Conductor]).insert(d).await;
    let admin = User::new("boss@pittsburghpa.gov").roles(&[Role::Superadmin]).insert(d).await;
    let (staff_cookie, conductor_cookie, admin_cookie) = (
        sign_in(d, &site.web, &staff).await,
        sign_in(d, &site.web, &conductor).await,
        sign_in(d, &site.web, &admin).await,
    );
    let draft = Opportunity::new("Snow plow blades")
        .description("Replacement blades for the city's plows.")
        .today(today)
        .opens_on(today)
        .closes_at(Utc::now() + chrono::Duration::days(30))
        .create(d, &staff)
        .await;

    // Anonymous on both websocket processes; staff and conductor on the second; the admin who
    // will approve on the first.
    let [ws1, ws2] = [site.ws[0].port, site.ws[1].port];
    let mut anon1 = open(ws1, None, None).await.expect("anonymous on ws1");
    let mut anon2 = open(ws2, None, None).await.expect("anonymous on ws2");
    let mut staff2 = open(ws2, Some(&staff_cookie), None).await.expect("staff on ws2");
    let mut conductor2 = open(ws2, Some(&conductor_cookie), None).await.expect("conductor on ws2");
    let mut actor1 = open(ws1, Some(&admin_cookie), None).await.expect("admin on ws1");
    // Older than REQUEST_TIMEOUT by now: sockets are not bound by it.
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    // The approval, in the web process, from the actor's page (its socket's id in the header).
    let approve = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("http://127.0.0.1:{}/beacon/admin/{}/approve", site.web.port, draft.id))
        .header("cookie", &admin_cookie)
        .header("x-client-id", &actor1.id)
        .send()
        .await
        .expect("approve");
    assert!(approve.status().is_redirection(), "approved: {}", approve.status());
    record(d, vec![marker(1)], true).await;

    let published = ("beacon.opportunity.published", Some(i64::from(draft.id)));
    let approved = ("beacon.opportunity.approved", Some(i64::from(draft.id)));
    let has =
        |heard: &[Heard], (kind, subject): (&str, Option<i64>)| heard.iter().any(|h| h.1 == kind && h.2 == subject);
    for (name, client) in [("anonymous on ws1", &mut anon1), ("anonymous on ws2", &mut anon2)] {
        let heard = client.until("test.marker", 1).await;
        assert!(has(&heard, published), "{name} hears the publication: {heard:?}");
        assert!(!has(&heard, approved), "{name} does not hear staff events: {heard:?}");
        assert_in_order(&heard);
    }
    let heard = staff2.until("test.marker", 1).await;
    assert!(has(&heard, approved) && has(&heard, published), "staff hear both: {heard:?}");
    let heard = actor1.until("test.marker", 1).await;
    assert!(!has(&heard, approved) && !has(&heard, published), "the actor is not told what it did: {heard:?}");
    conductor2.until("test.marker", 1).await;
    for name in ["ws1", "ws2"] {
        let log = d.log(name);
        assert!(
            log.contains("listening for events") && log.contains(fan.logged()),
            "{name} listens on {fan:?}:\n{log}"
        );
    }

    // Audiences, and a transaction that rolls back.
    let to = |kind: &'static str, audience| NewEvent::new(kind, 7, audience);
    record(
        d,
        vec![
            to("test.conductor", Audience::Conductor),
            to("test.admin", Audience::Admin),
            to("test.staff-user", Audience::User(i64::from(staff.id))),
            to("test.staff", Audience::Staff),
        ],
        true,
    )
    .await;
    record(d, vec![NewEvent::new("test.rolled-back", 7, Audience::Public)], false).await;
    record(d, vec![marker(2)], true).await;
    let expect = [
        ("anonymous on ws1", &mut anon1, vec!["test.marker"]),
        ("anonymous on ws2", &mut anon2, vec!["test.marker"]),
        ("staff", &mut staff2, vec!["test.staff-user", "test.staff", "test.marker"]),
        ("conductor", &mut conductor2, vec!["test.conductor", "test.staff", "test.marker"]),
        ("superadmin", &mut actor1, vec!["test.conductor", "test.admin", "test.staff", "test.marker"]),
    ];
    for (name, client, want) in expect {
        let heard = client.until("test.marker", 2).await;
        assert_eq!(kinds(&heard), want, "{name} hears only its audience, and nothing rolled back");
        assert_in_order(&heard);
    }

    // A client that reconnects resumes from its last id: what it missed first, then the new.
    let last = anon2.hello_last;
    drop(anon2);
    record(d, vec![marker(3), marker(4)], true).await;
    let mut again = open_at(&format!("ws://127.0.0.1:{ws2}/ws?after={last}"), None, None).await.expect("reconnect");
    let heard = again.until("test.marker", 4).await;
    assert!(has(&heard, published), "what it missed since {last}, from the start: {heard:?}");
    assert_eq!(heard.iter().filter(|h| h.1 == "test.marker").count(), 4, "each once: {heard:?}");
    assert_in_order(&heard);

    // SIGTERM: close 1001, and the process exits within the grace.
    let mut ws1_proc = site.ws;
    let child = ws1_proc[0].child.take().expect("ws1");
    signal(&child, "-TERM");
    let stopping = Instant::now();
    let close = loop {
        match tokio::time::timeout(LIMIT, anon1.ws.next()).await.expect("a close frame in time") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Away), "close code 1001");
    let mut child = child;
    let exited = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(stopping.elapsed() < Duration::from_secs(15), "exits within the 5 s grace (and some)");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(exited.success(), "{}", d.log(&ws1_proc[0].name));
    println!("{fan:?}: websocket process exited {:?} after SIGTERM", stopping.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_in_process() {
    fan_out(Fan::Process).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_postgres() {
    fan_out(Fan::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_redis() {
    fan_out(Fan::Redis).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_rabbitmq() {
    fan_out(Fan::Amqp).await
}

/// The host and port of a service URL.
fn target(url: &str) -> std::net::SocketAddr {
    let parsed = url::Url::parse(url).expect("url");
    let host = parsed.host_str().expect("host");
    let port = parsed.port_or_known_default().expect("port");
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port)).expect("resolve").next().expect("an address")
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, proxy: &ChaosProxy) -> String {
    let mut parsed = url::Url::parse(url).expect("url");
    parsed.set_host(Some("127.0.0.1")).expect("host");
    parsed.set_port(Some(proxy.addr.port())).expect("port");
    parsed.into()
}

/// A websocket process whose fan-out connection (the broker, or PostgreSQL itself) is cut and
/// restored delivers what was committed meanwhile, once each, in order.
async fn outage(fan: Fan) {
    let Some((backend, mut vars)) = fan.setup() else { return };
    vars.extend(common_vars());
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(d) = Deployment::new(backend, &pairs).await else { return };
    let (var, url) = match fan {
        Fan::Postgres => ("DATABASE_URL", d.pg.as_ref().expect("postgres").url.clone()),
        _ => ("BROKER_URL", vars.iter().find(|(k, _)| k == "BROKER_URL").expect("broker").1.clone()),
    };
    let proxy = ChaosProxy::start(target(&url)).await;
    let proxied = through(&url, &proxy);
    let _web = spawn(&d, "web", &[]);
    let ws = spawn(&d, "ws-proxied", &[(var, &proxied)]);
    let mut client = open(ws.port, None, None).await.expect("client");
    record(&d, vec![marker(0)], true).await;
    client.until("test.marker", 0).await;

    proxy.cut().await;
    record(&d, (1..=5).map(marker).collect(), true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();
    record(&d, vec![marker(6)], true).await;
    let started = Instant::now();
    let heard = client.until("test.marker", 6).await;
    let log = d.log("ws-proxied");
    assert!(
        log.contains("lost the event subscription") || log.contains("cannot listen for events"),
        "the cut was noticed:\n{log}"
    );
    let subjects: Vec<i64> = heard.iter().filter_map(|h| h.2).collect();
    assert_eq!(subjects, [1, 2, 3, 4, 5, 6], "each once, in order:\n{}", d.log("ws-proxied"));
    assert_in_order(&heard);
    println!("{fan:?}: all six heard {:?} after the connection was restored", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_postgres() {
    outage(Fan::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_redis() {
    outage(Fan::Redis).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_rabbitmq() {
    outage(Fan::Amqp).await
}

/// Only the site's own pages and `ALLOWED_ORIGINS` may open a socket; a client with no
/// `Origin` (not a browser) may too. A plain GET gets a 400 that says what the address is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_are_checked() {
    let (backend, mut vars) = Fan::Process.setup().expect("in-process");
    vars.extend(common_vars());
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let d = Deployment::new(backend, &pairs).await.expect("deployment");
    let token = "a-long-metrics-token-0123456789";
    let web = spawn(&d, "web", &[("METRICS_TOKEN", token)]);
    assert_eq!(open(web.port, None, Some("https://evil.example")).await.err(), Some(403));
    assert_eq!(open(web.port, None, Some("http://localhost:8001")).await.err(), Some(403), "another port");
    assert!(open(web.port, None, Some(PARTNER)).await.is_ok(), "an ALLOWED_ORIGINS entry");
    assert!(open(web.port, None, Some(APP_URL)).await.is_ok(), "the site itself");
    assert!(open(web.port, None, None).await.is_ok(), "no Origin: not a browser");
    let (status, body) = http_get(web.port, "/ws").expect("GET /ws");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("websocket"), "{body}");

    // A frame the server does not understand gets a JSON error, and the socket stays open.
    let mut client = open(web.port, None, None).await.expect("client");
    client.send(serde_json::json!({ "type": "dance" })).await;
    let error = next_json(&mut client.ws).await.expect("an error frame");
    assert_eq!((error["type"].as_str(), error["code"].as_str()), (Some("error"), Some("bad-message")), "{error}");
    record(&d, vec![marker(1)], true).await;
    client.until("test.marker", 1).await;

    // The open sockets are a gauge (the ones dropped above close soon), events sent a counter.
    let metrics = || async {
        reqwest::Client::new()
            .get(format!("http://127.0.0.1:{}/__metrics__", web.port))
            .bearer_auth(token)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    };
    let gauge = |text: &str| text.lines().find(|l| l.starts_with("ws_clients ")).map(|l| l.trim_end().to_owned());
    let deadline = Instant::now() + LIMIT;
    let metrics = loop {
        let text = metrics().await;
        if gauge(&text).is_some_and(|g| g.ends_with(" 1")) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(gauge(&metrics).as_deref(), Some("ws_clients 1"), "one socket open now: {metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("ws_events_sent ")), "{metrics}");
}

/// The outbox: committed events are numbered once, gaplessly and in order, rolled-back ones
/// never exist; delivered events past the retention are forgotten, the rest kept.
async fn the_outbox_numbers_what_committed_and_forgets_what_is_old(backend: Backend) {
    use platform::events::outbox;
    let Some(app) = common::TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let (_, before) = outbox::position(db).await.expect("position");
    let txn = db.begin().await.expect("begin");
    platform::events::record(&txn, NewEvent::new("test.gone", 1, Audience::Public)).await.expect("record");
    txn.rollback().await.expect("rollback");
    for n in 1..=3 {
        let txn = db.begin().await.expect("begin");
        platform::events::record(&txn, marker(n)).await.expect("record");
        txn.commit().await.expect("commit");
    }
    let numbered = outbox::number(db, 500).await.expect("number");
    let got: Vec<(i64, Option<i64>)> = numbered.iter().map(|e| (e.seq, e.subject)).collect();
    assert_eq!(got, [(before + 1, Some(1)), (before + 2, Some(2)), (before + 3, Some(3))]);
    assert!(outbox::number(db, 500).await.expect("again").is_empty(), "each once");
    assert_eq!(outbox::position(db).await.expect("position").1, before + 3);

    // A payload over the limit is refused, not truncated.
    let big = NewEvent::new("test.big", 1, Audience::Public).with(serde_json::json!("x".repeat(5_000)));
    assert!(platform::events::record(db, big).await.is_err());

    sea_orm::ConnectionTrait::execute_unprepared(
        db,
        &format!("UPDATE events SET created_at = 0 WHERE seq = {}", before + 1),
    )
    .await
    .expect("age one");
    assert_eq!(outbox::prune(db, Duration::from_secs(3600)).await.expect("prune"), 1);
    assert_eq!(outbox::oldest_kept(db).await.expect("oldest"), before + 2);
    let kept: Vec<i64> = outbox::after(db, 0, 10).await.expect("after").iter().map(|e| e.seq).collect();
    assert_eq!(kept, [before + 2, before + 3]);
}
on_both_backends!(the_outbox_numbers_what_committed_and_forgets_what_is_old);
