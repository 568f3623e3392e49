//! Feedback from Scout (issue 13): about a contract, or from a search that found nothing (its
//! "Tell us" carries the search into the form). Every message is kept in the back-office's
//! inbox, emailed to each admin when there are any, and the sender is told which happened;
//! anonymous messages are limited per address and per client, and the sender told when over.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use common::browser::{Browser, queued_emails};
use common::builders::{Contract, User};
use common::{Backend, TestApp};
use model::entities::feedback;
use sea_orm::{EntityTrait, QueryOrder};

const SENT: &str = "your message was sent to the city's purchasing staff";
const SAVED: &str = "your message was saved for the city's purchasing staff";

async fn kept(app: &TestApp) -> Vec<feedback::Model> {
    feedback::Entity::find().order_by_asc(feedback::Column::Id).all(&app.state.db).await.expect("q")
}

async fn feedback_is_kept_and_emailed_to_each_admin(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    User::new("root@example.org").roles(&[Role::Superadmin]).insert(&app).await;
    User::new("boss@example.org").roles(&[Role::Admin]).insert(&app).await;
    User::new("staff@example.org").roles(&[Role::Staff]).insert(&app).await;
    let gear = Contract::new("PROTECTIVE GEAR FOR FIREFIGHTERS").insert(&app).await;
    let visitor = Browser::new(&app);

    // About a contract.
    let path = format!("/scout/contracts/{}/feedback", gear.id);
    assert!(visitor.get(&format!("/scout/contracts/{}", gear.id)).await.body.contains(&path));
    let blank = visitor.post(&path, &[("sender", "nope"), ("message", " ")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.contains("Enter your email address") && blank.body.contains("Write your message"));
    assert!(kept(&app).await.is_empty(), "nothing kept from a form with problems");
    let before = queued_emails(&app).await;
    let sent = visitor.post(&path, &[("sender", "Vendor@Example.com"), ("message", "The gear price changed.")]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains(SENT), "{}", sent.body);
    assert_eq!(queued_emails(&app).await, before + 2, "one email per admin, not to staff");
    let last = common::browser::last_email(&app).await.expect("email");
    assert_eq!(last["reply_to"], "vendor@example.com");
    assert!(last["text"].as_str().is_some_and(|t| t.contains("The gear price changed.")));
    let message = kept(&app).await.pop().expect("kept");
    assert_eq!((message.sender.as_str(), message.contract_id), ("vendor@example.com", Some(gear.id)));
    assert!(message.emailed_at.is_some() && message.handled_at.is_none() && message.search_query.is_none());

    // From a search that found nothing: "Tell us" carries the search into the form.
    let none = visitor.get("/scout/search?q=zeppelin+mooring").await;
    assert!(none.body.contains("0 contracts found"));
    let tell_us = &none.body;
    assert!(tell_us.contains("href=\"/scout/feedback?q=zeppelin+mooring\">Tell us</a>"), "{}", none.body);
    assert!(!tell_us.contains("href=\"/about/\">Tell us"), "not the about page, which has no form");
    let form = visitor.get("/scout/feedback?q=zeppelin+mooring").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"q\"") && form.body.contains("value=\"zeppelin mooring\""), "{}", form.body);
    let sent = visitor
        .post(
            "/scout/feedback",
            &[("sender", "resident@example.com"), ("q", "zeppelin mooring"), ("message", "Do you buy these?")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains(SENT));
    let message = kept(&app).await.pop().expect("kept");
    assert_eq!((message.contract_id, message.search_query.as_deref()), (None, Some("zeppelin mooring")));
    let email = common::browser::last_email(&app).await.expect("email");
    assert!(email["subject"].as_str().is_some_and(|s| s.contains("zeppelin mooring")), "{email}");
    let text = email["text"].as_str().unwrap_or_default();
    assert!(text.contains("Do you buy these?") && text.contains(&format!("/admin/feedback/{}/edit", message.id)));
    assert_eq!(email["reply_to"], "resident@example.com");
    // A signed-in user's address is filled in, and the message is theirs.
    let staff = Browser::sign_in_as(&app, "clerk@example.org", &[Role::Staff]).await;
    assert!(staff.get("/scout/feedback").await.body.contains("value=\"clerk@example.org\""));
    staff.post("/scout/feedback", &[("sender", "clerk@example.org"), ("message", "A general remark")]).await;
    let message = kept(&app).await.pop().expect("kept");
    assert!(message.created_by.is_some() && message.search_query.is_none());
}
on_both_backends!(feedback_is_kept_and_emailed_to_each_admin);

