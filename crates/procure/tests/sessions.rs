//! Server-side sessions on SQLite, PostgreSQL and Redis: signed cookie with the right flags,
//! state kept between requests, idle and absolute expiry, tampering refused.

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use common::{Backend, TestApp};
use platform::http::AppState;
use tower_sessions::Session;

async fn visits(session: Session) -> String {
    let n: u32 = session.get("visits").await.ok().flatten().unwrap_or(0) + 1;
    let _ = session.insert("visits", n).await;
    n.to_string()
}

/// Signs the session in as user 1 (what `accounts` keeps after a sign-in).
async fn sign_in(session: Session) -> &'static str {
    let _ = session.insert(platform::sessions::USER_KEY, 1).await;
    "signed in"
}

/// Who the session is signed in as, only reading it.
async fn who(session: Session) -> String {
    session.get::<i32>(platform::sessions::USER_KEY).await.ok().flatten().map_or("nobody".to_owned(), |u| u.to_string())
}

fn routes() -> Router<AppState> {
    Router::new().route("/test/visits", get(visits)).route("/test/sign-in", get(sign_in)).route("/test/who", get(who))
}

#[derive(Clone, Copy)]
enum Store {
    Sqlite,
    Postgres,
    Redis,
}

async fn app(store: Store, extra: &[(&str, &str)]) -> Option<TestApp> {
    let mut env: Vec<(&str, &str)> = extra.to_vec();
    let redis;
    let backend = match store {
        Store::Sqlite => Backend::Sqlite,
        Store::Postgres => Backend::Postgres,
        Store::Redis => {
            redis = common::service_url("TEST_REDIS_URL", "redis")?;
            env.push(("REDIS_URL", &redis));
            Backend::Sqlite
        }
    };
    TestApp::with_routes(backend, &env, routes()).await
}

/// GET /test/visits with `cookie`; returns (count, the cookie to send next time).
async fn visit(app: &TestApp, cookie: &str) -> (String, String) {
    let mut req = Request::get("/test/visits");
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    let r = app.request(req.body(Body::empty()).expect("req")).await;
    let set = r.header("set-cookie").to_owned();
    let next = if set.is_empty() { cookie.to_owned() } else { set.split(';').next().unwrap_or("").to_owned() };
    (r.body, next)
}

async fn sessions_keep_state_behind_a_signed_cookie(store: Store) {
    let Some(app) = app(store, &[]).await else { return };
    let r = app.request(Request::get("/test/visits").body(Body::empty()).expect("req")).await;
    assert_eq!(r.body, "1");
    let set = r.header("set-cookie");
    assert!(set.starts_with("procure_session="), "{set}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(flag), "{flag} missing: {set}");
    }
    assert!(!set.contains("Secure"), "not Secure over plain http: {set}");
    let cookie = set.split(';').next().unwrap_or("").to_owned();
    let (n, cookie) = visit(&app, &cookie).await;
    assert_eq!(n, "2");
    let (n, _) = visit(&app, &cookie).await;
    assert_eq!(n, "3");

    // A forged or altered cookie is a new, empty session.
    let tampered = format!("{}x", &cookie[..cookie.len() - 1]);
    assert_eq!(visit(&app, &tampered).await.0, "1");
    assert_eq!(visit(&app, "procure_session=AAAAAAAAAAAAAAAAAAAAAA").await.0, "1");

    // Pages that do not touch the session set no cookie.
    assert!(app.get("/").await.header("set-cookie").is_empty());
}

async fn sessions_end_when_idle_and_at_their_absolute_limit(store: Store) {
    let Some(app) = app(store, &[("SESSION_IDLE_TIMEOUT", "1"), ("SESSION_MAX_AGE", "3")]).await else { return };
    let (_, cookie) = visit(&app, "").await;
    let (n, cookie) = visit(&app, &cookie).await;
    assert_eq!(n, "2");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (n, cookie) = visit(&app, &cookie).await;
    assert_eq!(n, "1", "idle for longer than SESSION_IDLE_TIMEOUT: a new session");

    // Used every 0.5 s it never goes idle, but it still ends SESSION_MAX_AGE after it began.
    let mut cookie = cookie;
    let mut last = String::new();
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (n, next) = visit(&app, &cookie).await;
        cookie = next;
        if n == "1" {
            last = n;
            break;
        }
        last = n;
    }
    assert_eq!(last, "1", "the absolute limit ended the session");
}

/// GET `path` with `cookie`; returns (body, the cookie to send next time, whether the response
/// set one, i.e. the session was saved).
async fn fetch(app: &TestApp, path: &str, cookie: &str) -> (String, String, bool) {
    let r = app.request(Request::get(path).header("cookie", cookie).body(Body::empty()).expect("req")).await;
    let set = r.header("set-cookie").to_owned();
    let next = if set.is_empty() { cookie.to_owned() } else { set.split(';').next().unwrap_or("").to_owned() };
    (r.body, next, !set.is_empty())
}

