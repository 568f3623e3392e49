//! Conductor's emails (issue 15; research/conductor.md §3.3, §5, §11): the update email sent
//! from a work item's page, with its attachments kept and downloadable (acceptance 18, 19's
//! file types), who may send it, and the assignment email on start and on reassignment
//! (acceptance 16's email part). On both databases. Then snapshots of the three emails, as
//! their recipients get them (SQLite only, in the style of `tests/emails.rs`).

mod common;

use accounts::{CurrentUser, Role};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate, Utc};
use common::browser::Browser;
use common::builders::{Contract, User};
use common::mail::Mail;
use common::{Backend, Response, TestApp};
use conductor::activity::Activity;
use conductor::emails::{ContractSummary, ContractUpdated, Mailing};
use conductor::start::{self, Start};
use conductor::{items, store};
use model::Stamp;
use model::entities::{flow, flow_stage, stage, user, work_item, work_item_activity, work_item_file};
use platform::mail::{Email, Sender};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// The start of a Windows program.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00PE\x00\x00 program";

/// The settings of these tests: the original's prefix and a sender of Conductor's own.
const ENV: &[(&str, &str)] = &[
    ("MAIL_SUBJECT_PREFIX", "[Pittsburgh Purchasing]"),
    ("CONDUCTOR_SENDER", "Conductor <conductor@buy.example.gov>"),
];

fn mail(app: &TestApp) -> Mailing<'_> {
    Mailing::of(&app.state)
}

/// A flow "Renewal" of stages Review (with a default message) and Sign.
async fn renewal_flow(app: &TestApp) -> i32 {
    let db = &app.state.db;
    let now = Utc::now();
    let f = flow::ActiveModel { name: Set("Renewal".into()), is_archived: Set(false), ..Stamp::created(None, now) }
        .insert(db)
        .await
        .expect("flow");
    let stages = [("Review", Some("Please review the attached terms.\nReply with questions.")), ("Sign", None)];
    for (position, (name, message)) in stages.into_iter().enumerate() {
        let s = stage::ActiveModel {
            name: Set(name.into()),
            post_opportunities: Set(false),
            default_message: Set(message.map(str::to_owned)),
            target_days: Set(None),
            ..Stamp::created(None, now)
        }
        .insert(db)
        .await
        .expect("stage");
        let position = i32::try_from(position).expect("small");
        flow_stage::ActiveModel { flow_id: Set(f.id), position: Set(position), stage_id: Set(s.id) }
            .insert(db)
            .await
            .expect("flow stage");
    }
    f.id
}

/// Who and what the tests work with.
struct Cast {
    /// Conductor-level, named Cora Lee; she starts the work, assigned to herself.
    cora: CurrentUser,
    staff: CurrentUser,
    flow: i32,
    works: i32,
    parent: model::entities::contract::Model,
}

async fn cast(app: &TestApp) -> Cast {
    let db = &app.state.db;
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(app).await;
    let mut named: user::ActiveModel = user::Entity::find_by_id(cora.id).one(db).await.expect("q").expect("u").into();
    named.first_name = Set(Some("Cora".into()));
    named.last_name = Set(Some("Lee".into()));
    named.update(db).await.expect("name");
    let cora = accounts::users::current_user(db, cora.id).await.expect("q").expect("cora");
    let works = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
    Cast {
        cora,
        staff: User::new("sam@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await,
        flow: renewal_flow(app).await,
        works,
        parent: Contract::new("Road salt").controller("4321").insert(app).await,
    }
}

fn start_form(c: &Cast, assignee: i32) -> Start {
    Start {
        description: "Road salt 2027".into(),
        flow_id: Some(c.flow),
        assignee_id: Some(assignee),
        department_id: Some(c.works),
        at: Some(Utc::now() - Duration::hours(1)),
    }
}

/// Cora starts the renewal of the parent, assigned to herself (no email).
async fn started(app: &TestApp, c: &Cast) -> work_item::Model {
    let form = start_form(c, c.cora.id);
    start::renewal(&app.state.db, &mail(app), Some(&c.cora), c.parent.id, &form, Utc::now()).await.expect("start")
}

/// A browser signed in as `who`.
async fn as_user<'a>(app: &'a TestApp, who: &CurrentUser) -> Browser<'a> {
    let browser = Browser::new(app);
    browser.sign_in(who.id).await;
    browser
}