/// Before, a message sent while no admin existed said "on its way" and was dropped.
async fn with_no_admin_feedback_is_saved_and_the_page_says_so(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let visitor = Browser::new(&app);
    let before = queued_emails(&app).await;
    let saved = visitor
        .post("/scout/feedback", &[("sender", "resident@example.com"), ("message", "Nobody reads this yet.")])
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert!(saved.body.contains(SAVED) && !saved.body.contains(SENT), "{}", saved.body);
    assert_eq!(queued_emails(&app).await, before, "nobody to email");
    let message = kept(&app).await.pop().expect("kept all the same");
    assert!(message.emailed_at.is_none());

    // The inbox: admins only.
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    assert_eq!(staff.get("/admin/feedback/").await.status, StatusCode::FORBIDDEN);
    assert!(Browser::new(&app).get("/admin/feedback/").await.header("location").starts_with("/sign-in"));
    let admin = Browser::sign_in_as(&app, "boss@example.org", &[Role::Admin]).await;
    let inbox = admin.get("/admin/feedback/").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert!(inbox.body.contains("resident@example.com") && inbox.body.contains("Nobody reads this yet."));
    assert!(inbox.body.contains("Not yet"), "not handled");
    let record = format!("/admin/feedback/{}/edit", message.id);
    let read = admin.get(&record).await;
    assert!(read.body.contains("Nobody reads this yet.") && read.body.contains("there was no admin to send it to"));
    assert!(admin.get("/admin/feedback/?q=reads+this").await.body.contains("1 result"));

    // Marked handled: only that changes; the message stays as it was sent.
    let mut form: Vec<(String, String)> = Vec::new();
    for field in ["sender", "received", "about", "message", "emailed"] {
        let value = field_value(&read.body, field);
        form.push((field.to_owned(), value));
    }
    let mut rewritten = form.clone();
    rewritten[3].1 = "Something else".into();
    rewritten.push(("handled".into(), "on".into()));
    let refused = admin.post(&record, &pairs(&rewritten)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("kept as it was sent"), "{}", refused.body);
    // A browser sends a textarea's line breaks as CR LF; that is the same message.
    form[3].1 = form[3].1.replace('\n', "\r\n");
    form.push(("handled".into(), "on".into()));
    let handled = admin.post(&record, &pairs(&form)).await;
    assert_eq!(handled.status, StatusCode::SEE_OTHER, "{}", handled.body);
    let message = kept(&app).await.pop().expect("kept");
    assert!(message.handled_at.is_some());
    assert_eq!(message.message, "Nobody reads this yet.");
    assert!(admin.get("/admin/feedback/").await.body.contains(">Yes<"));

    let deleted = admin.post(&format!("/admin/feedback/{}/delete", message.id), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(kept(&app).await.is_empty());
    // Messages come from Scout, not from the back-office.
    assert_eq!(admin.get("/admin/feedback/new").await.header("location"), "/scout/feedback");
}
on_both_backends!(with_no_admin_feedback_is_saved_and_the_page_says_so);

/// The value of form field `name` in an admin form page (an input's value or a textarea's text).
fn field_value(body: &str, name: &str) -> String {
    let id = format!("id=\"field-{name}\"");
    let start = body.find(&id).unwrap_or_else(|| panic!("no field {name}"));
    let rest = &body[start..];
    let raw = if rest.starts_with(&format!("{id} name=\"{name}\">")) {
        let open = rest.find('>').map_or(0, |i| i + 1);
        &rest[open..open + rest[open..].find("</textarea>").unwrap_or(0)]
    } else {
        let value = rest.find("value=\"").map_or(0, |i| i + 7);
        &rest[value..value + rest[value..].find('"').unwrap_or(0)]
    };
    raw.replace("&#39;", "'").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Over the limit nothing is kept or sent, and the sender is told so, the text still in the form
/// (it had been answered "sent" while nothing went out).
async fn anonymous_feedback_is_limited_and_says_so(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    User::new("boss@example.org").roles(&[Role::Admin]).insert(&app).await;
    let limit = scout::feedback::LIMIT;
    // One client, address after address.
    let mut flooder = Browser::new(&app);
    flooder.forwarded_for = Some("203.0.113.9".into());
    let mut pages = Vec::new();
    for i in 0..=limit.per_client {
        let sender = format!("r{i}@example.com");
        pages.push(flooder.post("/scout/feedback", &[("sender", &sender), ("message", "Do you buy road salt?")]).await);
    }
    let over = pages.pop().expect("the message over the limit");
    assert!(pages.iter().all(|p| p.status == StatusCode::OK && p.body.contains(SENT)), "under the limit, sent");
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!over.body.contains(SENT), "not claimed sent: {}", over.body);
    assert!(
        over.body.contains("this one was not sent") && over.body.contains("Do you buy road salt?"),
        "{}",
        over.body
    );
    assert_eq!(
        kept(&app).await.len(),
        usize::try_from(limit.per_client).expect("small"),
        "nothing kept over the limit"
    );
    assert_eq!(queued_emails(&app).await, i64::try_from(limit.per_client).expect("small"), "nothing sent over it");

    // One address, client after client.
    let gear = Contract::new("Road salt").insert(&app).await;
    let path = format!("/scout/contracts/{}/feedback", gear.id);
    let mut statuses = Vec::new();
    for i in 0..=limit.per_email {
        let mut visitor = Browser::new(&app);
        visitor.forwarded_for = Some(format!("198.51.100.{i}"));
        statuses.push(visitor.post(&path, &[("sender", "busy@example.com"), ("message", "Hello")]).await.status);
    }
    assert_eq!(statuses.pop(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(statuses.iter().all(|s| *s == StatusCode::OK));
    let from_busy = kept(&app).await.into_iter().filter(|m| m.sender == "busy@example.com").count();
    assert_eq!(from_busy, usize::try_from(limit.per_email).expect("small"));
}
on_both_backends!(anonymous_feedback_is_limited_and_says_so);

/// What was kept while nobody could be emailed goes out once there is an admin, once.
async fn waiting_feedback_goes_out_once_there_is_an_admin(backend: Backend) {
    use scout::feedback::send_waiting;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let (db, templates, config) = (&app.state.db, &app.state.templates, &app.state.config);
    let gear = Contract::new("PROTECTIVE GEAR").insert(&app).await;
    let visitor = Browser::new(&app);
    let about_gear = format!("/scout/contracts/{}/feedback", gear.id);
    visitor.post(&about_gear, &[("sender", "vendor@example.com"), ("message", "Waited for you")]).await;
    visitor.post("/scout/feedback", &[("sender", "resident@example.com"), ("q", "salt"), ("message", "Me too")]).await;
    visitor.post("/scout/feedback", &[("sender", "done@example.com"), ("message", "Handled already")]).await;
    let handled = kept(&app).await.pop().expect("kept");
    let mut mark: feedback::ActiveModel = handled.into();
    mark.handled_at = sea_orm::Set(Some(chrono::Utc::now()));
    sea_orm::ActiveModelTrait::update(mark, db).await.expect("handled");
    assert_eq!(send_waiting(db, templates, config).await.expect("run"), 0, "nobody to send to yet");
    assert!(kept(&app).await.iter().all(|m| m.emailed_at.is_none()));

    User::new("boss@example.org").roles(&[Role::Admin]).insert(&app).await;
    assert_eq!(send_waiting(db, templates, config).await.expect("run"), 2, "not the handled one");
    let to_boss = app.emails_to("boss@example.org").await;
    assert_eq!(to_boss.len(), 2);
    assert!(to_boss.iter().any(|m| m.subject.contains("PROTECTIVE GEAR") && m.text.contains("Waited for you")));
    assert!(to_boss.iter().any(|m| m.subject.contains("salt") && m.text.contains("Me too")));
    assert_eq!(kept(&app).await.iter().filter(|m| m.emailed_at.is_some()).count(), 2);
    assert_eq!(send_waiting(db, templates, config).await.expect("again"), 0, "each goes once");
    assert!(procure::app::jobs().contains("scout.waiting_feedback"), "run nightly");
}
on_both_backends!(waiting_feedback_goes_out_once_there_is_an_admin);
