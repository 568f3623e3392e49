//! Beacon's opportunity lifecycle on both databases: who may draft, edit, approve and archive;
//! publishing on the planned date by approval or by the nightly job, exactly once and always
//! with `published_at`; what the public lists and pages show.

mod common;

use accounts::{CurrentUser, Denied, Role};
use axum::http::StatusCode;
use beacon::lifecycle::{self, ChangeError, Draft, Listing, Status};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::{Backend, TestApp};
use model::entities::{category, contract_type, opportunity, required_document};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

struct Setup {
    staff: CurrentUser,
    other_staff: CurrentUser,
    county: CurrentUser,
    conductor: CurrentUser,
    draft: Draft,
}

async fn user(app: &TestApp, email: &str, roles: &[Role]) -> CurrentUser {
    let db = &app.state.db;
    let dept = accounts::users::department_id(db, "Other").await.expect("q").expect("department");
    let u = accounts::users::create_user(db, email, Some(dept), roles, None).await.expect("user");
    accounts::users::current_user(db, u.id).await.expect("q").expect("current user")
}

async fn setup(app: &TestApp, today: NaiveDate) -> Setup {
    let db = &app.state.db;
    let now = Utc::now();
    let kind = contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq("B-BID"))
        .one(db)
        .await
        .expect("q")
        .expect("seeded type");
    let mut allow: contract_type::ActiveModel = kind.clone().into();
    allow.allow_opportunities = Set(true);
    allow.opportunity_response_instructions = Set(Some("Deliver sealed bids to room 502.".into()));
    allow.update(db).await.expect("allow opportunities");
    let paving = category::ActiveModel {
        nigp_codes: Set("91300".into()),
        category: Set(Some("Construction".into())),
        subcategory: Set(Some("Paving".into())),
        category_friendly_name: Set(Some("Paving".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("category");
    let w9 = required_document::ActiveModel {
        display_name: Set("W-9".into()),
        description: Set(Some("Taxpayer identification".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("required document");
    let dept = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
    Setup {
        staff: user(app, "staff@pittsburghpa.gov", &[Role::Staff]).await,
        other_staff: user(app, "other@pittsburghpa.gov", &[Role::Staff]).await,
        county: user(app, "county@example.org", &[Role::County]).await,
        conductor: user(app, "conductor@pittsburghpa.gov", &[Role::Conductor]).await,
        draft: Draft {
            title: "Street resurfacing 2027".into(),
            description: "Milling and resurfacing of city streets.\n\nSee the specifications.".into(),
            department_id: Some(dept),
            contract_type_id: Some(kind.id),
            contact_id: None,
            planned_publish: Some(today),
            planned_submission_start: Some(today + Duration::days(1)),
            planned_submission_end: Some(Utc::now() + Duration::days(30)),
            categories: vec![paving.id],
            required_documents: vec![w9.id],
        },
    }
}

fn denied(result: Result<opportunity::Model, ChangeError>) -> bool {
    matches!(result, Err(ChangeError::Denied(Denied::Forbidden)))
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
        Err(ChangeError::Denied(Denied::SignInRequired))
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
        Err(ChangeError::Denied(Denied::Forbidden))
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
        Err(ChangeError::Invalid(errors)) => {
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
