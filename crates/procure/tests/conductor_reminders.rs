//! Lead-time reminders and the weekly digest (issue 16). Reminders: on a reminder day (or the lead-time day) before a managed
//! contract expires, whoever holds its renewal is told when it is not started or is behind its
//! stage's target; each once per contract, day and recipient, however often the job runs; none
//! for a renewal on track, a contract set aside, or a day that is not a reminder day. The
//! digest: one a week to each user with work in progress, past-target work first. On both
//! databases.

mod common;

use accounts::{CurrentUser, Role};
use chrono::{Duration, Utc};
use common::builders::{Contract, User};
use common::{Backend, TestApp};
use conductor::emails::Mailing;
use conductor::start::Start;
use model::entities::{conductor_set_aside, contract_type};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

async fn reminders_go_once_to_whoever_holds_the_renewal(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let mail = Mailing::of(&app.state);
    let today = app.state.config.site.today();
    let county = contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq("County"))
        .one(db)
        .await
        .expect("q")
        .expect("County");
    assert_eq!((county.lead_time_days, county.reminder_days.as_str()), (120, "90,60,30,7,1"), "the defaults");
    let mut managed: contract_type::ActiveModel = county.clone().into();
    managed.managed_by_conductor = Set(true);
    managed.update(db).await.expect("managed");

    let works = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
    let finance = accounts::users::department_id(db, "Department of Finance").await.expect("q").expect("dept");
    let dana = User::new("dana@pittsburghpa.gov").roles(&[Role::Conductor]).department("Department of Public Works");
    let dana = dana.insert(&app).await;
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    User::new("sam@pittsburghpa.gov").roles(&[Role::Staff]).department("Department of Public Works").insert(&app).await;
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Sign"]).await; // targets of 10 days
    let contract = |name: &str, days: i64, department: i32| {
        Contract::new(name).contract_type(county.id).department(department).expires(today + Duration::days(days))
    };
    let start = |by: &CurrentUser, parent: i32, days_ago: i64| {
        let form = Start {
            description: "Renewal".into(),
            flow_id: Some(flow),
            assignee_id: Some(cora.id),
            department_id: None,
            at: Some(Utc::now() - Duration::days(days_ago)),
        };
        let by = by.clone();
        async move { conductor::start::renewal(db, &mail, Some(&by), parent, &form, Utc::now()).await.expect("start") }
    };

    contract("Road salt", 90, works).insert(&app).await; // not started: Public Works' conductors
    contract("Grit", 89, works).insert(&app).await; // not a reminder day
    let cones = contract("Cones", 60, works).insert(&app).await; // on track
    start(&dana, cones.id, 3).await;
    let paint = contract("Paint", 30, works).insert(&app).await; // behind: its assignee
    start(&dana, paint.id, 15).await;
    contract("Paper", 7, finance).insert(&app).await; // no conductor in Finance: everyone's
    contract("Hoses", 120, works).insert(&app).await; // the lead-time day
    let radios = contract("Radios", 90, works).insert(&app).await; // set aside
    conductor_set_aside::ActiveModel {
        contract_id: Set(radios.id),
        created_at: Set(Utc::now()),
        created_by: Set(None),
    }
    .insert(db)
    .await
    .expect("set aside");
    let before = app.queued_emails().await.len();

    let sent = conductor::reminders::send(db, &mail, today, Utc::now()).await.expect("reminders");
    let queued = app.queued_emails().await;
    let reminders: Vec<(String, String)> =
        queued[before..].iter().map(|e| (e.to[0].clone(), e.subject.clone())).collect();
    let about = |name: &str| -> Vec<&str> {
        let mut to: Vec<&str> = reminders
            .iter()
            .filter(|(_, s)| s.contains(&format!(": {name} expires")))
            .map(|(t, _)| t.as_str())
            .collect();
        to.sort_unstable();
        to
    };
    assert_eq!(about("Road salt"), ["dana@pittsburghpa.gov"], "the department's conductor-level users");
    assert!(reminders.iter().any(|(_, s)| s.contains("Time to renew: Road salt expires in 90 days")));
    assert!(about("Grit").is_empty(), "89 days is not a reminder day");
    assert!(about("Cones").is_empty(), "on track");
    assert_eq!(about("Paint"), ["cora@pittsburghpa.gov"], "the assignee");
    assert!(reminders.iter().any(|(_, s)| s.contains("Renewal behind schedule: Paint expires in 30 days")));
    assert_eq!(about("Paper"), ["cora@pittsburghpa.gov", "dana@pittsburghpa.gov"], "every conductor-level user");
    assert_eq!(about("Hoses"), ["dana@pittsburghpa.gov"], "the lead-time day");
    assert!(about("Radios").is_empty(), "set aside");
    assert_eq!(sent, 5);

    // Run again the same day: nothing more.
    assert_eq!(conductor::reminders::send(db, &mail, today, Utc::now()).await.expect("again"), 0);
    assert_eq!(app.queued_emails().await.len(), before + 5);
}
on_both_backends!(reminders_go_once_to_whoever_holds_the_renewal);

async fn each_assignee_gets_one_digest_a_week(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let mail = Mailing::of(&app.state);
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let dana = User::new("dana@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Sign"]).await; // targets of 10 days
    let begin = |description: &str, assignee: i32, days_ago: i64| {
        let form = Start {
            description: description.into(),
            flow_id: Some(flow),
            assignee_id: Some(assignee),
            department_id: None,
            at: Some(Utc::now() - Duration::days(days_ago)),
        };
        let by = cora.clone();
        async move { conductor::start::new_work(db, &mail, Some(&by), &form, Utc::now()).await.expect("start") }
    };
    begin("Cones", cora.id, 2).await;
    begin("Salt", cora.id, 15).await;
    begin("Paint", dana.id, 1).await;
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("a Monday");
    let before = app.queued_emails().await.len();

    assert_eq!(conductor::digest::send(db, &mail, monday, Utc::now()).await.expect("digest"), 2);
    let queued = app.queued_emails().await;
    let digests = &queued[before..];
    let to_cora = digests.iter().find(|e| e.to == ["cora@pittsburghpa.gov"]).expect("Cora's digest");
    assert_eq!(to_cora.subject, "Your Conductor work this week: 1 past target");
    let (salt, cones) = (to_cora.text.find("- Salt").expect("Salt"), to_cora.text.find("- Cones").expect("Cones"));
    assert!(salt < cones, "past target first: {}", to_cora.text);
    assert!(to_cora.text.contains("(target 10, 5 over)"), "{}", to_cora.text);
    assert!(digests.iter().any(|e| e.to == ["dana@pittsburghpa.gov"]));

    // Again that week, even on another day: nothing. The next Monday: a new one each.
    assert_eq!(conductor::digest::send(db, &mail, monday, Utc::now()).await.expect("again"), 0);
    let wednesday = monday + Duration::days(2);
    assert_eq!(conductor::digest::send(db, &mail, wednesday, Utc::now()).await.expect("wednesday"), 0);
    assert_eq!(conductor::digest::send(db, &mail, monday + Duration::days(7), Utc::now()).await.expect("next"), 2);
}
on_both_backends!(each_assignee_gets_one_digest_a_week);
