//! Conductor's workflow services (issue 15; research/conductor.md §11): starting work
//! (acceptance 1-4), moving between stages (6-8, 10), and the guard that lets one of two people
//! acting on an item at once win. On both databases.

mod common;

use accounts::{CurrentUser, Role, ServiceError};
use chrono::{Duration, SubsecRound, Utc};
use common::builders::{Contract, User};
use common::{Backend, TestApp};
use conductor::start::{self, Start};
use conductor::store;
use model::Stamp;
use model::entities::{contract, flow, flow_stage, stage, work_item, work_item_activity, work_item_stage};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

/// A flow of stages named `names`, active unless `archived`.
async fn flow_of(app: &TestApp, name: &str, names: &[&str], archived: bool) -> i32 {
    let now = Utc::now();
    let f = flow::ActiveModel { name: Set(name.into()), is_archived: Set(archived), ..Stamp::created(None, now) }
        .insert(&app.state.db)
        .await
        .expect("flow");
    for (position, stage_name) in names.iter().enumerate() {
        let existing =
            stage::Entity::find().filter(stage::Column::Name.eq(*stage_name)).one(&app.state.db).await.expect("q");
        let s = match existing {
            Some(s) => s,
            None => stage::ActiveModel {
                name: Set((*stage_name).into()),
                post_opportunities: Set(false),
                default_message: Set(None),
                target_days: Set(Some(7)),
                ..Stamp::created(None, now)
            }
            .insert(&app.state.db)
            .await
            .expect("stage"),
        };
        flow_stage::ActiveModel {
            flow_id: Set(f.id),
            position: Set(i32::try_from(position).expect("small")),
            stage_id: Set(s.id),
        }
        .insert(&app.state.db)
        .await
        .expect("flow stage");
    }
    f.id
}

struct Cast {
    conductor: CurrentUser,
    staff: CurrentUser,
    flow: i32,
    parent: contract::Model,
}

async fn cast(app: &TestApp) -> Cast {
    Cast {
        conductor: User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(app).await,
        staff: User::new("sam@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await,
        flow: flow_of(app, "Renewal", &["Review", "Quote", "Sign"], false).await,
        parent: Contract::new("Road salt")
            .controller("4321")
            .expires(Utc::now().date_naive() + Duration::days(50))
            .insert(app)
            .await,
    }
}

fn form(c: &Cast, at: chrono::DateTime<Utc>) -> Start {
    Start {
        description: "Road salt 2027".into(),
        flow_id: Some(c.flow),
        assignee_id: Some(c.conductor.id),
        department_id: None,
        at: Some(at),
    }
}

/// What the services need to queue emails.
fn mail(app: &TestApp) -> conductor::emails::Mailing<'_> {
    conductor::emails::Mailing::of(&app.state)
}

