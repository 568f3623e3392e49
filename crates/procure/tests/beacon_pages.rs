//! Beacon's public side on both databases: the lists and pages (and their cache, never out of
//! date), the feeds, the JSON API, the demo data, and the staff's vendor export.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use beacon::lifecycle::{self, Listing, Status};
use chrono::{Duration, Utc};
use common::beacon::setup;
use common::builders::Vendor;
use common::{Backend, TestApp, jobs_named};
use model::entities::opportunity;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn the_demo_makes_a_living_beacon(backend: Backend) {
    use model::entities::vendor;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let made = beacon::demo::load(db, &app.state.config, today, 3).await.expect("demo");
    assert_eq!((made.opportunities, made.vendors), (8 + 3, 12), "three made up for a bigger data set");
    let now = Utc::now();
    let current = lifecycle::public_list(db, Listing::Current, now).await.expect("list");
    assert_eq!(current.iter().filter(|o| o.title.contains("(lot ")).count(), 3, "open, and listed");
    let statuses: Vec<Status> = current.iter().map(|o| Status::of(o, now, today)).collect();
    assert!(statuses.contains(&Status::Open) && statuses.contains(&Status::Upcoming), "{statuses:?}");
    assert_eq!(lifecycle::public_list(db, Listing::Closed, now).await.expect("list").len(), 2);
    let drafts = opportunity::Entity::find().filter(opportunity::Column::IsPublic.eq(false)).all(db).await.expect("q");
    assert_eq!(drafts.len(), 1, "one draft awaiting approval");
    assert!(vendor::Entity::find().all(db).await.expect("q").iter().all(|v| v.email.ends_with("@example.com")));
    assert_eq!(jobs_named(&app, "beacon.new_opportunity").await, 0, "the demo announces nothing");
    assert_eq!(
        beacon::demo::load(db, &app.state.config, today, 0).await.expect("again"),
        beacon::demo::Made::default()
    );
    assert!(app.get("/beacon/").await.body.contains("Street resurfacing, spring season"));
    // Categories match what is bought, and vendors' what they sell (issue 13: "Park mowing" was
    // listed as computer hardware).
    let mowing = opportunity::Entity::find()
        .filter(opportunity::Column::Title.eq("Park mowing and trimming"))
        .one(db)
        .await
        .expect("q")
        .expect("mowing");
    let page = app.get(&format!("/beacon/opportunities/{}", mowing.id)).await;
    assert!(page.body.contains("Landscaping and grounds") && !page.body.contains("Computer hardware"), "{}", page.body);
    assert!(page.body.contains("mailto:morgan.lee@example.gov"), "the buyer answers questions");
    let greenway = vendor::Entity::find()
        .filter(vendor::Column::BusinessName.eq("Greenway Grounds Care"))
        .one(db)
        .await
        .expect("q")
        .expect("a landscaper");
    let theirs = model::entities::vendor_category::Entity::find()
        .filter(model::entities::vendor_category::Column::VendorId.eq(greenway.id))
        .find_also_related(model::entities::category::Entity)
        .all(db)
        .await
        .expect("q");
    let names: Vec<String> = theirs.into_iter().filter_map(|(_, c)| c.and_then(|c| c.subcategory)).collect();
    assert_eq!(names, ["Landscaping and grounds"]);
}
on_both_backends!(the_demo_makes_a_living_beacon);

async fn the_api_lists_public_opportunities_only(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    beacon::demo::load(db, &app.state.config, today, 0).await.expect("demo");
    let json = |path: &'static str| {
        let app = &app;
        async move { app.get_json(path).await.json() }
    };
    let current = json("/api/v1/opportunities").await;
    assert_eq!(current["total"], 5, "{current:#}");
    let open = json("/api/v1/opportunities?status=open").await;
    assert!(open["results"].as_array().expect("results").iter().all(|o| o["status"] == "open"));
    assert_eq!(json("/api/v1/opportunities?status=closed").await["total"], 2);
    let draft = opportunity::Entity::find()
        .filter(opportunity::Column::IsPublic.eq(false))
        .one(db)
        .await
        .expect("q")
        .expect("draft");
    let found = app.get_json(&format!("/api/v1/opportunities/{}", draft.id)).await;
    assert_eq!(found.status, StatusCode::NOT_FOUND, "drafts are not in the API");
    let one = &current["results"][0];
    let detail = app.get_json(one["url"].as_str().expect("url")).await.json();
    assert_eq!(detail["title"], one["title"]);
    assert!(detail["required_documents"].as_array().is_some_and(|d| !d.is_empty()));
    let dept = model::entities::department::Entity::find()
        .filter(model::entities::department::Column::Name.eq("Department of Public Works"))
        .one(db)
        .await
        .expect("q")
        .expect("dept");
    let theirs = app.get_json(&format!("/api/v1/opportunities?department={}", dept.id)).await.json();
    assert!(
        theirs["results"].as_array().expect("results").iter().all(|o| o["department"] == "Department of Public Works")
    );
    assert_eq!(app.get_json("/api/v1/opportunities?status=draft").await.status, StatusCode::BAD_REQUEST);
}
on_both_backends!(the_api_lists_public_opportunities_only);

