//! Text with control characters, from every way text comes in, on both databases: nothing
//! answers 5xx, nothing forbidden is stored, and the feeds stay well-formed even for text
//! stored before the rule (issue 12, finding 1). The rule itself: `platform::text`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::browser::Browser;
use common::builders::{Category, Contract, Opportunity, User};
use common::{Backend, TestApp};
use model::entities::{contract_note, department, opportunity, vendor};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Every C0 control the rule removes, and the three it keeps.
const HOSTILE: &str = "\0\u{1}\u{2}\u{b}\u{c}\u{1b}\u{1f}";

async fn no_server_errors_were_recorded(app: &TestApp) {
    let status = app.get("/_status").await.json();
    assert_eq!(status["status"], "ok", "a request above hit a server error: {status}");
}

async fn queries_with_control_characters_are_answered(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    Contract::new("Road salt for the winter").insert(&app).await;
    let staff = Browser::sign_in_as(&app, "ada@example.org", &[accounts::Role::Admin]).await;
    for path in [
        "/scout/search?q=%00",
        "/scout/search?q=road%00salt",
        "/scout/search?q=%01salt%02",
        "/api/v1/contracts?q=%00",
        "/api/v1/contracts?q=salt%1B",
    ] {
        let got = Browser::new(&app).get(path).await;
        assert_eq!(got.status, StatusCode::OK, "{path}: {}", got.body);
    }
    let found = app.get_json("/api/v1/contracts?q=salt%00&expired=true").await.json();
    let clean = app.get_json("/api/v1/contracts?q=salt&expired=true").await.json();
    assert_eq!(found, clean, "the query is searched without its NUL");
    for path in ["/admin/departments/?q=%00", "/admin/users/?q=a%00b", "/beacon/admin/?q=%00"] {
        let got = staff.get(path).await;
        assert_eq!(got.status, StatusCode::OK, "{path}: {}", got.body);
    }
    // No page's address has a control character: a path with one is a clear 400, not a 500.
    let got = app.get("/scout/companies/%00").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(got.body.contains("control character"), "{}", got.body);
    no_server_errors_were_recorded(&app).await;
}
on_both_backends!(queries_with_control_characters_are_answered);

async fn forms_store_text_without_control_characters(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let paving = Category::new("Paving").insert(&app).await;
    let c = Contract::new("Road salt").insert(&app).await;

    // An anonymous vendor signs up; a business name and a person's name with controls in them.
    let vendor_form = Browser::new(&app);
    let business = format!("Acme{HOSTILE} Paving\tLLC");
    let category = paving.to_string();
    let got = vendor_form
        .post(
            "/beacon/sign-up",
            &[
                ("business_name", &business),
                ("email", "acme@example.com"),
                ("first_name", "Ada\0"),
                ("category", &category),
            ],
        )
        .await;
    let problems: Vec<&str> = got.body.lines().filter(|l| l.contains("error-message")).collect();
    assert_eq!(got.status, StatusCode::OK, "{problems:?}");
    let v = vendor::Entity::find().filter(vendor::Column::Email.eq("acme@example.com")).one(db).await;
    let v = v.expect("q").expect("signed up");
    assert_eq!(v.business_name, "Acme Paving\tLLC", "controls go, the tab stays");
    assert_eq!(v.first_name.as_deref(), Some("Ada"));

    // A signed-in user's note and profile; an admin's back-office form.
    let admin = Browser::sign_in_as(&app, "ada@example.org", &[accounts::Role::Admin]).await;
    let note = format!("Call{HOSTILE} the vendor\r\nabout the price");
    let got = admin.post(&format!("/scout/contracts/{}/notes", c.id), &[("note", &note)]).await;
    let problems: Vec<&str> = got.body.lines().filter(|l| l.contains("error")).collect();
    assert!(got.status.is_redirection(), "{} {problems:?}", got.status);
    let saved = contract_note::Entity::find().filter(contract_note::Column::ContractId.eq(c.id)).one(db).await;
    assert_eq!(saved.expect("q").expect("note").note, "Call the vendor\r\nabout the price");

    let works = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
    let works = works.to_string();
    let profile = [("first_name", "Ada\0\u{1b}"), ("last_name", "Lovelace"), ("department", works.as_str())];
    let got = admin.post("/profile", &profile).await;
    assert!(got.status.is_success() || got.status.is_redirection(), "{} {}", got.status, got.body);
    let me = model::entities::user::Entity::find()
        .filter(model::entities::user::Column::Email.eq("ada@example.org"))
        .one(db)
        .await
        .expect("q")
        .expect("user");
    assert_eq!(me.first_name.as_deref(), Some("Ada"));

    let got = admin.post("/admin/departments/new", &[("name", "Parks\0 and Recreation")]).await;
    assert!(got.status.is_redirection(), "{} {}", got.status, got.body);
    let dept = department::Entity::find().order_by_desc(department::Column::Id).one(db).await.expect("q");
    assert_eq!(dept.expect("department").name, "Parks and Recreation");

    // A JSON body is cleaned the same way before any handler reads it.
    let request = Request::post("/beacon/sign-up")
        .header("content-type", "application/json")
        .header("origin", "http://localhost")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(r#"{"business_name":"Json\u0000 Co"}"#))
        .expect("request");
    let got = app.request(request).await;
    assert!(got.status.is_client_error(), "the form takes no JSON; a clear 4xx, not a 500: {}", got.status);
    no_server_errors_were_recorded(&app).await;
}
on_both_backends!(forms_store_text_without_control_characters);

async fn feeds_stay_well_formed_for_text_stored_before_the_rule(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let author = User::new("conductor@example.org").roles(&[accounts::Role::Conductor]).insert(&app).await;
    // Stored directly, as an older version or an import might have: the service is not the
    // HTTP layer, so the controls reach the database here.
    let hostile = Opportunity::new("Snow\u{1}\u{b}\u{1b} removal")
        .description("Line one\rBEGIN:VEVENT\rSUMMARY:Injected\rEND:VEVENT\r\nline two")
        .create(&app, &author)
        .await;
    let (now, today) = (chrono::Utc::now(), app.state.config.site.today());
    beacon::lifecycle::approve(&app.state.db, Some(&author), hostile.id, now, today).await.expect("published");
    let stored = opportunity::Entity::find_by_id(hostile.id).one(&app.state.db).await.expect("q").expect("o");
    assert!(stored.title.contains('\u{1b}'), "the test needs the controls stored: {:?}", stored.title);

    let atom = app.get("/beacon/feeds/opportunities.atom").await;
    assert_eq!(atom.status, StatusCode::OK);
    let feed: atom_syndication::Feed = atom.body.parse().expect("a well-formed Atom document");
    assert_eq!(feed.entries().len(), 1);
    assert_eq!(feed.entries()[0].title().as_str(), "Snow removal");

    let ics = app.get("/beacon/feeds/deadlines.ics").await;
    assert_eq!(ics.status, StatusCode::OK);
    // A reader that ends lines at CR, LF or CRLF sees one event, not an injected second.
    let lines: Vec<&str> = ics.body.split(['\r', '\n']).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(), 1, "{}", ics.body);
    assert!(!lines.iter().any(|l| l.starts_with("SUMMARY:Injected")), "{}", ics.body);
    assert!(!ics.body.replace("\r\n", "").contains('\r'), "no bare CR: {:?}", ics.body);
}
on_both_backends!(feeds_stay_well_formed_for_text_stored_before_the_rule);
