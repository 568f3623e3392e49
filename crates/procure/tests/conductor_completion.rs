//! Conductor's end of the work (issue 15; research/conductor.md §3.4, §4.8, §11): posting to
//! Beacon (acceptance 21) and the completion wizard (9, 22-25), through the pages and the
//! services, on both databases: one successor per controller number, the parent archived with
//! its followers moved, each former follower told once, Scout's search current at once, and a
//! finish that applies once however often (or however concurrently) it is submitted.

mod common;

use accounts::{CurrentUser, Role, ServiceError};
use chrono::{Duration, Utc};
use common::browser::Browser;
use common::builders::{Company, Contract, User};
use common::{Backend, TestApp};
use conductor::completion::{self, CompanyRow, ContactRow, ContractStep, Wizard};
use conductor::start::{self, Start};
use conductor::workflow::machine::State;
use conductor::{store, transitions};
use model::Stamp;
use model::entities::{
    company, company_contact, contract, contract_company, contract_follower, contract_property, flow, flow_stage,
    opportunity, stage, work_item, work_item_activity,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// A flow of stages named `names`; the stage named `posting` (if any) posts opportunities.
async fn flow_of(app: &TestApp, name: &str, names: &[&str], posting: Option<&str>) -> i32 {
    let now = Utc::now();
    let db = &app.state.db;
    let f = flow::ActiveModel { name: Set(name.into()), is_archived: Set(false), ..Stamp::created(None, now) }
        .insert(db)
        .await
        .expect("flow");
    for (position, stage_name) in names.iter().enumerate() {
        let s = stage::ActiveModel {
            name: Set((*stage_name).into()),
            post_opportunities: Set(posting == Some(*stage_name)),
            default_message: Set(None),
            target_days: Set(Some(7)),
            ..Stamp::created(None, now)
        }
        .insert(db)
        .await
        .expect("stage");
        flow_stage::ActiveModel {
            flow_id: Set(f.id),
            position: Set(i32::try_from(position).expect("small")),
            stage_id: Set(s.id),
        }
        .insert(db)
        .await
        .expect("flow stage");
    }
    f.id
}

struct Cast {
    conductor: CurrentUser,
    staff: CurrentUser,
    /// Follow the parent.
    followers: Vec<CurrentUser>,
    parent: contract::Model,
    work: work_item::Model,
}

/// "Road salt" (controller 4321, spec B-100, held by Salt Co, followed by two users) being
/// renewed as "Road salt 2027" through Review → Post (posts to Beacon) → Sign, started ten days
/// ago by a conductor.
async fn cast(app: &TestApp, followed: bool) -> Cast {
    let db = &app.state.db;
    let conductor = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(app).await;
    let staff = User::new("sam@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await;
    let flow = flow_of(app, "Renewal", &["Review", "Post", "Sign"], Some("Post")).await;
    let parent = Contract::new("Road salt")
        .controller("4321")
        .company("Salt Co")
        .expires(Utc::now().date_naive() + Duration::days(40))
        .insert(app)
        .await;
    contract_property::ActiveModel {
        contract_id: Set(parent.id),
        key: Set("spec number".into()),
        value: Set(Some("B-100".into())),
        ..Stamp::created(None, Utc::now())
    }
    .insert(db)
    .await
    .expect("spec");
    let mut followers = Vec::new();
    if followed {
        for email in ["fay@pittsburghpa.gov", "finn@pittsburghpa.gov"] {
            let f = User::new(email).roles(&[Role::Staff]).insert(app).await;
            contract_follower::ActiveModel {
                contract_id: Set(parent.id),
                user_id: Set(f.id),
                ..Stamp::created(None, Utc::now())
            }
            .insert(db)
            .await
            .expect("follow");
            followers.push(f);
        }
    }
    let form = Start {
        description: "Road salt 2027".into(),
        flow_id: Some(flow),
        assignee_id: Some(conductor.id),
        department_id: accounts::users::department_id(db, "Department of Public Works").await.expect("q"),
        at: Some(Utc::now() - Duration::days(10)),
    };
    let mail = conductor::emails::Mailing::of(&app.state);
    let work = start::renewal(db, &mail, Some(&conductor), parent.id, &form, Utc::now()).await.expect("start");
    Cast { conductor, staff, followers, parent, work }
}

/// Completes the item's next `n` stages, a day apart.
async fn complete(app: &TestApp, c: &Cast, n: usize) -> State {
    let mut state = State::NotStarted;
    for _ in 0..n {
        let item = store::load(&app.state.db, c.work.id).await.expect("q").expect("item");
        let i = item.progress().current.expect("current");
        let at = item.rows[i].entered_at.expect("entered") + Duration::days(1);
        state = transitions::complete(&app.state.db, Some(&c.conductor), c.work.id, at, Utc::now())
            .await
            .expect("complete");
    }
    state
}

/// The page's text with the HTML escapes of quotes, slashes and ampersands undone.
fn text(body: &str) -> String {
    body.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

async fn signed_in<'a>(app: &'a TestApp, user: &CurrentUser) -> Browser<'a> {
    let browser = Browser::new(app);
    browser.sign_in(user.id).await;
    browser
}

fn path(id: i32, rest: &str) -> String {
    format!("/conductor/items/{id}/{rest}")
}

/// Acceptance 9 and 25: the wizard opens once the last stage is complete (409 before, 404 for
/// no item, 403 for staff, sign-in for visitors); "Revert to the last stage" reopens it.
async fn a_finished_flow_opens_the_wizard_and_revert_reopens_it(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app, false).await;
    let me = signed_in(&app, &c.conductor).await;
    let step1 = path(c.work.id, "finish/contract");

    assert_eq!(me.get("/conductor/items/999999/finish/contract").await.status, 404);
    assert_eq!(me.get(&step1).await.status, 409, "at the first stage");
    assert!(matches!(completion::open(&app.state.db, Some(&c.conductor), 999_999).await, Err(ServiceError::NotFound)));
    assert_eq!(complete(&app, &c, 2).await, State::AtStage(2));
    assert_eq!(me.get(&step1).await.status, 409, "at the last stage, not yet complete");
    assert!(matches!(
        completion::open(&app.state.db, Some(&c.conductor), c.work.id).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(me.get(&path(c.work.id, "finish/companies")).await.status, 409);
    assert_eq!(me.post(&step1, &[("description", "x")]).await.status, 409, "nothing saved either");
    assert_eq!(me.post(&path(c.work.id, "finish/revert"), &[]).await.status, 409, "the last stage is open");

    assert_eq!(complete(&app, &c, 1).await, State::Finished);
    let page = me.get(&step1).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = text(&page.body);
    assert!(body.contains("usa-step-indicator") && body.contains("Contract details"), "{body}");
    assert!(body.contains("value=\"Road salt 2027\""), "the successor's description");
    assert!(body.contains("value=\"B-100\""), "the parent's spec number");
    assert!(body.contains("Revert to the last stage"));
    assert!(body.contains(&format!("action=\"/conductor/items/{}/finish/revert\"", c.work.id)));
    let staff = signed_in(&app, &c.staff).await;
    assert_eq!(staff.get(&step1).await.status, 403);
    assert_eq!(staff.post(&path(c.work.id, "finish/revert"), &[]).await.status, 403);
    let visitor = Browser::new(&app).get(&step1).await;
    assert!(visitor.status.is_redirection() && visitor.header("location").starts_with("/sign-in"));

    let reverted = me.post(&path(c.work.id, "finish/revert"), &[]).await;
    assert_eq!(reverted.status, 303, "{}", reverted.body);
    assert_eq!(reverted.header("location"), format!("/conductor/items/{}", c.work.id));
    let item = store::load(&app.state.db, c.work.id).await.expect("q").expect("item");
    assert_eq!(item.progress().state(), State::AtStage(2), "the last stage is open again");
    assert_eq!(me.get(&step1).await.status, 409);
    let reversions = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(c.work.id))
        .filter(work_item_activity::Column::Kind.eq("reversion"))
        .all(&app.state.db)
        .await
        .expect("q");
    assert_eq!(reversions.len(), 1);
}
on_both_backends!(a_finished_flow_opens_the_wizard_and_revert_reopens_it);

/// The form a staff member would fill in on the Beacon page.
fn opportunity_form<'a>(
    title: &'a str,
    department: &'a str,
    kind: &'a str,
    days: &'a [String; 3],
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("description", "Rock salt for the winter, delivered to the city's salt domes."),
        ("department", department),
        ("contract_type", kind),
        ("contact", ""),
        ("planned_publish", &days[0]),
        ("planned_submission_start", &days[1]),
        ("planned_submission_end", &days[2]),
        ("planned_submission_end_time", "14:00"),
    ]
}

