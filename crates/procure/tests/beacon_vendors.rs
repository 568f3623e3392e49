//! Beacon's vendors on both databases: signing up with double opt-in, managing subscriptions
//! only through signed links, and following an opportunity by email.

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

    // Without the right signature there is no page, and no other way in (no "type your email").
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
    for text in ["business&#x27;s name", "10 digits", "at least one category"] {
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
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
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
    visitor.post(&path, &[("email", "known@vendors.example")]).await;
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