async fn feeds_list_current_opportunities_and_pages_announce_them(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    beacon::demo::load(db, &app.state.config, app.state.config.site.today(), 0).await.expect("demo");
    let page = app.get("/beacon/").await;
    assert!(page.body.contains(r#"<link rel="alternate" type="application/atom+xml""#), "{}", page.body);
    assert!(page.body.contains(r#"<link rel="alternate" type="text/calendar""#));

    let atom = app.get("/beacon/feeds/opportunities.atom").await;
    assert_eq!(atom.status, StatusCode::OK);
    assert!(atom.header("content-type").starts_with("application/atom+xml"));
    let feed: atom_syndication::Feed = atom.body.parse().expect("a valid Atom document");
    assert_eq!(feed.entries().len(), 5, "the open and upcoming ones");
    assert!(
        feed.entries().iter().all(|e| e.links()[0].href().starts_with("http://localhost:8000/beacon/opportunities/"))
    );
    let one = &feed.entries()[0];
    let o = opportunity::Entity::find().filter(opportunity::Column::Title.eq(one.title().as_str())).one(db).await;
    let o = o.expect("q").expect("the entry's opportunity");
    let category = opportunity_category_of(&app, o.id).await;
    let filtered: atom_syndication::Feed =
        app.get(&format!("/beacon/feeds/opportunities.atom?category={category}")).await.body.parse().expect("valid");
    assert!(filtered.entries().iter().any(|e| e.title().as_str() == o.title));
    assert!(filtered.entries().len() < feed.entries().len(), "only that category's");
    assert_eq!(app.get("/beacon/feeds/opportunities.atom?category=999999").await.status, StatusCode::NOT_FOUND);

    let ics = app.get("/beacon/feeds/deadlines.ics").await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.header("content-type").starts_with("text/calendar"));
    assert!(ics.body.starts_with("BEGIN:VCALENDAR\r\n") && ics.body.trim_end().ends_with("END:VCALENDAR"));
    assert_eq!(ics.body.matches("BEGIN:VEVENT").count(), 5);
    assert!(ics.body.contains(&format!("UID:opportunity-{}@localhost", o.id)), "{}", ics.body);
    let deadline = o.planned_submission_end.format("%Y%m%dT%H%M%SZ").to_string();
    assert!(ics.body.contains(&format!("DTSTART:{deadline}")), "the deadline in UTC: {}", ics.body);
}
on_both_backends!(feeds_list_current_opportunities_and_pages_announce_them);

async fn opportunity_category_of(app: &TestApp, id: i32) -> i32 {
    use model::entities::opportunity_category;
    opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(id))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("a category")
        .category_id
}

async fn staff_export_vendors_with_the_original_columns(backend: Backend) {
    use common::browser::Browser;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let s = setup(&app, app.state.config.site.today()).await;
    let paving = s.draft.categories[0];
    let v = Vendor::new("bids@keystone.example").categories(&[paving]).confirmed().insert(&app).await;
    Vendor::new("x@evil.example").business("=HYPERLINK(\"http://evil.example\")").insert(&app).await;
    let staff = Browser::sign_in_as(&app, "exporter@pittsburghpa.gov", &[Role::Staff]).await;
    let csv = staff.get("/beacon/admin/vendors.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some(
            "first_name,last_name,business_name,email,phone_number,minority_owned,woman_owned,veteran_owned,disadvantaged_owned,categories,opportunities"
        )
    );
    assert!(
        csv.body.contains(&format!("{},bids@keystone.example", v.business_name)) && csv.body.contains("Paving"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("\"'=HYPERLINK("), "formulas are defused: {}", csv.body);
    let tsv = staff.get("/beacon/admin/vendors.tsv").await;
    assert!(tsv.body.lines().next().is_some_and(|h| h.split('\t').count() == 11));
    let county = Browser::sign_in_as(&app, "clerk@example.org", &[Role::County]).await;
    assert_eq!(county.get("/beacon/admin/vendors.csv").await.status, StatusCode::FORBIDDEN);
}
on_both_backends!(staff_export_vendors_with_the_original_columns);

async fn public_pages_are_cached_but_never_out_of_date(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let s = setup(&app, today).await;
    let now = Utc::now();
    let mut soon = s.draft.clone();
    soon.title = "Closes in a moment".into();
    soon.planned_submission_start = Some(today);
    soon.planned_submission_end = Some(now + Duration::seconds(2));
    let closing = lifecycle::create(db, Some(&s.staff), &soon, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), closing.id, now, today).await.expect("approve");
    let lasting = lifecycle::create(db, Some(&s.staff), &s.draft, now).await.expect("draft");
    lifecycle::approve(db, Some(&s.conductor), lasting.id, now, today).await.expect("approve");
    let page = format!("/beacon/opportunities/{}", closing.id);
    for _ in 0..2 {
        let open = app.get("/beacon/").await.body;
        assert!(open.contains("Closes in a moment") && open.contains(&s.draft.title), "{open}");
        assert!(!app.get("/beacon/opportunities/closed").await.body.contains("Closes in a moment"));
        assert!(app.get(&page).await.body.contains(" Bids close "), "the opportunity's page says it is open");
    }
    // An edit shows at once.
    let mut renamed = s.draft.clone();
    renamed.title = "Street resurfacing, renamed".into();
    lifecycle::update(db, Some(&s.conductor), lasting.id, &renamed, Utc::now()).await.expect("edit");
    assert!(app.get("/beacon/").await.body.contains("Street resurfacing, renamed"));
    // A deadline passing moves the opportunity to the closed list, with no change to the data.
    tokio::time::sleep((closing.planned_submission_end - Utc::now()).to_std().unwrap_or_default()).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!app.get("/beacon/").await.body.contains("Closes in a moment"));
    assert!(app.get("/beacon/opportunities/closed").await.body.contains("Closes in a moment"));
    assert!(app.get(&page).await.body.contains(" Bids closed "), "and its page that it is closed");
}
on_both_backends!(public_pages_are_cached_but_never_out_of_date);