/// Acceptance 1 and 2: one invisible successor, every stage row, the first entered at T, one
/// `entered`; a second submit returns the same item.
async fn starting_a_renewal_makes_one_successor(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let t = Utc::now() - Duration::hours(3);
    let txn = db.begin().await.expect("begin");
    let work = start::renewal(&txn, &mail(&app), Some(&c.conductor), c.parent.id, &form(&c, t), Utc::now())
        .await
        .expect("start");
    txn.commit().await.expect("commit");
    let again = start::renewal(db, &mail(&app), Some(&c.conductor), c.parent.id, &form(&c, t), Utc::now())
        .await
        .expect("again");
    assert_eq!(again.id, work.id, "a double submit makes nothing twice");
    assert_eq!(work_item::Entity::find().all(db).await.expect("q").len(), 1);

    let successor = contract::Entity::find_by_id(work.contract_id).one(db).await.expect("q").expect("successor");
    assert_eq!(successor.parent_id, Some(c.parent.id));
    assert!(!successor.is_visible, "invisible while in progress");
    assert_eq!((successor.financial_id, successor.expiration_date, successor.contract_href), (None, None, None));
    assert_eq!(successor.description.as_deref(), Some("Road salt 2027"));

    let item = store::load(db, work.id).await.expect("q").expect("item");
    assert_eq!(item.rows.len(), 3);
    let progress = item.progress();
    assert_eq!(progress.current, Some(0));
    let entered = progress.stages[0].entered.expect("entered");
    assert!((entered - t).num_milliseconds().abs() < 1_000, "{entered} vs {t}");
    assert!(progress.stages[1..].iter().all(|s| s.entered.is_none()));
    let kinds: Vec<String> = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(work.id))
        .order_by_asc(work_item_activity::Column::Id)
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|a| a.kind)
        .collect();
    assert_eq!(kinds, ["started", "assigned", "entered"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM events WHERE kind = 'conductor.item.started'").await, 1);
}
on_both_backends!(starting_a_renewal_makes_one_successor);

/// Acceptance 3 and 19: a missing flow or assignee, an archived flow, a staff assignee or a
/// future start is a field error and nothing is written; staff may not start work at all.
async fn an_invalid_start_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let archived = flow_of(&app, "Old way", &["Review"], true).await;
    let now = Utc::now();
    let cases: Vec<(Start, &str)> = vec![
        (Start { flow_id: None, ..form(&c, now) }, "flow"),
        (Start { flow_id: Some(archived), ..form(&c, now) }, "flow"),
        (Start { assignee_id: None, ..form(&c, now) }, "assignee"),
        (Start { assignee_id: Some(c.staff.id), ..form(&c, now) }, "assignee"),
        (Start { at: Some(now + Duration::hours(2)), ..form(&c, now) }, "start"),
        (Start { description: "  ".into(), ..form(&c, now) }, "description"),
    ];
    for (bad, field) in cases {
        let txn = db.begin().await.expect("begin");
        match start::renewal(&txn, &mail(&app), Some(&c.conductor), c.parent.id, &bad, now).await {
            Err(ServiceError::Invalid(problems)) => {
                assert!(problems.iter().any(|(f, _)| *f == field), "{field}: {problems:?}")
            }
            other => panic!("{field}: expected a field error, got {other:?}"),
        }
        txn.rollback().await.expect("rollback");
    }
    assert!(matches!(
        start::renewal(db, &mail(&app), Some(&c.staff), c.parent.id, &form(&c, now), now).await,
        Err(ServiceError::Denied(accounts::Denied::Forbidden))
    ));
    assert!(matches!(
        start::renewal(db, &mail(&app), None, c.parent.id, &form(&c, now), now).await,
        Err(ServiceError::Denied(accounts::Denied::SignInRequired))
    ));
    assert_eq!(work_item::Entity::find().all(db).await.expect("q").len(), 0);
    assert_eq!(contract::Entity::find().all(db).await.expect("q").len(), 1, "no successor row either");
}
on_both_backends!(an_invalid_start_writes_nothing);

/// Acceptance 4: new work with the same description and department stays separate.
async fn new_work_is_never_someone_elses(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let a =
        start::new_work(db, &mail(&app), Some(&c.conductor), &form(&c, Utc::now()), Utc::now()).await.expect("first");
    let b =
        start::new_work(db, &mail(&app), Some(&c.conductor), &form(&c, Utc::now()), Utc::now()).await.expect("second");
    assert_ne!(a.id, b.id);
    assert_ne!(a.contract_id, b.contract_id);
    assert_eq!((a.parent_id, b.parent_id), (None, None));
}
on_both_backends!(new_work_is_never_someone_elses);

