//! Beacon's mailings on both databases: an announcement to each subscribed vendor exactly once
//! (also after a run stopped halfway, and through the worker), deadline reminders to followers,
//! and the biweekly digest.

mod common;

use axum::http::StatusCode;
use beacon::lifecycle;
use chrono::{Duration, TimeZone, Utc};
use common::beacon::{announce_for, emails_to, mailing, queued_to, setup};
use common::builders::{Category, Vendor};
use common::{Backend, TestApp, jobs_named};
use model::entities::opportunity;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

async fn publishing_tells_each_subscribed_vendor_exactly_once(backend: Backend) {
    use model::entities::{delivery, vendor, vendor_opportunity};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();
    let mut cats = s.draft.categories.clone();
    for name in ["Asphalt", "Concrete", "Unrelated"] {
        cats.push(Category::new(name).codes("1").insert(&app).await);
    }
    let (paving, asphalt, concrete, unrelated) = (cats[0], cats[1], cats[2], cats[3]);
    // 40 vendors over the three categories, many in two or three of them.
    let mut expected = Vec::new();
    for i in 0..40 {
        let mine: Vec<i32> = match i % 4 {
            0 => vec![paving],
            1 => vec![paving, asphalt],
            2 => vec![asphalt, concrete, paving],
            _ => vec![concrete, unrelated],
        };
        let v = Vendor::new(&format!("v{i}@vendors.example")).categories(&mine).confirmed().insert(&app).await;
        expected.push(v.email);
    }
    Vendor::new("unconfirmed@vendors.example").categories(&[paving]).insert(&app).await;
    Vendor::new("gone@vendors.example").categories(&[paving]).confirmed().unsubscribed().insert(&app).await;
    Vendor::new("elsewhere@vendors.example").categories(&[unrelated]).confirmed().insert(&app).await;

    let mut draft = s.draft.clone();
    draft.categories = vec![paving, asphalt, concrete];
    let o = lifecycle::create(db, Some(&s.staff), &draft, now).await.expect("draft");
    // A follower of this one opportunity only, who is also told.
    let follower = Vendor::new("follower@vendors.example").confirmed().insert(&app).await;
    vendor_opportunity::ActiveModel { vendor_id: Set(follower.id), opportunity_id: Set(o.id) }
        .insert(db)
        .await
        .expect("follow");
    expected.push(follower.email.clone());
    expected.sort();

    // Publishing queues the announcement once, whoever publishes.
    assert_eq!(jobs_named(&app, "beacon.new_opportunity").await, 0);
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    lifecycle::publish_due(db, now, today).await.expect("nightly");
    assert_eq!(jobs_named(&app, "beacon.new_opportunity").await, 1);

    // A run that stopped halfway had recorded ten recipients (and queued their emails).
    for email in expected.iter().take(10) {
        delivery::ActiveModel {
            message: Set(beacon::notify::new_opportunity_key(o.id)),
            recipient: Set(email.clone()),
            created_at: Set(now),
        }
        .insert(db)
        .await
        .expect("earlier delivery");
    }
    let links = common::beacon::links(&app);
    let mail = mailing(&app, &links);
    let announce = || beacon::notify::announce(db, &mail, o.id);
    let queued = announce().await.expect("announce");
    assert_eq!(queued as usize, expected.len() - 10, "only the recipients still missing");
    let mut to = queued_to(&app).await;
    to.sort();
    let rest: Vec<String> = expected.iter().skip(10).cloned().collect();
    assert_eq!(to, rest, "each confirmed, subscribed vendor once; nobody else");
    assert_eq!(announce().await.expect("again"), 0, "a second run sends nothing");
    assert_eq!(delivery::Entity::find().all(db).await.expect("q").len(), expected.len());

    // The email's links work: the unsubscribe link, POSTed the way a mail program does
    // (RFC 8058, no browser headers), unsubscribes at once; a forged one does nothing.
    let email = common::browser::last_email(&app).await.expect("an email");
    let text = email["text"].as_str().expect("text");
    assert!(text.contains(&format!("/beacon/opportunities/{}", o.id)) && text.contains("/manage?sig="), "{text}");
    let url = url::Url::parse(email["unsubscribe"]["url"].as_str().expect("url")).expect("absolute");
    let path = format!("{}?{}", url.path(), url.query().expect("sig"));
    let to_whom = email["to"][0].as_str().expect("to").to_owned();
    assert_ne!(to_whom, follower.email, "a vendor of the categories, so the next opportunity would reach them");
    let forged = path.replace("sig=", "sig=00");
    let one_click = |p: String| {
        axum::http::Request::post(p)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from("List-Unsubscribe=One-Click"))
            .expect("request")
    };
    assert_eq!(app.request(one_click(forged)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path).await.status, StatusCode::OK, "a page with a button for people");
    let done = app.request(one_click(path.clone())).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let v = vendor::Entity::find().filter(vendor::Column::Email.eq(to_whom.clone())).one(db).await.expect("q");
    assert!(v.expect("vendor").unsubscribed_at.is_some());

    // The next opportunity reaches everyone still subscribed, and not the one who left.
    let before = queued_to(&app).await.len();
    let second = lifecycle::create(db, Some(&s.staff), &draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), second.id, now, today).await.expect("approve");
    let queued = announce_for(&app, &links, second.id).await;
    assert_eq!(queued as usize, expected.len() - 2, "not the unsubscribed one, not the follower of the first");
    let all = queued_to(&app).await;
    assert!(!all[before..].contains(&to_whom));
}
on_both_backends!(publishing_tells_each_subscribed_vendor_exactly_once);

