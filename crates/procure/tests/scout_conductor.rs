//! What Scout's contract page shows of Conductor: the term history (every extension, newest
//! first) for everyone, and the work renewing the contract for conductor-level users only,
//! while the anonymous page stays as cacheable as before. On both databases.

mod common;

use accounts::{CurrentUser, Role};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use common::browser::Browser;
use common::builders::{Contract, User};
use common::{Backend, TestApp};
use conductor::start::{self, Start};
use model::entities::contract;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

/// Extends the contract work item `item` renews to `to`, as Conductor's Extend does.
async fn extend(app: &TestApp, who: &CurrentUser, item: i32, to: NaiveDate) {
    let txn = app.state.db.begin().await.expect("begin");
    conductor::flows::extend(&txn, Some(who), item, to, Utc::now()).await.expect("extend");
    txn.commit().await.expect("commit");
}

async fn the_contract_page_shows_terms_to_all_and_the_work_to_conductors(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Quote", "Sign"]).await;
    let expires = Utc::now().date_naive() + Duration::days(50);
    let parent = Contract::new("Road salt").controller("4321").expires(expires).insert(&app).await;
    let page = format!("/scout/contracts/{}", parent.id);

    // Before any work or extension: no history, and the anonymous page is cached as ever.
    let anonymous = app.get(&page).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains("Extensions"), "{}", anonymous.body);
    assert_eq!(anonymous.header("cache-control"), "public, no-cache");
    assert_eq!(anonymous.header("vary"), "Cookie");

    let form = Start {
        description: "Road salt 2027".into(),
        flow_id: Some(flow),
        assignee_id: Some(cora.id),
        department_id: None,
        at: Some(Utc::now() - Duration::days(3) - Duration::hours(2)),
    };
    let work =
        start::renewal(db, &conductor::emails::Mailing::of(&app.state), Some(&cora), parent.id, &form, Utc::now())
            .await
            .expect("start");
    let first = expires + Duration::days(90);
    let second = first + Duration::days(365);
    extend(&app, &cora, work.id, first).await;
    extend(&app, &cora, work.id, second).await;

    // Everyone sees the terms, newest first, with the day recorded and the reason; the cached
    // anonymous page was made afresh (an extension raises Scout's data version).
    let today = app.state.config.site.today();
    let newest = format!("{first} → {second}, recorded {today}: Extended in Conductor");
    let oldest = format!("{expires} → {first}, recorded {today}: Extended in Conductor");
    let anonymous = app.get(&page).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    let body = &anonymous.body;
    let (at_newest, at_oldest) = (body.find(&newest), body.find(&oldest));
    assert!(at_newest.is_some() && at_oldest.is_some(), "both terms: {body}");
    assert!(at_newest < at_oldest, "newest first: {body}");
    assert!(body.find("Expires") < at_newest, "under the expiration");
    assert!(body.contains(&format!("<dt>Expires</dt><dd>{second}</dd>")), "{body}");
    // …and nothing of Conductor, with the page's caching unchanged.
    assert!(!body.contains("/conductor/items/") && !body.contains("In Conductor"), "{body}");
    assert_eq!(anonymous.header("cache-control"), "public, no-cache");
    assert_eq!(anonymous.header("vary"), "Cookie");

    // Staff see the terms, not the work.
    let staff = Browser::sign_in_as(&app, "sam@pittsburghpa.gov", &[Role::Staff]).await;
    let seen = staff.get(&page).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains(&newest));
    assert!(!seen.body.contains("/conductor/items/") && !seen.body.contains("In Conductor"), "{}", seen.body);
    assert_eq!(seen.header("cache-control"), "private, no-store");

    // A conductor sees the work: its stage, the days in it, its status and a link.
    let conductor = Browser::new(&app);
    conductor.sign_in(cora.id).await;
    let seen = conductor.get(&page).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains(&newest));
    assert!(seen.body.contains("In Conductor"), "{}", seen.body);
    assert!(seen.body.contains("Renewal: In progress, at stage “Review” for 3 days."), "{}", seen.body);
    assert!(seen.body.contains(&format!("href=\"/conductor/items/{}\"", work.id)), "{}", seen.body);
    assert_eq!(seen.header("cache-control"), "private, no-store", "a conductor's page is never cached");
    for role in [Role::Admin, Role::Superadmin] {
        let other = Browser::sign_in_as(&app, &format!("{role:?}@pittsburghpa.gov"), &[role]).await;
        assert!(other.get(&page).await.body.contains(&format!("/conductor/items/{}", work.id)), "{role:?}");
    }

    // Removed work still renews the contract; killed work does not.
    conductor::items::remove(db, Some(&cora), work.id, Utc::now()).await.expect("remove");
    assert!(conductor.get(&page).await.body.contains("Renewal: Removed from Conductor, at stage “Review”"));
    conductor::items::kill(db, Some(&cora), work.id, Utc::now()).await.expect("kill");
    let seen = conductor.get(&page).await;
    assert!(!seen.body.contains("In Conductor") && !seen.body.contains("/conductor/items/"), "{}", seen.body);
    assert!(seen.body.contains(&newest), "the terms stay");
}
on_both_backends!(the_contract_page_shows_terms_to_all_and_the_work_to_conductors);

/// A contract that came out of Conductor's work links to its work item, for conductors only.
async fn a_successor_links_to_the_work_it_came_out_of(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let flow = common::builders::flow(&app, "Renewal", &["Review"]).await;
    let parent = Contract::new("Road salt").insert(&app).await;
    let form = Start {
        description: "Road salt 2027".into(),
        flow_id: Some(flow),
        assignee_id: Some(cora.id),
        department_id: None,
        at: Some(Utc::now() - Duration::hours(1)),
    };
    let work =
        start::renewal(db, &conductor::emails::Mailing::of(&app.state), Some(&cora), parent.id, &form, Utc::now())
            .await
            .expect("start");
    // As the completion wizard will: the successor published.
    contract::Entity::update_many()
        .col_expr(contract::Column::IsVisible, sea_orm::sea_query::Expr::value(true))
        .filter(contract::Column::Id.eq(work.contract_id))
        .exec(db)
        .await
        .expect("publish");
    let page = format!("/scout/contracts/{}", work.contract_id);
    let link = format!("href=\"/conductor/items/{}\"", work.id);

    let conductor = Browser::new(&app);
    conductor.sign_in(cora.id).await;
    let seen = conductor.get(&page).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("came out of Conductor’s work") && seen.body.contains(&link), "{}", seen.body);
    assert!(!seen.body.contains("Renewal:"), "nothing renews the successor");
    assert!(!seen.body.contains("Extensions"), "no term history without extensions");

    let anonymous = app.get(&page).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains(&link) && !anonymous.body.contains("In Conductor"));
    assert_eq!(anonymous.header("cache-control"), "public, no-cache");
    let staff = Browser::sign_in_as(&app, "sam@pittsburghpa.gov", &[Role::Staff]).await;
    assert!(!staff.get(&page).await.body.contains(&link));
}
on_both_backends!(a_successor_links_to_the_work_it_came_out_of);