/// POSTs a multipart form of text `fields` and `files` (field, name, bytes) as a page of this
/// site would, or (`cross_site`) as another site's page would.
async fn post_form(
    browser: &Browser<'_>,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
    cross_site: bool,
) -> Response {
    let boundary = "conductor-test-boundary-51c2";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (field, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let (origin, site) =
        if cross_site { ("https://evil.example.com", "cross-site") } else { ("http://localhost", "same-origin") };
    let builder = Request::post(path)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("origin", origin)
        .header("sec-fetch-site", site);
    browser.send(builder, Body::from(body)).await
}

fn email_path(id: i32) -> String {
    format!("/conductor/items/{id}/email")
}

/// The valid update of acceptance 18.
const UPDATE: &[(&str, &str)] = &[
    ("to", "a@x.org; B@x.org"),
    ("cc", "c@x.org"),
    ("subject", "Renewal terms"),
    ("body", "Hello,\r\n\r\nThe new terms are attached.\r\nCora"),
];

/// The update entries of item `id`'s log.
async fn updates_logged(app: &TestApp, id: i32) -> Vec<(work_item_activity::Model, Activity)> {
    work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(id))
        .filter(work_item_activity::Column::Kind.eq("update_email"))
        .order_by_asc(work_item_activity::Column::Id)
        .all(&app.state.db)
        .await
        .expect("q")
        .into_iter()
        .map(|row| {
            let activity = Activity::read(&row.kind, &row.detail).expect("readable");
            (row, activity)
        })
        .collect()
}

