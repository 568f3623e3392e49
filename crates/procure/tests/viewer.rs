//! The signed-in viewer and the lists made from people (Conductor's assignees, Beacon's header
//! count) are cached, and never older than the data: every change to who someone is raises the
//! `people` version in its own transaction, by the database's triggers, whoever makes it.

mod common;

use std::time::Duration;

use accounts::Role;
use axum::http::StatusCode;
use chrono::Utc;
use common::browser::Browser;
use common::builders::{Opportunity, User};
use common::{Backend, TestApp};
use model::Stamp;
use model::entities::{department, role, user, user_role};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

async fn people_version(app: &TestApp) -> i64 {
    platform::freshness::version(&app.state.db, accounts::users::PEOPLE).await.expect("version")
}

async fn role_id(app: &TestApp, role: Role) -> i32 {
    role::Entity::find()
        .filter(role::Column::Name.eq(role.name()))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("role")
        .id
}

async fn the_viewer_follows_every_change_to_who_they_are(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let browser = Browser::sign_in_as(&app, "rory@example.gov", &[Role::Staff]).await;
    assert_eq!(browser.get("/conductor/").await.status, StatusCode::FORBIDDEN);
    // Cached now; a role given by a plain insert (as a script would) is seen by the next request.
    assert_eq!(browser.get("/conductor/").await.status, StatusCode::FORBIDDEN);
    let rory = user::Entity::find().filter(user::Column::Email.eq("rory@example.gov")).one(db).await.expect("q");
    let rory = rory.expect("rory");
    let conductor = role_id(&app, Role::Conductor).await;
    user_role::ActiveModel { user_id: Set(rory.id), role_id: Set(conductor), ..Stamp::created(None, Utc::now()) }
        .insert(db)
        .await
        .expect("grant");
    assert_eq!(browser.get("/conductor/").await.status, StatusCode::OK, "the new role is seen at once");

    // Her name and her department's are the header's and the profile's at once.
    user::Entity::update_many()
        .col_expr(user::Column::FirstName, Expr::value("Rory"))
        .col_expr(user::Column::LastName, Expr::value("Quinn"))
        .filter(user::Column::Id.eq(rory.id))
        .exec(db)
        .await
        .expect("rename");
    assert!(browser.get("/profile").await.body.contains("Rory Quinn"));
    let dept = rory.department_id.expect("a department");
    department::Entity::update_many()
        .col_expr(department::Column::Name, Expr::value("Department of Renamed Things"))
        .filter(department::Column::Id.eq(dept))
        .exec(db)
        .await
        .expect("rename the department");
    assert!(browser.get("/profile").await.body.contains("Department of Renamed Things"));

    // Taking the role away is seen at once too.
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(rory.id))
        .filter(user_role::Column::RoleId.eq(conductor))
        .exec(db)
        .await
        .expect("revoke");
    assert_eq!(browser.get("/conductor/").await.status, StatusCode::FORBIDDEN, "the role is gone at once");

    // Deactivated: signed out on the next request.
    user::Entity::update_many()
        .col_expr(user::Column::Active, Expr::value(false))
        .filter(user::Column::Id.eq(rory.id))
        .exec(db)
        .await
        .expect("deactivate");
    assert_eq!(browser.get("/profile").await.status, StatusCode::SEE_OTHER);
}
on_both_backends!(the_viewer_follows_every_change_to_who_they_are);

async fn only_changes_to_who_someone_is_raise_the_version(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let before = people_version(&app).await;
    let pat = User::new("pat@example.gov").roles(&[Role::Staff, Role::Conductor]).insert(&app).await;
    let added = people_version(&app).await;
    assert!(added > before, "a new user with roles raises it");

    // Signing in stamps the user, which is no change to who they are.
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(pat.id))
        .exec(db)
        .await
        .expect("stamp");
    assert_eq!(people_version(&app).await, added, "a sign-in stamp does not");

    user::Entity::update_many()
        .col_expr(user::Column::SessionEpoch, Expr::value(pat.session_epoch + 1))
        .filter(user::Column::Id.eq(pat.id))
        .exec(db)
        .await
        .expect("end sessions");
    let ended = people_version(&app).await;
    assert!(ended > added, "a new session epoch does");
    user_role::Entity::delete_many().filter(user_role::Column::UserId.eq(pat.id)).exec(db).await.expect("roles");
    user::Entity::delete_by_id(pat.id).exec(db).await.expect("delete");
    assert!(people_version(&app).await > ended, "removing roles and the user does");
}
on_both_backends!(only_changes_to_who_someone_is_raise_the_version);

async fn the_assignee_list_and_the_approval_count_are_current(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "avery@example.gov", &[Role::Admin]).await;
    let form = admin.get("/conductor/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(!form.body.contains("newcomer@example.gov"));
    User::new("newcomer@example.gov").roles(&[Role::Conductor]).insert(&app).await;
    assert!(
        admin.get("/conductor/new").await.body.contains("newcomer@example.gov"),
        "a new conductor can be assigned at once"
    );

    let home = admin.get("/").await;
    assert!(home.body.contains("Awaiting approval (0)"), "{}", home.body);
    let author = User::new("author@example.gov").roles(&[Role::Staff]).insert(&app).await;
    Opportunity::new("Road salt").create(&app, &author).await;
    // One closes two seconds from now: the count drops when it closes, with no write.
    let today = app.state.config.site.today();
    Opportunity::new("Traffic cones")
        .opens_on(today)
        .closes_at(Utc::now() + chrono::Duration::seconds(2))
        .create(&app, &author)
        .await;
    assert!(admin.get("/").await.body.contains("Awaiting approval (2)"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(admin.get("/").await.body.contains("Awaiting approval (1)"), "a closed draft no longer waits");
}
on_both_backends!(the_assignee_list_and_the_approval_count_are_current);