/// Acceptance 21: posting from a stage that does not post opportunities is a 403 (page and
/// service); the first post drafts one opportunity made from the successor ("created"), which
/// awaits Beacon's approval like any staff draft; the second updates it ("updated"); Beacon's
/// checks and contact rule refuse a bad form with what was typed kept.
async fn posting_to_beacon_drafts_then_updates_one_opportunity(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app, false).await;
    let db = &app.state.db;
    let me = signed_in(&app, &c.conductor).await;
    let beacon_page = path(c.work.id, "beacon");
    let kind = common::builders::bid_type(&app).await.to_string();
    let department =
        accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept").to_string();
    let today = app.state.config.site.today();
    let days = [today.to_string(), (today + Duration::days(1)).to_string(), (today + Duration::days(30)).to_string()];

    // At "Review", which does not post.
    assert_eq!(me.get(&beacon_page).await.status, 403);
    assert_eq!(me.post(&beacon_page, &opportunity_form("Salt", &department, &kind, &days)).await.status, 403);
    let draft = beacon::lifecycle::Draft { title: "Salt".into(), ..beacon::lifecycle::Draft::default() };
    let links = common::beacon::links(&app);
    let mailing = common::beacon::mailing(&app, &links);
    assert!(matches!(
        conductor::post::post(db, Some(&c.conductor), c.work.id, &draft, &mailing, Utc::now()).await,
        Err(ServiceError::Denied(accounts::Denied::Forbidden))
    ));
    assert_eq!(opportunity::Entity::find().all(db).await.expect("q").len(), 0);

    complete(&app, &c, 1).await;
    let staff = signed_in(&app, &c.staff).await;
    assert_eq!(staff.get(&beacon_page).await.status, 403, "staff may not post work");
    let form = me.get(&beacon_page).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(text(&form.body).contains("value=\"Road salt 2027\""), "the title defaults to the description");

    // Beacon's own rules: a title, and a contact who is a city employee.
    let mut bad = opportunity_form("", &department, &kind, &days);
    bad.push(("contact", "someone@example.com"));
    bad.retain(|(k, v)| *k != "contact" || !v.is_empty());
    let refused = me.post(&beacon_page, &bad).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let body = text(&refused.body);
    assert!(body.contains("Give the opportunity a title."), "{body}");
    assert!(body.contains("The contact must be a city employee"), "{body}");
    assert!(body.contains("value=\"someone@example.com\""), "what was typed is kept");
    assert_eq!(opportunity::Entity::find().all(db).await.expect("q").len(), 0);

    let first = me.post(&beacon_page, &opportunity_form("Road Salt 2027", &department, &kind, &days)).await;
    assert_eq!(first.status, 303, "{}", first.body);
    assert_eq!(first.header("location"), format!("/conductor/items/{}", c.work.id));
    let made = opportunity::Entity::find().all(db).await.expect("q");
    assert_eq!(made.len(), 1);
    let o = &made[0];
    assert_eq!(o.created_from_id, Some(c.work.contract_id), "made from the successor");
    assert!(!o.is_public && o.published_at.is_none(), "a draft awaiting approval");
    assert_eq!(o.contact_id, Some(c.conductor.id), "a blank contact is the author");
    let flash = text(&me.get("/conductor/").await.body);
    assert!(flash.contains("Created the Beacon opportunity") && flash.contains(&format!("/beacon/admin/{}", o.id)));
    let subjects: Vec<String> = app.emails().await.into_iter().map(|m| m.subject).collect();
    assert!(subjects.iter().any(|s| s.contains("Road Salt 2027")), "Beacon's approval emails: {subjects:?}");

    let second = me.post(&beacon_page, &opportunity_form("Road Salt 2027-28", &department, &kind, &days)).await;
    assert_eq!(second.status, 303, "{}", second.body);
    let made = opportunity::Entity::find().all(db).await.expect("q");
    assert_eq!(made.len(), 1, "one opportunity per work item");
    assert_eq!(made[0].title, "Road Salt 2027-28");
    assert!(text(&me.get("/conductor/").await.body).contains("Updated the Beacon opportunity"));
    let posts: Vec<conductor::activity::Activity> = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(c.work.id))
        .filter(work_item_activity::Column::Kind.eq("beacon_post"))
        .order_by_asc(work_item_activity::Column::Id)
        .all(db)
        .await
        .expect("q")
        .iter()
        .filter_map(|e| conductor::activity::Activity::read(&e.kind, &e.detail))
        .collect();
    assert_eq!(
        posts,
        [
            conductor::activity::Activity::BeaconPost {
                opportunity_id: o.id,
                title: "Road Salt 2027".into(),
                created: true
            },
            conductor::activity::Activity::BeaconPost {
                opportunity_id: o.id,
                title: "Road Salt 2027-28".into(),
                created: false
            },
        ]
    );
    // Approved in Beacon like any draft.
    let approved = beacon::lifecycle::approve(db, Some(&c.conductor), o.id, Utc::now(), today).await.expect("approve");
    assert!(approved.is_public && approved.published_at.is_some());
}
on_both_backends!(posting_to_beacon_drafts_then_updates_one_opportunity);