async fn followers_are_reminded_five_days_and_one_day_before_the_deadline(backend: Backend) {
    use model::entities::vendor_opportunity;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let tz = app.state.config.site.display_timezone;
    let closes_on = today + Duration::days(5);
    let local = closes_on.and_hms_opt(14, 0, 0).expect("time");
    let mut draft = s.draft.clone();
    draft.planned_submission_start = Some(today);
    draft.planned_submission_end = Some(tz.from_local_datetime(&local).earliest().expect("moment").with_timezone(&Utc));
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    let follower = Vendor::new("follower@vendors.example").confirmed().insert(&app).await;
    let unconfirmed = Vendor::new("unconfirmed@vendors.example").insert(&app).await;
    Vendor::new("category-only@vendors.example").categories(&s.draft.categories).confirmed().insert(&app).await;
    for v in [&follower, &unconfirmed] {
        vendor_opportunity::ActiveModel { vendor_id: Set(v.id), opportunity_id: Set(o.id) }
            .insert(db)
            .await
            .expect("follow");
    }
    let links = common::beacon::links(&app);
    let mail = mailing(&app, &links);
    assert_eq!(beacon::notify::remind(db, &mail, today - Duration::days(1)).await.expect("remind"), 0, "6 days: none");
    assert_eq!(beacon::notify::remind(db, &mail, today).await.expect("remind"), 1, "5 days: the confirmed follower");
    assert_eq!(beacon::notify::remind(db, &mail, today).await.expect("again"), 0, "once");
    assert_eq!(beacon::notify::remind(db, &mail, today + Duration::days(4)).await.expect("remind"), 1, "1 day");
    let subject = common::browser::last_email(&app).await.expect("email")["subject"].clone();
    assert_eq!(subject, format!("Bids close tomorrow: {}", o.title));
    assert_eq!(emails_to(&app, "category-only@vendors.example").await, 0, "reminders go to followers");
    assert_eq!(emails_to(&app, "follower@vendors.example").await, 2);
}
on_both_backends!(followers_are_reminded_five_days_and_one_day_before_the_deadline);