/// Two people complete the same stage at once: one change is saved, the other is told someone
/// else acted, and nothing of it is written.
async fn of_two_transitions_at_once_one_wins(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let work = start::renewal(
        db,
        &mail(&app),
        Some(&c.conductor),
        c.parent.id,
        &form(&c, Utc::now() - Duration::days(2)),
        Utc::now(),
    )
    .await
    .expect("start");
    // Both read the item at stage 1, then both complete it.
    let first = store::load(db, work.id).await.expect("q").expect("item");
    let second = first.clone();
    let now = Utc::now();
    let next = first.progress().complete(now - Duration::hours(1), now).expect("complete");
    let txn = platform::db::begin_write(db).await.expect("begin");
    first.save(&txn, &next, &c.conductor, now).await.expect("the first wins");
    txn.commit().await.expect("commit");
    let late = second.progress().complete(now - Duration::hours(2), now).expect("complete");
    let txn = platform::db::begin_write(db).await.expect("begin");
    match second.save(&txn, &late, &c.conductor, now).await {
        Err(ServiceError::Conflict(message)) => assert_eq!(message, store::CHANGED_MEANWHILE),
        other => panic!("expected a conflict, got {other:?}"),
    }
    txn.rollback().await.expect("rollback");
    let item = store::load(db, work.id).await.expect("q").expect("item");
    assert_eq!(item.progress().current, Some(1), "at stage 2, once");
    let exited = work_item_stage::Entity::find()
        .filter(work_item_stage::Column::WorkItemId.eq(work.id))
        .filter(work_item_stage::Column::ExitedAt.is_not_null())
        .all(db)
        .await
        .expect("q");
    assert_eq!(exited.len(), 1);
    assert_eq!(exited[0].exited_at, next.stages[0].exited, "the winner's time");
}
on_both_backends!(of_two_transitions_at_once_one_wins);

/// The kinds logged for item `id`, oldest first.
async fn logged(app: &TestApp, id: i32) -> Vec<String> {
    work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(id))
        .order_by_asc(work_item_activity::Column::Id)
        .all(&app.state.db)
        .await
        .expect("q")
        .into_iter()
        .map(|a| a.kind)
        .collect()
}

/// Acceptance 6-8 and 10 through the services: complete logs `exited` then `entered`; a revert
/// logs one `reversion` and clears the later stages; a later stage is refused with nothing
/// written; the start moves only at the first stage.
async fn stages_move_forward_and_back_as_the_rules_say(backend: Backend) {
    use conductor::transitions;
    use conductor::workflow::machine::State;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let t0 = Utc::now() - Duration::days(10);
    let work = start::renewal(db, &mail(&app), Some(&c.conductor), c.parent.id, &form(&c, t0), Utc::now())
        .await
        .expect("start");
    let me = Some(&c.conductor);

    transitions::move_start(db, me, work.id, t0 - Duration::days(1), Utc::now()).await.expect("earlier start");
    let state = transitions::complete(db, me, work.id, t0 + Duration::days(1), Utc::now()).await.expect("complete A");
    assert_eq!(state, State::AtStage(1));
    assert_eq!(logged(&app, work.id).await, ["started", "assigned", "entered", "entered", "exited", "entered"]);
    assert!(
        matches!(transitions::move_start(db, me, work.id, t0, Utc::now()).await, Err(ServiceError::Invalid(_))),
        "the start moves only at the first stage"
    );
    assert!(matches!(
        transitions::complete(db, me, work.id, t0, Utc::now()).await,
        Err(ServiceError::Invalid(p)) if p[0].1 == "Invalid date (before step start)"
    ));
    assert!(
        matches!(transitions::revert(db, me, work.id, 2, Utc::now(), Utc::now()).await, Err(ServiceError::Invalid(_))),
        "a later stage"
    );

    transitions::complete(db, me, work.id, t0 + Duration::days(2), Utc::now()).await.expect("complete B");
    let back = (t0 + Duration::days(3)).trunc_subsecs(6); // stored to the microsecond
    assert_eq!(transitions::revert(db, me, work.id, 0, back, Utc::now()).await.expect("back to A"), State::AtStage(0));
    let item = store::load(db, work.id).await.expect("q").expect("item");
    let p = item.progress();
    assert_eq!((p.current, p.stages[0].entered, p.stages[0].exited), (Some(0), Some(back), None));
    assert!(p.stages[1..].iter().all(|s| s.entered.is_none() && s.exited.is_none()));
    assert_eq!(logged(&app, work.id).await.iter().filter(|k| *k == "reversion").count(), 1);
    assert!(matches!(
        transitions::complete(db, Some(&c.staff), work.id, Utc::now(), Utc::now()).await,
        Err(ServiceError::Denied(_))
    ));
    assert!(app.count("SELECT COUNT(*) AS n FROM events WHERE kind = 'conductor.item.moved'").await >= 4);
}
on_both_backends!(stages_move_forward_and_back_as_the_rules_say);

