//! Scout's pages over imported data: search results, a contract, a company, a department;
//! following and private notes for every kind of signed-in user.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use common::browser::Browser;
use common::{Backend, TestApp};
use model::entities::{company, contract};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

async fn seeded(backend: Backend) -> Option<TestApp> {
    let app = TestApp::new(backend, &[]).await?;
    common::builders::sample_contracts(&app).await;
    Some(app)
}

async fn by_description(app: &TestApp, text: &str) -> contract::Model {
    common::builders::contract_described(app, text).await
}

async fn anyone_finds_a_contract_and_reads_its_page(backend: Backend) {
    let Some(app) = seeded(backend).await else { return };
    let visitor = Browser::new(&app);
    let home = visitor.get("/scout/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Browse by department"));

    // Include expired: the sample contracts ended in 2015–2016.
    let results = visitor.get("/scout/search?q=protective+gear&expired=on").await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.body);
    assert!(results.body.contains("1 contract found"), "{}", results.body);
    assert!(results.body.contains("3 Rivers Fire Equipment"), "stored in capitals, shown in title case");
    assert!(results.body.contains("<mark>"), "a highlighted passage");

    // Without expired contracts nothing is found, and the page offers to include them.
    let none = visitor.get("/scout/search?q=protective+gear").await;
    assert!(none.body.contains("0 contracts found") && none.body.contains("expired=on"), "{}", none.body);

    // A controller number finds its contract; a field filter is part of the link.
    let number = visitor.get("/scout/search?q=49020&expired=on").await;
    assert!(number.body.contains("controller number"), "{}", number.body);
    let items_only = visitor.get("/scout/search?q=protective&fields=line_item&expired=on").await;
    assert!(items_only.body.contains("0 contracts found"));

    // Malformed searches are pages, not errors.
    for q in ["%22", "OR", "-", "%28%28%28", &"x+".repeat(3000)] {
        assert_eq!(visitor.get(&format!("/scout/search?q={q}")).await.status, StatusCode::OK, "{q}");
    }

    // The contract page: status, companies, properties, and where it was replaced.
    let gear = by_description(&app, "PROTECTIVE GEAR").await;
    let newer = by_description(&app, "TECHNOLOGY PRODUCTS").await;
    let mut successor: contract::ActiveModel = newer.clone().into();
    successor.parent_id = Set(Some(gear.id));
    successor.update(&app.state.db).await.expect("link");
    // Direct writes must say the data changed, as every writer in the app does.
    scout::freshness::bump(&app.state.db).await.expect("bump");
    let page = visitor.get(&format!("/scout/contracts/{}", gear.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Replaced") && page.body.contains(&format!("/scout/contracts/{}", newer.id)),
        "{}",
        page.body
    );
    assert!(page.body.contains("Spec Number") && page.body.contains("6525"));
    assert!(page.body.contains("Sign in</a> to follow"));
    assert!(!page.body.contains("hear before it expires"), "an ended contract promises no reminder");
    let newer_page = visitor.get(&format!("/scout/contracts/{}", newer.id)).await;
    assert!(newer_page.body.contains("Renews"), "{}", newer_page.body);

    // A state contract links to its document, marked when EXTERNAL_LINK_WARNING is on.
    let state = contract::Entity::find().filter(contract::Column::ContractHref.is_not_null()).one(&app.state.db).await;
    let state = state.expect("q").expect("a state contract");
    assert!(visitor.get(&format!("/scout/contracts/{}", state.id)).await.body.contains("emarketplace.state.pa.us"));

    // The company page: its contracts and contacts.
    let fire =
        company::Entity::find().filter(company::Column::Name.eq("3 RIVERS FIRE EQUIPMENT")).one(&app.state.db).await;
    let fire = fire.expect("q").expect("company");
    let co = visitor.get(&format!("/scout/companies/{}", fire.id)).await;
    assert!(co.body.contains("ted@3riversfire.com") && co.body.contains("TURTLE CREEK"), "{}", co.body);

    // A hidden predecessor is not shown on its successor's page.
    let mut hide_parent: contract::ActiveModel = gear.clone().into();
    hide_parent.is_visible = Set(false);
    hide_parent.update(&app.state.db).await.expect("hide");
    scout::freshness::bump(&app.state.db).await.expect("bump");
    assert!(!visitor.get(&format!("/scout/contracts/{}", newer.id)).await.body.contains("Renews"));
    let mut show_again: contract::ActiveModel = gear.clone().into();
    show_again.is_visible = Set(true);
    show_again.update(&app.state.db).await.expect("show");
    scout::freshness::bump(&app.state.db).await.expect("bump");

    // Hidden contracts and unknown ids are 404.
    let mut hidden: contract::ActiveModel = gear.clone().into();
    hidden.is_visible = Set(false);
    hidden.update(&app.state.db).await.expect("hide");
    scout::freshness::bump(&app.state.db).await.expect("bump");
    assert_eq!(visitor.get(&format!("/scout/contracts/{}", gear.id)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(visitor.get("/scout/contracts/999999").await.status, StatusCode::NOT_FOUND);
}
on_both_backends!(anyone_finds_a_contract_and_reads_its_page);

#[tokio::test]
async fn every_signed_in_user_follows_and_keeps_private_notes() {
    let Some(app) = seeded(Backend::Sqlite).await else { return };
    let gear = by_description(&app, "PROTECTIVE GEAR").await;
    let path = format!("/scout/contracts/{}", gear.id);

    // County users could not follow in the original.
    let county = Browser::sign_in_as(&app, "county@example.org", &[Role::County]).await;
    assert_eq!(county.post(&format!("{path}/follow"), &[]).await.status, StatusCode::SEE_OTHER);
    let page = county.get(&path).await;
    assert!(page.body.contains("Stop following"), "{}", page.body);
    assert_eq!(
        county.post(&format!("{path}/follow"), &[]).await.status,
        StatusCode::SEE_OTHER,
        "following twice is fine"
    );
    let followers = model::entities::contract_follower::Entity::find().all(&app.state.db).await.expect("q");
    assert_eq!(followers.len(), 1);

    // The department page lists what its staff follow.
    let other = accounts::users::department_id(&app.state.db, "Other").await.expect("q").expect("seeded");
    let dept = county.get(&format!("/scout/departments/{other}")).await;
    assert!(dept.body.contains("Firefighters&#39; Protective Gear"), "{}", dept.body);

    assert_eq!(county.post(&format!("{path}/unfollow"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(county.get(&path).await.body.contains("Follow this contract"));

    // Anonymous visitors are sent to sign in and brought back.
    let anonymous = Browser::new(&app);
    let r = anonymous.post(&format!("{path}/follow"), &[]).await;
    assert_eq!(r.header("location"), format!("/sign-in?next=%2Fscout%2Fcontracts%2F{}", gear.id));

    // Notes are private to their author, and only the author deletes them.
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    assert_eq!(
        staff.post(&format!("{path}/notes"), &[("note", "Renewal due: call Ted")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(staff.get(&path).await.body.contains("Renewal due: call Ted"));
    assert!(!county.get(&path).await.body.contains("Renewal due"), "another user cannot see it");
    let empty = staff.post(&format!("{path}/notes"), &[("note", "   ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Write something"), "{}", empty.body);
    let note = model::entities::contract_note::Entity::find().one(&app.state.db).await.expect("q").expect("note");
    assert_eq!(county.post(&format!("/scout/notes/{}/delete", note.id), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(staff.post(&format!("/scout/notes/{}/delete", note.id), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(model::entities::contract_note::Entity::find().one(&app.state.db).await.expect("q").is_none());
}

/// Issue 12, finding 8: a note's text is for its author only. Admins may delete an abusive
/// one in the back-office, where no page (list, record, search, edit, audit log) shows it.
async fn admins_delete_notes_without_reading_them(backend: Backend) {
    use model::entities::{audit_log, contract_note};
    let Some(app) = seeded(backend).await else { return };
    let gear = by_description(&app, "PROTECTIVE GEAR").await;
    let path = format!("/scout/contracts/{}", gear.id);
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    let secret = "Ted owes me a favour";
    assert_eq!(staff.post(&format!("{path}/notes"), &[("note", secret)]).await.status, StatusCode::SEE_OTHER);
    let note = contract_note::Entity::find().one(&app.state.db).await.expect("q").expect("note");

    let admin = Browser::sign_in_as(&app, "boss@example.org", &[Role::Admin]).await;
    assert!(!admin.get(&path).await.body.contains(secret), "not on the contract page");
    let list = admin.get("/admin/contract-notes/").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("staff@example.org") && list.body.contains("20 characters"), "{}", list.body);
    for page in [
        list,
        admin.get("/admin/contract-notes/?q=favour").await,
        admin.get(&format!("/admin/contract-notes/{}/edit", note.id)).await,
        admin.get(&format!("/admin/contract-notes/{}/delete", note.id)).await,
    ] {
        assert!(!page.body.contains("Ted owes"), "{}", page.body);
    }
    assert!(admin.get("/admin/contract-notes/?q=favour").await.body.contains("0 results"), "not searchable by text");
    let edit = admin.post(&format!("/admin/contract-notes/{}/edit", note.id), &[("note", "rewritten")]).await;
    assert!(edit.status.is_client_error(), "{}", edit.status);
    assert_eq!(
        contract_note::Entity::find_by_id(note.id).one(&app.state.db).await.expect("q").expect("kept").note,
        secret
    );
    assert_eq!(staff.get("/admin/contract-notes/").await.status, StatusCode::FORBIDDEN, "staff have no back-office");

    let deleted = admin.post(&format!("/admin/contract-notes/{}/delete", note.id), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert!(contract_note::Entity::find_by_id(note.id).one(&app.state.db).await.expect("q").is_none());
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Resource.eq("contract-notes"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("the deletion is audited");
    assert_eq!(entry.action, "delete");
    assert!(!entry.before.unwrap_or_default().contains("Ted owes"), "the audit log keeps no text either");
    assert!(!admin.get("/admin/audit/").await.body.contains("Ted owes"));
}
on_both_backends!(admins_delete_notes_without_reading_them);

async fn followers_hear_once_before_and_when_a_contract_expires(backend: Backend) {
    let Some(app) = seeded(backend).await else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let set_expiry = |c: contract::Model, days: i64| {
        let db = app.state.db.clone();
        async move {
            let mut m: contract::ActiveModel = c.into();
            m.expiration_date = Set(Some(today + chrono::Duration::days(days)));
            m.update(&db).await.expect("update")
        }
    };
    let soon = set_expiry(by_description(&app, "PROTECTIVE GEAR").await, 10).await;
    let ends = set_expiry(by_description(&app, "TECHNOLOGY PRODUCTS").await, 0).await;
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    let county = Browser::sign_in_as(&app, "county@example.org", &[Role::County]).await;
    for id in [soon.id, ends.id] {
        staff.post(&format!("/scout/contracts/{id}/follow"), &[]).await;
    }
    county.post(&format!("/scout/contracts/{}/follow", soon.id), &[]).await;

    let before = common::browser::queued_emails(&app).await;
    let sent = scout::notices::send(&app.state.db, &app.state.templates, &app.state.config, today).await.expect("send");
    assert_eq!(sent, 3, "two followers of the one expiring soon, one of the one ending today");
    assert_eq!(common::browser::queued_emails(&app).await, before + 3);
    let last = common::browser::last_email(&app).await.expect("email");
    assert_eq!(last["to"].as_array().map(Vec::len), Some(1), "one recipient per email, never a shared list");
    assert!(last["subject"].as_str().is_some_and(|s| s.contains("expires")), "{last}");

    // Running again (a second scheduler, a retried job) sends nothing new.
    let again =
        scout::notices::send(&app.state.db, &app.state.templates, &app.state.config, today).await.expect("send");
    assert_eq!(again, 0);
    // The next day the contract that ended yesterday is not announced again either.
    let tomorrow = today + chrono::Duration::days(1);
    assert_eq!(
        scout::notices::send(&app.state.db, &app.state.templates, &app.state.config, tomorrow).await.expect("send"),
        0
    );
}
on_both_backends!(followers_hear_once_before_and_when_a_contract_expires);

#[tokio::test]
async fn the_nightly_job_runs_with_the_workers_templates() {
    use platform::jobs::{Job, JobContext};
    let Some(app) = seeded(Backend::Sqlite).await else { return };
    let env = procure::app::job_env(app.state.db.clone(), app.state.config.clone()).expect("job env");
    let ctx = JobContext { env, job_id: 1, attempt: 1, worker: "test".into() };
    scout::notices::ExpirationNotices {}.run(&ctx).await.expect("the job runs");
    let bare = platform::jobs::JobEnv::from_config(app.state.db.clone(), app.state.config.clone()).expect("env");
    let ctx = JobContext { env: bare, job_id: 2, attempt: 1, worker: "test".into() };
    let err = scout::notices::ExpirationNotices {}.run(&ctx).await.expect_err("no templates");
    assert!(err.to_string().contains("templates"), "{err}");
}