/// Acceptance 18: an invalid To is refused with the original's message, keeping what was typed
/// and nothing else; a valid update is one message (To a and b, Cc c, from CONDUCTOR_SENDER,
/// replies to the sender, the prefixed subject) carrying its PDF, logged with the Cc and the
/// attachment's name, the file downloadable from the item and from no other.
async fn an_update_is_one_message_with_its_files_kept(backend: Backend) {
    let Some(app) = TestApp::new(backend, ENV).await else { return };
    let c = cast(&app).await;
    let work = started(&app, &c).await;
    // Who "Add contacts" suggests: the department's staff and the parent's followers.
    User::new("dana@pittsburghpa.gov").department("Department of Public Works").insert(&app).await;
    let follower = Browser::sign_in_as(&app, "fran@pittsburghpa.gov", &[Role::Staff]).await;
    let followed = follower.post(&format!("/scout/contracts/{}/follow", c.parent.id), &[]).await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER, "{}", followed.body);
    let cora = as_user(&app, &c.cora).await;

    let page = cora.get(&email_path(work.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        "Send an update",
        "Road salt 2027",
        "Please review the attached terms.\nReply with questions.</textarea>",
        "Add contacts",
        "dana@pittsburghpa.gov",
        "fran@pittsburghpa.gov",
        "name=\"attachments\" type=\"file\" multiple",
    ] {
        assert!(page.body.contains(shown), "{shown:?} not in the form:\n{}", page.body);
    }

    // An invalid address: the form again, as typed, and nothing stored, sent or logged.
    let mut bad: Vec<(&str, &str)> = UPDATE.to_vec();
    bad[0] = ("to", "a@x.org; bad");
    let refused = post_form(&cora, &email_path(work.id), &bad, &[("attachments", "terms.pdf", PDF)], false).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("One of the supplied emails is invalid!"), "{}", refused.body);
    assert!(refused.body.contains("Please correct the form"), "the error summary: {}", refused.body);
    assert!(refused.body.contains("value=\"a@x.org; bad\""), "what was typed is kept: {}", refused.body);
    assert!(refused.body.contains("choose the files again"), "{}", refused.body);
    assert_eq!(common::stored_files(&app).await, 0, "the refused form's file is not kept");
    assert!(app.queued_emails().await.is_empty());
    assert!(updates_logged(&app, work.id).await.is_empty());

    let sent = post_form(&cora, &email_path(work.id), UPDATE, &[("attachments", "terms.pdf", PDF)], false).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.header("location"), format!("/conductor/items/{}", work.id));
    let flash = cora.get("/conductor/").await;
    assert!(flash.body.contains("Sent “Renewal terms” to 3 recipients."), "{}", flash.body);

    app.run_pending_jobs().await;
    let mails = app.emails().await;
    assert_eq!(mails.len(), 1, "one message for everyone: {mails:#?}");
    let m = &mails[0];
    assert_eq!(m.from, "Conductor <conductor@buy.example.gov>");
    assert_eq!((m.to.clone(), m.cc.clone()), (vec!["a@x.org".into(), "b@x.org".into()], vec!["c@x.org".into()]));
    assert_eq!(m.reply_to.as_deref(), Some("cora@pittsburghpa.gov"));
    assert_eq!(m.subject, "[Pittsburgh Purchasing] Renewal terms");
    assert_eq!(m.text, "Hello,\n\nThe new terms are attached.\nCora");
    assert!(m.html.as_deref().is_some_and(|h| h.contains("Hello,<br>\n<br>\nThe new terms are attached.<br>\nCora")));
    assert_eq!(m.attachments.len(), 1);
    assert_eq!((m.attachments[0].filename.as_str(), m.attachments[0].bytes.as_slice()), ("terms.pdf", PDF));

    // The log: on the current stage, with the Cc and the file's name (the original kept neither).
    let item = store::load(&app.state.db, work.id).await.expect("q").expect("item");
    let logged = updates_logged(&app, work.id).await;
    assert_eq!(logged.len(), 1);
    let (row, activity) = &logged[0];
    assert_eq!(row.work_item_stage_id, item.row_id(0), "on the current stage");
    assert_eq!(row.taken_by, Some(c.cora.id));
    assert_eq!(
        activity,
        &Activity::UpdateEmail {
            to: vec!["a@x.org".into(), "b@x.org".into()],
            cc: vec!["c@x.org".into()],
            subject: "Renewal terms".into(),
            body: "Hello,\n\nThe new terms are attached.\nCora".into(),
            attachments: vec!["terms.pdf".into()],
        }
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE kind = 'conductor.item.noted'").await, 1);

    // The file is kept with the item, linked to that entry, and downloadable from it.
    let kept = work_item_file::Entity::find()
        .filter(work_item_file::Column::WorkItemId.eq(work.id))
        .all(&app.state.db)
        .await
        .expect("q");
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].activity_id, kept[0].created_by), (Some(row.id), Some(c.cora.id)));
    let file_path = format!("/conductor/items/{}/files/{}", work.id, kept[0].file_id);
    let link = cora.get(&file_path).await;
    assert_eq!(link.status, StatusCode::SEE_OTHER, "{}", link.body);
    let download = cora.get(link.header("location")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.raw, PDF);

    // Another item's file is not this item's; nor is a file that does not exist.
    let other = start::new_work(&app.state.db, &mail(&app), Some(&c.cora), &start_form(&c, c.cora.id), Utc::now())
        .await
        .expect("new work");
    let other_path = format!("/conductor/items/{}/files/{}", other.id, kept[0].file_id);
    assert_eq!(cora.get(&other_path).await.status, StatusCode::NOT_FOUND);
    for path in [format!("/conductor/items/{}/files/999999", work.id), format!("/conductor/items/{}/files/x", work.id)]
    {
        assert_eq!(cora.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // And staff may not download it.
    assert_eq!(as_user(&app, &c.staff).await.get(&file_path).await.status, StatusCode::FORBIDDEN);
}
on_both_backends!(an_update_is_one_message_with_its_files_kept);

/// Acceptance 19's files: an .exe is an "Invalid file type"; more than ten files are refused;
/// either way nothing is stored, sent or logged. And a blank form names each required field.
async fn files_of_other_types_or_too_many_are_refused(backend: Backend) {
    let Some(app) = TestApp::new(backend, ENV).await else { return };
    let c = cast(&app).await;
    let work = started(&app, &c).await;
    let cora = as_user(&app, &c.cora).await;

    let files = [("attachments", "terms.pdf", PDF), ("attachments", "setup.exe", EXE)];
    let refused = post_form(&cora, &email_path(work.id), UPDATE, &files, false).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body.contains("Invalid file type: “setup.exe” is not a PDF, Word or Excel file."),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"Renewal terms\""), "{}", refused.body);

    let eleven: Vec<(&str, &str, &[u8])> = (0..11).map(|_| ("attachments", "terms.pdf", PDF)).collect();
    let refused = post_form(&cora, &email_path(work.id), UPDATE, &eleven, false).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("Attach at most 10 files."), "{}", refused.body);

    let blank = post_form(&cora, &email_path(work.id), &[("to", " "), ("subject", ""), ("body", "")], &[], false).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST, "{}", blank.body);
    assert_eq!(blank.body.matches("This field is required.").count(), 2 * 3, "in the summary and at each field");

    assert_eq!(common::stored_files(&app).await, 0, "nothing stored");
    assert!(app.queued_emails().await.is_empty(), "nothing sent");
    assert!(updates_logged(&app, work.id).await.is_empty(), "nothing logged");
    assert_eq!(app.count("SELECT COUNT(*) FROM work_item_files").await, 0);
}
on_both_backends!(files_of_other_types_or_too_many_are_refused);