/// Acceptance 14-16 (the assignment email comes with the wing's emails): reassigning to staff is
/// refused with the original's message, to a conductor logged; remove and restore; kill
/// archives the successor once and frees the parent.
async fn reassign_remove_restore_and_kill(backend: Backend) {
    use conductor::items;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let other = User::new("olu@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let me = Some(&c.conductor);
    let work =
        start::renewal(db, &mail(&app), me, c.parent.id, &form(&c, Utc::now()), Utc::now()).await.expect("start");
    let new = start::new_work(db, &mail(&app), me, &form(&c, Utc::now()), Utc::now()).await.expect("new work");

    match items::reassign(db, &mail(&app), me, &[work.id], c.staff.id, Utc::now()).await {
        Err(ServiceError::Invalid(p)) => assert_eq!(p[0].1, items::NOT_ASSIGNABLE),
        other => panic!("{other:?}"),
    }
    assert_eq!(items::reassign(db, &mail(&app), me, &[work.id, new.id], other.id, Utc::now()).await.expect("bulk"), 2);
    assert_eq!(
        items::reassign(db, &mail(&app), me, &[work.id], other.id, Utc::now()).await.expect("again"),
        0,
        "already theirs"
    );
    let assigned = work_item::Entity::find_by_id(work.id).one(db).await.expect("q").expect("item");
    assert_eq!(assigned.assignee_id, Some(other.id));
    assert_eq!(logged(&app, work.id).await.last().map(String::as_str), Some("assigned"));

    items::remove(db, me, work.id, Utc::now()).await.expect("remove");
    assert!(matches!(items::remove(db, me, work.id, Utc::now()).await, Err(ServiceError::Conflict(_))), "once");
    items::restore(db, me, work.id, Utc::now()).await.expect("restore");
    items::kill(db, me, work.id, Utc::now()).await.expect("kill");
    assert!(
        matches!(items::restore(db, me, work.id, Utc::now()).await, Err(ServiceError::Conflict(_))),
        "killed is final"
    );
    let successor = contract::Entity::find_by_id(work.contract_id).one(db).await.expect("q").expect("successor");
    assert!(successor.is_archived && !successor.is_visible);
    assert_eq!(successor.description.as_deref(), Some("Road salt 2027 [Archived]"));
    assert_eq!(start::live_successor(db, c.parent.id).await.expect("q"), None, "the parent is free again");
    let again =
        start::renewal(db, &mail(&app), me, c.parent.id, &form(&c, Utc::now()), Utc::now()).await.expect("start again");
    assert_ne!(again.id, work.id);
    assert!(matches!(items::kill(db, Some(&c.staff), again.id, Utc::now()).await, Err(ServiceError::Denied(_))));
}
on_both_backends!(reassign_remove_restore_and_kill);

/// Acceptance 11 and 12: switching flow enters the new flow's first stage now, logs one
/// `flow_switch`, and keeps the old flow's rows and entries, superseded; only other active
/// flows are offered.
async fn switching_flow_keeps_the_history(backend: Backend) {
    use conductor::flows;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let me = Some(&c.conductor);
    let quick = flow_of(&app, "Quick quote", &["Quote", "Award"], false).await;
    flow_of(&app, "Retired", &["Review"], true).await;
    let work = start::renewal(db, &mail(&app), me, c.parent.id, &form(&c, Utc::now() - Duration::days(3)), Utc::now())
        .await
        .expect("start");
    conductor::transitions::complete(db, me, work.id, Utc::now() - Duration::days(2), Utc::now())
        .await
        .expect("A done");

    let offered: Vec<i32> = flows::switchable(db, &work).await.expect("q").iter().map(|f| f.id).collect();
    assert_eq!(offered, [quick], "neither the current flow nor an archived one");
    assert!(matches!(flows::switch(db, me, work.id, c.flow, Utc::now()).await, Err(ServiceError::Invalid(_))));

    flows::switch(db, me, work.id, quick, Utc::now()).await.expect("switch");
    let item = store::load(db, work.id).await.expect("q").expect("item");
    assert_eq!(item.work.flow_id, quick);
    assert_eq!(item.rows.len(), 2);
    assert_eq!(item.progress().current, Some(0));
    assert!(item.rows[0].entered_at.is_some() && item.rows[1].entered_at.is_none());
    let old_rows = work_item_stage::Entity::find()
        .filter(work_item_stage::Column::WorkItemId.eq(work.id))
        .filter(work_item_stage::Column::FlowId.eq(c.flow))
        .all(db)
        .await
        .expect("q");
    assert_eq!(old_rows.len(), 3, "kept");
    assert!(old_rows.iter().all(|r| r.superseded_at.is_some()));
    assert!(old_rows[0].exited_at.is_some(), "with their times");
    let entries = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(work.id))
        .all(db)
        .await
        .expect("q");
    assert_eq!(entries.iter().filter(|e| e.kind == "flow_switch").count(), 1);
    assert!(
        entries.iter().filter(|e| e.kind == "exited").all(|e| e.superseded_at.is_some()),
        "the old flow's entries superseded"
    );
    assert!(entries.iter().any(|e| e.kind == "entered" && e.superseded_at.is_none()));
}
on_both_backends!(switching_flow_keeps_the_history);

