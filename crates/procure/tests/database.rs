//! The one migration set on both databases: idempotent, and matching the entities.

mod common;

use chrono::Timelike;
use common::{Backend, TestApp};
use model::entities::{
    accepted_domain, app_status, audit_log, category, company, company_contact, contract, contract_company,
    contract_follower, contract_note, contract_property, contract_type, department, job_status, line_item, role,
    sign_in_token, throttle_hit, user, user_role,
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
    assert_eq!(throttle_hit::Entity::find().count(db).await.expect("throttle hits"), 0);
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

/// Beacon's tables: every column round-trips through its entity, join rows go with their
/// opportunity or vendor, vendor emails and deliveries are unique.
async fn beacon_tables_round_trip_and_hold_their_constraints(backend: Backend) {
    use model::entities::{
        delivery, opportunity, opportunity_category, opportunity_document, opportunity_required_document,
        required_document, vendor, vendor_category, vendor_opportunity,
    };
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let now = chrono::Utc::now().with_nanosecond(0).unwrap_or_else(chrono::Utc::now);
    let dept = department::Entity::find().one(db).await.expect("q").expect("a seeded department");
    let kind = contract_type::Entity::find().one(db).await.expect("q").expect("a seeded type");
    let cat = category::ActiveModel {
        nigp_codes: Set("12345".into()),
        category: Set(Some("Construction".into())),
        subcategory: Set(Some("Paving".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("category");
    let opp = opportunity::ActiveModel {
        title: Set("Paving 2027".into()),
        description: Set("Resurfacing of city streets.".into()),
        department_id: Set(dept.id),
        contract_type_id: Set(kind.id),
        contact_id: Set(None),
        planned_publish: Set(chrono::NaiveDate::from_ymd_opt(2027, 1, 4).expect("date")),
        planned_submission_start: Set(chrono::NaiveDate::from_ymd_opt(2027, 1, 5).expect("date")),
        planned_submission_end: Set(now + chrono::Duration::days(30)),
        is_public: Set(false),
        is_archived: Set(false),
        published_at: Set(Some(now)),
        created_from_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(None),
        updated_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("opportunity");
    assert_eq!(opportunity::Entity::find_by_id(opp.id).one(db).await.expect("q"), Some(opp.clone()));
    let doc = required_document::ActiveModel {
        display_name: Set("W-9".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("required document");
    opportunity_category::ActiveModel { opportunity_id: Set(opp.id), category_id: Set(cat.id) }
        .insert(db)
        .await
        .expect("link");
    opportunity_required_document::ActiveModel { opportunity_id: Set(opp.id), required_document_id: Set(doc.id) }
        .insert(db)
        .await
        .expect("link");
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"%PDF-1.4\n%%EOF\n"))]);
    let file = platform::files::save_upload(
        &app.state,
        stream,
        "rfp.pdf",
        platform::storage::Visibility::Public,
        "opportunities",
        1 << 20,
        None,
    )
    .await
    .expect("file");
    opportunity_document::ActiveModel {
        opportunity_id: Set(opp.id),
        name: Set("Request for proposals".into()),
        file_id: Set(file.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("document");
    let v = vendor::ActiveModel {
        business_name: Set("Keystone Paving".into()),
        email: Set("bids@keystone.example".into()),
        phone_number: Set(Some("4125550100".into())),
        woman_owned: Set(true),
        minority_owned: Set(false),
        veteran_owned: Set(false),
        disadvantaged_owned: Set(false),
        newsletter: Set(true),
        confirmed_at: Set(Some(now)),
        unsubscribed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("vendor");
    assert_eq!(vendor::Entity::find_by_id(v.id).one(db).await.expect("q"), Some(v.clone()));
    let twin = vendor::ActiveModel {
        business_name: Set("Twin".into()),
        email: Set("bids@keystone.example".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    assert!(twin.insert(db).await.is_err(), "vendor emails are unique");
    vendor_category::ActiveModel { vendor_id: Set(v.id), category_id: Set(cat.id) }.insert(db).await.expect("link");
    vendor_opportunity::ActiveModel { vendor_id: Set(v.id), opportunity_id: Set(opp.id) }
        .insert(db)
        .await
        .expect("link");
    let sent = delivery::ActiveModel {
        message: Set(format!("beacon.new_opportunity:{}", opp.id)),
        recipient: Set(v.email.clone()),
        created_at: Set(now),
    };
    sent.clone().insert(db).await.expect("delivery");
    assert!(sent.insert(db).await.is_err(), "a delivery is recorded once");

    // Deleting the opportunity takes its links and documents with it, not the vendor.
    opportunity::Entity::delete_by_id(opp.id).exec(db).await.expect("delete");
    assert_eq!(opportunity_category::Entity::find().count(db).await.expect("q"), 0);
    assert_eq!(opportunity_required_document::Entity::find().count(db).await.expect("q"), 0);
    assert_eq!(opportunity_document::Entity::find().count(db).await.expect("q"), 0);
    assert_eq!(vendor_opportunity::Entity::find().count(db).await.expect("q"), 0);
    assert_eq!(vendor_category::Entity::find().count(db).await.expect("q"), 1);
    vendor::Entity::delete_by_id(v.id).exec(db).await.expect("delete vendor");
    assert_eq!(vendor_category::Entity::find().count(db).await.expect("q"), 0);
}
on_both_backends!(beacon_tables_round_trip_and_hold_their_constraints);

/// Issue 12's migration on a database holding what the old validators let through: addresses
/// with display names, a mailbox with two vendors, a vendor address the mailer refuses, a link
/// and a sign-in attempt in flight. Applied step by step, as a deployment would.
/// A new database of `backend` with the migrations before `migration` applied, and the folder
/// and PostgreSQL database that hold it (dropped with them); None when PostgreSQL is missing.
async fn migrated_before(
    backend: Backend,
    migration: &str,
) -> Option<(tempfile::TempDir, Option<common::PgDatabase>, sea_orm::DatabaseConnection)> {
    use sea_orm_migration::MigratorTrait;
    let dir = tempfile::tempdir().expect("dir");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(common::PgDatabase::create().await?),
    };
    let config = common::test_config(dir.path(), pg.as_ref().map(|p| p.url.as_str()), &[]);
    let db = platform::db::connect(&config.database).await.expect("connect");
    let before =
        model::Migrator::migrations().iter().position(|m| m.name() == migration).expect("the migration is listed");
    model::Migrator::up(&db, Some(u32::try_from(before).expect("few"))).await.expect("migrate to the one before");
    Some((dir, pg, db))
}

async fn the_address_migration_makes_addresses_bare_and_merges_duplicates(backend: Backend) {
    use model::entities::{vendor, vendor_category};
    use sea_orm::ConnectionTrait;
    let Some((_dir, _pg, db)) = migrated_before(backend, "m20261124_000013_addresses_and_sign_in").await else {
        return;
    };
    let exec = |sql: &'static str| {
        let db = &db;
        async move {
            db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    };
    exec(
        "INSERT INTO users (id, email, active) VALUES (1, 'u@example.org', true), (2, 'name<u@example.org>', true), \
          (3, 'solo <s@example.org>', true)",
    )
    .await;
    exec("INSERT INTO sign_in_tokens (user_id, token_hash, expires_at) VALUES (1, 'h1', '2099-01-01 00:00:00+00:00')")
        .await;
    exec("INSERT INTO sign_in_attempts (email, client_ip) VALUES ('u@example.org', '203.0.113.1')").await;
    exec("INSERT INTO categories (id, nigp_codes) VALUES (1, '1'), (2, '2'), (3, '3')").await;
    exec(
        "INSERT INTO vendors (id, business_name, email, confirmed_at) VALUES \
          (10, 'Later', 'other <crlf3@evil.example>', '2026-02-01 00:00:00+00:00'), \
          (11, 'Typed', 'crlf3@evil.example', NULL), \
          (12, 'First', 'friendly<crlf3@evil.example>', '2026-01-01 00:00:00+00:00'), \
          (13, 'Broken', 'x\"y@example.com', '2026-01-01 00:00:00+00:00'), \
          (14, 'Plain', 'plain@example.com', NULL)",
    )
    .await;
    exec("INSERT INTO vendor_categories (vendor_id, category_id) VALUES (10, 1), (10, 3), (11, 2), (12, 3)").await;

    model::migrate(&db).await.expect("the migration");

    let emails = |table: &'static str| {
        let db = &db;
        async move {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT id, email FROM {table} ORDER BY id"),
                ))
                .await
                .expect("q");
            rows.iter()
                .map(|r| (r.try_get::<i32>("", "id").expect("id"), r.try_get::<String>("", "email").expect("email")))
                .collect::<Vec<_>>()
        }
    };
    // The earliest confirmed vendor keeps the mailbox, with the other confirmed one's categories
    // (not those of the unconfirmed one); the refused address is unsubscribed, not mailed.
    assert_eq!(
        emails("vendors").await,
        [
            (12, "crlf3@evil.example".to_owned()),
            (13, "x\"y@example.com".to_owned()),
            (14, "plain@example.com".to_owned())
        ]
    );
    let categories: Vec<i32> = vendor_category::Entity::find()
        .all(&db)
        .await
        .expect("q")
        .into_iter()
        .filter(|c| c.vendor_id == 12)
        .map(|c| c.category_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(categories, [1, 3]);
    let broken = vendor::Entity::find_by_id(13).one(&db).await.expect("q").expect("kept");
    assert!(broken.unsubscribed_at.is_some(), "an address the mailer refuses is not mailed");
    assert!(vendor::Entity::find_by_id(14).one(&db).await.expect("q").expect("kept").unsubscribed_at.is_none());

    // Users: the bare address stays with its holder; the duplicate is deactivated, not merged.
    assert_eq!(
        emails("users").await,
        [(1, "u@example.org".to_owned()), (2, "name<u@example.org>".to_owned()), (3, "s@example.org".to_owned())]
    );
    let active: Vec<bool> = user::Entity::find().all(&db).await.expect("q").into_iter().map(|u| u.active).collect();
    assert_eq!(active, [true, false, true]);

    // The link in flight names its address; the attempt counts on.
    let link = sign_in_token::Entity::find().one(&db).await.expect("q").expect("kept");
    assert_eq!((link.user_id, link.email.as_str()), (Some(1), "u@example.org"));
    let hits = throttle_hit::Entity::find().all(&db).await.expect("q");
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].action.as_str(), hits[0].email.as_str()), ("accounts.sign_in_link", "u@example.org"));
    db.close().await.expect("close");
}
on_both_backends!(the_address_migration_makes_addresses_bare_and_merges_duplicates);

async fn the_audit_log_takes_any_action_word_and_keeps_its_entries(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let Some((_dir, _pg, db)) = migrated_before(backend, "m20261205_000015_audit_actions").await else { return };
    let insert = |action: &str| {
        format!(
            "INSERT INTO audit_log (actor_id, action, resource, record_id, summary, after) \
             VALUES (NULL, '{action}', 'departments', '7', 'Parks', '{{\"name\":[\"Parks\"]}}')"
        )
    };
    db.execute_unprepared(&insert("update")).await.expect("an entry of before");
    assert!(db.execute_unprepared(&insert("approve")).await.is_err(), "only three words before");
    model::migrate(&db).await.expect("the migration");
    let kept = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT action, summary, after FROM audit_log",
        ))
        .await
        .expect("q")
        .expect("the entry is kept");
    let kept: (String, String, String) = (
        kept.try_get("", "action").expect("action"),
        kept.try_get("", "summary").expect("summary"),
        kept.try_get("", "after").expect("after"),
    );
    assert_eq!(kept, ("update".into(), "Parks".into(), "{\"name\":[\"Parks\"]}".into()));
    db.execute_unprepared(&insert("approve")).await.expect("any word now");
    assert!(db.execute_unprepared(&insert("")).await.is_err(), "but a word");
    assert!(db.execute_unprepared(&insert(&"x".repeat(41))).await.is_err(), "of at most 40 characters");
    // The rebuilt table still has its index (SQLite rebuilds it).
    let index = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name = 'idx_audit_log_record'",
        Backend::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_audit_log_record'",
    };
    assert_eq!(common::count(&db, index).await, 1);
}
on_both_backends!(the_audit_log_takes_any_action_word_and_keeps_its_entries);