/// Only conductor-level users see the form or send (403 for staff, before any file is stored);
/// a cross-site POST is refused (403); anonymous visitors are sent to sign in; work that is no
/// longer in progress sends nothing (409).
async fn only_conductor_level_users_send_and_only_from_this_site(backend: Backend) {
    let Some(app) = TestApp::new(backend, ENV).await else { return };
    let c = cast(&app).await;
    let work = started(&app, &c).await;
    let path = email_path(work.id);
    let files = [("attachments", "terms.pdf", PDF)];

    let staff = as_user(&app, &c.staff).await;
    assert_eq!(staff.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post_form(&staff, &path, UPDATE, &files, false).await.status, StatusCode::FORBIDDEN);
    let cora = as_user(&app, &c.cora).await;
    assert_eq!(post_form(&cora, &path, UPDATE, &files, true).await.status, StatusCode::FORBIDDEN);
    let anonymous = Browser::new(&app).get(&path).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.header("location").starts_with("/sign-in"), "{}", anonymous.header("location"));
    assert_eq!(cora.get(&email_path(work.id + 1000)).await.status, StatusCode::NOT_FOUND);

    items::kill(&app.state.db, Some(&c.cora), work.id, Utc::now()).await.expect("kill");
    assert_eq!(cora.get(&path).await.status, StatusCode::CONFLICT);
    assert_eq!(post_form(&cora, &path, UPDATE, &files, false).await.status, StatusCode::CONFLICT);

    assert_eq!(common::stored_files(&app).await, 0, "no refused request stored a file");
    assert!(app.queued_emails().await.is_empty());
    assert!(updates_logged(&app, work.id).await.is_empty());
}
on_both_backends!(only_conductor_level_users_send_and_only_from_this_site);