/// Acceptance 13 and 19: an extension saves the parent's new expiration with its term and log
/// entry, the item keeps its stage and assignee; new work cannot be extended; an earlier date
/// is refused.
async fn extending_the_parent_never_empties_its_expiration(backend: Backend) {
    use conductor::flows;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let me = Some(&c.conductor);
    let work =
        start::renewal(db, &mail(&app), me, c.parent.id, &form(&c, Utc::now()), Utc::now()).await.expect("start");
    let before = c.parent.expiration_date.expect("expires");
    assert!(matches!(flows::extend(db, me, work.id, before, Utc::now()).await, Err(ServiceError::Invalid(_))));
    let later = before + Duration::days(365);
    flows::extend(db, me, work.id, later, Utc::now()).await.expect("extend");
    let parent = contract::Entity::find_by_id(c.parent.id).one(db).await.expect("q").expect("parent");
    assert_eq!(parent.expiration_date, Some(later));
    let terms = model::entities::contract_term::Entity::find().all(db).await.expect("q");
    assert_eq!(terms.len(), 1);
    assert_eq!((terms[0].previous_expiration, terms[0].expiration_date), (Some(before), later));
    let item = store::load(db, work.id).await.expect("q").expect("item");
    assert_eq!((item.progress().current, item.work.assignee_id), (Some(0), Some(c.conductor.id)), "unchanged");
    assert_eq!(logged(&app, work.id).await.last().map(String::as_str), Some("extension"));

    let new = start::new_work(db, &mail(&app), me, &form(&c, Utc::now()), Utc::now()).await.expect("new work");
    assert!(matches!(flows::extend(db, me, new.id, later, Utc::now()).await, Err(ServiceError::Invalid(_))));
}
on_both_backends!(extending_the_parent_never_empties_its_expiration);

