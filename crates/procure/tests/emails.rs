//! Every email the application sends, as its recipient gets it (subject with the prefix,
//! headers that matter, text and HTML parts), kept as an `insta` snapshot in
//! `tests/snapshots/`. Each is triggered the way the app sends it: a request through the
//! router, or the service or job that queues it; so a snapshot covers the template and the
//! context the code builds for it. What changes from run to run (ids, tokens, signatures,
//! Message-IDs, the moment of a server error) is replaced by a placeholder; dates the code
//! takes as a parameter are fixed, and opportunities close on a fixed day in 2099.
//!
//! After changing an email on purpose: `INSTA_UPDATE=always cargo test -p procure --test emails`
//! rewrites the snapshots (or `cargo insta review`, with cargo-insta installed); read the diff
//! of the `.snap` files and commit them. Under `CI=true` insta writes nothing, and a snapshot
//! that differs or is missing fails the test.
//!
//! SQLite only: the snapshots do not depend on the database, and one backend is enough.

mod common;

use accounts::{CurrentUser, Role};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::browser::Browser;
use common::builders::{Category, Contract, Opportunity, User, Vendor};
use common::mail::Mail;
use common::{Backend, TestApp};
use model::entities::{opportunity, vendor_opportunity};
use sea_orm::{ActiveModelTrait, Set};

/// Placeholders for what differs between runs.
const FILTERS: &[(&str, &str)] = &[
    // Message-IDs: <uuid@host>.
    (r"<[0-9a-f]{32}@", "<[MESSAGE-ID]@"),
    // Vendor links' HMAC signatures (the secret is made per test folder).
    (r"sig=[0-9a-f]{64}", "sig=[SIGNATURE]"),
    // Sign-in link tokens.
    (r"token=[A-Za-z0-9_-]{43}", "token=[TOKEN]"),
    // Record ids in links.
    (r"/(opportunities|vendors|admin|contracts|follow)/[0-9]+", "/$1/[ID]"),
    // The moment of a server error (UTC).
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", "[NOW]"),
];

/// The message as a reader would see it, headers first.
fn show(mail: &Mail) -> String {
    let mut out = format!("From: {}\nTo: {}\n", mail.from, mail.to.join(", "));
    if !mail.cc.is_empty() {
        out.push_str(&format!("Cc: {}\n", mail.cc.join(", ")));
    }
    if let Some(reply_to) = &mail.reply_to {
        out.push_str(&format!("Reply-To: {reply_to}\n"));
    }
    out.push_str(&format!("Subject: {}\nMessage-ID: {}\n", mail.subject, mail.message_id));
    if let Some(unsubscribe) = &mail.list_unsubscribe {
        out.push_str(&format!("List-Unsubscribe: {unsubscribe}\n"));
    }
    if let Some(post) = &mail.list_unsubscribe_post {
        out.push_str(&format!("List-Unsubscribe-Post: {post}\n"));
    }
    out.push_str("\n----- text/plain -----\n");
    out.push_str(&mail.text);
    if let Some(html) = &mail.html {
        out.push_str("\n----- text/html -----\n");
        out.push_str(html);
    }
    out
}

/// Checks `mail` against `tests/snapshots/<name>.snap`.
fn snapshot(name: &str, mail: &Mail) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (pattern, placeholder) in FILTERS {
        settings.add_filter(pattern, *placeholder);
    }
    settings.bind(|| insta::assert_snapshot!(name, show(mail)));
}

/// The one email among `mails` whose subject contains `subject`.
fn titled<'a>(mails: &'a [Mail], subject: &str) -> &'a Mail {
    let found: Vec<&Mail> = mails.iter().filter(|m| m.subject.contains(subject)).collect();
    assert_eq!(
        found.len(),
        1,
        "one email with {subject:?} in {:#?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    found[0]
}

async fn app() -> TestApp {
    TestApp::new(Backend::Sqlite, &[]).await.expect("app")
}

/// 2 pm on June 30, 2099, city time: when the opportunities of these emails close.
fn closing(app: &TestApp) -> DateTime<Utc> {
    let tz = app.state.config.site.display_timezone;
    tz.with_ymd_and_hms(2099, 6, 30, 14, 0, 0).single().expect("a moment").with_timezone(&Utc)
}

/// Who Beacon's emails are about and to.
struct Cast {
    staff: CurrentUser,
    conductor: CurrentUser,
    paving: i32,
}

