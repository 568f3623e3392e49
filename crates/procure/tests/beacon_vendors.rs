//! Beacon's vendors on both databases: signing up with double opt-in, managing subscriptions
//! only through signed links (asked for by address, the answer the same for any address),
//! coming back after unsubscribing, and following an opportunity by email.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use beacon::lifecycle;
use chrono::Utc;
use common::beacon::{announce_for, emails_to, link_in_email, setup};
use common::builders::{Category, User, Vendor};
use common::{Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn a_vendor_manages_subscriptions_only_through_the_signed_link(backend: Backend) {
    use model::entities::{vendor, vendor_category};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let s = setup(&app, app.state.config.site.today()).await;
    let paving = s.draft.categories[0];
    let asphalt = Category::new("Asphalt").codes("2").insert(&app).await;
    let v = Vendor::new("bids@keystone.example").categories(&[paving, asphalt]).confirmed().insert(&app).await;
    let links = common::beacon::links(&app);
    let url = links.manage(v.id);
    let path = format!("{}?{}", url.path(), url.query().expect("sig"));

    // Without the right signature there is no page: typing an address only mails its link.
    assert_eq!(app.get(&format!("/beacon/vendors/{}/manage", v.id)).await.status, StatusCode::NOT_FOUND);
    let unsubscribe_sig = links.signature(beacon::links::Purpose::Unsubscribe, v.id);
    let wrong = format!("/beacon/vendors/{}/manage?sig={unsubscribe_sig}", v.id);
    assert_eq!(
        app.get(&wrong).await.status,
        StatusCode::NOT_FOUND,
        "an unsubscribe link does not open the manage page"
    );

    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Paving") && page.body.contains("Asphalt"), "{}", page.body);
    let browser = common::browser::Browser::new(&app);
    let saved = browser.post(&path, &[("category", &paving.to_string())]).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("Saved."));
    let left: Vec<i32> = vendor_category::Entity::find()
        .filter(vendor_category::Column::VendorId.eq(v.id))
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|c| c.category_id)
        .collect();
    assert_eq!(left, vec![paving]);
    let after = vendor::Entity::find_by_id(v.id).one(db).await.expect("q").expect("vendor");
    assert!(!after.newsletter, "unticked");
    assert!(after.unsubscribed_at.is_none());
}
on_both_backends!(a_vendor_manages_subscriptions_only_through_the_signed_link);