async fn the_digest_lists_what_was_published_since_the_last_one_and_is_still_open(backend: Backend) {
    use beacon::digest::{edition_for, send};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let links = common::beacon::links(&app);
    let mail = mailing(&app, &links);
    Vendor::new("reader@vendors.example").confirmed().insert(&app).await;
    Vendor::new("quiet@vendors.example").newsletter(false).confirmed().insert(&app).await;
    Vendor::new("unconfirmed@vendors.example").insert(&app).await;
    let publish = |title: &'static str| {
        let mut draft = s.draft.clone();
        draft.title = title.into();
        let (staff, conductor) = (s.staff.clone(), s.conductor.clone());
        async move {
            let now = Utc::now();
            let o = lifecycle::create(db, Some(&staff), &draft, now).await.expect("draft");
            lifecycle::approve(db, Some(&conductor), o.id, now, today).await.expect("approve")
        }
    };
    let (first_edition, second_edition) = (edition_for(today), edition_for(today) + Duration::days(20));

    let first = publish("Snow plow blades").await;
    assert_eq!(send(db, &mail, first_edition, Utc::now()).await.expect("digest"), 1, "newsletter readers only");
    assert_eq!(send(db, &mail, first_edition, Utc::now()).await.expect("again"), 0, "an edition goes out once");
    let email = common::browser::last_email(&app).await.expect("email");
    assert_eq!(email["to"][0], "reader@vendors.example");
    assert_eq!(email["subject"], "1 new bid opportunity on Beacon");
    assert!(email["text"].as_str().is_some_and(|t| t.contains("Snow plow blades")));
    assert!(email["unsubscribe"]["url"].as_str().is_some_and(|u| u.contains("/unsubscribe?sig=")), "{email}");

    // Next edition: what was published since, still open; not the first one again, and not
    // one that closed meanwhile.
    let second = publish("Traffic signal heads").await;
    let closed = publish("Sidewalk ramps").await;
    let mut ended: opportunity::ActiveModel = closed.into();
    ended.planned_submission_end = Set(Utc::now() - Duration::minutes(1));
    ended.update(db).await.expect("closed");
    assert_eq!(send(db, &mail, second_edition, Utc::now()).await.expect("digest"), 1);
    let text = common::browser::last_email(&app).await.expect("email")["text"].as_str().expect("text").to_owned();
    assert!(text.contains(&second.title), "{text}");
    assert!(!text.contains(&first.title) && !text.contains("Sidewalk ramps"), "{text}");
    assert_eq!(emails_to(&app, "reader@vendors.example").await, 2);
    assert_eq!(
        emails_to(&app, "quiet@vendors.example").await + emails_to(&app, "unconfirmed@vendors.example").await,
        0
    );

    // Nothing new: no email at all.
    let third_edition = second_edition + Duration::days(20);
    assert_eq!(send(db, &mail, third_edition, Utc::now()).await.expect("digest"), 0);
}
on_both_backends!(the_digest_lists_what_was_published_since_the_last_one_and_is_still_open);

/// The announcement an approval queues, run by the app's worker code in-process: each vendor of
/// the categories gets one email, delivered, with one-click unsubscribe; running the queue again
/// sends nothing more.
async fn the_worker_delivers_the_announcement_an_approval_queues(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let paving = s.draft.categories[0];
    for email in ["a@vendors.example", "b@vendors.example"] {
        Vendor::new(email).categories(&[paving]).confirmed().insert(&app).await;
    }
    Vendor::new("unconfirmed@vendors.example").categories(&[paving]).insert(&app).await;
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    assert_eq!(jobs_named(&app, "beacon.new_opportunity").await, 1);

    app.run_pending_jobs().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0, "every job done");
    let sent = app.emails().await;
    let mut to: Vec<String> = sent.iter().map(|m| m.to.join(", ")).collect();
    to.sort();
    assert_eq!(to, ["a@vendors.example", "b@vendors.example"], "the confirmed vendors, once each");
    let page = format!("/beacon/opportunities/{}", o.id);
    for mail in &sent {
        assert!(mail.delivered, "written to the outbox by the worker");
        assert_eq!(mail.subject, "[Procure] New bid opportunity: Street resurfacing 2027");
        assert!(mail.link(&page).is_some(), "{}", mail.text);
        let unsubscribe = mail.list_unsubscribe.as_deref().unwrap_or_default();
        assert!(unsubscribe.contains("/unsubscribe?sig="), "{unsubscribe}");
        assert_eq!(mail.list_unsubscribe_post.as_deref(), Some("List-Unsubscribe=One-Click"));
    }

    app.run_pending_jobs().await;
    beacon::notify::announce(db, &mailing(&app, &common::beacon::links(&app)), o.id).await.expect("again");
    app.run_pending_jobs().await;
    assert_eq!(app.emails().await.len(), 2, "nothing sent twice");
}
on_both_backends!(the_worker_delivers_the_announcement_an_approval_queues);