async fn cast(app: &TestApp) -> Cast {
    Cast {
        staff: User::new("drafter@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await,
        conductor: User::new("approver@pittsburghpa.gov").roles(&[Role::Conductor]).insert(app).await,
        paving: Category::new("Paving").codes("91300").insert(app).await,
    }
}

/// "Salt dome repairs", in Paving, closing at [`closing`], drafted by the staff member.
async fn draft(app: &TestApp, cast: &Cast) -> opportunity::Model {
    Opportunity::new("Salt dome repairs")
        .description("Repairs to two salt domes.")
        .categories(&[cast.paving])
        .closes_at(closing(app))
        .create(app, &cast.staff)
        .await
}

/// The draft, approved by the conductor (published at once, its announcement queued).
async fn published(app: &TestApp, cast: &Cast) -> opportunity::Model {
    let o = draft(app, cast).await;
    let today = app.state.config.site.today();
    beacon::lifecycle::approve(&app.state.db, Some(&cast.conductor), o.id, Utc::now(), today).await.expect("approve")
}

async fn follow(app: &TestApp, vendor_id: i32, opportunity_id: i32) {
    vendor_opportunity::ActiveModel { vendor_id: Set(vendor_id), opportunity_id: Set(opportunity_id) }
        .insert(&app.state.db)
        .await
        .expect("follow");
}

#[tokio::test]
async fn accounts_sign_in_link() {
    let app = app().await;
    User::new("jane.doe@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let asked = Browser::new(&app).post("/sign-in", &[("email", "Jane.Doe@PittsburghPA.gov")]).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    snapshot("accounts_sign_in_link", titled(&app.emails().await, "sign-in link"));
}

#[tokio::test]
async fn accounts_email_changed() {
    let app = app().await;
    let admin = Browser::sign_in_as(&app, "boss@pittsburghpa.gov", &[Role::Admin]).await;
    let kim = User::new("kim@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let changed = admin
        .post(&format!("/admin/users/{}/edit", kim.id), &[("email", "kim.lee@pittsburghpa.gov"), ("active", "on")])
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    app.run_pending_jobs().await;
    snapshot("accounts_email_changed", titled(&app.emails().await, "email address was changed"));
}

/// A new vendor signs up for Paving through the form.
async fn sign_up(visitor: &Browser<'_>, paving: i32) {
    let paving = paving.to_string();
    let fields = [
        ("business_name", "Keystone Paving"),
        ("email", "Bids@Keystone.example"),
        ("first_name", "Dana"),
        ("newsletter", "on"),
        ("category", paving.as_str()),
    ];
    let done = visitor.post("/beacon/sign-up", &fields).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
}

/// A vendor signs up and confirms with the emailed link; an admin is there to be told.
async fn sign_up_and_confirm(app: &TestApp) {
    let paving = Category::new("Paving").codes("91300").insert(app).await;
    User::new("admin@pittsburghpa.gov").roles(&[Role::Admin]).insert(app).await;
    let visitor = Browser::new(app);
    sign_up(&visitor, paving).await;
    let confirm = app.emails_to("bids@keystone.example").await[0].link("/beacon/vendors/").expect("confirm link");
    let confirmed = visitor.post(&confirm, &[]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
}

#[tokio::test]
async fn beacon_confirm() {
    let app = app().await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    sign_up(&Browser::new(&app), paving).await;
    snapshot("beacon_confirm", titled(&app.emails().await, "Confirm"));
}

#[tokio::test]
async fn beacon_welcome() {
    let app = app().await;
    sign_up_and_confirm(&app).await;
    snapshot("beacon_welcome", titled(&app.emails_to("bids@keystone.example").await, "Welcome"));
}

#[tokio::test]
async fn beacon_new_vendor() {
    let app = app().await;
    sign_up_and_confirm(&app).await;
    snapshot("beacon_new_vendor", titled(&app.emails_to("admin@pittsburghpa.gov").await, "New vendor"));
}

#[tokio::test]
async fn beacon_manage_link() {
    let app = app().await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    let known = Vendor::new("bids@keystone.example").business("Keystone Paving").categories(&[paving]).confirmed();
    known.insert(&app).await;
    sign_up(&Browser::new(&app), paving).await;
    snapshot("beacon_manage_link", titled(&app.emails().await, "subscription"));
}

#[tokio::test]
async fn beacon_resubscribe() {
    let app = app().await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    Vendor::new("bids@keystone.example")
        .business("Keystone Paving")
        .categories(&[paving])
        .confirmed()
        .unsubscribed()
        .insert(&app)
        .await;
    let asked = Browser::new(&app).post("/beacon/manage", &[("email", "bids@keystone.example")]).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    snapshot("beacon_resubscribe", titled(&app.emails().await, "again"));
}

#[tokio::test]
async fn beacon_follow_link() {
    let app = app().await;
    let cast = cast(&app).await;
    let o = published(&app, &cast).await;
    Vendor::new("bids@keystone.example").business("Keystone Paving").confirmed().insert(&app).await;
    let path = format!("/beacon/opportunities/{}/follow", o.id);
    let asked =
        Browser::new(&app).post(&path, &[("email", "bids@keystone.example"), ("business_name", "Keystone")]).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    snapshot("beacon_follow_link", titled(&app.emails().await, "Follow"));
}

/// The staff form's fields for the draft of [`draft`].
fn form(app: &TestApp, cast: &Cast, department: i32, kind: i32) -> Vec<(String, String)> {
    let tz = app.state.config.site.display_timezone;
    let today = app.state.config.site.today();
    let end = closing(app).with_timezone(&tz);
    [
        ("title", "Salt dome repairs".to_owned()),
        ("description", "Repairs to two salt domes.".to_owned()),
        ("department", department.to_string()),
        ("contract_type", kind.to_string()),
        ("planned_publish", today.to_string()),
        ("planned_submission_start", (today + chrono::Duration::days(1)).to_string()),
        ("planned_submission_end", end.date_naive().to_string()),
        ("planned_submission_end_time", end.format("%H:%M").to_string()),
        ("category", cast.paving.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The staff member drafts "Salt dome repairs" on Beacon's form.
async fn draft_on_the_form(app: &TestApp, cast: &Cast) {
    let db = &app.state.db;
    let works = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
    let kind = common::builders::bid_type(app).await;
    let staff = Browser::new(app);
    staff.sign_in(cast.staff.id).await;
    let fields = form(app, cast, works, kind);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = staff.post_multipart("/beacon/admin/new", &pairs, ("document", "", b"")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

#[tokio::test]
async fn beacon_sent_for_approval() {
    let app = app().await;
    let cast = cast(&app).await;
    draft_on_the_form(&app, &cast).await;
    snapshot("beacon_sent_for_approval", titled(&app.emails_to("drafter@pittsburghpa.gov").await, "Sent for approval"));
}

#[tokio::test]
async fn beacon_needs_review() {
    let app = app().await;
    let cast = cast(&app).await;
    draft_on_the_form(&app, &cast).await;
    snapshot("beacon_needs_review", titled(&app.emails_to("approver@pittsburghpa.gov").await, "Needs review"));
}

/// The conductor approves the draft on Beacon's staff page.
async fn approve_on_the_page(app: &TestApp, cast: &Cast) -> opportunity::Model {
    let o = draft(app, cast).await;
    let conductor = Browser::new(app);
    conductor.sign_in(cast.conductor.id).await;
    let approved = conductor.post(&format!("/beacon/admin/{}/approve", o.id), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    o
}

#[tokio::test]
async fn beacon_approved() {
    let app = app().await;
    let cast = cast(&app).await;
    approve_on_the_page(&app, &cast).await;
    snapshot("beacon_approved", titled(&app.emails_to("drafter@pittsburghpa.gov").await, "Approved"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beacon_new_opportunity() {
    let app = app().await;
    let cast = cast(&app).await;
    Vendor::new("bids@keystone.example")
        .business("Keystone Paving")
        .categories(&[cast.paving])
        .confirmed()
        .insert(&app)
        .await;
    approve_on_the_page(&app, &cast).await;
    // The approval queued the announcement; a worker fans it out and sends it.
    app.run_pending_jobs().await;
    let mails = app.emails_to("bids@keystone.example").await;
    assert!(mails.iter().all(|m| m.delivered), "sent by the worker");
    snapshot("beacon_new_opportunity", titled(&mails, "New bid opportunity"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beacon_addendum() {
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let app = app().await;
    let cast = cast(&app).await;
    let o = published(&app, &cast).await;
    let follower = Vendor::new("bids@keystone.example").business("Keystone Paving").confirmed().insert(&app).await;
    follow(&app, follower.id, o.id).await;
    // The conductor adds a document to the published opportunity on its staff page.
    let db = &app.state.db;
    let works = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
    let mut fields = form(&app, &cast, works, o.contract_type_id);
    fields.retain(|(k, _)| k != "planned_publish" && k != "planned_submission_start");
    fields.push(("planned_publish".into(), o.planned_publish.to_string()));
    fields.push(("planned_submission_start".into(), o.planned_submission_start.to_string()));
    fields.push(("document_name".into(), "Addendum 1".into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let conductor = Browser::new(&app);
    conductor.sign_in(cast.conductor.id).await;
    let added = conductor.post_multipart(&format!("/beacon/admin/{}", o.id), &pairs, ("document", "a.pdf", PDF)).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    app.run_pending_jobs().await;
    snapshot("beacon_addendum", titled(&app.emails_to("bids@keystone.example").await, "New document"));
}

#[tokio::test]
async fn beacon_reminder() {
    let app = app().await;
    let cast = cast(&app).await;
    let o = published(&app, &cast).await;
    let follower = Vendor::new("bids@keystone.example").business("Keystone Paving").confirmed().insert(&app).await;
    follow(&app, follower.id, o.id).await;
    let links = common::beacon::links(&app);
    let five_days_before = NaiveDate::from_ymd_opt(2099, 6, 25).expect("day");
    let queued = beacon::notify::remind(&app.state.db, &common::beacon::mailing(&app, &links), five_days_before).await;
    assert_eq!(queued.expect("remind"), 1);
    snapshot("beacon_reminder", titled(&app.emails().await, "Bids close in 5 days"));
}

#[tokio::test]
async fn beacon_digest() {
    let app = app().await;
    let cast = cast(&app).await;
    published(&app, &cast).await;
    Vendor::new("bids@keystone.example").business("Keystone Paving").confirmed().insert(&app).await;
    let links = common::beacon::links(&app);
    let edition = NaiveDate::from_ymd_opt(2099, 6, 15).expect("day");
    let now = Utc.with_ymd_and_hms(2099, 6, 15, 11, 0, 0).single().expect("moment");
    let sent = beacon::digest::send(&app.state.db, &common::beacon::mailing(&app, &links), edition, now).await;
    assert_eq!(sent.expect("digest"), 1);
    snapshot("beacon_digest", titled(&app.emails().await, "on Beacon"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_server_error() {
    use axum::body::Body;
    use axum::http::Request;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/p.db", dir.path().display());
    let env = [
        ("PROCURE_ENV", "production"),
        ("SECRET_KEY", "Zq8vN3pL0sX7rT2mW9yB4cH6jK1fD5gA8eU3iO0pQ7wE2rT9yU4iO6pA1sD3fG5h"),
        ("APP_URL", "https://buy.example.gov"),
        ("DATABASE_URL", url.as_str()),
        ("ADMINS", "Ops <ops@example.gov>, dev@example.gov"),
    ];
    async fn boom() -> &'static str {
        panic!("deliberate test panic")
    }
    let routes = axum::Router::new().route("/test/panic", axum::routing::get(boom));
    let app = TestApp::with_routes(Backend::Sqlite, &env, routes).await.expect("app");
    let request = Request::get("/test/panic")
        .header("host", "buy.example.gov")
        .header("x-request-id", "req-7f3c9a2e")
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.request(request).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    // The admins' email is queued after the response has gone.
    for _ in 0..100 {
        if !app.queued_emails().await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    snapshot("platform_server_error", titled(&app.emails().await, "Server error"));
}

#[tokio::test]
async fn scout_expiration() {
    let app = app().await;
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("day");
    let gear = Contract::new("PROTECTIVE GEAR FOR FIREFIGHTERS")
        .controller("49020")
        .expires(today + chrono::Duration::days(10))
        .company("3 RIVERS FIRE EQUIPMENT")
        .insert(&app)
        .await;
    let staff = Browser::sign_in_as(&app, "staff@pittsburghpa.gov", &[Role::Staff]).await;
    let followed = staff.post(&format!("/scout/contracts/{}/follow", gear.id), &[]).await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER, "{}", followed.body);
    let sent = scout::notices::send(&app.state.db, &app.state.templates, &app.state.config, today).await;
    assert_eq!(sent.expect("notices"), 1);
    snapshot("scout_expiration", titled(&app.emails().await, "expires"));
}

#[tokio::test]
async fn scout_feedback() {
    let app = app().await;
    let gear = Contract::new("PROTECTIVE GEAR FOR FIREFIGHTERS").company("3 RIVERS FIRE EQUIPMENT").insert(&app).await;
    User::new("admin@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let path = format!("/scout/contracts/{}/feedback", gear.id);
    let message = [("sender", "Vendor@Example.com"), ("message", "The gear price changed.\nCall me.")];
    let sent = Browser::new(&app).post(&path, &message).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    snapshot("scout_feedback", titled(&app.emails().await, "Feedback"));
}