async fn a_vendor_signs_up_confirms_and_only_then_hears_of_opportunities(backend: Backend) {
    use model::entities::{vendor, vendor_category};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let admin = User::new("admin@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let paving = s.draft.categories[0].to_string();
    let visitor = common::browser::Browser::new(&app);
    let form = visitor.get("/beacon/sign-up").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Paving") && form.body.contains("<details"), "{}", form.body);

    let bad = visitor
        .post("/beacon/sign-up", &[("business_name", " "), ("email", "nope"), ("phone_number", "555-0100")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for text in ["business&#39;s name", "10 digits", "at least one category"] {
        assert!(bad.body.contains(text), "{text}: {}", bad.body);
    }
    assert_eq!(vendor::Entity::find().all(db).await.expect("q").len(), 0, "nothing stored");

    let fields = [
        ("business_name", "Keystone Paving"),
        ("email", "Bids@Keystone.example"),
        ("first_name", "Dana"),
        ("phone_number", "(412) 555-0100"),
        ("woman_owned", "on"),
        ("newsletter", "on"),
        ("category", paving.as_str()),
    ];
    let done = visitor.post("/beacon/sign-up", &fields).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Check your email"));
    let v = vendor::Entity::find().one(db).await.expect("q").expect("vendor");
    assert_eq!(
        (v.email.as_str(), v.phone_number.as_deref(), v.woman_owned),
        ("bids@keystone.example", Some("4125550100"), true)
    );
    assert!(v.confirmed_at.is_none());
    assert_eq!(emails_to(&app, "bids@keystone.example").await, 1, "the confirmation only");

    // Unconfirmed: an opportunity in its category reaches nobody.
    let links = common::beacon::links(&app);
    let now = Utc::now();
    let first = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), first.id, now, today).await.expect("approve");
    assert_eq!(announce_for(&app, &links, first.id).await, 0);

    // Signing up again with the same address changes nothing; it is sent its confirm link again.
    let again = visitor
        .post(
            "/beacon/sign-up",
            &[("business_name", "Evil"), ("email", "bids@keystone.example"), ("category", paving.as_str())],
        )
        .await;
    assert!(again.body.contains("Check your email"), "the same answer");
    let still = vendor::Entity::find_by_id(v.id).one(db).await.expect("q").expect("vendor");
    assert_eq!(still.business_name, "Keystone Paving");

    // The emailed link shows a button (mail scanners only GET); the POST confirms.
    let path = link_in_email(&app, "bids@keystone.example", "/beacon/vendors/").await;
    assert!(path.contains("/confirm?sig="), "{path}");
    let page = visitor.get(&path).await;
    assert!(page.body.contains("Confirm your subscription"));
    assert!(vendor::Entity::find_by_id(v.id).one(db).await.expect("q").expect("v").confirmed_at.is_none());
    let confirmed = visitor.post(&path, &[]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body.contains("You are subscribed"));
    assert!(emails_to(&app, "admin@pittsburghpa.gov").await == 1, "admins hear of the new vendor");
    let welcome = emails_to(&app, "bids@keystone.example").await;
    visitor.post(&path, &[]).await;
    assert_eq!(emails_to(&app, "bids@keystone.example").await, welcome, "confirming twice sends nothing more");
    let _ = admin;

    // Now the next opportunity reaches them, once.
    let second = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), second.id, now, today).await.expect("approve");
    assert_eq!(announce_for(&app, &links, second.id).await, 1);
    assert_eq!(vendor_category::Entity::find().all(db).await.expect("q").len(), 1);
}
on_both_backends!(a_vendor_signs_up_confirms_and_only_then_hears_of_opportunities);

