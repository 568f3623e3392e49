//! The keys Conductor's index sorts and searches work by (migration 20) are kept by the
//! database: after every kind of change to the rows they come from (starting work, each
//! transition, a flow switch, reassignment, an extension, edits to contracts, spec numbers,
//! stages and users, deletions) each stored key equals what the joins give. And the index pages
//! through them with blanks last in either direction. On both databases.

mod common;

use std::collections::BTreeSet;

use accounts::{CurrentUser, Role};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::browser::Browser;
use common::builders::{Contract, User};
use common::{Backend, TestApp};
use conductor::emails::Mailing;
use conductor::start::Start;
use model::Stamp;
use model::entities::{contract, contract_property, stage, user, work_item};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, IntoActiveModel, ModelTrait, QueryFilter};
use sea_orm::{DatabaseConnection, QueryOrder, Set, Statement};

/// The keys as stored, or as the joins compute them.
#[derive(Debug, PartialEq, FromQueryResult)]
struct Keys {
    id: i32,
    renews_expiration: Option<NaiveDate>,
    stage_entered_at: Option<DateTime<Utc>>,
    sort_description: Option<String>,
    sort_stage: Option<String>,
    sort_assignee: Option<String>,
    spec_number: Option<String>,
    renews_spec_number: Option<String>,
}

async fn keys(db: &DatabaseConnection, sql: &str) -> Vec<Keys> {
    Keys::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).all(db).await.expect("keys")
}

/// Every item's stored keys are what the joins give; its search text holds both contracts'
/// descriptions, the spec numbers of both and their controller numbers, one per line. `when`
/// names the change.
#[track_caller]
fn check(when: &str, stored: &[Keys], computed: &[Keys], texts: &[(i32, Option<String>)], expected: &[(i32, String)]) {
    assert_eq!(stored, computed, "after {when}: the stored keys differ from the joins");
    for ((id, text), (same, want)) in texts.iter().zip(expected) {
        assert_eq!(id, same);
        let text = text.clone().unwrap_or_default();
        let (got, want): (Vec<&str>, Vec<&str>) = (text.split('\n').collect(), want.split('\n').collect());
        assert_eq!(got.len(), 4, "after {when}: four lines in {text:?}");
        assert_eq!(got[..2], want[..2], "after {when}: item {id}'s descriptions");
        let words = |line: &str| line.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<BTreeSet<_>>();
        assert_eq!(words(got[2]), words(want[2]), "after {when}: item {id}'s spec numbers");
        assert_eq!(got[3], want[3], "after {when}: item {id}'s controller numbers");
    }
}