/// Acceptance 16's email: the assignee hears once per assignment, when work starts and when it
/// is given to someone new; nobody hears of their own action, and nothing repeats.
async fn each_assignment_emails_the_assignee_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, ENV).await else { return };
    let c = cast(&app).await;
    let db = &app.state.db;
    let una = User::new("una@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let otto = User::new("otto@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let m = mail(&app);

    let work = start::renewal(db, &m, Some(&c.cora), c.parent.id, &start_form(&c, una.id), Utc::now()).await;
    let work = work.expect("start");
    let again = start::renewal(db, &m, Some(&c.cora), c.parent.id, &start_form(&c, una.id), Utc::now()).await;
    assert_eq!(again.expect("again").id, work.id, "a double submit starts nothing");
    let heard = app.emails_to("una@pittsburghpa.gov").await;
    assert_eq!(heard.len(), 1, "once: {heard:#?}");
    assert_eq!(heard[0].subject, "[Pittsburgh Purchasing] You have been assigned: Road salt 2027");
    assert_eq!(heard[0].from, "Conductor <conductor@buy.example.gov>");
    assert_eq!(heard[0].reply_to.as_deref(), Some("cora@pittsburghpa.gov"), "replies go to who assigned it");
    let link = heard[0].link("http").expect("a link");
    assert!(link.ends_with(&format!("/conductor/items/{}", work.id)), "{link}");
    assert!(url::Url::parse(&link).is_ok(), "absolute: {link}");
    assert!(heard[0].text.contains("Now at: Review"), "{}", heard[0].text);

    // Reassigned to Otto: he hears, once; again to him changes nothing and sends nothing.
    assert_eq!(items::reassign(db, &m, Some(&c.cora), &[work.id], otto.id, Utc::now()).await.expect("to otto"), 1);
    assert_eq!(items::reassign(db, &m, Some(&c.cora), &[work.id], otto.id, Utc::now()).await.expect("again"), 0);
    assert_eq!(app.emails_to("otto@pittsburghpa.gov").await.len(), 1);
    // Back to Una by Otto: she hears a second time (a new assignment).
    items::reassign(db, &m, Some(&otto), &[work.id], una.id, Utc::now()).await.expect("to una");
    assert_eq!(app.emails_to("una@pittsburghpa.gov").await.len(), 2);
    // Cora takes it herself, and starts new work for herself: she is told nothing.
    items::reassign(db, &m, Some(&c.cora), &[work.id], c.cora.id, Utc::now()).await.expect("to cora");
    start::new_work(db, &m, Some(&c.cora), &start_form(&c, c.cora.id), Utc::now()).await.expect("new work");
    assert!(app.emails_to("cora@pittsburghpa.gov").await.is_empty(), "nobody hears of their own action");
    // Refused reassignments send nothing.
    assert!(items::reassign(db, &m, Some(&c.cora), &[work.id], c.staff.id, Utc::now()).await.is_err());
    assert_eq!(app.emails().await.len(), 3, "Una twice, Otto once");
}
on_both_backends!(each_assignment_emails_the_assignee_once);

// ---- Snapshots of the three emails (tests/snapshots/conductor_*.snap). ----

/// Placeholders for what differs between runs.
const FILTERS: &[(&str, &str)] = &[(r"<[0-9a-f]{32}@", "<[MESSAGE-ID]@"), (r"/(items|contracts)/[0-9]+", "/$1/[ID]")];

/// The message as a reader would see it, headers first, then its parts and files.
fn show(mail: &Mail) -> String {
    let mut out = format!("From: {}\nTo: {}\n", mail.from, mail.to.join(", "));
    if !mail.cc.is_empty() {
        out.push_str(&format!("Cc: {}\n", mail.cc.join(", ")));
    }
    if let Some(reply_to) = &mail.reply_to {
        out.push_str(&format!("Reply-To: {reply_to}\n"));
    }
    out.push_str(&format!("Subject: {}\nMessage-ID: {}\n", mail.subject, mail.message_id));
    out.push_str("\n----- text/plain -----\n");
    out.push_str(&mail.text);
    if let Some(html) = &mail.html {
        out.push_str("\n----- text/html -----\n");
        out.push_str(html);
    }
    for file in &mail.attachments {
        out.push_str(&format!(
            "\n----- attached: {} ({}, {} bytes) -----",
            file.filename,
            file.content_type,
            file.bytes.len()
        ));
    }
    out
}

fn snapshot(name: &str, mail: &Mail) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (pattern, placeholder) in FILTERS {
        settings.add_filter(pattern, *placeholder);
    }
    settings.bind(|| insta::assert_snapshot!(name, show(mail)));
}

