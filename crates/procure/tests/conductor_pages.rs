//! Conductor's pages (issue 15): the index's three lists, starting work from All contracts and
//! on new work, the detail page's transitions, notes and removal with its undo, bulk
//! reassignment, setting a contract aside, who may see them, and the demo. Through the router,
//! as a browser would, on both databases.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::browser::Browser;
use common::builders::{User, managed_contract};
use common::{Backend, TestApp};
use model::entities::work_item;
use sea_orm::EntityTrait;

fn item_id(location: &str) -> i32 {
    location.trim_start_matches("/conductor/items/").parse().unwrap_or_else(|_| panic!("not an item: {location}"))
}

/// A conductor starts a renewal from All contracts, completes a stage, writes a note, goes
/// back, removes the work and restores it; a double submit lands on the same item.
async fn a_renewal_goes_from_all_contracts_through_its_stages(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Quote", "Sign"]).await;
    let parent = managed_contract(&app, "Road salt", "SPEC-77", 45).await;
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;
    let me = common::count(&app.state.db, "SELECT id AS n FROM users WHERE email = 'cora@pittsburghpa.gov'").await;

    let all = cora.get("/conductor/?tab=all").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("Road salt") && all.body.contains("SPEC-77"), "{}", all.body);
    assert!(all.body.contains("urgent"), "45 days from expiry is urgent: {}", all.body);

    let form = cora.get(&format!("/conductor/contracts/{parent}/start")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Road salt"), "the description starts as the contract's");
    let fields = [
        ("description", "Road salt 2027"),
        ("flow", &flow.to_string()),
        ("assignee", &me.to_string()),
        ("department", ""),
        ("start", ""),
    ];
    let started = cora.post(&format!("/conductor/contracts/{parent}/start"), &fields).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let id = item_id(started.header("location"));
    let again = cora.post(&format!("/conductor/contracts/{parent}/start"), &fields).await;
    assert_eq!(item_id(again.header("location")), id, "a double submit lands on the same work");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM work_items").await, 1);

    let all = cora.get("/conductor/?tab=all").await;
    assert!(!all.body.contains("SPEC-77"), "a contract being renewed leaves All contracts");
    let mine = cora.get("/conductor/").await;
    assert!(mine.body.contains("Road salt 2027") && mine.body.contains("SPEC-77"), "{}", mine.body);
    assert!(mine.body.contains("(current contract's)"), "the spec number falls back to the parent's");

    let page = cora.get(&format!("/conductor/items/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in ["Review", "Quote", "Sign", "Mark Review complete", "Started work on Review"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }

    let done = cora.post(&format!("/conductor/items/{id}/stage/complete"), &[("at", "")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = cora.get(&format!("/conductor/items/{id}")).await;
    assert!(page.body.contains("Mark Quote complete") && page.body.contains("Go back to Review"), "{}", page.body);

    let blank = cora.post(&format!("/conductor/items/{id}/notes"), &[("note", "  ")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.contains("Note cannot be blank."));
    let noted =
        cora.post(&format!("/conductor/items/{id}/notes"), &[("note", "Called the vendor.\nThey agree.")]).await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    let notes = cora.get(&format!("/conductor/items/{id}?show=notes")).await;
    assert!(notes.body.contains("Called the vendor.") && !notes.body.contains("Completed Review"), "{}", notes.body);

    let future = (Utc::now() + Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string();
    let refused = cora.post(&format!("/conductor/items/{id}/stage/complete"), &[("at", &future)]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Invalid date (in future)"), "{}", refused.body);
    let skip = cora.post(&format!("/conductor/items/{id}/stage/revert"), &[("position", "2"), ("at", "")]).await;
    assert_eq!(skip.status, StatusCode::BAD_REQUEST, "going back to a later stage is refused");
    let back = cora.post(&format!("/conductor/items/{id}/stage/revert"), &[("position", "0"), ("at", "")]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert!(cora.get(&format!("/conductor/items/{id}")).await.body.contains("Mark Review complete"));

    let removed = cora.post(&format!("/conductor/items/{id}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(!cora.get("/conductor/").await.body.contains("Road salt 2027"));
    assert!(cora.get("/conductor/?tab=aside").await.body.contains("Road salt 2027"));
    let twice = cora.post(&format!("/conductor/items/{id}/remove"), &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "removing removed work says why");
    let restored = cora.post(&format!("/conductor/items/{id}/restore"), &[]).await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert!(cora.get("/conductor/").await.body.contains("Road salt 2027"));

    // Other roles: 403 on every page (tests/permissions.rs walks every route).
    let sam = Browser::sign_in_as(&app, "sam@pittsburghpa.gov", &[Role::Staff]).await;
    assert_eq!(sam.get(&format!("/conductor/items/{id}")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(sam.post(&format!("/conductor/items/{id}/notes"), &[("note", "x")]).await.status, StatusCode::FORBIDDEN);
}
on_both_backends!(a_renewal_goes_from_all_contracts_through_its_stages);

/// Acceptance 3 through the page: no flow, no assignee → the fields say so and nothing is made.
async fn an_invalid_start_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    common::builders::flow(&app, "Renewal", &["Review"]).await;
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;
    let refused = cora.post("/conductor/new", &[("description", "Snow plows"), ("flow", ""), ("assignee", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Choose a flow.") && refused.body.contains("Choose who does the work"));
    assert!(refused.body.contains("Snow plows"), "what was typed stays");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM work_items").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contracts").await, 0);
}
on_both_backends!(an_invalid_start_writes_nothing);

/// Selected items go to the chosen conductor together; a staff user cannot be chosen.
async fn selected_work_is_reassigned_together(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Sign"]).await;
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let dana = User::new("dana@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let sam = User::new("sam@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let mut ids = Vec::new();
    for name in ["Salt", "Sand", "Gravel"] {
        let form = conductor::start::Start {
            description: name.into(),
            flow_id: Some(flow),
            assignee_id: Some(cora.id),
            department_id: None,
            at: None,
        };
        let work = conductor::start::new_work(
            &app.state.db,
            &conductor::emails::Mailing::of(&app.state),
            Some(&cora),
            &form,
            Utc::now(),
        )
        .await
        .expect("start");
        ids.push(work.id);
    }
    let browser = Browser::new(&app);
    browser.sign_in(cora.id).await;
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let refused = browser.post("/conductor/assign", &[("item", &a), ("assignee", &sam.id.to_string())]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let page = browser.get("/conductor/").await;
    assert!(page.body.contains("That user does not have the right permissions"), "{}", page.body);
    let moved =
        browser.post("/conductor/assign", &[("item", &a), ("item", &b), ("assignee", &dana.id.to_string())]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let items = work_item::Entity::find().all(&app.state.db).await.expect("q");
    let to_dana = items.iter().filter(|w| w.assignee_id == Some(dana.id)).count();
    assert_eq!(to_dana, 2);
    let mine = browser.get("/conductor/").await;
    assert!(mine.body.contains("Gravel") && !mine.body.contains(">Salt<"), "only mine by default: {}", mine.body);
    let everyone = browser.get("/conductor/?who=all&sort=assignee").await;
    assert!(everyone.body.contains(">Salt<") && everyone.body.contains(">Gravel<"), "{}", everyone.body);
}
on_both_backends!(selected_work_is_reassigned_together);

/// "Remove from Conductor only" on a contract nobody works on, and its undo.
async fn a_contract_is_set_aside_and_restored(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let id = managed_contract(&app, "Fire hose", "SPEC-9", 300).await;
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;
    assert!(cora.get("/conductor/?tab=all&q=hose").await.body.contains("Fire hose"));
    assert!(!cora.get("/conductor/?tab=all&q=ladder").await.body.contains("Fire hose"), "the search narrows");
    let aside = cora.post(&format!("/conductor/contracts/{id}/set-aside"), &[]).await;
    assert_eq!(aside.status, StatusCode::SEE_OTHER);
    // (The flash names it too: look for its row's action.)
    let start = format!("/conductor/contracts/{id}/start");
    let restore = format!("/conductor/contracts/{id}/restore");
    assert!(!cora.get("/conductor/?tab=all").await.body.contains(&start));
    assert!(cora.get("/conductor/?tab=aside").await.body.contains(&restore));
    assert_eq!(app.get(&format!("/scout/contracts/{id}")).await.status, StatusCode::OK, "it stays on Scout");
    let back = cora.post(&format!("/conductor/contracts/{id}/restore"), &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert!(cora.get("/conductor/?tab=all").await.body.contains(&start));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM audit_log WHERE resource = 'contracts'").await, 2);
}
on_both_backends!(a_contract_is_set_aside_and_restored);

/// The demo makes two flows and renewals in progress across the stages; the pages show them.
async fn the_demo_fills_conductor(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    scout::demo::load(&app.state.db, 200, Utc::now().date_naive()).await.expect("scout demo");
    let made = conductor::demo::load(&app.state.db, &app.state.config, 12).await.expect("conductor demo");
    assert_eq!(made.flows, 2);
    assert!(made.items > 0 && made.items <= 12, "{made:?}");
    let again = conductor::demo::load(&app.state.db, &app.state.config, 12).await.expect("again");
    assert_eq!(again.items, 0, "running it twice adds nothing");
    let stages = app.count("SELECT COUNT(DISTINCT current_stage_id) AS n FROM work_items").await;
    assert!(stages > 1, "the work is spread over the stages");
    let admin = Browser::sign_in_as(&app, "ada@pittsburghpa.gov", &[Role::Admin]).await;
    let page = admin.get("/conductor/?who=all").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Renewal: "), "{}", page.body);
    let first = app.count("SELECT MIN(id) AS n FROM work_items").await;
    let detail = admin.get(&format!("/conductor/items/{first}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Competitive bid"));
}
on_both_backends!(the_demo_fills_conductor);

/// Acceptance 34: every state change is a POST (a GET is 405) and refuses a cross-site form
/// (403), for every Conductor route that changes something.
async fn every_change_is_a_same_site_post(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;
    let posts: Vec<String> = procure::app::route_table()
        .list()
        .into_iter()
        .filter(|r| r.method == axum::http::Method::POST && r.path.starts_with("/conductor"))
        .map(|r| r.path.replace("{id}", "1").replace("{entry}", "1"))
        .collect();
    assert!(posts.len() >= 15, "{posts:?}");
    let gets: Vec<String> = procure::app::route_table()
        .list()
        .into_iter()
        .filter(|r| r.method == axum::http::Method::GET)
        .map(|r| r.path.replace("{id}", "1").replace("{entry}", "1"))
        .collect();
    for path in &posts {
        if !gets.contains(path) {
            assert_eq!(cora.get(path).await.status, StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
        }
        let request = axum::http::Request::post(path.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "https://elsewhere.example")
            .header("sec-fetch-site", "cross-site");
        let answer = cora.send(request, axum::body::Body::from("note=x")).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "cross-site POST {path}");
    }
}
on_both_backends!(every_change_is_a_same_site_post);

/// Acceptance 36: deleting a user who took actions leaves the item's page rendering, with the
/// name the log kept.
async fn a_deleted_users_entries_still_render(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Sign"]).await;
    let gone = User::new("gone@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let form = conductor::start::Start {
        description: "Salt".into(),
        flow_id: Some(flow),
        assignee_id: Some(gone.id),
        department_id: None,
        at: None,
    };
    let work = conductor::start::new_work(
        &app.state.db,
        &conductor::emails::Mailing::of(&app.state),
        Some(&gone),
        &form,
        Utc::now(),
    )
    .await
    .expect("start");
    conductor::notes::add(&app.state.db, Some(&gone), work.id, "Before I left.", Utc::now()).await.expect("note");
    model::entities::user::Entity::delete_by_id(gone.id).exec(&app.state.db).await.expect("delete the user");
    let ada = Browser::sign_in_as(&app, "ada@pittsburghpa.gov", &[Role::Admin]).await;
    let page = ada.get(&format!("/conductor/items/{}", work.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Before I left.") && page.body.contains("gone@pittsburghpa.gov"), "{}", page.body);
    assert!(page.body.contains("Assigned to no one"), "the assignee is gone too");
    let list = ada.get("/conductor/?who=all").await;
    assert!(list.body.contains("Unassigned"), "unassigned work stays listed: {}", list.body);
}
on_both_backends!(a_deleted_users_entries_still_render);

/// Two people press "Mark Review complete" at once (two tasks): one completes Review, the other
/// is told the work changed meanwhile and nothing of theirs is written; the work never skips
/// past Quote because of a button that named Review.
async fn of_two_people_completing_one_stage_at_once_one_wins(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Quote", "Sign"]).await;
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let dana = User::new("dana@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let form = conductor::start::Start {
        description: "Salt".into(),
        flow_id: Some(flow),
        assignee_id: Some(cora.id),
        department_id: None,
        at: Some(Utc::now() - Duration::days(3)),
    };
    let mail = conductor::emails::Mailing::of(&app.state);
    let work = conductor::start::new_work(&app.state.db, &mail, Some(&cora), &form, Utc::now()).await.expect("start");
    let review = app.count(&format!("SELECT current_stage_id AS n FROM work_items WHERE id = {}", work.id)).await;
    let (a, b) = (Browser::new(&app), Browser::new(&app));
    a.sign_in(cora.id).await;
    b.sign_in(dana.id).await;
    let path = format!("/conductor/items/{}/stage/complete", work.id);
    let stage = review.to_string();
    let fields = [("at", ""), ("stage", stage.as_str())];
    let (first, second) = tokio::join!(a.post(&path, &fields), b.post(&path, &fields));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    let exited_now = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM work_item_stages WHERE work_item_id = {} AND exited_at IS NOT NULL",
            work.id
        ))
        .await;
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::CONFLICT],
        "to {:?} and {:?}, {exited_now} stages exited: {} / {}",
        first.header("location"),
        second.header("location"),
        first.body,
        second.body
    );
    let loser = if first.status == StatusCode::CONFLICT { &first } else { &second };
    assert!(loser.body.contains("Someone else changed this work just now"), "{}", loser.body);
    let exited = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM work_item_stages WHERE work_item_id = {} AND exited_at IS NOT NULL",
            work.id
        ))
        .await;
    assert_eq!(exited, 1, "Review completed once, Quote still open");
    let kinds = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM work_item_activity WHERE work_item_id = {} AND kind = 'exited'",
            work.id
        ))
        .await;
    assert_eq!(kinds, 1, "one entry for the one completion");
}
on_both_backends!(of_two_people_completing_one_stage_at_once_one_wins);