/// A transaction of many changes raises each data version it touches once on PostgreSQL (a raise
/// per change made such a transaction quadratic), and at least once on SQLite; either way the
/// version read after the commit differs from the one before, whether the code or a trigger
/// raised it. A raise inside a savepoint that is rolled back does not count.
async fn a_transaction_raises_each_version_once_on_postgres(backend: Backend) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let first = common::builders::Contract::new("ROAD SALT").controller("5001").insert(&app).await;
    let second = common::builders::Contract::new("SNOW PLOWS").controller("5002").insert(&app).await;
    let version = |name: &'static str| {
        let sql = format!("SELECT version FROM data_versions WHERE name = '{name}'");
        async move { common::count(db, &sql).await }
    };
    let (contracts, people) = (version("contracts").await, version("people").await);
    let changes = app.count("SELECT COUNT(*) FROM search_changes").await;

    let txn = db.begin().await.expect("begin");
    for _ in 0..3 {
        platform::freshness::bump(&txn, "contracts").await.expect("raise");
    }
    scout::search::reindex_all(&txn, &[first.id, second.id]).await.expect("reindex");
    for sql in [
        // The `contracts` trigger (a column the search filters read) and the `people` one.
        format!("UPDATE contracts SET is_archived = true WHERE id = {}", first.id),
        format!("UPDATE contracts SET is_archived = true WHERE id = {}", second.id),
        "UPDATE departments SET name = name || ' (old)' WHERE id = 1".to_owned(),
        "UPDATE departments SET name = name || ' (older)' WHERE id = 1".to_owned(),
    ] {
        txn.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    txn.commit().await.expect("commit");

    let raised = (version("contracts").await - contracts, version("people").await - people);
    match backend {
        Backend::Postgres => assert_eq!(raised, (1, 1), "once each"),
        Backend::Sqlite => assert!(raised.0 >= 1 && raised.1 >= 1, "{raised:?}"),
    }
    // Every change is logged, at a version above the one read before.
    let logged = format!(
        "SELECT COUNT(DISTINCT contract_id) FROM search_changes WHERE version > {contracts} AND contract_id IN ({}, {})",
        first.id, second.id
    );
    assert_eq!(app.count(&logged).await, 2);
    assert!(app.count("SELECT COUNT(*) FROM search_changes").await >= changes + 4);

    // A raise in a savepoint that is rolled back is undone; the parent's own raise still happens.
    let before = version("contracts").await;
    let txn = db.begin().await.expect("begin");
    let inner = txn.begin().await.expect("savepoint");
    platform::freshness::bump(&inner, "contracts").await.expect("raise");
    inner.rollback().await.expect("rollback to savepoint");
    platform::freshness::bump(&txn, "contracts").await.expect("raise");
    txn.commit().await.expect("commit");
    assert_eq!(version("contracts").await, before + 1);
}
on_both_backends!(a_transaction_raises_each_version_once_on_postgres);