#[tokio::test]
async fn conductor_assigned() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let c = cast(&app).await;
    let una = User::new("una@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let form = start_form(&c, una.id);
    start::renewal(&app.state.db, &mail(&app), Some(&c.cora), c.parent.id, &form, Utc::now()).await.expect("start");
    snapshot("conductor_assigned", &app.emails_to("una@pittsburghpa.gov").await[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conductor_update() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let c = cast(&app).await;
    let work = started(&app, &c).await;
    let cora = as_user(&app, &c.cora).await;
    let fields = [
        ("to", "a@x.org; b@x.org"),
        ("cc", "c@x.org"),
        ("subject", "Renewal terms for road salt"),
        (
            "body",
            "Hello all,\r\n\r\nThe renewal's terms are attached: <b>read</b> them & reply by Friday.\r\nThanks,\r\nCora",
        ),
    ];
    let sent = post_form(&cora, &email_path(work.id), &fields, &[("attachments", "terms.pdf", PDF)], false).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    app.run_pending_jobs().await;
    snapshot("conductor_update", &app.emails().await[0]);
}

fn summary(description: &str, controller: &str, spec: Option<&str>, companies: &[&str], id: i32) -> ContractSummary {
    ContractSummary {
        description: description.into(),
        expiration: Some(NaiveDate::from_ymd_opt(2028, 6, 30).expect("day").format("%B %-d, %Y").to_string()),
        controller_number: Some(controller.into()),
        spec_number: spec.map(str::to_owned),
        companies: companies.iter().map(|c| (*c).to_owned()).collect(),
        link: format!("http://localhost:8000/scout/contracts/{id}"),
    }
}

#[tokio::test]
async fn conductor_contract_updated() {
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let mut previous = summary("Road salt [Archived]", "4321", Some("7710"), &["Morton Salt"], 1);
    previous.expiration = Some("June 30, 2026".into());
    let message = ContractUpdated {
        previous,
        successors: vec![
            summary("Road salt", "1234", Some("7710"), &["Morton Salt", "Cargill"], 2),
            ContractSummary {
                expiration: None,
                spec_number: None,
                companies: vec![],
                ..summary("Road salt (north)", "5678", None, &[], 3)
            },
        ],
    };
    let to = vec!["fran@pittsburghpa.gov".to_owned()];
    let email = Email::compose(&app.state.templates, &message, Sender::Conductor, to, "localhost").expect("render");
    snapshot("conductor_contract_updated", &Mail::of_queued(&email, &app.state.config.mail));
}

#[tokio::test]
async fn conductor_reminder() {
    use conductor::reminders::{Behind, Reminder};
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let to = || vec!["dana@pittsburghpa.gov".to_owned()];
    let not_started = Reminder {
        description: "Road salt".into(),
        expires: "March 6, 2027".into(),
        days_left: 90,
        behind: None,
        link: "http://localhost:8000/conductor/contracts/7/start".into(),
    };
    let email =
        Email::compose(&app.state.templates, &not_started, Sender::Conductor, to(), "localhost").expect("render");
    snapshot("conductor_reminder_not_started", &Mail::of_queued(&email, &app.state.config.mail));
    let behind = Reminder {
        days_left: 1,
        behind: Some(Behind { stage: "Legal review".into(), days: 15, target_days: 10 }),
        link: "http://localhost:8000/conductor/items/3".into(),
        ..not_started
    };
    let email = Email::compose(&app.state.templates, &behind, Sender::Conductor, to(), "localhost").expect("render");
    snapshot("conductor_reminder_behind", &Mail::of_queued(&email, &app.state.config.mail));
}

#[tokio::test]
async fn conductor_digest() {
    use conductor::digest::{Digest, Line};
    let app = TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let line = |description: &str, stage: &str, days, over, expires: Option<&str>, id: i32| Line {
        description: description.into(),
        stage: stage.into(),
        days,
        target_days: Some(10),
        over,
        expires: expires.map(str::to_owned),
        link: format!("http://localhost:8000/conductor/items/{id}"),
    };
    let salt = line("Road salt 2027", "Legal review", 15, Some(5), Some("February 1, 2027"), 3);
    let message = Digest {
        week: "December 7, 2026".into(),
        overdue: vec![salt.clone()],
        on_track: vec![line("Traffic cones", "Quote", 1, None, None, 4)],
        expiring: vec![salt],
        link: "http://localhost:8000/conductor/?who=mine".into(),
    };
    let to = vec!["cora@pittsburghpa.gov".to_owned()];
    let email = Email::compose(&app.state.templates, &message, Sender::Conductor, to, "localhost").expect("render");
    snapshot("conductor_digest", &Mail::of_queued(&email, &app.state.config.mail));
}
