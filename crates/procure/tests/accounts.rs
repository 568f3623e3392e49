//! Signing in by emailed link, the profile, signing out, throttling, and `createsuperuser`.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use common::browser::{Browser, last_email, queued_emails, token_in};
use common::{Backend, TestApp};
use model::entities::{department, sign_in_token, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn app(backend: Backend) -> Option<TestApp> {
    TestApp::new(backend, &[]).await
}

async fn link_for(app: &TestApp, browser: &Browser<'_>, email: &str, next: Option<&str>) -> String {
    let mut form = vec![("email", email)];
    if let Some(next) = next {
        form.push(("next", next));
    }
    let sent = browser.post("/sign-in", &form).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("Check your email"), "{}", sent.body);
    let email_json = last_email(app).await.expect("an email was queued");
    assert_eq!(email_json["to"][0], email.to_lowercase());
    token_in(&email_json).expect("the email carries a link")
}

async fn a_new_staff_member_signs_in_once_and_completes_the_profile(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    let browser = Browser::new(&app);
    let token = link_for(&app, &browser, "Jane.Doe@PittsburghPA.gov", Some("/admin/")).await;
    assert_eq!(token.len(), 43, "32 random bytes, base64url");

    // Asking created nobody: the link names the address; only the token's hash is stored.
    let find_jane =
        || user::Entity::find().filter(user::Column::Email.eq("jane.doe@pittsburghpa.gov")).one(&app.state.db);
    assert!(find_jane().await.expect("query").is_none(), "no user before the link is used");
    let stored = sign_in_token::Entity::find().all(&app.state.db).await.expect("tokens");
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].email.as_str(), stored[0].user_id), ("jane.doe@pittsburghpa.gov", None));
    assert_ne!(stored[0].token_hash, token, "the token itself is never stored");
    assert_eq!(stored[0].token_hash.len(), 64, "a SHA-256");

    // Opening the link uses nothing up (and creates nobody); the button does.
    let confirm = browser.get(&format!("/sign-in/link?token={token}")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("jane.doe@pittsburghpa.gov"));
    assert!(find_jane().await.expect("query").is_none());
    let before = browser.cookie("procure_session").expect("the request started a session");
    let signed_in = browser.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), "/profile?next=%2Fadmin%2F", "new staff go to their profile first");
    let after = browser.cookie("procure_session").expect("session");
    assert_ne!(before, after, "signing in rotates the session id");

    // Now the user exists: staff, waiting in "New User".
    let jane = find_jane().await.expect("query").expect("created when the link was used");
    let dept = department::Entity::find_by_id(jane.department_id.expect("department")).one(&app.state.db).await;
    assert_eq!(dept.expect("query").expect("department").name, "New User");
    assert_eq!(accounts::users::roles_of(&app.state.db, jane.id).await.expect("roles"), vec![Role::Staff]);

    // A second use is refused with a page that says so.
    let again = browser.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("already been used"), "{}", again.body);

    // The profile: a blank department and "New User" are validation errors, not crashes.
    let profile = browser.get("/profile?next=%2Fadmin%2F").await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    assert!(profile.body.contains("Equal Opportunity Review Commission"));
    assert!(!profile.body.contains(">New User<"), "New User is not a choice");
    let blank = browser.post("/profile", &[("first_name", "Jane"), ("last_name", "Doe"), ("department", "")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST, "{}", blank.body);
    assert!(blank.body.contains("Choose your department"), "{}", blank.body);
    let new_user = accounts::users::department_id(&app.state.db, "New User").await.expect("q").expect("seeded");
    let waiting = browser
        .post("/profile", &[("first_name", "Jane"), ("last_name", "Doe"), ("department", &new_user.to_string())])
        .await;
    assert_eq!(waiting.status, StatusCode::BAD_REQUEST);
    let works =
        accounts::users::department_id(&app.state.db, "Department of Public Works").await.expect("q").expect("seeded");
    let saved = browser
        .post(
            "/profile",
            &[("first_name", "Jane"), ("last_name", "Doe"), ("department", &works.to_string()), ("next", "/admin/")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.header("location"), "/admin/");
    let jane = user::Entity::find_by_id(jane.id).one(&app.state.db).await.expect("q").expect("user");
    assert_eq!((jane.first_name.as_deref(), jane.department_id), (Some("Jane"), Some(works)));
    assert_eq!(jane.updated_by, Some(jane.id), "the service fills the audit columns");

    // Staff see no admin menu, and the admin is not theirs.
    let home = browser.get("/").await;
    assert!(home.body.contains("Jane Doe") && !home.body.contains("href=\"/admin/\""), "{}", home.body);
    assert_eq!(browser.get("/admin/").await.status, StatusCode::FORBIDDEN);

    // Signing out ends the session.
    let out = browser.post("/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let profile = browser.get("/profile").await;
    assert_eq!(profile.status, StatusCode::SEE_OTHER);
    assert_eq!(profile.header("location"), "/sign-in?next=%2Fprofile");
}
on_both_backends!(a_new_staff_member_signs_in_once_and_completes_the_profile);

async fn tampered_expired_and_foreign_links_are_refused(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    let browser = Browser::new(&app);
    let token = link_for(&app, &browser, "sam@pittsburghpa.gov", None).await;

    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for bad in [tampered.as_str(), "abc", "", &format!("{token}x"), "../../etc/passwd"] {
        let r = browser.post("/sign-in/link", &[("token", bad)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("not valid"), "{bad}: {}", r.body);
        let page = browser.get(&format!("/sign-in/link?token={}", urlencode(bad))).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Another browser cannot use the link, and trying does not spend it.
    let other = Browser::new(&app);
    let r = other.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("browser where you asked"), "{}", r.body);

    // Fifteen minutes later it has expired.
    use sea_orm::{ActiveModelTrait, Set};
    let row = sign_in_token::Entity::find().one(&app.state.db).await.expect("q").expect("token");
    let mut row: sign_in_token::ActiveModel = row.into();
    row.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    row.update(&app.state.db).await.expect("update");
    let r = browser.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("expired"), "{}", r.body);
    assert_eq!(browser.get("/profile").await.status, StatusCode::SEE_OTHER, "still signed out");
}
on_both_backends!(tampered_expired_and_foreign_links_are_refused);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn the_form_does_not_tell_who_has_an_account() {
    let Some(app) = app(Backend::Sqlite).await else { return };
    let known = Browser::sign_in_as(&app, "known@example.org", &[Role::Admin]).await;
    known.post("/sign-out", &[]).await;
    let browser = Browser::new(&app);
    let before = queued_emails(&app).await;
    let a = browser.post("/sign-in", &[("email", "known@example.org")]).await;
    assert_eq!(queued_emails(&app).await, before + 1, "the user gets a link");
    let b = browser.post("/sign-in", &[("email", "nobody@example.org")]).await;
    assert_eq!(queued_emails(&app).await, before + 1, "a stranger gets nothing");
    assert_eq!(a.status, b.status);
    assert_eq!(a.body.replace("known@example.org", "X"), b.body.replace("nobody@example.org", "X"));
    let nobody = user::Entity::find().filter(user::Column::Email.eq("nobody@example.org")).one(&app.state.db).await;
    assert!(nobody.expect("q").is_none(), "no account is made for a domain that is not accepted");

    let bad = browser.post("/sign-in", &[("email", "not an address")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("usa-error-message"), "{}", bad.body);
}

/// A throttled request is answered as one that sent a link: the same status and page.
async fn link_requests_are_limited_per_email_and_per_client_without_saying_so(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    let limit = accounts::throttle::SIGN_IN_LINK;
    let mut browser = Browser::new(&app);
    browser.forwarded_for = Some("198.51.100.1, 203.0.113.5".into());
    let mut pages = Vec::new();
    for _ in 0..=limit.per_email {
        let r = browser.post("/sign-in", &[("email", "flood@pittsburghpa.gov")]).await;
        pages.push((r.status, r.body));
    }
    let limited = pages.pop().expect("the request over the limit");
    assert!(pages.iter().all(|p| *p == limited), "the request over the limit looks like the others");
    assert_eq!(limited.0, StatusCode::OK);
    assert!(limited.1.contains("Check your email"), "{}", limited.1);
    assert_eq!(queued_emails(&app).await, i64::try_from(limit.per_email).expect("small"), "no email beyond it");

    // Another address from another client is served.
    let mut other = Browser::new(&app);
    other.forwarded_for = Some("203.0.113.6".into());
    assert_eq!(other.post("/sign-in", &[("email", "calm@pittsburghpa.gov")]).await.status, StatusCode::OK);
    assert_eq!(queued_emails(&app).await, i64::try_from(limit.per_email + 1).expect("small"));

    // One client (the rightmost forwarded address, whatever it claims before it) asking for
    // many addresses is stopped too.
    let mut spoofer = Browser::new(&app);
    let before = queued_emails(&app).await;
    let mut last = None;
    for i in 0..=limit.per_client {
        spoofer.forwarded_for = Some(format!("10.9.9.{i}, 203.0.113.77"));
        last = Some(spoofer.post("/sign-in", &[("email", &format!("user{i}@pittsburghpa.gov"))]).await);
    }
    let last = last.expect("requests");
    assert_eq!(last.status, StatusCode::OK);
    assert!(last.body.contains("Check your email"));
    assert_eq!(queued_emails(&app).await - before, i64::try_from(limit.per_client).expect("small"));
}
on_both_backends!(link_requests_are_limited_per_email_and_per_client_without_saying_so);

async fn asking_for_links_creates_nobody(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    let users_now = || user::Entity::find().count(&app.state.db);
    for i in 0..5 {
        let mut browser = Browser::new(&app);
        browser.forwarded_for = Some(format!("203.0.113.{i}"));
        let r = browser.post("/sign-in", &[("email", &format!("made.up{i}@pittsburghpa.gov"))]).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(users_now().await.expect("count"), 0, "made-up addresses at an accepted domain create no user");
    assert_eq!(queued_emails(&app).await, 5, "each is sent a link");

    // Two links for one new address: the first used creates the user, the second signs in the
    // same user; neither makes a second one.
    let first = Browser::new(&app);
    let a = link_for(&app, &first, "pat@pittsburghpa.gov", None).await;
    let second = Browser::new(&app);
    let b = link_for(&app, &second, "pat@pittsburghpa.gov", None).await;
    assert_eq!(first.post("/sign-in/link", &[("token", &a)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(second.post("/sign-in/link", &[("token", &b)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(users_now().await.expect("count"), 1);

    // If the domain stops being accepted before the link is used, nobody is created.
    let third = Browser::new(&app);
    let c = link_for(&app, &third, "late@pittsburghpa.gov", None).await;
    model::entities::accepted_domain::Entity::delete_many().exec(&app.state.db).await.expect("delete");
    let r = third.post("/sign-in/link", &[("token", &c)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(users_now().await.expect("count"), 1);
}
on_both_backends!(asking_for_links_creates_nobody);

#[tokio::test]
async fn addresses_the_mailer_would_refuse_are_a_form_error() {
    let Some(app) = app(Backend::Sqlite).await else { return };
    let browser = Browser::new(&app);
    for bad in
        ["x\"y@pittsburghpa.gov", "a<b@pittsburghpa.gov", "(c)z@pittsburghpa.gov", "Friendly<crlf3@pittsburghpa.gov>"]
    {
        let r = browser.post("/sign-in", &[("email", bad)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("usa-error-message"), "{bad}: {}", r.body);
    }
    assert_eq!(queued_emails(&app).await, 0);
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_the_same_post_from_the_site_succeeds() {
    let Some(app) = app(Backend::Sqlite).await else { return };
    let body = "email=a%40example.org";
    let request = |site: &str, origin: &str| {
        axum::http::Request::post("/sign-in")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .header("origin", origin)
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let cross = app.request(request("cross-site", "https://evil.example")).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let same = app.request(request("same-origin", "http://localhost")).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_gets_no_links() {
    let Some(app) = app(Backend::Sqlite).await else { return };
    let browser = Browser::sign_in_as(&app, "leaver@example.org", &[Role::Staff]).await;
    assert_eq!(browser.get("/profile").await.status, StatusCode::OK);
    user::Entity::update_many()
        .col_expr(user::Column::Active, sea_orm::sea_query::Expr::value(false))
        .exec(&app.state.db)
        .await
        .expect("deactivate");
    assert_eq!(browser.get("/profile").await.status, StatusCode::SEE_OTHER);
    let before = queued_emails(&app).await;
    browser.post("/sign-in", &[("email", "leaver@example.org")]).await;
    assert_eq!(queued_emails(&app).await, before);
}

#[tokio::test]
async fn sign_in_returns_only_to_paths_on_this_site() {
    let Some(app) = app(Backend::Sqlite).await else { return };
    let _admin = Browser::sign_in_as(&app, "boss@example.org", &[Role::Admin]).await;
    for (next, expected) in
        [("/admin/users/", "/admin/users/"), ("https://evil.example/", "/"), ("//evil.example", "/")]
    {
        let browser = Browser::new(&app);
        let token = link_for(&app, &browser, "boss@example.org", Some(next)).await;
        let r = browser.post("/sign-in/link", &[("token", &token)]).await;
        assert_eq!(r.header("location"), expected, "{next}");
    }
    let page = Browser::new(&app).get("/sign-in?next=https%3A%2F%2Fevil.example%2F").await;
    assert!(!page.body.contains("evil.example"), "an unsafe next is dropped from the form");
}

#[test]
fn createsuperuser_prints_a_link_that_signs_in_once() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [("PROCURE_ENV", "test"), ("APP_URL", "http://localhost:8000")];
    let out = common::bin::run(dir.path(), &["createsuperuser", "--email", "Root@Example.org"], &env);
    assert!(out.status.success(), "{}", common::bin::text(&out.stderr));
    let link = common::bin::text(&out.stdout).trim().to_owned();
    assert!(link.starts_with("http://localhost:8000/sign-in/link?token="), "{link}");
    assert!(common::bin::text(&out.stderr).contains("created superadmin root@example.org"));

    // Running it again promotes rather than duplicates; SEEDEMAIL is the seeds' spelling.
    let again =
        common::bin::run(dir.path(), &["createsuperuser"], &[env[0], env[1], ("SEEDEMAIL", "root@example.org")]);
    assert!(again.status.success(), "{}", common::bin::text(&again.stderr));
    assert!(common::bin::text(&again.stderr).contains("promoted superadmin"));

    // Unattended setup (Heroku's postdeploy) prints no link.
    let quiet = common::bin::run(dir.path(), &["createsuperuser", "--no-link", "--email", "second@example.org"], &env);
    assert!(quiet.status.success());
    assert_eq!(common::bin::text(&quiet.stdout), "");
    assert!(!common::bin::text(&quiet.stderr).contains("token="));

    let bad = common::bin::run(dir.path(), &["createsuperuser", "--email", "nope"], &env);
    assert!(!bad.status.success());
    assert!(common::bin::text(&bad.stderr).contains("email address"), "{}", common::bin::text(&bad.stderr));
}

#[tokio::test]
async fn with_password_login_staff_set_a_password_and_sign_in_with_it() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[("PASSWORD_LOGIN", "1")]).await else { return };
    let browser = Browser::sign_in_as(&app, "pat@example.org", &[Role::Staff]).await;
    let profile = browser.get("/profile").await;
    assert!(profile.body.contains("action=\"/profile/password\""), "{}", profile.body);
    let short = browser.post("/profile/password", &[("password", "short"), ("confirm", "short")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("at least 12 characters"), "{}", short.body);
    let good = "a long and private phrase";
    let set = browser.post("/profile/password", &[("password", good), ("confirm", good)]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let stored = user::Entity::find().filter(user::Column::Email.eq("pat@example.org")).one(&app.state.db).await;
    let stored = stored.expect("q").expect("user").password_hash.expect("a hash is stored");
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(good));
    browser.post("/sign-out", &[]).await;
    // As a browser follows the redirect, to the home page that says so.
    assert!(browser.get("/").await.body.contains("You are signed out."));

    let wrong =
        browser.post("/sign-in/password", &[("email", "pat@example.org"), ("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let unknown =
        browser.post("/sign-in/password", &[("email", "nobody@example.org"), ("password", "not the password")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.body.replace("pat@example.org", "X"),
        unknown.body.replace("nobody@example.org", "X"),
        "a wrong password and an unknown email look the same"
    );
    assert_eq!(browser.get("/profile").await.status, StatusCode::SEE_OTHER, "still signed out");
    let before = browser.cookie("procure_session");
    let right = browser
        .post("/sign-in/password", &[("email", "Pat@Example.org"), ("password", good), ("next", "/profile")])
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.header("location"), "/profile");
    assert_ne!(browser.cookie("procure_session"), before, "a new session id");
    assert_eq!(browser.get("/profile").await.status, StatusCode::OK);

    // Guessing is throttled like link requests.
    let guesser = Browser::new(&app);
    let mut last = 0;
    for _ in 0..=accounts::throttle::PASSWORD.per_email {
        last = guesser
            .post("/sign-in/password", &[("email", "pat@example.org"), ("password", "guess")])
            .await
            .status
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn password_sign_in_is_off_unless_configured() {
    let Some(app) = app(Backend::Sqlite).await else { return };
    let browser = Browser::new(&app);
    assert!(!browser.get("/sign-in").await.body.contains("/sign-in/password"));
    let r = browser.post("/sign-in/password", &[("email", "a@example.org"), ("password", "whatever it is")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Finding 8 of issue 12: an admin changing someone's address (to then sign in as them) must
/// end that user's sessions, void the links sent to the old address, tell the old address,
/// and leave an audit entry.
async fn an_address_change_ends_the_users_sessions_and_tells_the_old_address(backend: Backend) {
    use model::entities::audit_log;
    let Some(app) = app(backend).await else { return };
    let admin = Browser::sign_in_as(&app, "boss@example.org", &[Role::Admin]).await;
    let laptop = Browser::sign_in_as(&app, "kim@example.org", &[Role::Staff]).await;
    let kim = accounts::users::find_by_email(&app.state.db, "kim@example.org").await.expect("q").expect("kim");
    let phone = Browser::new(&app);
    phone.sign_in(kim.id).await;
    let unused = Browser::new(&app);
    let old_link = link_for(&app, &unused, "kim@example.org", None).await;
    for b in [&laptop, &phone] {
        assert_eq!(b.get("/profile").await.status, StatusCode::OK);
    }
    // Other users' sessions are not touched.
    assert_eq!(admin.get("/profile").await.status, StatusCode::OK);

    // A change that is refused changes nothing.
    let bad = admin
        .post(&format!("/admin/users/{}/edit", kim.id), &[("email", "Kim <kim@evil.example>"), ("active", "on")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("usa-error-message"), "{}", bad.body);
    assert_eq!(laptop.get("/profile").await.status, StatusCode::OK);

    let changed =
        admin.post(&format!("/admin/users/{}/edit", kim.id), &[("email", "Kim@Evil.example"), ("active", "on")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let now = user::Entity::find_by_id(kim.id).one(&app.state.db).await.expect("q").expect("kim");
    assert_eq!(now.email, "kim@evil.example");
    for b in [&laptop, &phone] {
        let r = b.get("/profile").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "every session of the user ended");
        assert_eq!(r.header("location"), "/sign-in?next=%2Fprofile");
    }
    assert_eq!(admin.get("/profile").await.status, StatusCode::OK, "the admin's own session goes on");
    let r = unused.post("/sign-in/link", &[("token", &old_link)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a link sent to the old address signs nobody in");

    // The old address is told, by whom, and what the new one is.
    app.run_pending_jobs().await;
    let told = app.emails_to("kim@example.org").await;
    let notice = told.iter().find(|m| m.subject.contains("email address was changed")).expect("a notice");
    assert!(notice.text.contains("kim@evil.example") && notice.text.contains("boss@example.org"), "{}", notice.text);
    assert!(app.emails_to("kim@evil.example").await.is_empty(), "the new address is told nothing");

    // Audited where the back-office audits: before and after.
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Resource.eq("users"))
        .filter(audit_log::Column::RecordId.eq(kim.id.to_string()))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("an audit entry");
    assert!(entry.before.as_deref().is_some_and(|b| b.contains("kim@example.org")));
    assert!(entry.after.as_deref().is_some_and(|a| a.contains("kim@evil.example")));

    // Signing in afresh (at the new address) works, once: an epoch is not a ban.
    let fresh = Browser::new(&app);
    fresh.sign_in(kim.id).await;
    assert_eq!(fresh.get("/profile").await.status, StatusCode::OK);
}
on_both_backends!(an_address_change_ends_the_users_sessions_and_tells_the_old_address);

async fn the_sign_in_page_is_for_city_staff_and_sends_vendors_to_beacon(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    let visitor = Browser::new(&app);
    let form = visitor.get("/sign-in").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("<h1>Sign in for city staff</h1>"), "{}", form.body);
    assert!(form.body.contains("Vendors do not sign in here"), "{}", form.body);
    assert!(form.body.contains("href=\"/beacon/manage\""), "vendors are pointed to Beacon's manage link");

    // A vendor's address gets no link, and the page does not claim one is on its way.
    let before = queued_emails(&app).await;
    let sent = visitor.post("/sign-in", &[("email", "sales@saltvendor.example")]).await;
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(queued_emails(&app).await, before, "nothing is sent");
    assert!(
        sent.body.contains("If <strong>sales@saltvendor.example</strong> may sign in, a link is on its way"),
        "{}",
        sent.body
    );
    assert!(sent.body.contains("href=\"/beacon/manage\""));
}
on_both_backends!(the_sign_in_page_is_for_city_staff_and_sends_vendors_to_beacon);

async fn signing_out_says_so_once(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    let browser = Browser::sign_in_as(&app, "leaving@example.org", &[Role::Staff]).await;
    let out = browser.post("/sign-out", &[]).await;
    assert_eq!((out.status, out.header("location")), (StatusCode::SEE_OTHER, "/"));
    // A live page's region fetching itself again (assets/js/live.js) leaves the message for
    // the page the browser is going to.
    let refresh = axum::http::Request::get("/").header("x-live-refresh", "1");
    let region = browser.send(refresh, axum::body::Body::empty()).await;
    assert!(!region.body.contains("You are signed out."), "{}", region.body);
    let home = browser.get("/").await;
    assert!(home.body.contains("You are signed out."), "{}", home.body);
    assert!(home.body.contains("usa-alert--info"));
    assert_eq!(home.header("cache-control"), "private, no-store", "a page with a message is never cached");
    assert!(home.body.contains("href=\"/sign-in\""), "and signed out it is");
    let kept = app.count("SELECT COUNT(*) FROM sessions WHERE data LIKE '%signed out%'").await;
    assert_eq!(kept, 0, "the message is gone from the session");
    assert!(!browser.get("/").await.body.contains("You are signed out."), "once");

    // Someone who was not signed in is told nothing.
    let visitor = Browser::new(&app);
    assert_eq!(visitor.post("/sign-out", &[]).await.status, StatusCode::SEE_OTHER);
    assert!(!visitor.get("/").await.body.contains("You are signed out."));
}
on_both_backends!(signing_out_says_so_once);

async fn a_message_never_reaches_a_page_cached_for_everyone(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    common::builders::Contract::new("Road salt").insert(&app).await;
    let leaving = Browser::sign_in_as(&app, "leaving@example.org", &[Role::Staff]).await;
    leaving.post("/sign-out", &[]).await;
    let others = Browser::new(&app);
    let pages = ["/beacon/", "/scout/", "/scout/search?q=salt", "/", "/about/"];
    let mut shown = 0;
    for path in pages {
        let mine = leaving.get(path).await;
        assert_eq!(mine.status, StatusCode::OK, "{path}");
        if mine.body.contains("You are signed out.") {
            shown += 1;
            assert_eq!(mine.header("cache-control"), "private, no-store", "{path}");
        }
        let theirs = others.get(path).await;
        assert!(!theirs.body.contains("You are signed out."), "another visitor got it on {path}");
    }
    assert_eq!(shown, 1, "the message shows once, on a page of the visitor's own");
}
on_both_backends!(a_message_never_reaches_a_page_cached_for_everyone);

async fn the_profile_lists_the_contracts_one_follows(backend: Backend) {
    let Some(app) = app(backend).await else { return };
    use common::builders::Contract;
    let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    let salt = Contract::new("Road salt").expires(soon).insert(&app).await;
    let plows = Contract::new("Snow plows").insert(&app).await;
    let paper = Contract::new("Copier paper").insert(&app).await;
    let gear = Contract::new("FIREFIGHTERS' PROTECTIVE GEAR").insert(&app).await;
    let pat = Browser::sign_in_as(&app, "pat@example.org", &[Role::Staff]).await;
    let sam = Browser::sign_in_as(&app, "sam@example.org", &[Role::Staff]).await;

    let empty = pat.get("/profile").await;
    assert!(empty.body.contains("Contracts you follow") && empty.body.contains("You follow no contracts."));
    for id in [salt.id, plows.id, gear.id] {
        assert_eq!(pat.post(&format!("/scout/contracts/{id}/follow"), &[]).await.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(sam.post(&format!("/scout/contracts/{}/follow", paper.id), &[]).await.status, StatusCode::SEE_OTHER);

    let profile = pat.get("/profile").await;
    assert_eq!(profile.status, StatusCode::OK);
    let link = |id: i32| format!("href=\"/scout/contracts/{id}\"");
    assert!(profile.body.contains(&format!("{}>Road salt</a>", link(salt.id))), "{}", profile.body);
    assert!(profile.body.contains("Snow plows"), "{}", profile.body);
    assert!(profile.body.contains("Firefighters&#39; Protective Gear"), "titled as on Scout's pages: {}", profile.body);
    assert!(!profile.body.contains("Copier paper"), "not another user's follows");
    assert!(profile.body.contains(&soon.format("%b %-d, %Y").to_string()), "the expiration");
    assert!(profile.body.contains("Expires within 30 days"), "the status");
    assert!(
        profile.body.find("Road salt") < profile.body.find("Snow plows"),
        "the soonest to expire first, those without a date last"
    );

    // Unfollowing from the profile comes back to it, and says so.
    let unfollow = format!("/profile/following/{}/remove", salt.id);
    assert!(profile.body.contains(&format!("action=\"{unfollow}\"")), "{}", profile.body);
    let gone = pat.post(&unfollow, &[]).await;
    assert_eq!((gone.status, gone.header("location")), (StatusCode::SEE_OTHER, "/profile"));
    let after = pat.get("/profile").await;
    assert!(after.body.contains("You no longer follow “Road salt”."), "{}", after.body);
    assert!(!after.body.contains(&link(salt.id)));
    assert!(after.body.contains("Snow plows"));

    // Someone else's button does nothing to another's follows; an unknown section is a 404.
    assert_eq!(sam.post(&format!("/profile/following/{}/remove", plows.id), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(pat.get("/profile").await.body.contains("Snow plows"));
    assert!(sam.get("/profile").await.body.contains("Copier paper"));
    assert_eq!(pat.post(&format!("/profile/nothing/{}/remove", plows.id), &[]).await.status, StatusCode::NOT_FOUND);
}
on_both_backends!(the_profile_lists_the_contracts_one_follows);

async fn a_users_own_changes_are_in_the_audit_log(backend: Backend) {
    use model::entities::audit_log;
    let Some(app) = TestApp::new(backend, &[("PASSWORD_LOGIN", "1")]).await else { return };
    let pat = Browser::sign_in_as(&app, "pat@example.org", &[Role::Staff]).await;
    let finance = accounts::users::department_id(&app.state.db, "Department of Finance").await.expect("q").expect("d");
    let form = [("first_name", "Pat"), ("last_name", "Doe"), ("department", &finance.to_string())];
    assert_eq!(pat.post("/profile", &form).await.status, StatusCode::SEE_OTHER);
    assert_eq!(pat.post("/profile", &form).await.status, StatusCode::SEE_OTHER, "saved again, unchanged");
    let good = "a long and private phrase";
    assert_eq!(
        pat.post("/profile/password", &[("password", good), ("confirm", good)]).await.status,
        StatusCode::SEE_OTHER
    );
    let refused = pat.post("/profile", &[("first_name", "X"), ("department", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let entries = audit_log::Entity::find().all(&app.state.db).await.expect("log");
    let seen: Vec<_> = entries.iter().map(|e| (e.action.as_str(), e.resource.as_str(), e.summary.as_str())).collect();
    assert_eq!(
        seen,
        vec![("update", "users", "pat@example.org"), ("set_password", "users", "pat@example.org")],
        "one entry per change, none for an unchanged save or a refused form"
    );
    assert!(entries.iter().all(|e| e.actor_id == Some(entries[0].record_id.parse().expect("id"))), "by themselves");
    assert!(!entries[1].after.as_deref().unwrap_or_default().contains("private"), "no password in the log");

    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let page = admin.get("/admin/audit/?resource=users").await;
    let changed = page.body.split("<tr>").find(|r| r.contains("Changed user")).expect("the profile's entry");
    for said in [
        "<strong>First name</strong>: (empty) → Pat",
        "<strong>Last name</strong>: (empty) → Doe",
        "<strong>Department</strong>: Other → Department of Finance",
    ] {
        assert!(changed.contains(said), "{said}: {changed}");
    }
    assert!(page.body.contains("Set the password of user"), "{}", page.body);
}
on_both_backends!(a_users_own_changes_are_in_the_audit_log);
