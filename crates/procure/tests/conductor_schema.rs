//! Conductor's tables (issue 15): the migration applies on both databases, its entities round-trip,
//! and the database itself holds the rules the service relies on: one live successor per
//! contract, unique flow names and stages within a flow, one current stage row per (item, flow,
//! stage), positive targets, a closed list of activity kinds, and a log that outlives its users.

mod common;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use common::{Backend, TestApp};
use model::entities::{
    contract, contract_term, department, flow, flow_stage, stage, user, work_item, work_item_activity, work_item_stage,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    ModelTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

const MIGRATION: &str = "m20261206_000017_conductor";

fn now() -> DateTime<Utc> {
    // Whole seconds: PostgreSQL keeps microseconds, so a round trip compares equal.
    Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now)
}

/// Asserts the database refused, for breaking a rule of the kind `rule` ("unique", "check" or
/// "foreign key": both backends name it in their message), not for some other reason.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, DbErr>, rule: &str, why: &str) {
    match result {
        Ok(value) => panic!("{why}: accepted {value:?}"),
        Err(e) => assert!(e.to_string().to_lowercase().contains(rule), "{why}: refused, but not by a {rule} rule: {e}"),
    }
}

async fn a_user(db: &DatabaseConnection, email: &str) -> user::Model {
    user::ActiveModel {
        email: Set(email.into()),
        first_name: Set(Some("Ada".into())),
        last_name: Set(Some("Lovelace".into())),
        active: Set(true),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("user")
}

async fn a_contract(db: &DatabaseConnection, description: &str, parent: Option<i32>) -> contract::Model {
    contract::ActiveModel {
        description: Set(Some(description.into())),
        is_archived: Set(false),
        is_visible: Set(parent.is_none()),
        parent_id: Set(parent),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("contract")
}

fn new_stage(name: &str, target_days: Option<i32>) -> stage::ActiveModel {
    stage::ActiveModel {
        name: Set(name.into()),
        post_opportunities: Set(false),
        default_message: Set(None),
        target_days: Set(target_days),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
}

fn new_flow(name: &str) -> flow::ActiveModel {
    flow::ActiveModel {
        name: Set(name.into()),
        is_archived: Set(false),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
}

fn place(flow_id: i32, position: i32, stage_id: i32) -> flow_stage::ActiveModel {
    flow_stage::ActiveModel { flow_id: Set(flow_id), position: Set(position), stage_id: Set(stage_id) }
}

/// A work item on `contract_id`, renewing `parent` when given; its status left to the database.
fn new_item(contract_id: i32, parent: Option<i32>, flow_id: i32) -> work_item::ActiveModel {
    work_item::ActiveModel {
        contract_id: Set(contract_id),
        parent_id: Set(parent),
        flow_id: Set(flow_id),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
}

fn new_row(item: i32, flow_id: i32, stage_id: i32, position: i32) -> work_item_stage::ActiveModel {
    work_item_stage::ActiveModel {
        work_item_id: Set(item),
        flow_id: Set(flow_id),
        stage_id: Set(stage_id),
        position: Set(position),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
}

fn entry(item: i32, row: Option<i64>, kind: &str) -> work_item_activity::ActiveModel {
    work_item_activity::ActiveModel {
        work_item_id: Set(item),
        work_item_stage_id: Set(row),
        kind: Set(kind.into()),
        detail: Set("{}".into()),
        taken_at: Set(now()),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
}

async fn set_status(db: &DatabaseConnection, item: work_item::Model, status: &str) -> work_item::Model {
    let mut active = item.into_active_model();
    active.status = Set(status.into());
    active.update(db).await.expect("status")
}

async fn the_migration_applies_and_goes_back_down(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let state = model::migration_state(db).await.expect("state");
    let at = state.applied.iter().position(|m| m == MIGRATION).expect("the conductor migration is applied");
    assert!(state.pending.is_empty());
    for table in
        ["stages", "flows", "flow_stages", "work_items", "work_item_stages", "work_item_activity", "contract_terms"]
    {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table} is there, empty");
    }

    // Down (with whatever came after it) and up again.
    let steps = u32::try_from(state.applied.len() - at).expect("a few migrations");
    <model::Migrator as sea_orm_migration::MigratorTrait>::down(db, Some(steps)).await.expect("down");
    let tables = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('stages', 'work_items')"
        }
        Backend::Postgres => "SELECT COUNT(*) FROM pg_tables WHERE tablename IN ('stages', 'work_items')",
    };
    assert_eq!(app.count(tables).await, 0, "down drops the tables");
    let applied = model::migrate(db).await.expect("up again");
    assert!(applied.iter().any(|m| m == MIGRATION), "{applied:?}");
    assert_eq!(app.count(tables).await, 2);
}
on_both_backends!(the_migration_applies_and_goes_back_down);

async fn stages_and_flows_hold_their_rules(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;

    // Targets are positive or absent.
    refused(new_stage("Zero", Some(0)).insert(db).await, "check", "target_days 0 is refused");
    refused(new_stage("Negative", Some(-3)).insert(db).await, "check", "a negative target is refused");
    let draft = new_stage("Draft specification", Some(5)).insert(db).await.expect("stage");
    assert_eq!(stage::Entity::find_by_id(draft.id).one(db).await.expect("q"), Some(draft.clone()));
    let review = new_stage("Legal review", None).insert(db).await.expect("a stage without a target");
    let bid = stage::ActiveModel {
        post_opportunities: Set(true),
        default_message: Set(Some("The solicitation is out.".into())),
        ..new_stage("Bid", Some(30))
    }
    .insert(db)
    .await
    .expect("stage");
    refused(new_stage("Legal review", None).insert(db).await, "unique", "stage names are unique");
    // Defaults: not posting, no message.
    let bare = stage::ActiveModel { name: Set("Bare".into()), ..Default::default() }.insert(db).await.expect("bare");
    assert_eq!((bare.post_opportunities, bare.default_message, bare.target_days), (false, None, None));

    // A flow: unique name, distinct stages, 0-based positions.
    let renewal = new_flow("Renewal").insert(db).await.expect("flow");
    assert!(!renewal.is_archived);
    refused(new_flow("Renewal").insert(db).await, "unique", "duplicate flow names are refused");
    for (position, stage) in [&draft, &review, &bid].into_iter().enumerate() {
        place(renewal.id, i32::try_from(position).expect("small"), stage.id).insert(db).await.expect("place");
    }
    refused(place(renewal.id, 3, draft.id).insert(db).await, "unique", "a stage appears once in a flow");
    refused(place(renewal.id, 1, bare.id).insert(db).await, "unique", "a position holds one stage");
    refused(place(renewal.id, -1, bare.id).insert(db).await, "check", "positions are 0-based");
    // The same stage may sit in other flows, anywhere.
    let quick = new_flow("Quick").insert(db).await.expect("flow");
    place(quick.id, 0, bid.id).insert(db).await.expect("a shared stage");
    place(quick.id, 1, draft.id).insert(db).await.expect("a shared stage");

    // The flow's stages, in order, through the relation.
    let names: Vec<String> = renewal
        .find_related(stage::Entity)
        .order_by_asc(flow_stage::Column::Position)
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["Draft specification", "Legal review", "Bid"]);

    // A stage in use cannot go; a flow takes its list with it.
    refused(stage::Entity::delete_by_id(bid.id).exec(db).await, "foreign key", "a listed stage is kept");
    flow::Entity::delete_by_id(quick.id).exec(db).await.expect("delete an unused flow");
    assert_eq!(
        flow_stage::Entity::find().filter(flow_stage::Column::FlowId.eq(quick.id)).count(db).await.expect("q"),
        0
    );
    assert_eq!(flow_stage::Entity::find().count(db).await.expect("q"), 3, "other flows keep theirs");
}
on_both_backends!(stages_and_flows_hold_their_rules);

async fn work_items_hold_their_rules(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let ada = a_user(db, "ada@example.gov").await;
    let dept = department::Entity::find().one(db).await.expect("q").expect("a seeded department");
    let first = new_stage("Draft specification", Some(5)).insert(db).await.expect("stage");
    let second = new_stage("Bid", None).insert(db).await.expect("stage");
    let renewal = new_flow("Renewal").insert(db).await.expect("flow");
    place(renewal.id, 0, first.id).insert(db).await.expect("place");
    place(renewal.id, 1, second.id).insert(db).await.expect("place");

    let parent = a_contract(db, "Road salt", None).await;
    let successors = [
        a_contract(db, "Road salt (renewal)", Some(parent.id)).await,
        a_contract(db, "Road salt (second try)", Some(parent.id)).await,
        a_contract(db, "Road salt (third try)", Some(parent.id)).await,
    ];

    // The first renewal: status defaults to in progress.
    let item = work_item::ActiveModel {
        current_stage_id: Set(Some(first.id)),
        assignee_id: Set(Some(ada.id)),
        department_id: Set(Some(dept.id)),
        wizard: Set(Some(r#"{"step":1}"#.into())),
        ..new_item(successors[0].id, Some(parent.id), renewal.id)
    }
    .insert(db)
    .await
    .expect("work item");
    assert_eq!(item.status, work_item::IN_PROGRESS);
    assert_eq!(work_item::Entity::find_by_id(item.id).one(db).await.expect("q"), Some(item.clone()));
    assert_eq!(item.find_related(contract::Entity).one(db).await.expect("q").map(|c| c.id), Some(successors[0].id));
    assert_eq!(item.find_related(stage::Entity).one(db).await.expect("q").map(|s| s.id), Some(first.id));
    assert_eq!(item.find_related(user::Entity).one(db).await.expect("q").map(|u| u.id), Some(ada.id));
    assert_eq!(item.find_related(flow::Entity).one(db).await.expect("q").map(|f| f.id), Some(renewal.id));

    // One live successor per contract, whatever the second one's state.
    let second_try = || new_item(successors[1].id, Some(parent.id), renewal.id);
    refused(second_try().insert(db).await, "unique", "a second live work item for one parent is refused");
    for status in [work_item::REMOVED, work_item::COMPLETED] {
        let attempt = work_item::ActiveModel { status: Set(status.into()), ..second_try() }.insert(db).await;
        refused(attempt, "unique", &format!("a {status} one holds the parent too"));
    }
    let item = set_status(db, item, work_item::REMOVED).await;
    refused(second_try().insert(db).await, "unique", "a removed item still holds its parent");
    let killed = set_status(db, item, work_item::KILLED).await;
    let again = second_try().insert(db).await.expect("allowed once the first is killed");
    // Killed ones do not count, however many; nor can a killed one come back beside a live one.
    work_item::ActiveModel {
        status: Set(work_item::KILLED.into()),
        ..new_item(successors[2].id, Some(parent.id), renewal.id)
    }
    .insert(db)
    .await
    .expect("a killed item beside the live one");
    let mut revive = killed.clone().into_active_model();
    revive.status = Set(work_item::IN_PROGRESS.into());
    refused(revive.update(db).await, "unique", "a killed item cannot come back while another is live");

    // One work item per successor contract; a closed list of statuses.
    refused(new_item(successors[1].id, None, renewal.id).insert(db).await, "unique", "one work item per contract");
    let loose = a_contract(db, "New work: snow plows", None).await;
    let bad = work_item::ActiveModel { status: Set("paused".into()), ..new_item(loose.id, None, renewal.id) };
    refused(bad.insert(db).await, "check", "an unknown status is refused");
    // New work has no parent, and any number of items may have none.
    new_item(loose.id, None, renewal.id).insert(db).await.expect("new work");
    let other = a_contract(db, "New work: salt domes", None).await;
    new_item(other.id, None, renewal.id).insert(db).await.expect("more new work");
    // Every status the code knows, the database takes.
    for status in work_item::STATUSES {
        let c = a_contract(db, &format!("New work: {status}"), None).await;
        work_item::ActiveModel { status: Set(status.into()), ..new_item(c.id, None, renewal.id) }
            .insert(db)
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
    }

    // A flow or stage in use stays.
    refused(flow::Entity::delete_by_id(renewal.id).exec(db).await, "foreign key", "a flow in use is kept");
    // Deleting the assignee and the department leaves the work unassigned, not gone.
    let mut moved = again.clone().into_active_model();
    moved.assignee_id = Set(Some(ada.id));
    moved.department_id = Set(Some(dept.id));
    let again = moved.update(db).await.expect("assign");
    user::Entity::delete_by_id(ada.id).exec(db).await.expect("delete the user");
    let reloaded = work_item::Entity::find_by_id(again.id).one(db).await.expect("q").expect("kept");
    assert_eq!(reloaded.assignee_id, None);
    // Deleting the parent makes the item look like new work; deleting the successor takes it.
    contract::Entity::delete_by_id(parent.id).exec(db).await.expect("delete the parent");
    let reloaded = work_item::Entity::find_by_id(again.id).one(db).await.expect("q").expect("kept");
    assert_eq!(reloaded.parent_id, None);
    contract::Entity::delete_by_id(successors[1].id).exec(db).await.expect("delete the successor");
    assert_eq!(work_item::Entity::find_by_id(again.id).one(db).await.expect("q"), None);
}
on_both_backends!(work_items_hold_their_rules);

async fn stage_rows_and_the_log_are_kept(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let ada = a_user(db, "ada@example.gov").await;
    let first = new_stage("Draft specification", Some(5)).insert(db).await.expect("stage");
    let second = new_stage("Bid", None).insert(db).await.expect("stage");
    let renewal = new_flow("Renewal").insert(db).await.expect("flow");
    place(renewal.id, 0, first.id).insert(db).await.expect("place");
    place(renewal.id, 1, second.id).insert(db).await.expect("place");
    let parent = a_contract(db, "Road salt", None).await;
    let successor = a_contract(db, "Road salt (renewal)", Some(parent.id)).await;
    let item = work_item::ActiveModel {
        current_stage_id: Set(Some(first.id)),
        assignee_id: Set(Some(ada.id)),
        ..new_item(successor.id, Some(parent.id), renewal.id)
    }
    .insert(db)
    .await
    .expect("work item");

    // The flow's rows; stage one entered.
    let entered = now();
    let row =
        work_item_stage::ActiveModel { entered_at: Set(Some(entered)), ..new_row(item.id, renewal.id, first.id, 0) }
            .insert(db)
            .await
            .expect("stage row");
    assert_eq!(work_item_stage::Entity::find_by_id(row.id).one(db).await.expect("q"), Some(row.clone()));
    new_row(item.id, renewal.id, second.id, 1).insert(db).await.expect("stage row");
    refused(
        new_row(item.id, renewal.id, first.id, 0).insert(db).await,
        "unique",
        "one current row per (item, flow, stage)",
    );
    let extra = new_stage("Extra", None).insert(db).await.expect("stage");
    refused(new_row(item.id, renewal.id, extra.id, -1).insert(db).await, "check", "positions are 0-based");
    // A revert supersedes the row; a new one for the same stage is then allowed, and both stay.
    let mut left = row.clone().into_active_model();
    left.superseded_at = Set(Some(now()));
    let row = left.update(db).await.expect("supersede");
    let fresh =
        work_item_stage::ActiveModel { entered_at: Set(Some(now())), ..new_row(item.id, renewal.id, first.id, 0) }
            .insert(db)
            .await
            .expect("a new row beside the superseded one");
    assert_ne!(fresh.id, row.id);
    refused(new_row(item.id, renewal.id, first.id, 0).insert(db).await, "unique", "still one current row");
    assert_eq!(item.find_related(work_item_stage::Entity).count(db).await.expect("q"), 3, "rows are never deleted");
    assert_eq!(fresh.find_related(work_item::Entity).one(db).await.expect("q").map(|i| i.id), Some(item.id));
    assert_eq!(fresh.find_related(stage::Entity).one(db).await.expect("q").map(|s| s.id), Some(first.id));

    // The log: a closed list of kinds, each of which the code knows.
    refused(entry(item.id, Some(fresh.id), "activity").insert(db).await, "check", "an unknown kind is refused");
    refused(entry(item.id, None, "").insert(db).await, "check", "an unknown kind is refused");
    for kind in work_item_activity::KINDS {
        entry(item.id, Some(fresh.id), kind).insert(db).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let note = work_item_activity::ActiveModel {
        detail: Set(r#"{"text":"Called the vendor."}"#.into()),
        taken_by: Set(Some(ada.id)),
        taken_by_name: Set(Some("Ada Lovelace".into())),
        ..entry(item.id, Some(fresh.id), work_item_activity::NOTE)
    }
    .insert(db)
    .await
    .expect("note");
    assert_eq!(work_item_activity::Entity::find_by_id(note.id).one(db).await.expect("q"), Some(note.clone()));
    assert_eq!(note.find_related(work_item::Entity).one(db).await.expect("q").map(|i| i.id), Some(item.id));
    // A deleted note is marked, not erased.
    let mut deleting = note.clone().into_active_model();
    deleting.deleted_at = Set(Some(now()));
    deleting.deleted_by = Set(Some(ada.id));
    deleting.update(db).await.expect("mark deleted");

    // Deleting the user keeps who it was.
    user::Entity::delete_by_id(ada.id).exec(db).await.expect("delete the user");
    let kept = work_item_activity::Entity::find_by_id(note.id).one(db).await.expect("q").expect("kept");
    assert_eq!((kept.taken_by, kept.taken_by_name.as_deref()), (None, Some("Ada Lovelace")));
    assert_eq!(kept.deleted_by, None);
    assert!(kept.deleted_at.is_some());

    // An extension's term on the parent.
    let term = |contract_id: i32| contract_term::ActiveModel {
        contract_id: Set(contract_id),
        expiration_date: Set(NaiveDate::from_ymd_opt(2028, 6, 30).expect("date")),
        previous_expiration: Set(Some(NaiveDate::from_ymd_opt(2027, 6, 30).expect("date"))),
        reason: Set("A one-year extension while the renewal is out to bid.".into()),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    };
    let kept_term = term(parent.id).insert(db).await.expect("term");
    assert_eq!(contract_term::Entity::find_by_id(kept_term.id).one(db).await.expect("q"), Some(kept_term));
    refused(term(successor.id + 1000).insert(db).await, "foreign key", "a term belongs to a contract");

    // The successor contract takes its work item, its rows and its log with it; terms go with
    // their contract.
    contract::Entity::delete_by_id(successor.id).exec(db).await.expect("delete the successor");
    assert_eq!(work_item_stage::Entity::find().count(db).await.expect("q"), 0);
    assert_eq!(work_item_activity::Entity::find().count(db).await.expect("q"), 0);
    contract::Entity::delete_by_id(parent.id).exec(db).await.expect("delete the parent");
    assert_eq!(contract_term::Entity::find().count(db).await.expect("q"), 0);
}
on_both_backends!(stage_rows_and_the_log_are_kept);