async fn assert_keys_hold(app: &TestApp, when: &str) {
    let db = &app.state.db;
    let stored = keys(
        db,
        "SELECT id, renews_expiration, stage_entered_at, sort_description, sort_stage, sort_assignee, \
                spec_number, renews_spec_number FROM work_items ORDER BY id",
    )
    .await;
    let computed = keys(
        db,
        "SELECT w.id, p.expiration_date AS renews_expiration, ws.entered_at AS stage_entered_at, \
                lower(c.description) AS sort_description, lower(s.name) AS sort_stage, \
                lower(u.email) AS sort_assignee, \
                (SELECT cp.value FROM contract_properties cp WHERE cp.contract_id = c.id \
                 AND lower(cp.key) = 'spec number' ORDER BY cp.id LIMIT 1) AS spec_number, \
                (SELECT cp.value FROM contract_properties cp WHERE cp.contract_id = p.id \
                 AND lower(cp.key) = 'spec number' ORDER BY cp.id LIMIT 1) AS renews_spec_number \
         FROM work_items w JOIN contracts c ON c.id = w.contract_id \
         LEFT JOIN contracts p ON p.id = w.parent_id \
         LEFT JOIN work_item_stages ws ON ws.work_item_id = w.id AND ws.flow_id = w.flow_id \
              AND ws.stage_id = w.current_stage_id AND ws.superseded_at IS NULL \
         LEFT JOIN stages s ON s.id = w.current_stage_id \
         LEFT JOIN users u ON u.id = w.assignee_id ORDER BY w.id",
    )
    .await;
    #[derive(FromQueryResult)]
    struct Text {
        id: i32,
        contract_id: i32,
        parent_id: Option<i32>,
        search_text: Option<String>,
    }
    let rows = Text::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT id, contract_id, parent_id, search_text FROM work_items ORDER BY id",
    ))
    .all(db)
    .await
    .expect("texts");
    let mut expected = Vec::new();
    for row in &rows {
        let description = |id: Option<i32>| async move {
            match id {
                Some(id) => contract::Entity::find_by_id(id).one(db).await.expect("q").and_then(|c| c.description),
                None => None,
            }
        };
        let ids: Vec<i32> = [Some(row.contract_id), row.parent_id].into_iter().flatten().collect();
        let specs: Vec<String> = contract_property::Entity::find()
            .filter(contract_property::Column::ContractId.is_in(ids))
            .order_by_asc(contract_property::Column::Id)
            .all(db)
            .await
            .expect("q")
            .into_iter()
            .filter(|p| p.key.eq_ignore_ascii_case("spec number"))
            .filter_map(|p| p.value)
            .collect();
        let controller = |id: Option<i32>| async move {
            match id {
                Some(id) => contract::Entity::find_by_id(id).one(db).await.expect("q").and_then(|c| c.financial_id),
                None => None,
            }
        };
        let text = format!(
            "{}\n{}\n{}\n{} {}",
            description(Some(row.contract_id)).await.unwrap_or_default(),
            description(row.parent_id).await.unwrap_or_default(),
            specs.join(" "),
            controller(Some(row.contract_id)).await.unwrap_or_default(),
            controller(row.parent_id).await.unwrap_or_default(),
        );
        expected.push((row.id, text.to_lowercase()));
    }
    let texts: Vec<(i32, Option<String>)> = rows.into_iter().map(|r| (r.id, r.search_text)).collect();
    check(when, &stored, &computed, &texts, &expected);
}

async fn spec(app: &TestApp, contract_id: i32, key: &str, value: &str) -> contract_property::Model {
    contract_property::ActiveModel {
        contract_id: Set(contract_id),
        key: Set(key.into()),
        value: Set(Some(value.into())),
        ..Stamp::created(None, Utc::now())
    }
    .insert(&app.state.db)
    .await
    .expect("property")
}

fn start(description: &str, flow: i32, assignee: &CurrentUser) -> Start {
    Start {
        description: description.into(),
        flow_id: Some(flow),
        assignee_id: Some(assignee.id),
        department_id: None,
        at: Some(Utc::now() - Duration::days(3)),
    }
}

