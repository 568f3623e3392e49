//! Conductor's back-office tables: a conductor-level user lists, makes and edits stages (never
//! deletes one), renames and archives flows (makes none there, and never deletes one work went
//! through); other staff are refused; every write leaves its audit entry. On both databases.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::browser::Browser;
use common::builders::{Contract, User};
use common::{Backend, TestApp, id_from};
use conductor::start::{self, Start};
use model::entities::{audit_log, flow, flow_stage, stage, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// The back-office's log, oldest first, as (action, resource, actor).
async fn log(app: &TestApp) -> Vec<(String, String, Option<i32>)> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&app.state.db)
        .await
        .expect("log")
        .into_iter()
        .map(|e| (e.action, e.resource, e.actor_id))
        .collect()
}

async fn a_conductor_makes_and_edits_stages(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;
    let me = user::Entity::find().filter(user::Column::Email.eq("cora@pittsburghpa.gov")).one(db).await;
    let me = me.expect("q").expect("cora").id;
    common::builders::flow(&app, "Renewal", &["Review", "Quote"]).await;

    let home = cora.get("/admin/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("/admin/stages/") && home.body.contains("/admin/flows/"), "{}", home.body);
    let list = cora.get("/admin/stages/").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("2 results") && list.body.contains("Review"), "{}", list.body);

    // Made with its checks first: a name, unique whatever the case; target days empty or > 0.
    let new = |name: &'static str, days: &'static str| {
        let cora = &cora;
        async move {
            cora.post(
                "/admin/stages/new",
                &[
                    ("name", name),
                    ("target_days", days),
                    ("post_opportunities", "on"),
                    ("default_message", "Hello,\r\nwhere are we?"),
                ],
            )
            .await
        }
    };
    let blank = new(" ", "").await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.contains("Name is required"), "{}", blank.body);
    let taken = new("REVIEW", "").await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("A stage with this name already exists."), "{}", taken.body);
    for bad in ["0", "-2", "1.5", "soon", "4000"] {
        let refused = new("Legal review", bad).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(refused.body.contains("Enter a whole number of days from 1 to 3650"), "{bad}: {}", refused.body);
    }
    assert_eq!(stage::Entity::find().all(db).await.expect("q").len(), 2, "nothing made of a refused form");
    let made = new("Legal review", "14").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = id_from(made.header("location"));
    let s = stage::Entity::find_by_id(id).one(db).await.expect("q").expect("stage");
    assert_eq!(s.name, "Legal review");
    assert_eq!(s.target_days, Some(14));
    assert!(s.post_opportunities);
    assert_eq!(s.default_message.as_deref(), Some("Hello,\nwhere are we?"));
    assert_eq!((s.created_by, s.updated_by), (Some(me), Some(me)));

    // Edited: renamed, its target taken away, no longer posting to Beacon.
    let form = cora.get(&format!("/admin/stages/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"Legal review\"") && form.body.contains("value=\"14\""), "{}", form.body);
    let clash = cora.post(&format!("/admin/stages/{id}/edit"), &[("name", "quote"), ("target_days", "")]).await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST);
    let zero = cora.post(&format!("/admin/stages/{id}/edit"), &[("name", "Legal"), ("target_days", "0")]).await;
    assert_eq!(zero.status, StatusCode::BAD_REQUEST);
    let edited = cora
        .post(
            &format!("/admin/stages/{id}/edit"),
            &[("name", "Legal sign-off"), ("target_days", ""), ("default_message", "")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let s = stage::Entity::find_by_id(id).one(db).await.expect("q").expect("stage");
    assert_eq!((s.name.as_str(), s.target_days, s.post_opportunities), ("Legal sign-off", None, false));
    assert_eq!(s.default_message, None);
    // Keeping its own name (in another case) is no clash.
    let same =
        cora.post(&format!("/admin/stages/{id}/edit"), &[("name", "LEGAL SIGN-OFF"), ("target_days", "3")]).await;
    assert_eq!(same.status, StatusCode::SEE_OTHER, "{}", same.body);

    // Never deleted, with a reason.
    let refused = cora.post(&format!("/admin/stages/{id}/delete"), &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Stages are never deleted"), "{}", refused.body);
    assert!(stage::Entity::find_by_id(id).one(db).await.expect("q").is_some());

    // Every write, and only writes, logged in its own transaction.
    let stages = |action: &str| (action.to_owned(), "stages".to_owned(), Some(me));
    assert_eq!(log(&app).await, vec![stages("create"), stages("update"), stages("update")]);
    let entries = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(db).await.expect("log");
    assert!(entries[1].before.as_deref().is_some_and(|b| b.contains("Legal review") && b.contains("14")));
    assert!(entries[1].after.as_deref().is_some_and(|a| a.contains("Legal sign-off")));
}
on_both_backends!(a_conductor_makes_and_edits_stages);

async fn a_conductor_renames_and_archives_flows(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let admin = Browser::sign_in_as(&app, "ada@pittsburghpa.gov", &[Role::Admin]).await;
    let me = user::Entity::find().filter(user::Column::Email.eq("ada@pittsburghpa.gov")).one(db).await;
    let me = me.expect("q").expect("ada").id;
    let renewal = common::builders::flow(&app, "Renewal", &["Review", "Quote", "Sign"]).await;
    let spare = common::builders::flow(&app, "Spare", &["Draft"]).await;

    let list = admin.get("/admin/flows/").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Review → Quote → Sign"), "the stages in order: {}", list.body);

    // Renamed (unique whatever the case), then archived.
    let clash = admin.post(&format!("/admin/flows/{renewal}/edit"), &[("name", "SPARE")]).await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST);
    assert!(clash.body.contains("A flow with that name already exists!"), "{}", clash.body);
    let blank = admin.post(&format!("/admin/flows/{renewal}/edit"), &[("name", "")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    let renamed = admin.post(&format!("/admin/flows/{renewal}/edit"), &[("name", "Annual renewal")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let archived =
        admin.post(&format!("/admin/flows/{renewal}/edit"), &[("name", "Annual renewal"), ("archived", "on")]).await;
    assert_eq!(archived.status, StatusCode::SEE_OTHER, "{}", archived.body);
    let f = flow::Entity::find_by_id(renewal).one(db).await.expect("q").expect("flow");
    assert_eq!((f.name.as_str(), f.is_archived, f.updated_by), ("Annual renewal", true, Some(me)));
    let stages = flow_stage::Entity::find().filter(flow_stage::Column::FlowId.eq(renewal)).all(db).await.expect("q");
    assert_eq!(stages.len(), 3, "its stages are untouched");

    // A flow is made with its stages in order; a new stage name makes that stage once.
    let refused = admin.post("/admin/flows/new", &[("name", "Bare"), ("stages", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("You must have at least one stage!"), "{}", refused.body);
    let twice = admin.post("/admin/flows/new", &[("name", "Twice"), ("stages", "Review\nreview")]).await;
    assert!(twice.body.contains("You cannot have duplicate stages!"), "{}", twice.body);
    let taken = admin.post("/admin/flows/new", &[("name", "annual RENEWAL"), ("stages", "Review")]).await;
    assert!(taken.body.contains("A flow with that name already exists!"), "{}", taken.body);
    assert!(
        flow::Entity::find().filter(flow::Column::Name.is_in(["Bare", "Twice"])).one(db).await.expect("q").is_none()
    );
    let before = stage::Entity::find().all(db).await.expect("q").len();
    let made = admin
        .post("/admin/flows/new", &[("name", "Quick quote"), ("stages", " Review \nCall three vendors\n\nSign")])
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let quick =
        flow::Entity::find().filter(flow::Column::Name.eq("Quick quote")).one(db).await.expect("q").expect("made");
    let mut order =
        flow_stage::Entity::find().filter(flow_stage::Column::FlowId.eq(quick.id)).all(db).await.expect("q");
    order.sort_by_key(|l| l.position);
    let mut names = Vec::new();
    for link in order {
        names.push(stage::Entity::find_by_id(link.stage_id).one(db).await.expect("q").expect("stage").name);
    }
    assert_eq!(names, ["Review", "Call three vendors", "Sign"]);
    assert_eq!(stage::Entity::find().all(db).await.expect("q").len(), before + 1, "only the new name made a stage");
    let reorder = admin
        .post(
            &format!("/admin/flows/{}/edit", quick.id),
            &[("name", "Quick quote"), ("stages", "Sign\nReview\nCall three vendors")],
        )
        .await;
    assert!(reorder.body.contains("never change once it is made"), "{}", reorder.body);

    // A flow work follows is kept, with a reason and no server error; an unused one goes.
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let parent = Contract::new("Road salt").insert(&app).await;
    let form = Start {
        description: "Road salt 2027".into(),
        flow_id: Some(spare),
        assignee_id: Some(cora.id),
        department_id: None,
        at: Some(Utc::now() - Duration::hours(1)),
    };
    start::renewal(db, &conductor::emails::Mailing::of(&app.state), Some(&cora), parent.id, &form, Utc::now())
        .await
        .expect("start");
    let kept = admin.post(&format!("/admin/flows/{spare}/delete"), &[]).await;
    assert_eq!(kept.status, StatusCode::BAD_REQUEST);
    assert!(kept.body.contains("1 work item has followed this flow"), "{}", kept.body);
    assert!(flow::Entity::find_by_id(spare).one(db).await.expect("q").is_some());
    let unused = common::builders::flow(&app, "Unused", &["Idle"]).await;
    let gone = admin.post(&format!("/admin/flows/{unused}/delete"), &[]).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "{}", gone.body);
    assert!(flow::Entity::find_by_id(unused).one(db).await.expect("q").is_none());
    let idle = stage::Entity::find().filter(stage::Column::Name.eq("Idle")).one(db).await.expect("q");
    assert!(idle.is_some(), "its stage stays");

    let flows = |action: &str| (action.to_owned(), "flows".to_owned(), Some(me));
    assert_eq!(log(&app).await, vec![flows("update"), flows("update"), flows("create"), flows("delete")]);
}
on_both_backends!(a_conductor_renames_and_archives_flows);

async fn other_staff_are_refused(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let flow = common::builders::flow(&app, "Renewal", &["Review"]).await;
    let stage = stage::Entity::find().one(&app.state.db).await.expect("q").expect("stage").id;
    for role in [Role::Staff, Role::County] {
        let who = Browser::sign_in_as(&app, &format!("{role:?}@pittsburghpa.gov"), &[role]).await;
        for path in ["/admin/stages/", "/admin/flows/", "/admin/stages/new", &format!("/admin/flows/{flow}/edit")] {
            assert_eq!(who.get(path).await.status, StatusCode::FORBIDDEN, "{role:?} GET {path}");
        }
        let writes = [
            ("/admin/stages/new".to_owned(), vec![("name", "Sneaky")]),
            (format!("/admin/stages/{stage}/edit"), vec![("name", "Sneaky")]),
            (format!("/admin/stages/{stage}/delete"), vec![]),
            (format!("/admin/flows/{flow}/edit"), vec![("name", "Sneaky"), ("archived", "on")]),
            (format!("/admin/flows/{flow}/delete"), vec![]),
        ];
        for (path, form) in &writes {
            assert_eq!(who.post(path, form).await.status, StatusCode::FORBIDDEN, "{role:?} POST {path}");
        }
    }
    let anonymous = app.get("/admin/stages/").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.header("location").starts_with("/sign-in"));
    let f = flow::Entity::find_by_id(flow).one(&app.state.db).await.expect("q").expect("flow");
    assert_eq!((f.name.as_str(), f.is_archived), ("Renewal", false));
    assert_eq!(stage::Entity::find().all(&app.state.db).await.expect("q").len(), 1);
    assert!(log(&app).await.is_empty(), "nothing written, nothing logged");
}
on_both_backends!(other_staff_are_refused);