async fn anyone_follows_an_opportunity_by_email_without_changing_another_vendor(backend: Backend) {
    use common::browser::Browser;
    use model::entities::{vendor, vendor_opportunity};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    let visitor = Browser::new(&app);
    let path = format!("/beacon/opportunities/{}/follow", o.id);
    // A draft cannot be followed (its title would be mailed out).
    let refused = visitor.post(&path, &[("email", "new@vendors.example"), ("business_name", "New Co")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "a draft is no page to follow");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    assert!(visitor.get(&format!("/beacon/opportunities/{}", o.id)).await.body.contains(&path));

    // A new address: an unconfirmed vendor following it, sent the confirmation; after confirming
    // it gets the welcome email the original forgot.
    let ok = visitor.post(&path, &[("email", "New@Vendors.example"), ("business_name", "New Co")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let v = vendor::Entity::find().filter(vendor::Column::Email.eq("new@vendors.example")).one(db).await;
    let v = v.expect("q").expect("the vendor");
    assert!(v.confirmed_at.is_none());
    assert!(vendor_opportunity::Entity::find_by_id((v.id, o.id)).one(db).await.expect("q").is_some());
    let confirm = link_in_email(&app, "new@vendors.example", "/beacon/vendors/").await;
    assert_eq!(visitor.post(&confirm, &[]).await.status, StatusCode::OK);
    assert_eq!(emails_to(&app, "new@vendors.example").await, 2, "the confirmation, then the welcome");
    assert_eq!(common::browser::last_email(&app).await.expect("email")["subject"], "Welcome to Beacon");

    // An existing vendor is mailed a signed follow link; nothing changes until it is used.
    let known = Vendor::new("known@vendors.example").confirmed().insert(&app).await;
    // Without a business name the answer is the same form error as for a new address.
    let nameless = visitor.post(&path, &[("email", "known@vendors.example")]).await;
    assert_eq!(nameless.status, StatusCode::BAD_REQUEST, "no answer tells a vendor's address from another");
    assert!(nameless.body.contains("Enter your business"), "{}", nameless.body);
    visitor.post(&path, &[("email", "known@vendors.example"), ("business_name", "Known Co")]).await;
    assert!(vendor_opportunity::Entity::find_by_id((known.id, o.id)).one(db).await.expect("q").is_none());
    let link = link_in_email(&app, "known@vendors.example", "/beacon/vendors/").await;
    assert!(link.contains(&format!("/follow/{}?sig=", o.id)), "{link}");
    assert!(visitor.get(&link).await.body.contains("Follow this opportunity"));
    let forged = link.replace("sig=", "sig=0");
    assert_eq!(visitor.post(&forged, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(visitor.post(&link, &[]).await.status, StatusCode::OK);
    assert!(vendor_opportunity::Entity::find_by_id((known.id, o.id)).one(db).await.expect("q").is_some());
}
on_both_backends!(anyone_follows_an_opportunity_by_email_without_changing_another_vendor);

/// An opportunity of [`setup`]'s, drafted by its staff member and approved: open to follow.
async fn open_opportunity(app: &TestApp) -> model::entities::opportunity::Model {
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(app, today).await;
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve")
}

/// Follows sent at the same moment from one new address make one vendor; none fails on the
/// unique address (each had looked for the vendor before waiting its turn at the mail limit).
async fn follows_at_the_same_moment_from_a_new_address_make_one_vendor(backend: Backend) {
    use common::browser::Browser;
    use model::entities::vendor;
    use sea_orm::PaginatorTrait;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let o = open_opportunity(&app).await;
    let visitor = Browser::new(&app);
    let path = format!("/beacon/opportunities/{}/follow", o.id);
    let follow_all = |emails: [&'static str; 4]| {
        let (visitor, path) = (&visitor, &path);
        async move {
            let follows = emails
                .map(|email| async move { visitor.post(path, &[("email", email), ("business_name", "New Co")]).await });
            for answer in futures_util::future::join_all(follows).await {
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            }
        }
    };
    // The first round, from four addresses, opens the pool's connections.
    follow_all(["a@vendors.example", "b@vendors.example", "c@vendors.example", "d@vendors.example"]).await;
    follow_all(["new@vendors.example"; 4]).await;
    let made =
        vendor::Entity::find().filter(vendor::Column::Email.eq("new@vendors.example")).count(&app.state.db).await;
    assert_eq!(made.expect("count"), 1);
}
on_both_backends!(follows_at_the_same_moment_from_a_new_address_make_one_vendor);

/// POSTs `form` to `path`; the status and the page with the address typed replaced.
async fn post(
    b: &common::browser::Browser<'_>,
    path: String,
    form: Vec<(&'static str, String)>,
) -> (StatusCode, String) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post(&path, &pairs).await;
    let email = form.iter().find(|(k, _)| *k == "email").map(|(_, v)| v.clone()).unwrap_or_default();
    (r.status, r.body.replace(&email, "[EMAIL]"))
}

/// Issue 12, finding 3: anyone could make the site mail any address, as often as they liked.
/// Now the mail of anonymous requests is limited per client and per address; a request over a
/// limit stores and sends nothing and gets the very page one that sent mail gets.
async fn anonymous_vendor_mail_is_limited_per_client_and_per_address(backend: Backend) {
    use common::browser::Browser;
    use model::entities::vendor;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let limit = beacon::signup::MAIL_LIMIT;
    let paving = s.draft.categories[0].to_string();
    let sign_up =
        |email: String| vec![("business_name", "Flood Co".to_owned()), ("email", email), ("category", paving.clone())];
    // One client signing up address after address.
    let mut flooder = Browser::new(&app);
    flooder.forwarded_for = Some("203.0.113.9".into());
    let mut pages = Vec::new();
    for i in 0..=limit.per_client {
        pages.push(post(&flooder, "/beacon/sign-up".into(), sign_up(format!("v{i}@vendors.example"))).await);
    }
    let over = pages.pop().expect("the request over the limit");
    assert_eq!(over.0, StatusCode::OK);
    assert!(over.1.contains("Check your email"), "{}", over.1);
    assert!(pages.iter().all(|p| *p == over), "the same page whether or not mail went out");
    let stored = vendor::Entity::find().all(db).await.expect("q").len();
    assert_eq!(stored, usize::try_from(limit.per_client).expect("small"), "nothing stored over the limit");
    let last = format!("v{}@vendors.example", limit.per_client);
    assert_eq!(emails_to(&app, &last).await, 0, "nothing sent over the limit");
    assert_eq!(emails_to(&app, "v0@vendors.example").await, 1);
    // Following is limited with sign-up: the same client cannot follow instead.
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    let follow = format!("/beacon/opportunities/{}/follow", o.id);
    let r = post(&flooder, follow.clone(), vec![("email", "w@vendors.example".into()), ("business_name", "W".into())])
        .await;
    let mut other = Browser::new(&app);
    other.forwarded_for = Some("198.51.100.77".into());
    let under = post(&other, follow, vec![("email", "u@vendors.example".into()), ("business_name", "U".into())]).await;
    assert_eq!(emails_to(&app, "u@vendors.example").await, 1, "under the limit, mail goes out");
    assert_eq!(r, under, "the follow form's page over the limit is its page under it too");
    assert_eq!(emails_to(&app, "w@vendors.example").await, 0);

    // One address asked for from client after client: follow links for one opportunity after
    // another (17 reached one inbox before).
    let known = Vendor::new("busy@vendors.example").confirmed().insert(&app).await;
    let mut opportunities = Vec::new();
    for _ in 0..=limit.per_email {
        let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
        lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
        opportunities.push(o.id);
    }
    let mut pages = Vec::new();
    for (i, id) in opportunities.iter().enumerate() {
        let mut visitor = Browser::new(&app);
        visitor.forwarded_for = Some(format!("198.51.100.{i}"));
        let path = format!("/beacon/opportunities/{id}/follow");
        pages.push(post(&visitor, path, vec![("email", known.email.clone()), ("business_name", "K".into())]).await);
    }
    let over = pages.pop().expect("the request over the limit");
    assert_eq!(over.0, StatusCode::OK);
    assert!(pages.iter().all(|p| *p == over), "the same page whether or not mail went out");
    assert_eq!(emails_to(&app, &known.email).await, usize::try_from(limit.per_email).expect("small"));
    // …and signing up with it from yet another client sends nothing either.
    let mut late = Browser::new(&app);
    late.forwarded_for = Some("192.0.2.1".into());
    let r = post(&late, "/beacon/sign-up".into(), sign_up(known.email.clone())).await;
    assert_eq!(r.0, StatusCode::OK);
    assert!(r.1.contains("Check your email"));
    assert_eq!(emails_to(&app, &known.email).await, usize::try_from(limit.per_email).expect("small"));
}
on_both_backends!(anonymous_vendor_mail_is_limited_per_client_and_per_address);

/// Issue 12, finding 4: the forms took addresses the mailer then refused, and stored display
/// names (`Friendly<crlf3@evil.example>`, a second vendor for one mailbox). One parser now
/// decides, the bare address is stored, and a bad one is a form error naming the field.
async fn vendor_addresses_are_bare_and_what_the_mailer_sends(backend: Backend) {
    use common::browser::Browser;
    use model::entities::vendor;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let admin = Browser::sign_in_as(&app, "admin@pittsburghpa.gov", &[Role::Admin]).await;
    let paving = s.draft.categories[0].to_string();
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    let visitor = Browser::new(&app);
    let bad = ["x\"y@example.com", "a<b@example.com", "(c)z@example.com", "Friendly<crlf3@evil.example>"];
    for address in bad {
        let r = visitor
            .post("/beacon/sign-up", &[("business_name", "Evil"), ("email", address), ("category", &paving)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{address}");
        assert!(r.body.contains("name@example.gov"), "the email field's message: {}", r.body);
        let r = visitor
            .post(&format!("/beacon/opportunities/{}/follow", o.id), &[("email", address), ("business_name", "Evil")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{address}");
        let r = admin
            .post("/admin/vendors/new", &[("business_name", "Evil"), ("email", address), ("categories", &paving)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{address}: {}", r.body);
        assert!(r.body.contains("usa-error-message"), "{}", r.body);
    }
    assert_eq!(vendor::Entity::find().all(db).await.expect("q").len(), 0, "nothing stored");
    assert_eq!(app.queued_emails().await.len(), 0, "nothing queued to fail in a send job");

    // A good address is stored bare and lower-cased, so one mailbox is one vendor.
    let ok = visitor
        .post("/beacon/sign-up", &[("business_name", "Good"), ("email", " Crlf3@Evil.Example "), ("category", &paving)])
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let again = admin
        .post(
            "/admin/vendors/new",
            &[("business_name", "Again"), ("email", "CRLF3@evil.example"), ("categories", &paving)],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("Another vendor has this email address"), "{}", again.body);
    let stored: Vec<String> = vendor::Entity::find().all(db).await.expect("q").into_iter().map(|v| v.email).collect();
    assert_eq!(stored, ["crlf3@evil.example"]);
    app.run_pending_jobs().await;
    let sent = app.emails_to("crlf3@evil.example").await;
    assert_eq!(sent.len(), 1, "the confirmation went out");
}
on_both_backends!(vendor_addresses_are_bare_and_what_the_mailer_sends);

/// Issue 13: the manage page listed only the chosen categories, so a vendor could never add one;
/// unticking all left no way back; and after unsubscribing, signing up again sent nothing and
/// changed nothing.
async fn a_vendor_adds_categories_and_comes_back_after_unsubscribing(backend: Backend) {
    use common::browser::Browser;
    use model::entities::{vendor, vendor_category};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let s = setup(&app, app.state.config.site.today()).await;
    let paving = s.draft.categories[0];
    let plowing = Category::new("Snow plowing").codes("3").insert(&app).await;
    let v = Vendor::new("bids@keystone.example").categories(&[paving]).confirmed().insert(&app).await;
    let links = common::beacon::links(&app);
    let url = links.manage(v.id);
    let path = format!("{}?{}", url.path(), url.query().expect("sig"));
    let chosen = || async {
        let mut ids: Vec<i32> = vendor_category::Entity::find()
            .filter(vendor_category::Column::VendorId.eq(v.id))
            .all(db)
            .await
            .expect("q")
            .into_iter()
            .map(|c| c.category_id)
            .collect();
        ids.sort_unstable();
        ids
    };

    // Every category is offered, the vendor's own ticked.
    let page = app.get(&path).await;
    assert!(page.body.contains(&format!(r#"value="{paving}" checked"#)), "{}", page.body);
    assert!(page.body.contains(&format!(r#"value="{plowing}">"#)), "the other category is offered: {}", page.body);
    let browser = Browser::new(&app);
    let both = [("category", paving.to_string()), ("category", plowing.to_string()), ("category", "999999".into())];
    let pairs: Vec<(&str, &str)> = both.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(browser.post(&path, &pairs).await.status, StatusCode::OK);
    let mut expected = vec![paving, plowing];
    expected.sort_unstable();
    assert_eq!(chosen().await, expected, "added, and a category that does not exist ignored");
    let none = browser.post(&path, &[]).await;
    assert!(none.body.contains("You chose nothing to hear about"), "{}", none.body);
    assert!(chosen().await.is_empty());
    let back = browser.post(&path, &[("category", &plowing.to_string())]).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(chosen().await, vec![plowing], "and back again from none");

    // Unsubscribed: signing up again sends a way back, and changes nothing by itself.
    let out = links.unsubscribe(v.id);
    browser.post(&format!("{}?{}", out.path(), out.query().expect("sig")), &[]).await;
    assert!(vendor::Entity::find_by_id(v.id).one(db).await.expect("q").expect("v").unsubscribed_at.is_some());
    let again = browser
        .post(
            "/beacon/sign-up",
            &[("business_name", "K"), ("email", "bids@keystone.example"), ("category", &paving.to_string())],
        )
        .await;
    assert!(again.body.contains("Check your email"), "{}", again.body);
    assert!(vendor::Entity::find_by_id(v.id).one(db).await.expect("q").expect("v").unsubscribed_at.is_some());
    assert_eq!(chosen().await, vec![plowing], "the sign-up form's categories are not applied");
    let mail = common::browser::last_email(&app).await.expect("an email");
    assert_eq!(mail["subject"], "Receive Beacon's emails again", "{mail}");
    let link = link_in_email(&app, "bids@keystone.example", "/beacon/vendors/").await;
    assert_eq!(link, path, "the way back is the vendor's own page");
    let page = browser.get(&link).await;
    assert!(page.body.contains("This address is unsubscribed") && page.body.contains("Save and receive Beacon"));
    let saved = browser.post(&link, &[("category", &paving.to_string()), ("newsletter", "on")]).await;
    assert!(saved.body.contains("Saved."), "{}", saved.body);
    let v = vendor::Entity::find_by_id(v.id).one(db).await.expect("q").expect("v");
    assert!(v.unsubscribed_at.is_none() && v.newsletter, "subscribed again");
    assert_eq!(chosen().await, vec![paving]);
}
on_both_backends!(a_vendor_adds_categories_and_comes_back_after_unsubscribing);

/// "Email me a link to manage my subscription": the vendor's address gets its link; any other
/// address gets nothing; the page is the same either way, and a bad address is a form error.
async fn vendors_ask_for_their_link_and_the_answer_tells_nothing(backend: Backend) {
    use common::browser::Browser;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let s = setup(&app, app.state.config.site.today()).await;
    Vendor::new("bids@keystone.example").categories(&[s.draft.categories[0]]).confirmed().insert(&app).await;
    let form = app.get("/beacon/manage").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Email me a link"));
    let page_for = |email: &'static str| {
        let app = &app;
        async move {
            let r = Browser::new(app).post("/beacon/manage", &[("email", email)]).await;
            (r.status, r.body.replace(email, "[EMAIL]"))
        }
    };
    let known = page_for("bids@keystone.example").await;
    let unknown = page_for("nobody@elsewhere.example").await;
    assert_eq!(known.0, StatusCode::OK);
    assert!(known.1.contains("If [EMAIL] has signed up for Beacon"), "{}", known.1);
    assert_eq!(known, unknown, "the same page for a vendor's address and another");
    assert_eq!(emails_to(&app, "bids@keystone.example").await, 1);
    assert_eq!(emails_to(&app, "nobody@elsewhere.example").await, 0);
    let link = link_in_email(&app, "bids@keystone.example", "/beacon/vendors/").await;
    assert!(link.contains("/manage?sig="), "{link}");
    // Asking again the same day sends nothing more.
    page_for("bids@keystone.example").await;
    assert_eq!(emails_to(&app, "bids@keystone.example").await, 1, "one link a day");

    let bad = Browser::new(&app).post("/beacon/manage", &[("email", "not an address")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("usa-error-message") && bad.body.contains(r#"value="not an address""#), "{}", bad.body);
}
on_both_backends!(vendors_ask_for_their_link_and_the_answer_tells_nothing);

/// Issue 13: following with a new address and no business name landed on a bare "Bad request";
/// the form now comes back with the field's error and what was typed.
async fn the_follow_form_shows_its_errors_in_place(backend: Backend) {
    use common::browser::Browser;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let o = open_opportunity(&app).await;
    let path = format!("/beacon/opportunities/{}/follow", o.id);
    let form = app.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Follow “") && form.body.contains("reminder before bids close"), "{}", form.body);
    let visitor = Browser::new(&app);
    let nameless = visitor.post(&path, &[("email", "new@vendors.example")]).await;
    assert_eq!(nameless.status, StatusCode::BAD_REQUEST);
    assert!(nameless.body.contains("<form") && nameless.body.contains("Enter your business"), "{}", nameless.body);
    assert!(nameless.body.contains(r#"value="new@vendors.example""#), "what was typed stays");
    assert!(nameless.body.contains("usa-input--error"));
    let bad = visitor.post(&path, &[("email", "x"), ("business_name", "X Co")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains(r#"id="follow-email-error""#), "{}", bad.body);
    let ok = visitor.post(&path, &[("email", "new@vendors.example"), ("business_name", "New Co")]).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.contains(&format!("to follow “{}”", o.title)), "says what following is: {}", ok.body);
    assert!(!ok.body.contains("new opportunities in your categories"), "not the sign-up's words");
}
on_both_backends!(the_follow_form_shows_its_errors_in_place);

/// Vendors learn how to do business with the city and whom to ask; an opportunity with no
/// contact names the purchasing office; whoever may edit an opportunity finds the way from its page.
async fn vendors_find_whom_to_ask_and_staff_find_the_edit_link(backend: Backend) {
    use common::browser::Browser;
    let office = [
        ("PURCHASING_OFFICE", "Office of Management and Budget, Procurement"),
        ("PURCHASING_EMAIL", "purchasing@pittsburghpa.gov"),
        ("PURCHASING_PHONE", "412-255-2584"),
    ];
    let Some(app) = TestApp::new(backend, &office).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let info = app.get("/beacon/vendors").await;
    assert_eq!(info.status, StatusCode::OK);
    for text in [
        "Doing business with the city",
        "Office of Management and Budget, Procurement",
        "mailto:purchasing@pittsburghpa.gov",
        "412-255-2584",
        "Minority-",
        "/beacon/sign-up",
    ] {
        assert!(info.body.contains(text), "{text}: {}", info.body);
    }
    assert!(app.get("/beacon/").await.body.contains(r#"href="/beacon/vendors""#), "linked from Beacon's home");

    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    // An opportunity whose contact is gone (a draft always gets one: its author).
    model::entities::opportunity::Entity::update_many()
        .col_expr(model::entities::opportunity::Column::ContactId, sea_orm::sea_query::Expr::value(None::<i32>))
        .filter(model::entities::opportunity::Column::Id.eq(o.id))
        .exec(db)
        .await
        .expect("no contact");
    platform::freshness::bump_all(db).await.expect("the cached page is out of date");
    let page = app.get(&format!("/beacon/opportunities/{}", o.id)).await;
    assert!(page.body.contains("Ask Office of Management and Budget, Procurement"), "{}", page.body);
    assert!(!page.body.contains("Edit this opportunity"), "not for the public");
    let conductor = Browser::new(&app);
    conductor.sign_in(s.conductor.id).await;
    let theirs = conductor.get(&format!("/beacon/opportunities/{}", o.id)).await;
    assert!(
        theirs.body.contains(&format!(r#"href="/beacon/admin/{}">Edit this opportunity"#, o.id)),
        "{}",
        theirs.body
    );
    let other = Browser::new(&app);
    other.sign_in(s.other_staff.id).await;
    assert!(!other.get(&format!("/beacon/opportunities/{}", o.id)).await.body.contains("Edit this opportunity"));
}
on_both_backends!(vendors_find_whom_to_ask_and_staff_find_the_edit_link);