/// Acceptance 22 and the link rule: step 1 needs its fields and takes a link by its shape
/// (javascript: refused, https taken); step 2 refuses existing + new in one row, a name without
/// a number, a number that is not one, and a number without a company, with the original's
/// messages, keeping what was typed; "Add more rows" gives more rows.
async fn wizard_steps_refuse_what_the_original_refused(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app, false).await;
    complete(&app, &c, 3).await;
    let me = signed_in(&app, &c.conductor).await;
    let step1 = path(c.work.id, "finish/contract");
    let step2 = path(c.work.id, "finish/companies");
    let acme = Company::new("Acme Salt").insert(&app).await;

    assert_eq!(me.get(&step2).await.status, 303, "step 1 first");
    let details = |spec: &'static str, link: &'static str| {
        vec![("description", "Road salt 2027"), ("expiration", "2028-06-30"), ("spec_number", spec), ("link", link)]
    };
    let refused = me.post(&step1, &details("", "javascript:alert(1)")).await;
    assert_eq!(refused.status, 400);
    let body = text(&refused.body);
    assert!(body.contains("This field is required."), "{body}");
    assert!(body.contains("starting with https:// or http://"), "{body}");
    assert!(body.contains("value=\"javascript:alert(1)\""), "kept as typed");
    let saved = me.post(&step1, &details("B-200", "https://example.org/salt.pdf")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), step2);

    let page = me.get(&step2).await;
    assert_eq!(page.status, 200);
    assert!(text(&page.body).contains("name=\"rows\" value=\"4\""), "the parent's company and room for more");
    let id = acme.id.to_string();
    let rows = [
        ("rows", "4"),
        ("company-0-company_id", id.as_str()),
        ("company-0-new_name", "Acme Salt Two"),
        ("company-0-controller_number", "1234"),
        ("company-1-new_name", "Brine Bros"),
        ("company-2-company_id", id.as_str()),
        ("company-2-controller_number", "12a"),
        ("company-3-controller_number", "77"),
    ];
    let refused = me.post(&step2, &rows).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let body = text(&refused.body);
    for message in [
        "You cannot choose both this and \"New company\"",
        "You cannot choose both this and \"Existing company\"",
        "You filled out \"New company\" but left this blank -- please fill this out as well.",
        "This must be an integer!",
        "You must fill out either this or \"New company\"",
    ] {
        assert!(body.contains(message), "{message}: {body}");
    }
    assert!(body.contains("value=\"Brine Bros\"") && body.contains("value=\"12a\""), "typed values kept");
    let item = work_item::Entity::find_by_id(c.work.id).one(&app.state.db).await.expect("q").expect("item");
    let draft: Wizard = serde_json::from_str(item.wizard.as_deref().expect("a draft")).expect("json");
    assert!(draft.contract_done && !draft.companies_done, "step 2 not saved");
    assert_eq!(draft.contract.spec_number, "B-200");

    let mut more = rows.to_vec();
    more.push(("add_rows", "1"));
    let wider = me.post(&step2, &more).await;
    assert_eq!(wider.status, 200);
    let body = text(&wider.body);
    assert!(body.contains("name=\"rows\" value=\"8\"") && body.contains("company-7-new_name"), "{body}");
    assert!(body.contains("value=\"Brine Bros\""), "rows kept");
    assert_eq!(me.get(&path(c.work.id, "finish/contacts")).await.status, 303, "step 2 first");
}
on_both_backends!(wizard_steps_refuse_what_the_original_refused);

