//! Beacon's opportunity lifecycle on both databases: who may draft, edit, approve and archive;
//! publishing on the planned date by approval or by the nightly job, exactly once and always
//! with `published_at`; drafting with documents on the staff pages, and their addenda.

mod common;

use accounts::ServiceError;
use accounts::{Denied, Role};
use axum::http::StatusCode;
use beacon::lifecycle::{self, Listing, Status};
use chrono::{Duration, TimeZone, Utc};
use common::beacon::{emails_to, mailing, setup};
use common::builders::Vendor;
use common::{Backend, TestApp, jobs_named, stored_files};
use model::entities::{contract_type, opportunity};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

fn denied(result: Result<opportunity::Model, ServiceError>) -> bool {
    matches!(result, Err(ServiceError::Denied(Denied::Forbidden)))
}

async fn listed(app: &TestApp, id: i32) -> bool {
    let current = lifecycle::public_list(&app.state.db, Listing::Current, Utc::now()).await.expect("list");
    current.iter().any(|o| o.id == id)
}

async fn a_staff_draft_is_published_only_by_a_conductor_level_approval(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();

    // County users may not draft; staff may.
    assert!(denied(lifecycle::create(db, Some(&s.county), &s.draft, now).await));
    let draft = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    assert!(!draft.is_public && draft.published_at.is_none());
    assert_eq!(draft.contact_id, Some(s.staff.id), "the author is the contact unless another is named");
    assert_eq!(Status::of(&draft, now, today), Status::Draft);
    assert!(!listed(&app, draft.id).await);

    // Staff cannot publish, not their own draft, not any other way; another staff member
    // cannot even edit it; the author can.
    assert!(denied(lifecycle::approve(db, Some(&s.staff), draft.id, now, today).await));
    assert!(denied(lifecycle::approve(db, Some(&s.other_staff), draft.id, now, today).await));
    let mut edit = s.draft.clone();
    edit.title = "Street resurfacing, 2027 season".into();
    assert!(denied(lifecycle::update(db, Some(&s.other_staff), draft.id, &edit, now).await));
    let edited = lifecycle::update(db, Some(&s.staff), draft.id, &edit, now).await.expect("own draft");
    assert!(!edited.is_public, "an edit never publishes");
    assert!(matches!(
        lifecycle::approve(db, None, draft.id, now, today).await,
        Err(ServiceError::Denied(Denied::SignInRequired))
    ));

    // A conductor approves: its date has come, so it is published at once, with published_at.
    let approved = lifecycle::approve(db, Some(&s.conductor), draft.id, now, today).await.expect("approve");
    assert!(approved.is_public && approved.published_at.is_some());
    assert_eq!(Status::of(&approved, now, today), Status::Upcoming);
    assert!(listed(&app, draft.id).await);
    // Once public, only conductor-level users edit it.
    assert!(denied(lifecycle::update(db, Some(&s.staff), draft.id, &edit, now).await));
    lifecycle::update(db, Some(&s.conductor), draft.id, &edit, now).await.expect("conductor edits");

    // The nightly job finds nothing more to publish, and publishing does not move the date.
    assert_eq!(lifecycle::publish_due(db, now, today).await.expect("job"), Vec::<i32>::new());
    let again = opportunity::Entity::find_by_id(draft.id).one(db).await.expect("q").expect("row");
    assert_eq!(again.published_at, approved.published_at);

    // The public page shows it, with its category, bid documents and how to bid.
    let page = app.get(&format!("/beacon/opportunities/{}", draft.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in ["Street resurfacing, 2027 season", "Paving", "W-9", "room 502", "Upcoming"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    assert!(app.get("/beacon/").await.body.contains("Street resurfacing, 2027 season"));

    // Archived: gone from every public list and page; staff cannot archive.
    assert!(matches!(
        lifecycle::archive(db, Some(&s.staff), draft.id, now).await,
        Err(ServiceError::Denied(Denied::Forbidden))
    ));
    lifecycle::archive(db, Some(&s.conductor), draft.id, now).await.expect("archive");
    assert!(!listed(&app, draft.id).await);
    assert_eq!(app.get(&format!("/beacon/opportunities/{}", draft.id)).await.status, StatusCode::NOT_FOUND);
    assert!(!app.get("/beacon/").await.body.contains("Street resurfacing"));
    assert_eq!(lifecycle::publish_due(db, now, today).await.expect("job"), Vec::<i32>::new());
}
on_both_backends!(a_staff_draft_is_published_only_by_a_conductor_level_approval);

async fn a_future_publish_date_is_kept_by_the_nightly_job(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();
    let publish_on = today + Duration::days(3);
    let mut later = s.draft.clone();
    later.planned_publish = Some(publish_on);
    later.planned_submission_start = Some(publish_on);
    let o = lifecycle::create(db, Some(&s.staff), &later, now).await.expect("draft");
    let approved = lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    assert!(approved.is_public && approved.published_at.is_none());
    assert_eq!(Status::of(&approved, now, today), Status::Scheduled);
    assert!(!listed(&app, o.id).await, "approved but not yet due: not shown");
    assert_eq!(app.get(&format!("/beacon/opportunities/{}", o.id)).await.status, StatusCode::NOT_FOUND);

    // The nightly job the day before publishes nothing; on the day it publishes it, once.
    assert_eq!(lifecycle::publish_due(db, now, publish_on - Duration::days(1)).await.expect("job"), Vec::<i32>::new());
    let on_the_day = Utc.from_utc_datetime(&publish_on.and_hms_opt(12, 0, 0).expect("time"));
    assert_eq!(lifecycle::publish_due(db, on_the_day, publish_on).await.expect("job"), vec![o.id]);
    assert_eq!(lifecycle::publish_due(db, on_the_day, publish_on).await.expect("job"), Vec::<i32>::new());
    let published = opportunity::Entity::find_by_id(o.id).one(db).await.expect("q").expect("row");
    assert_eq!(published.published_at, Some(on_the_day), "published_at is always set");
    assert!(listed(&app, o.id).await);

    // The scheduled job runs the same code through the queue.
    let job = platform::jobs::enqueue(db, &beacon::PublishDue {}).await;
    assert!(job.is_ok(), "the job is registered and queued");
}
on_both_backends!(a_future_publish_date_is_kept_by_the_nightly_job);

async fn drafts_are_refused_with_reasons(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();
    let mut bad = s.draft.clone();
    bad.title = " ".into();
    bad.description = "word ".repeat(501);
    bad.planned_submission_end = Some(now - Duration::hours(1));
    bad.categories.push(999_999);
    let pws = contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq("PWSA"))
        .one(db)
        .await
        .expect("q")
        .expect("type");
    bad.contract_type_id = Some(pws.id);
    match lifecycle::create(db, Some(&s.staff), &bad, now).await {
        Err(ServiceError::Invalid(errors)) => {
            let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
            for f in ["title", "description", "planned_submission_end", "categories", "contract_type"] {
                assert!(fields.contains(&f), "{f} missing from {errors:?}");
            }
            assert!(errors.iter().any(|(_, m)| m.contains("it has 501")), "{errors:?}");
        }
        other => panic!("accepted: {:?}", other.map(|o| o.id)),
    }
    assert_eq!(opportunity::Entity::find().all(db).await.expect("q").len(), 0, "nothing half-saved");
}
on_both_backends!(drafts_are_refused_with_reasons);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn staff_draft_with_a_document_and_a_conductor_approves_it(backend: Backend) {
    use common::browser::Browser;
    use model::entities::opportunity_document;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let staff = Browser::sign_in_as(&app, "drafter@pittsburghpa.gov", &[Role::Staff]).await;
    let conductor = Browser::sign_in_as(&app, "approver@pittsburghpa.gov", &[Role::Conductor]).await;
    let county = Browser::sign_in_as(&app, "clerk@example.org", &[Role::County]).await;
    assert_eq!(county.get("/beacon/admin/new").await.status, StatusCode::FORBIDDEN);
    let form = staff.get("/beacon/admin/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("B-BID") && form.body.contains("W-9"), "types that take opportunities, bid documents");

    let end = (today + Duration::days(20)).to_string();
    let department = s.draft.department_id.expect("dept").to_string();
    let kind = s.draft.contract_type_id.expect("type").to_string();
    let category = s.draft.categories[0].to_string();
    let publish = today.to_string();
    let opens = (today + Duration::days(1)).to_string();
    let fields: Vec<(&str, &str)> = vec![
        ("title", "Salt dome repairs"),
        ("description", "Repairs to two salt domes."),
        ("department", &department),
        ("contract_type", &kind),
        ("planned_publish", &publish),
        ("planned_submission_start", &opens),
        ("planned_submission_end", &end),
        ("planned_submission_end_time", "14:00"),
        ("category", &category),
        ("document_name", "Request for bids"),
        // What the original's form let any staff member post to publish: ignored.
        ("save_type", "publish"),
        ("is_public", "on"),
    ];
    let files_before = stored_files(&app).await;
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 not a pdf at all";
    let refused = staff.post_multipart("/beacon/admin/new", &fields, ("document", "bid.pdf", exe)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("not a PDF, Word or Excel file"), "{}", refused.body);
    assert_eq!(opportunity::Entity::find().all(db).await.expect("q").len(), 0, "nothing saved");
    assert_eq!(stored_files(&app).await, files_before, "nothing left in storage");
    let big = vec![b'%'; 3 * 1024 * 1024];
    let too_big = staff.post_multipart("/beacon/admin/new", &fields, ("document", "big.pdf", &big)).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(too_big.body.contains("2 MiB"), "the 413 page says the limit: {}", too_big.body);
    assert_eq!(stored_files(&app).await, files_before);

    // Any other error: the typed fields stay, the file's title too, and the user is told to
    // choose the file again (a browser cannot keep it in the form).
    let mut untitled = fields.clone();
    untitled.retain(|(k, _)| *k != "title");
    let again = staff.post_multipart("/beacon/admin/new", &untitled, ("document", "bid.pdf", PDF)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains(r#"value="Request for bids""#), "the document's title stays: {}", again.body);
    assert!(again.body.contains("“bid.pdf” was not saved because of the other errors: choose it again."));
    assert!(again.body.contains("Eastern time") && !again.body.contains("America/New_York"), "zone in words");
    assert_eq!(stored_files(&app).await, files_before, "and it was not kept");

    let saved = staff.post_multipart("/beacon/admin/new", &fields, ("document", "bid.pdf", PDF)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let o = opportunity::Entity::find().one(db).await.expect("q").expect("the draft");
    assert!(!o.is_public && o.published_at.is_none(), "staff posting publish fields still makes a draft");
    let tz = app.state.config.site.display_timezone;
    assert_eq!(
        o.planned_submission_end.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        format!("{end} 14:00"),
        "the closing moment is read in the display time zone"
    );
    // The author hears it went for approval, each conductor-level user that it needs review.
    assert_eq!(emails_to(&app, "drafter@pittsburghpa.gov").await, 1);
    assert_eq!(emails_to(&app, "approver@pittsburghpa.gov").await, 1);
    assert_eq!(emails_to(&app, "conductor@pittsburghpa.gov").await, 1, "every conductor-level user");
    assert_eq!(emails_to(&app, "clerk@example.org").await, 0);
    let doc = opportunity_document::Entity::find().one(db).await.expect("q").expect("document");
    assert_eq!(doc.name, "Request for bids");
    let download = format!("/beacon/opportunities/{}/documents/{}", o.id, doc.id);
    let visitor = Browser::new(&app);
    assert_eq!(visitor.get(&download).await.status, StatusCode::NOT_FOUND, "a draft's documents are not public");
    assert_eq!(staff.post(&format!("/beacon/admin/{}/approve", o.id), &[]).await.status, StatusCode::FORBIDDEN);
    assert!(staff.get("/beacon/admin/").await.body.contains("Awaiting approval"));

    let approved = conductor.post(&format!("/beacon/admin/{}/approve", o.id), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(emails_to(&app, "drafter@pittsburghpa.gov").await, 2, "and that it is approved");
    let page = visitor.get(&format!("/beacon/opportunities/{}", o.id)).await;
    assert!(page.body.contains("Request for bids") && page.body.contains(&download), "{}", page.body);
    let link = visitor.get(&download).await;
    assert_eq!(link.status, StatusCode::SEE_OTHER);
    let file = visitor.get(link.header("location")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), "application/pdf");
    assert_eq!(file.raw, PDF);
    // Public now: only conductor-level users edit it.
    let edit = format!("/beacon/admin/{}", o.id);
    assert!(!staff.get(&edit).await.body.contains("enctype=\"multipart/form-data\""), "no form for staff");
    assert_eq!(staff.post_multipart(&edit, &fields, ("document", "", b"")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(jobs_named(&app, "beacon.addendum").await, 0, "the draft's document was no addendum");

    // The contact is a city employee: an address elsewhere is refused; a city address new to
    // Procure becomes a staff user, who may then edit the opportunity's drafts.
    let with = |contact: &'static str, title: &'static str| {
        let mut f: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "document_name").copied().collect();
        f.extend([("contact", contact), ("document_name", title)]);
        f
    };
    let outsider =
        conductor.post_multipart(&edit, &with("buyer@gmail.com", "Addendum 1"), ("document", "a.pdf", PDF)).await;
    assert_eq!(outsider.status, StatusCode::BAD_REQUEST);
    assert!(outsider.body.contains("must be a city employee"), "{}", outsider.body);
    assert_eq!(jobs_named(&app, "beacon.addendum").await, 0);

    // A document added to the published opportunity is an addendum: its followers hear, once;
    // vendors of its categories who do not follow it do not.
    let follower = Vendor::new("follower@vendors.example").confirmed().insert(&app).await;
    Vendor::new("category-only@vendors.example").categories(&s.draft.categories).confirmed().insert(&app).await;
    model::entities::vendor_opportunity::ActiveModel { vendor_id: Set(follower.id), opportunity_id: Set(o.id) }
        .insert(db)
        .await
        .expect("follow");
    let added = conductor
        .post_multipart(&edit, &with("newbuyer@pittsburghpa.gov", "Addendum 1"), ("document", "a.pdf", PDF))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let o = opportunity::Entity::find_by_id(o.id).one(db).await.expect("q").expect("still there");
    let buyer = accounts::users::find_by_email(db, "newbuyer@pittsburghpa.gov").await.expect("q").expect("created");
    assert_eq!(o.contact_id, Some(buyer.id));
    assert_eq!(accounts::users::roles_of(db, buyer.id).await.expect("q"), vec![Role::Staff]);
    assert!(o.is_public && o.published_at.is_some(), "still published");
    assert!(
        conductor.get(&edit).await.body.contains("value=\"newbuyer@pittsburghpa.gov\""),
        "the form shows the contact"
    );
    assert_eq!(jobs_named(&app, "beacon.addendum").await, 1, "queued with the document");
    let addendum = opportunity_document::Entity::find()
        .filter(opportunity_document::Column::Name.eq("Addendum 1"))
        .one(db)
        .await
        .expect("q")
        .expect("the addendum");
    let links = common::beacon::links(&app);
    let mail = mailing(&app, &links);
    assert_eq!(beacon::notify::addendum(db, &mail, o.id, addendum.id).await.expect("addendum"), 1);
    assert_eq!(beacon::notify::addendum(db, &mail, o.id, addendum.id).await.expect("again"), 0, "once");
    assert_eq!(emails_to(&app, "category-only@vendors.example").await, 0, "followers only");
    assert_eq!(emails_to(&app, "follower@vendors.example").await, 1);
    let email = common::browser::last_email(&app).await.expect("email");
    assert_eq!(email["subject"], "New document for Salt dome repairs");
    assert!(email["text"].as_str().is_some_and(|t| t.contains("Addendum 1")), "{email}");
    assert!(email["unsubscribe"]["url"].as_str().is_some_and(|u| u.contains("/unsubscribe?sig=")), "{email}");
}
on_both_backends!(staff_draft_with_a_document_and_a_conductor_approves_it);

async fn deadlines_contacts_and_archived_pages_hold_up(backend: Backend) {
    use common::browser::Browser;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let tz = app.state.config.site.display_timezone;
    let now = Utc::now();
    // Closing at 21:00 the evening before bids open, city time, is refused whatever the UTC date.
    let mut backwards = s.draft.clone();
    let opens = today + Duration::days(10);
    backwards.planned_submission_start = Some(opens);
    let evening = (opens - Duration::days(1)).and_hms_opt(21, 0, 0).expect("time");
    backwards.planned_submission_end =
        Some(tz.from_local_datetime(&evening).earliest().expect("t").with_timezone(&Utc));
    assert!(matches!(lifecycle::create(db, Some(&s.staff), &backwards, now).await, Err(ServiceError::Invalid(_))));

    // A conductor's edit keeps the author as the contact.
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    let fixed = lifecycle::update(db, Some(&s.conductor), o.id, &s.draft, now).await.expect("edit");
    assert_eq!(fixed.contact_id, Some(s.staff.id));

    // A draft whose deadline has passed cannot be approved (nor published by the nightly job).
    let later = now + Duration::days(40);
    assert!(matches!(
        lifecycle::approve(db, Some(&s.conductor), o.id, later, today + Duration::days(40)).await,
        Err(ServiceError::Invalid(_))
    ));

    // Archived: its staff page is for conductor-level users only.
    lifecycle::approve(db, Some(&s.conductor), o.id, now, today).await.expect("approve");
    lifecycle::archive(db, Some(&s.conductor), o.id, now).await.expect("archive");
    let path = format!("/beacon/admin/{}", o.id);
    let other = Browser::sign_in_as(&app, "someone@pittsburghpa.gov", &[Role::Staff]).await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    let county = Browser::sign_in_as(&app, "clerk@example.org", &[Role::County]).await;
    assert_eq!(county.get(&path).await.status, StatusCode::FORBIDDEN);
    let boss = Browser::sign_in_as(&app, "boss@pittsburghpa.gov", &[Role::Conductor]).await;
    assert_eq!(boss.get(&path).await.status, StatusCode::OK);
}
on_both_backends!(deadlines_contacts_and_archived_pages_hold_up);

/// Issue 13: nothing linked to Beacon's staff pages. The header now offers "Post an opportunity"
/// to whoever may draft and "Awaiting approval (N)" to approvers; the staff list puts what needs
/// action first, with deadline, department and author; statuses read the same everywhere.
async fn staff_reach_their_pages_from_the_header_and_see_what_needs_action_first(backend: Backend) {
    use common::browser::Browser;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();
    let published = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), published.id, now, today).await.expect("approve");
    let mut waiting = s.draft.clone();
    waiting.title = "Bridge inspections".into();
    lifecycle::create(db, Some(&s.staff), &waiting, now).await.expect("draft");

    let staff = Browser::new(&app);
    staff.sign_in(s.staff.id).await;
    let home = staff.get("/scout/").await;
    assert!(
        home.body.contains(r#"<a class="usa-link" href="/beacon/admin/new">Post an opportunity</a>"#),
        "{}",
        home.body
    );
    assert!(!home.body.contains("Awaiting approval ("), "only approvers are asked to approve");
    assert!(home.body.contains(r#"usa-nav-link usa-current" href="/scout/""#), "the current section is marked");
    let county = Browser::new(&app);
    county.sign_in(s.county.id).await;
    assert!(!county.get("/scout/").await.body.contains("Post an opportunity"), "county users draft nothing");
    assert!(!app.get("/scout/").await.body.contains("Post an opportunity"), "nor do visitors");

    let conductor = Browser::new(&app);
    conductor.sign_in(s.conductor.id).await;
    let page = conductor.get("/beacon/").await;
    assert!(page.body.contains(r#"href="/beacon/admin/">Awaiting approval (1)</a>"#), "{}", page.body);
    let list = conductor.get("/beacon/admin/").await;
    let first = list.body.find("Bridge inspections").expect("the draft is listed");
    let second = list.body.find(&s.draft.title).expect("the published one is listed");
    assert!(first < second, "what awaits approval comes first");
    for text in [
        "1 opportunity awaits your approval",
        "Awaiting approval",
        "Department of Public Works",
        "Bids close",
        "Posted by",
    ] {
        assert!(list.body.contains(text), "{text}: {}", list.body);
    }
    let public = app.get(&format!("/beacon/opportunities/{}", published.id)).await;
    let published = opportunity::Entity::find_by_id(published.id).one(db).await.expect("q").expect("it");
    let status = Status::of(&published, now, today);
    assert!(status.is_public());
    assert!(public.body.contains(status.label()), "the same words on the public page: {}", status.label());
}
on_both_backends!(staff_reach_their_pages_from_the_header_and_see_what_needs_action_first);

/// Issue 13: the audit log did not record approvals (which email vendors) nor staff edits, and
/// staff were not told what their action did. Every staff action now leaves an entry and says
/// what happened.
async fn staff_actions_are_told_and_logged(backend: Backend) {
    use common::browser::Browser;
    use model::entities::audit_log;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    Vendor::new("bids@keystone.example").categories(&[s.draft.categories[0]]).confirmed().insert(&app).await;
    Vendor::new("other@elsewhere.example").confirmed().insert(&app).await;
    let now = Utc::now();
    let o = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    let conductor = Browser::new(&app);
    conductor.sign_in(s.conductor.id).await;
    let approved = conductor.post(&format!("/beacon/admin/{}/approve", o.id), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let page = conductor.get(approved.header("location")).await;
    assert!(page.body.contains("Approved and published: 1 vendors will be told."), "{}", page.body);
    let entries = || async {
        audit_log::Entity::find().filter(audit_log::Column::Resource.eq("opportunities")).all(db).await.expect("q")
    };
    let approve = entries().await.into_iter().find(|e| e.action == "approve").expect("the approval is logged");
    assert_eq!(approve.actor_id, Some(s.conductor.id));
    let details = approve.after.unwrap_or_default();
    assert!(details.contains("Vendors in its categories or following it") && details.contains("\"1\""), "{details}");
    app.run_pending_jobs().await;
    let announce = entries().await.into_iter().find(|e| e.action == "announce").expect("the announcement is logged");
    assert_eq!(announce.actor_id, None, "by the system");
    assert!(announce.after.unwrap_or_default().contains("Vendors emailed"));
    let archived = conductor.post(&format!("/beacon/admin/{}/archive", o.id), &[]).await;
    let list = conductor.get(archived.header("location")).await;
    assert!(list.body.contains(&format!("Archived “{}”", o.title)), "{}", list.body);
    assert!(entries().await.iter().any(|e| e.action == "archive"));
}
on_both_backends!(staff_actions_are_told_and_logged);