async fn every_change_keeps_the_keys(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let mail = Mailing::of(&app.state);
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let dana = User::new("dana@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let bid = common::builders::flow(&app, "Bid", &["Review", "Quote", "Sign"]).await;
    let quick = common::builders::flow(&app, "Quick", &["Check", "Done"]).await;
    let parent = Contract::new("Road Salt").expires(Utc::now().date_naive() + Duration::days(40)).insert(&app).await;
    spec(&app, parent.id, "Spec Number", "SPEC-7").await;
    spec(&app, parent.id, "Colour", "blue").await;
    let other = Contract::new("Gravel").insert(&app).await;

    let renewal =
        conductor::start::renewal(db, &mail, Some(&cora), parent.id, &start("Salt 2027", bid, &cora), Utc::now())
            .await
            .expect("renewal");
    let fresh = conductor::start::new_work(db, &mail, Some(&cora), &start("New thing", bid, &dana), Utc::now())
        .await
        .expect("new work");
    let renews_gravel =
        conductor::start::renewal(db, &mail, Some(&cora), other.id, &start("Gravel 2027", quick, &dana), Utc::now())
            .await
            .expect("renewal");
    assert_keys_hold(&app, "starting work").await;

    conductor::transitions::complete(db, Some(&cora), renewal.id, Utc::now(), Utc::now()).await.expect("complete");
    assert_keys_hold(&app, "completing a stage").await;
    conductor::transitions::revert(db, Some(&cora), renewal.id, 0, Utc::now() - Duration::hours(1), Utc::now())
        .await
        .expect("revert");
    assert_keys_hold(&app, "going back").await;
    conductor::transitions::move_start(db, Some(&cora), renewal.id, Utc::now() - Duration::days(9), Utc::now())
        .await
        .expect("move the start");
    assert_keys_hold(&app, "moving the start").await;
    conductor::flows::switch(db, Some(&cora), fresh.id, quick, Utc::now()).await.expect("switch");
    assert_keys_hold(&app, "switching flow").await;
    conductor::items::reassign(db, &mail, Some(&cora), &[renewal.id, fresh.id], dana.id, Utc::now())
        .await
        .expect("reassign");
    assert_keys_hold(&app, "reassigning").await;
    conductor::flows::extend(db, Some(&cora), renewal.id, Utc::now().date_naive() + Duration::days(400), Utc::now())
        .await
        .expect("extend");
    assert_keys_hold(&app, "extending the renewed contract").await;

    let mut edited =
        contract::Entity::find_by_id(parent.id).one(db).await.expect("q").expect("parent").into_active_model();
    edited.description = Set(Some("Road Salt and Grit".into()));
    edited.expiration_date = Set(None);
    edited.financial_id = Set(Some("C-4321".into()));
    edited.update(db).await.expect("edit the parent");
    let mut edited = contract::Entity::find_by_id(renewal.contract_id)
        .one(db)
        .await
        .expect("q")
        .expect("successor")
        .into_active_model();
    edited.description = Set(Some("Salt and Grit 2027".into()));
    edited.update(db).await.expect("edit the successor");
    assert_keys_hold(&app, "editing both contracts").await;

    let own = spec(&app, renewal.contract_id, "SPEC NUMBER", "B-1").await;
    assert_keys_hold(&app, "adding a spec number").await;
    let mut changed = own.clone().into_active_model();
    changed.value = Set(Some("B-2".into()));
    let changed = changed.update(db).await.expect("change");
    assert_keys_hold(&app, "changing a spec number").await;
    let mut renamed = changed.into_active_model();
    renamed.key = Set("Old spec".into());
    let renamed = renamed.update(db).await.expect("rename");
    assert_keys_hold(&app, "renaming a spec number's key").await;
    renamed.delete(db).await.expect("delete");
    assert_keys_hold(&app, "deleting a property").await;

    let review =
        stage::Entity::find().filter(stage::Column::Name.eq("Review")).one(db).await.expect("q").expect("stage");
    let mut review = review.into_active_model();
    review.name = Set("Needs Review".into());
    review.update(db).await.expect("rename the stage");
    let dana_row = user::Entity::find_by_id(dana.id).one(db).await.expect("q").expect("dana");
    let mut moved = dana_row.clone().into_active_model();
    moved.email = Set("dana.new@pittsburghpa.gov".into());
    moved.update(db).await.expect("new address");
    assert_keys_hold(&app, "renaming a stage and changing an address").await;

    user::Entity::delete_by_id(dana.id).exec(db).await.expect("delete dana");
    contract::Entity::delete_by_id(other.id).exec(db).await.expect("delete the renewed contract");
    assert_keys_hold(&app, "deleting the assignee and a renewed contract").await;
    let gravel = work_item::Entity::find_by_id(renews_gravel.id).one(db).await.expect("q").expect("the work stays");
    assert_eq!((gravel.parent_id, gravel.assignee_id), (None, None), "renews nothing, unassigned");
}
on_both_backends!(every_change_keeps_the_keys);

/// The index pages through everyone's work along a key: blanks (new work renews no contract)
/// last in either direction, every item exactly once across the pages.
async fn the_index_pages_with_blanks_last(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let mail = Mailing::of(&app.state);
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let bid = common::builders::flow(&app, "Bid", &["Review", "Sign"]).await;
    // 60 renewals expiring a day apart and 45 new pieces of work: three pages of 50.
    for n in 0..60 {
        let parent = Contract::new(&format!("Contract {n:03}"))
            .controller(&format!("X-{n:03}"))
            .expires(Utc::now().date_naive() + Duration::days(10 + n))
            .insert(&app)
            .await;
        conductor::start::renewal(
            db,
            &mail,
            Some(&cora),
            parent.id,
            &start(&format!("Renewal {n:03}"), bid, &cora),
            Utc::now(),
        )
        .await
        .expect("renewal");
    }
    for n in 0..45 {
        conductor::start::new_work(db, &mail, Some(&cora), &start(&format!("New {n:03}"), bid, &cora), Utc::now())
            .await
            .expect("new work");
    }
    let browser = Browser::new(&app);
    browser.sign_in(cora.id).await;
    let size = usize::try_from(conductor::INDEX_PAGE_SIZE).expect("small");
    let pages = 105_usize.div_ceil(size);
    for dir in ["asc", "desc"] {
        let mut seen: Vec<String> = Vec::new();
        for page in 1..=pages + 1 {
            let body = browser.get(&format!("/conductor/?who=all&sort=expires&dir={dir}&page={page}")).await.body;
            assert!(body.contains(">105 items"), "the count: {body}");
            let rows: Vec<String> = body
                .match_indices(">Renewal ")
                .chain(body.match_indices(">New "))
                .map(|(i, _)| body[i + 1..i + 12].to_owned())
                .collect();
            assert!(rows.len() <= size, "a page holds at most {size} rows");
            if page > pages {
                assert!(rows.is_empty(), "nothing past the last page");
            }
            seen.extend(rows);
        }
        let renewals: Vec<&String> = seen.iter().filter(|s| s.starts_with("Renewal")).collect();
        let mut sorted = renewals.clone();
        sorted.sort();
        if dir == "desc" {
            sorted.reverse();
        }
        assert_eq!(renewals, sorted, "renewals by expiry, {dir}");
        assert_eq!(seen.len(), 105, "each item once ({dir}): {seen:?}");
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 105, "no item twice ({dir})");
    }
    // The page where the 60 renewals end holds the last of them, then new work.
    let boundary = 60 / size + 1;
    let page = browser.get(&format!("/conductor/?who=all&sort=expires&dir=desc&page={boundary}")).await.body;
    let renewals = 60 % size;
    assert_eq!(page.matches(">Renewal ").count(), renewals, "{page}");
    assert_eq!(page.matches(">New ").count(), (size - renewals).min(45));
    let last = browser.get(&format!("/conductor/?who=all&sort=expires&page={pages}")).await.body;
    assert_eq!(last.matches(">Renewal ").count(), 0, "new work last");
    // A page number from far beyond the list is an empty page, not an overflow.
    let far = browser.get(&format!("/conductor/?who=all&sort=days&page={}", u64::MAX)).await;
    assert_eq!(far.status, axum::http::StatusCode::OK);
    assert!(far.body.contains(">105 items") && !far.body.contains(">New "), "{}", far.body);
    // A search narrows through the stored text (a spec number or a description).
    let found = browser.get("/conductor/?who=all&q=contract%20007").await.body;
    assert!(found.contains(">1 item.") && found.contains(">Renewal 007<"), "{found}");
    let by_controller = browser.get("/conductor/?who=all&q=X-007").await.body;
    assert!(by_controller.contains(">1 item.") && by_controller.contains(">Renewal 007<"), "{by_controller}");
}
on_both_backends!(the_index_pages_with_blanks_last);