/// A signed-in session that is only read stays alive while it is used, beyond the idle timeout
/// since sign-in, without a write on every request; left alone, it ends.
async fn a_signed_in_session_in_use_is_renewed_now_and_then(store: Store) {
    let Some(app) = app(store, &[("SESSION_IDLE_TIMEOUT", "2"), ("SESSION_MAX_AGE", "60")]).await else { return };
    let r = app.request(Request::get("/test/sign-in").body(Body::empty()).expect("req")).await;
    let mut cookie = r.header("set-cookie").split(';').next().unwrap_or("").to_owned();
    let (who, next, _) = fetch(&app, "/test/who", &cookie).await;
    assert_eq!(who, "1");
    cookie = next;
    // Renewed just now: the next read writes nothing and sends no cookie.
    let (who, _, saved) = fetch(&app, "/test/who", &cookie).await;
    assert_eq!((who.as_str(), saved), ("1", false), "a read right after a renewal is not saved");
    // Read every 0.5 s for 3.5 s, longer than the idle timeout since sign-in: still signed in,
    // each renewal sending the browser a fresh cookie.
    let mut renewals = 0;
    for _ in 0..7 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (who, next, saved) = fetch(&app, "/test/who", &cookie).await;
        assert_eq!(who, "1", "a session in use stays signed in");
        cookie = next;
        renewals += usize::from(saved);
    }
    assert!(renewals >= 3, "renewed as it was used ({renewals} times)");
    // Left alone for longer than the idle timeout, it ends.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(fetch(&app, "/test/who", &cookie).await.0, "nobody");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_sites_set_secure_cookies() {
    let app = app(Store::Sqlite, &[("APP_URL", "https://buy.example.gov")]).await.expect("app");
    let r = app.request(Request::get("/test/visits").body(Body::empty()).expect("req")).await;
    assert!(r.header("set-cookie").contains("Secure"), "{}", r.header("set-cookie"));
}

macro_rules! on_every_store {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Store::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Store::Postgres).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                super::$name(super::Store::Redis).await
            }
        }
    };
}
/// An address change ends the user's sessions in every store, at once: the sessions carry the
/// user's epoch, which the change raises in its own transaction.
async fn an_address_change_ends_the_users_sessions_in_every_store(store: Store) {
    use accounts::Role;
    use common::browser::Browser;
    let Some(app) = app(store, &[]).await else { return };
    let admin = common::builders::User::new("boss@example.org").roles(&[Role::Admin]).insert(&app).await;
    let other = Browser::sign_in_as(&app, "other@example.org", &[Role::Staff]).await;
    let laptop = Browser::sign_in_as(&app, "kim@example.org", &[Role::Staff]).await;
    let kim = accounts::users::find_by_email(&app.state.db, "kim@example.org").await.expect("q").expect("kim");
    let phone = Browser::new(&app);
    phone.sign_in(kim.id).await;
    assert_eq!(laptop.get("/profile").await.status, 200);
    assert_eq!(phone.get("/profile").await.status, 200);

    let txn = platform::db::begin_write(&app.state.db).await.expect("begin");
    accounts::users::change_email(&txn, &admin, kim.id, "kim@new.example").await.expect("changed");
    txn.commit().await.expect("commit");
    assert_eq!(laptop.get("/profile").await.status, 303);
    assert_eq!(phone.get("/profile").await.status, 303);
    assert_eq!(other.get("/profile").await.status, 200, "another user's session goes on");

    // Only an admin changes someone else's address; a staff member is refused.
    let staff = accounts::users::current_user(&app.state.db, kim.id).await.expect("q").expect("kim");
    let other_id = accounts::users::find_by_email(&app.state.db, "other@example.org").await.expect("q").expect("u").id;
    let txn = platform::db::begin_write(&app.state.db).await.expect("begin");
    let refused = accounts::users::change_email(&txn, &staff, other_id, "x@new.example").await;
    assert!(matches!(refused, Err(accounts::ServiceError::Denied(_))), "{refused:?}");
    txn.rollback().await.expect("rollback");
    assert_eq!(other.get("/profile").await.status, 200);
}

on_every_store!(sessions_keep_state_behind_a_signed_cookie);
on_every_store!(an_address_change_ends_the_users_sessions_in_every_store);
on_every_store!(sessions_end_when_idle_and_at_their_absolute_limit);
on_every_store!(a_signed_in_session_in_use_is_renewed_now_and_then);
