//! The one migration set on both databases: idempotent, and matching the entities.

mod common;

use common::{Backend, TestApp};
use model::entities::{
    accepted_domain, app_status, audit_log, category, company, company_contact, contract, contract_company,
    contract_follower, contract_note, contract_property, contract_type, department, job_status, line_item, role,
    sign_in_attempt, sign_in_token, user, user_role,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait, QueryOrder};

async fn migrations_are_idempotent_and_match_the_entities(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;

    assert_eq!(model::migrate(db).await.expect("second run"), Vec::<String>::new());
    assert_eq!(model::migrate(db).await.expect("third run"), Vec::<String>::new());
    let state = model::migration_state(db).await.expect("state");
    assert!(state.pending.is_empty() && !state.applied.is_empty());

    // Every entity reads back from its table: column names and types agree.
    assert_eq!(user::Entity::find().count(db).await.expect("users"), 0);
    // The original's seed data: its 22 departments, in its order, and one accepted domain.
    let departments: Vec<String> = department::Entity::find()
        .order_by_asc(department::Column::Id)
        .all(db)
        .await
        .expect("departments")
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(departments, model::migrations::DEPARTMENTS);
    assert!(departments.iter().any(|d| d == "Equal Opportunity Review Commission"));
    assert_eq!(departments[20..], ["Other", "New User"]);
    let domains: Vec<String> =
        accepted_domain::Entity::find().all(db).await.expect("domains").into_iter().map(|d| d.domain).collect();
    assert_eq!(domains, ["pittsburghpa.gov"]);
    assert_eq!(sign_in_token::Entity::find().count(db).await.expect("tokens"), 0);
    assert_eq!(sign_in_attempt::Entity::find().count(db).await.expect("attempts"), 0);
    assert_eq!(audit_log::Entity::find().count(db).await.expect("audit log"), 0);
    // Scout's tables, and the original's 13 contract types.
    let types: Vec<String> =
        contract_type::Entity::find().all(db).await.expect("types").into_iter().map(|t| t.name).collect();
    assert_eq!(types, model::migrations::CONTRACT_TYPES);
    assert_eq!(contract::Entity::find().count(db).await.expect("contracts"), 0);
    assert_eq!(company::Entity::find().count(db).await.expect("companies"), 0);
    assert_eq!(company_contact::Entity::find().count(db).await.expect("contacts"), 0);
    assert_eq!(contract_company::Entity::find().count(db).await.expect("links"), 0);
    assert_eq!(contract_property::Entity::find().count(db).await.expect("properties"), 0);
    assert_eq!(line_item::Entity::find().count(db).await.expect("line items"), 0);
    assert_eq!(contract_note::Entity::find().count(db).await.expect("notes"), 0);
    assert_eq!(contract_follower::Entity::find().count(db).await.expect("followers"), 0);
    assert_eq!(category::Entity::find().count(db).await.expect("categories"), 0);
    assert_eq!(user_role::Entity::find().count(db).await.expect("user roles"), 0);
    assert_eq!(job_status::Entity::find().count(db).await.expect("job status"), 0);
    let roles: Vec<String> = role::Entity::find().all(db).await.expect("roles").into_iter().map(|r| r.name).collect();
    assert_eq!(roles, ["superadmin", "admin", "conductor", "staff", "county"]);
    let status = app_status::Entity::find_by_id(1).one(db).await.expect("query").expect("seeded row");
    assert_eq!(status.status, "ok");
}
on_both_backends!(migrations_are_idempotent_and_match_the_entities);

async fn constraints_hold_on_both_backends(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let now = chrono::Utc::now();

    let dept = department::ActiveModel { name: Set("Finance".into()), ..Default::default() }
        .insert(db)
        .await
        .expect("department");
    let u = user::ActiveModel {
        email: Set("ada@example.gov".into()),
        active: Set(true),
        department_id: Set(Some(dept.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("user");
    assert_eq!(u.department_id, Some(dept.id));

    let upper = user::ActiveModel {
        email: Set("Bob@Example.gov".into()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    assert!(upper.is_err(), "emails are stored lower-case; the database refuses others");

    let bad_role = role::ActiveModel { name: Set("wizard".into()), ..Default::default() }.insert(db).await;
    assert!(bad_role.is_err(), "roles are a closed list");

    let today = now.date_naive();
    let slot = || job_status::ActiveModel {
        name: Set("nightly".into()),
        date: Set(today),
        status: Set("new".into()),
        ..Default::default()
    };
    slot().insert(db).await.expect("first slot");
    assert!(slot().insert(db).await.is_err(), "one row per (job, date)");

    // Deleting the department leaves the user without one rather than failing.
    department::Entity::delete_by_id(dept.id).exec(db).await.expect("delete department");
    let reloaded = user::Entity::find_by_id(u.id).one(db).await.expect("query").expect("user");
    assert_eq!(reloaded.department_id, None);
}
on_both_backends!(constraints_hold_on_both_backends);