/// Acceptance 17: a blank note is refused with the original's message; only its author or an
/// admin deletes a note (marked, not erased); no other entry can be deleted.
async fn notes_are_deleted_only_by_their_author_or_an_admin(backend: Backend) {
    use conductor::notes;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let other = User::new("olu@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let boss = User::new("boss@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let me = Some(&c.conductor);
    let work =
        start::renewal(db, &mail(&app), me, c.parent.id, &form(&c, Utc::now()), Utc::now()).await.expect("start");
    match notes::add(db, me, work.id, "  \n ", Utc::now()).await {
        Err(ServiceError::Invalid(p)) => assert_eq!(p[0].1, "Note cannot be blank."),
        other => panic!("{other:?}"),
    }
    notes::add(db, me, work.id, "Called the vendor: they will renew.", Utc::now()).await.expect("note");
    notes::add(db, me, work.id, "Second note.", Utc::now()).await.expect("note");
    let entries = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(work.id))
        .order_by_asc(work_item_activity::Column::Id)
        .all(db)
        .await
        .expect("q");
    let notes_ids: Vec<i64> = entries.iter().filter(|e| e.kind == "note").map(|e| e.id).collect();
    let started = entries.iter().find(|e| e.kind == "started").expect("started").id;

    let forbidden = |r: Result<(), ServiceError>| matches!(r, Err(ServiceError::Denied(accounts::Denied::Forbidden)));
    assert!(forbidden(notes::delete(db, Some(&other), work.id, notes_ids[0], Utc::now()).await), "another's note");
    assert!(forbidden(notes::delete(db, me, work.id, started, Utc::now()).await), "not a note");
    assert!(forbidden(notes::delete(db, Some(&c.staff), work.id, notes_ids[0], Utc::now()).await), "staff");
    notes::delete(db, me, work.id, notes_ids[0], Utc::now()).await.expect("the author");
    notes::delete(db, Some(&boss), work.id, notes_ids[1], Utc::now()).await.expect("an admin");
    assert!(
        matches!(notes::delete(db, me, work.id, notes_ids[0], Utc::now()).await, Err(ServiceError::NotFound)),
        "once"
    );
    let kept = work_item_activity::Entity::find_by_id(notes_ids[0]).one(db).await.expect("q").expect("kept");
    assert_eq!((kept.deleted_by, kept.deleted_at.is_some()), (Some(c.conductor.id), true), "marked, not erased");
}
on_both_backends!(notes_are_deleted_only_by_their_author_or_an_admin);

/// Acceptance 20: all blank is refused with the original's message; controller number 999 is
/// stored as "999" and logged; the spec number becomes the successor's property.
async fn details_need_one_field_and_are_logged(backend: Backend) {
    use conductor::activity::Activity;
    use conductor::metadata::{self, Details};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let me = Some(&c.conductor);
    let work =
        start::renewal(db, &mail(&app), me, c.parent.id, &form(&c, Utc::now()), Utc::now()).await.expect("start");
    let blank = Details { controller_number: Some(" ".into()), spec_number: Some(String::new()), department_id: None };
    match metadata::update(db, me, work.id, &blank, Utc::now()).await {
        Err(ServiceError::Invalid(p)) => assert_eq!(p[0].1, "You must update at least one field!"),
        other => panic!("{other:?}"),
    }
    let bad = Details { controller_number: Some("99a".into()), ..Details::default() };
    assert!(matches!(metadata::update(db, me, work.id, &bad, Utc::now()).await, Err(ServiceError::Invalid(_))));
    let details =
        Details { controller_number: Some("999".into()), spec_number: Some("B-123".into()), department_id: None };
    metadata::update(db, me, work.id, &details, Utc::now()).await.expect("save");
    let successor = contract::Entity::find_by_id(work.contract_id).one(db).await.expect("q").expect("successor");
    assert_eq!(successor.financial_id.as_deref(), Some("999"));
    let spec = model::entities::contract_property::Entity::find()
        .filter(model::entities::contract_property::Column::ContractId.eq(work.contract_id))
        .one(db)
        .await
        .expect("q")
        .expect("spec");
    assert_eq!((spec.key.as_str(), spec.value.as_deref()), ("Spec Number", Some("B-123")));
    let last = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(work.id))
        .filter(work_item_activity::Column::Kind.eq("metadata"))
        .one(db)
        .await
        .expect("q")
        .expect("logged");
    let changes = vec![
        ("Controller number".to_owned(), Some("999".to_owned())),
        ("Spec number".to_owned(), Some("B-123".to_owned())),
    ];
    assert_eq!(Activity::read(&last.kind, &last.detail), Some(Activity::Metadata { changes }));
}
on_both_backends!(details_need_one_field_and_are_logged);