/// The names of the companies holding contract `id`, sorted.
async fn holders(db: &impl ConnectionTrait, id: i32) -> Vec<String> {
    let ids: Vec<i32> = contract_company::Entity::find()
        .filter(contract_company::Column::ContractId.eq(id))
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|l| l.company_id)
        .collect();
    let mut names: Vec<String> = company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}

/// Acceptance 23 and 24 through the pages: X:1234, Y (new):1234, Z:5678 make two visible
/// successors (1234 the item's own, with X and Y; 5678 with Z), with the details, the spec
/// number, the link exactly as typed (never fetched), the parent archived, hidden and suffixed
/// once, its followers on both, as a fresh connection sees it; Scout's search finds both at
/// once; each former follower gets one email naming both; a double submit changes nothing.
async fn finishing_makes_a_successor_per_controller_number(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app, true).await;
    complete(&app, &c, 3).await;
    let db = &app.state.db;
    let me = signed_in(&app, &c.conductor).await;
    let x = Company::new("Xylo Supply").insert(&app).await;
    let z = Company::new("Zinc Inc").insert(&app).await;
    let link = "http://127.0.0.1:9/contract.pdf";

    let step = me
        .post(
            &path(c.work.id, "finish/contract"),
            &[
                ("description", "Road salt 2027"),
                ("expiration", "2028-06-30"),
                ("spec_number", "B-200"),
                ("link", link),
            ],
        )
        .await;
    assert_eq!(step.status, 303, "{}", step.body);
    let (xs, zs) = (x.id.to_string(), z.id.to_string());
    let step = me
        .post(
            &path(c.work.id, "finish/companies"),
            &[
                ("rows", "4"),
                ("company-0-company_id", xs.as_str()),
                ("company-0-controller_number", "1234"),
                ("company-1-new_name", "Yellow Trucks"),
                ("company-1-controller_number", "1234"),
                ("company-2-company_id", zs.as_str()),
                ("company-2-controller_number", "5678"),
            ],
        )
        .await;
    assert_eq!(step.status, 303, "{}", step.body);
    let contacts = path(c.work.id, "finish/contacts");
    let page = me.get(&contacts).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = text(&page.body);
    let (xp, yp, zp) = (body.find("Xylo Supply"), body.find("Yellow Trucks"), body.find("Zinc Inc"));
    assert!(xp < yp && yp < zp && xp.is_some(), "by controller number, then as entered");

    let mut filled = vec![
        ("contacts-0", "1"),
        ("contacts-1", "1"),
        ("contacts-2", "1"),
        ("contact-0-0-first_name", "Pat"),
        ("contact-0-0-last_name", "Lee"),
        ("contact-0-0-city", "Pittsburgh"),
        ("contact-0-0-email", "pat@xylo.example"),
    ];
    let mut bad = filled.clone();
    bad.push(("contact-0-0-phone_number", "4125550100"));
    let refused = me.post(&contacts, &bad).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let body = text(&refused.body);
    assert!(body.contains("Please enter numbers in XXX-XXX-XXXX format"), "{body}");
    assert!(body.contains("Field must be 5 characters long."), "{body}");
    filled.push(("contact-0-0-phone_number", "412-555-0100"));
    filled.push(("contact-0-0-zip_code", "15219"));
    let version = platform::freshness::version(db, scout::freshness::DATA).await.expect("version");
    let done = me.post(&contacts, &filled).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let raised = platform::freshness::version(db, scout::freshness::DATA).await.expect("version");
    assert!(raised > version, "Scout's cached pages are made afresh");
    assert_eq!(done.header("location"), path(c.work.id, "finished"));

    // Scout's search finds both at once; the parent no longer.
    let search = scout::search::search(
        db,
        &scout::search::Request {
            q: "salt".into(),
            page: 1,
            today: Some(app.state.config.site.today()),
            ..Default::default()
        },
    )
    .await
    .expect("search");
    let mut found: Vec<i32> = search.hits.iter().map(|h| h.contract_id).collect();
    found.sort_unstable();

    // As a fresh connection sees it.
    let fresh = platform::db::connect(&app.state.config.database).await.expect("connect");
    let successors = contract::Entity::find()
        .filter(contract::Column::ParentId.eq(c.parent.id))
        .order_by_asc(contract::Column::Id)
        .all(&fresh)
        .await
        .expect("q");
    assert_eq!(successors.len(), 2, "{successors:?}");
    let own = successors.iter().find(|s| s.id == c.work.contract_id).expect("the item's own");
    let sibling = successors.iter().find(|s| s.id != c.work.contract_id).expect("a sibling");
    assert_eq!((own.financial_id.as_deref(), sibling.financial_id.as_deref()), (Some("1234"), Some("5678")));
    assert_eq!(sibling.contract_type_id, own.contract_type_id);
    for s in &successors {
        assert!(s.is_visible && !s.is_archived, "{s:?}");
        assert_eq!(s.description.as_deref(), Some("Road salt 2027"));
        assert_eq!(s.expiration_date.map(|d| d.to_string()).as_deref(), Some("2028-06-30"));
        assert_eq!(s.contract_href.as_deref(), Some(link), "stored as typed, never requested");
        let spec = completion::spec_of(&fresh, s.id).await.expect("q").and_then(|p| p.value);
        assert_eq!(spec.as_deref(), Some("B-200"));
        let mut following: Vec<i32> = contract_follower::Entity::find()
            .filter(contract_follower::Column::ContractId.eq(s.id))
            .all(&fresh)
            .await
            .expect("q")
            .into_iter()
            .map(|f| f.user_id)
            .collect();
        following.sort_unstable();
        assert_eq!(following, c.followers.iter().map(|f| f.id).collect::<Vec<_>>());
    }
    assert_eq!(holders(&fresh, own.id).await, ["Xylo Supply", "Yellow Trucks"]);
    assert_eq!(holders(&fresh, sibling.id).await, ["Zinc Inc"]);
    let mut expected = vec![own.id, sibling.id];
    expected.sort_unstable();
    assert_eq!(found, expected, "Scout's search: the successors, not the archived parent");
    let parent = contract::Entity::find_by_id(c.parent.id).one(&fresh).await.expect("q").expect("parent");
    assert!(parent.is_archived && !parent.is_visible);
    assert_eq!(parent.description.as_deref(), Some("Road salt [Archived]"));
    assert!(
        contract_follower::Entity::find()
            .filter(contract_follower::Column::ContractId.eq(parent.id))
            .all(&fresh)
            .await
            .expect("q")
            .is_empty(),
        "followers moved off the parent"
    );
    let item = work_item::Entity::find_by_id(c.work.id).one(&fresh).await.expect("q").expect("item");
    assert_eq!((item.status.as_str(), item.wizard.as_deref()), (work_item::COMPLETED, None));
    let pat = company_contact::Entity::find()
        .filter(company_contact::Column::CompanyId.eq(x.id))
        .all(&fresh)
        .await
        .expect("q");
    assert_eq!(pat.len(), 1);
    assert_eq!((pat[0].phone_number.as_deref(), pat[0].zip_code.as_deref()), (Some("412-555-0100"), Some("15219")));
    let logged = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(c.work.id))
        .filter(work_item_activity::Column::Kind.eq("completed"))
        .all(&fresh)
        .await
        .expect("q");
    assert_eq!(logged.len(), 1);
    assert_eq!(
        conductor::activity::Activity::read(&logged[0].kind, &logged[0].detail),
        Some(conductor::activity::Activity::Completed { successors: vec![own.id, sibling.id] })
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE kind = 'conductor.item.completed'").await, 1);

    // The success page: a card per successor, linking Scout.
    let page = me.get(&path(c.work.id, "finished")).await;
    assert_eq!(page.status, 200);
    let body = text(&page.body);
    assert!(body.contains("Successfully updated! Newly available contracts:"));
    for s in &successors {
        assert!(body.contains(&format!("href=\"/scout/contracts/{}\"", s.id)), "{body}");
    }

    // Acceptance 24: each former follower, one email naming both successors.
    for f in &c.followers {
        let mails: Vec<_> = app
            .emails_to(&f.email)
            .await
            .into_iter()
            .filter(|m| m.subject.contains("A contract you follow has been updated!"))
            .collect();
        assert_eq!(mails.len(), 1, "{}", f.email);
        assert_eq!(mails[0].reply_to.as_deref(), Some(c.conductor.email.as_str()));
        for s in &successors {
            assert!(mails[0].text.contains(&format!("/scout/contracts/{}", s.id)), "{}", mails[0].text);
        }
    }
    let before = app.emails().await.len();

    // A double submit lands on the success page and makes nothing twice.
    let again = me.post(&contacts, &filled).await;
    assert_eq!(again.status, 303);
    assert_eq!(again.header("location"), path(c.work.id, "finished"));
    assert_eq!(me.get(&path(c.work.id, "finish/contract")).await.header("location"), path(c.work.id, "finished"));
    let outbox = conductor::emails::Mailing::of(&app.state);
    assert!(matches!(
        completion::finish(db, Some(&c.conductor), c.work.id, &outbox, Utc::now()).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(
        contract::Entity::find().filter(contract::Column::ParentId.eq(c.parent.id)).all(db).await.expect("q").len(),
        2
    );
    assert_eq!(app.emails().await.len(), before, "no email twice");
    fresh.close().await.expect("close");
}
on_both_backends!(finishing_makes_a_successor_per_controller_number);

/// A draft ready to finish: the contract step and `rows`.
fn ready(rows: Vec<CompanyRow>) -> Wizard {
    Wizard {
        contract: ContractStep {
            description: "Road salt 2027".into(),
            expiration: "2028-06-30".into(),
            spec_number: "B-300".into(),
            link: String::new(),
        },
        contract_done: true,
        contacts: rows.iter().map(|_| vec![ContactRow::default()]).collect(),
        companies: rows,
        companies_done: true,
    }
}

/// Acceptance 24's other half and the service's guard: with no followers nothing is sent;
/// an incomplete draft is refused; staff are refused; of two finishes at once, exactly one
/// applies.
async fn of_two_finishes_at_once_one_applies(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let c = cast(&app, false).await;
    complete(&app, &c, 3).await;
    let db = &app.state.db;
    let now = Utc::now();
    let me = Some(&c.conductor);
    let outbox = conductor::emails::Mailing::of(&app.state);

    assert!(
        matches!(completion::finish(db, me, c.work.id, &outbox, now).await, Err(ServiceError::Invalid(_))),
        "nothing saved yet"
    );
    let rows = vec![
        CompanyRow { company_id: None, new_name: "North Salt".into(), controller_number: "11".into() },
        CompanyRow { company_id: None, new_name: "South Salt".into(), controller_number: "22".into() },
    ];
    completion::save(db, me, c.work.id, &ready(rows), now).await.expect("draft");
    assert!(matches!(
        completion::finish(db, Some(&c.staff), c.work.id, &outbox, now).await,
        Err(ServiceError::Denied(_))
    ));

    let attempt = |state: platform::http::AppState, user: CurrentUser, id: i32| async move {
        let outbox = conductor::emails::Mailing::of(&state);
        let txn = platform::db::begin_write(&state.db).await.expect("begin");
        let result = completion::finish(&txn, Some(&user), id, &outbox, Utc::now()).await;
        match &result {
            Ok(_) => txn.commit().await.expect("commit"),
            Err(_) => txn.rollback().await.expect("rollback"),
        }
        result
    };
    let first = tokio::spawn(attempt(app.state.clone(), c.conductor.clone(), c.work.id));
    let second = tokio::spawn(attempt(app.state.clone(), c.conductor.clone(), c.work.id));
    let results = [first.await.expect("task"), second.await.expect("task")];
    let applied: Vec<&Vec<i32>> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(applied.len(), 1, "{results:?}");
    assert!(results.iter().any(|r| matches!(r, Err(ServiceError::Conflict(_)))), "the other is told: {results:?}");
    assert_eq!(applied[0].len(), 2);
    let made = contract::Entity::find().filter(contract::Column::ParentId.eq(c.parent.id)).all(db).await.expect("q");
    assert_eq!(made.len(), 2, "two controller numbers, once");
    assert_eq!(
        company::Entity::find().filter(company::Column::Name.contains("Salt")).all(db).await.expect("q").len(),
        3
    );
    let parent = contract::Entity::find_by_id(c.parent.id).one(db).await.expect("q").expect("parent");
    assert_eq!(parent.description.as_deref(), Some("Road salt [Archived]"), "suffixed once");
    let c2 = app
        .emails()
        .await
        .into_iter()
        .filter(|m| m.subject.contains("A contract you follow has been updated!"))
        .count();
    assert_eq!(c2, 0, "no followers, no email");
}
on_both_backends!(of_two_finishes_at_once_one_applies);

/// Who gets what on this file's routes (the route-by-role matrix decides them too): visitors
/// are sent to sign in, staff and county users get 403 before anything is looked up, and
/// conductor-level users get 404 for an item that does not exist.
async fn each_role_gets_what_it_may(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let mine: Vec<_> = procure::app::route_table()
        .list()
        .into_iter()
        .filter(|r| {
            r.path.starts_with("/conductor/items/{id}/") && (r.path.contains("/finish") || r.path.ends_with("/beacon"))
        })
        .collect();
    assert_eq!(mine.len(), 10, "{mine:?}");
    let visitor = Browser::new(&app);
    let mut signed = Vec::new();
    for (email, role, want) in [
        ("staff@example.org", Role::Staff, 403),
        ("county@example.org", Role::County, 403),
        ("conductor@example.org", Role::Conductor, 404),
        ("admin@example.org", Role::Admin, 404),
        ("superadmin@example.org", Role::Superadmin, 404),
    ] {
        signed.push((Browser::sign_in_as(&app, email, &[role]).await, want));
    }
    for route in &mine {
        let path = route.path.replace("{id}", "424242");
        let get = route.method == axum::http::Method::GET;
        let answer = if get { visitor.get(&path).await } else { visitor.post(&path, &[]).await };
        assert!(answer.status == 303 && answer.header("location").starts_with("/sign-in"), "{route} as a visitor");
        for (browser, want) in &signed {
            let answer = if get { browser.get(&path).await } else { browser.post(&path, &[]).await };
            assert_eq!(answer.status.as_u16(), *want, "{route}");
        }
    }
}
on_both_backends!(each_role_gets_what_it_may);
