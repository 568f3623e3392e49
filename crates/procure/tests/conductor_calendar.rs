//! The renewal calendar (issue 16): a month's agenda of expirations and stage targets for
//! conductor-level users, and its iCalendar feed at a per-user secret link that parses back as
//! iCalendar, is never cached by others, and stops working when rotated or when its holder is
//! no longer conductor-level. On both databases.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use common::browser::Browser;
use common::builders::{User, managed_contract};
use common::{Backend, TestApp};
use conductor::emails::Mailing;
use conductor::start::Start;
use model::entities::{role, user_role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The feed link the calendar page shows, as a path.
fn feed_path(page: &str) -> String {
    let at = page.find("id=\"feed-link\"").expect("the feed link");
    let value = &page[at..];
    let start = value.find("value=\"").expect("its value") + "value=\"".len();
    let link = &value[start..start + value[start..].find('"').expect("end")];
    link.trim_start_matches("http://localhost:8000").to_owned()
}

fn month(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

async fn the_calendar_shows_expirations_and_targets_and_feeds_them(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = app.state.config.site.today();
    let cora_user = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let flow = common::builders::flow(&app, "Renewal", &["Review", "Sign"]).await; // targets of 10 days
    managed_contract(&app, "Road salt", "SPEC-1", 10).await;
    let form = Start {
        description: "Cones 2027".into(),
        flow_id: Some(flow),
        assignee_id: Some(cora_user.id),
        department_id: None,
        at: Some(Utc::now() - Duration::days(3)),
    };
    conductor::start::new_work(db, &Mailing::of(&app.state), Some(&cora_user), &form, Utc::now()).await.expect("start");
    let cora = Browser::new(&app);
    cora.sign_in(cora_user.id).await;

    let expires = today + Duration::days(10);
    let page = cora.get(&format!("/conductor/calendar?month={}", month(expires))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Road salt expires"), "{}", page.body);
    let target = today + Duration::days(7);
    let page = cora.get(&format!("/conductor/calendar?month={}", month(target))).await;
    assert!(page.body.contains("Review due: Cones 2027"), "{}", page.body);
    let bad = cora.get("/conductor/calendar?month=2026-13").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Choose a month as YYYY-MM"));

    // The feed, fetched by a calendar program (no session).
    let link = feed_path(&page.body);
    let program = Browser::new(&app);
    let feed = program.get(&link).await;
    assert_eq!(feed.status, StatusCode::OK, "{link}");
    assert!(feed.header("content-type").starts_with("text/calendar"));
    assert_eq!(feed.header("cache-control"), "private, no-store");
    let unfolded = icalendar::parser::unfold(&feed.body);
    let parsed = icalendar::parser::read_calendar(&unfolded).expect("iCalendar");
    let summaries: Vec<String> = parsed
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .filter_map(|c| c.find_prop("SUMMARY").map(|p| p.val.to_string()))
        .collect();
    assert!(summaries.contains(&"Road salt expires".to_owned()), "{summaries:?}");
    assert!(summaries.contains(&"Review due: Cones 2027".to_owned()), "{summaries:?}");
    assert!(feed.body.contains(&format!("DTSTART;VALUE=DATE:{}", expires.format("%Y%m%d"))), "{}", feed.body);

    // A tampered link is nothing.
    let (head, _) = link.rsplit_once('/').expect("path");
    let tampered = head.replacen(&format!("{}.0.", cora_user.id), &format!("{}.1.", cora_user.id), 1);
    assert_eq!(program.get(&format!("{tampered}/renewals.ics")).await.status, StatusCode::NOT_FOUND);
    // "Get a new link": the old one stops working, the new one works.
    assert_eq!(cora.post("/conductor/calendar/rotate", &[]).await.status, StatusCode::SEE_OTHER);
    let page = cora.get("/conductor/calendar").await;
    assert!(page.body.contains("the old one no longer works"));
    let renewed = feed_path(&page.body);
    assert_ne!(renewed, link);
    assert_eq!(program.get(&link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(program.get(&renewed).await.status, StatusCode::OK);
    // Without the conductor role, the link no longer works either.
    let conductor_role = role::Entity::find().filter(role::Column::Name.eq("conductor")).one(db).await.expect("q");
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(cora_user.id))
        .filter(user_role::Column::RoleId.eq(conductor_role.expect("role").id))
        .exec(db)
        .await
        .expect("revoke");
    assert_eq!(program.get(&renewed).await.status, StatusCode::NOT_FOUND);
}
on_both_backends!(the_calendar_shows_expirations_and_targets_and_feeds_them);
