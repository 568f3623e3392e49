//! The API's write operations and scopes (issue 19), on both databases: a contract pushed by
//! controller number, idempotent, found by search at once, audited under the client's name;
//! `If-Match`; the policy behind every token; and every secured operation against every scope.

mod common;

use accounts::Role;
use accounts::api::{Scope, Scopes};
use axum::http::StatusCode;
use common::api::{call, client, token_for};
use common::browser::Browser;
use common::builders::User;
use common::{Backend, TestApp};
use serde_json::{Value, json};

const PATH: &str = "/api/v1/contracts/by-controller/77001";

fn contract(description: &str, companies: &[&str]) -> Value {
    json!({
        "description": description,
        "expiration": "2031-03-31",
        "contract_type": "Commodity",
        "contract_url": "https://finance.example.gov/contracts/77001.pdf",
        "companies": companies,
        "properties": [{"key": "Spec Number", "value": "SP-77001"}],
        "line_items": [
            {"description": "Bulk rock salt", "unit_cost": 61.25, "quantity": 4000.0, "unit_of_measure": "ton"},
            {"description": "Calcium chloride", "unit_cost": 5.0, "percentage": true},
        ],
    })
}

async fn version(app: &TestApp) -> i64 {
    app.count("SELECT version AS n FROM data_versions WHERE name = 'contracts'").await
}

/// The `via` of the audit entry of `action` on contracts.
async fn via_of(app: &TestApp, action: &str) -> Option<String> {
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    let sql = format!("SELECT via FROM audit_log WHERE resource = 'contracts' AND action = '{action}'");
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.expect("query");
    row.and_then(|r| r.try_get::<Option<String>>("", "via").ok().flatten())
}

async fn audit_entries(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM audit_log WHERE resource = 'contracts'").await
}

async fn a_pushed_contract_is_written_once_found_at_once_and_audited_as_the_client(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let owner = User::new("controller@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let (_, id, secret) = client(&app, "Financial system", owner.id, "contracts:write").await;
    let token = token_for(&app, &id, &secret, None).await;

    // Created: 201, where to read it, its version, never cached.
    let body = contract("Snow melting salt, winter 2031", &["Salt Supply Co", "Keystone Minerals"]);
    let created = call(&app, "PUT", PATH, &token, Some(&body), &[]).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("location"), PATH);
    assert_eq!(created.header("cache-control"), "private, no-store");
    let tag = created.header("etag").to_owned();
    assert!(tag.starts_with('"'), "a strong ETag: {tag}");
    let stored = created.json();
    assert_eq!(stored["controller_number"], "77001");
    assert_eq!(stored["contract"]["companies"], json!(["Keystone Minerals", "Salt Supply Co"]), "sorted, as stored");
    let contract_id = stored["id"].as_i64().expect("id");

    // Found by search at once, with its line items on the public contract.
    let found = app.get("/api/v1/contracts?q=melting").await;
    let ids: Vec<i64> = found.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["contract"]["id"].as_i64())
        .collect();
    assert_eq!(ids, [contract_id], "{}", found.body);
    let public = app.get(&format!("/api/v1/contracts/{contract_id}")).await.json();
    assert_eq!(public["line_items"].as_array().map(Vec::len), Some(2));
    assert_eq!(public["properties"][0]["value"], "SP-77001");

    // Audited as the owner, through the client.
    assert_eq!(via_of(&app, "create").await.as_deref(), Some("API client “Financial system”"));
    let actor = app.count("SELECT actor_id AS n FROM audit_log WHERE resource = 'contracts'").await;
    assert_eq!(actor, i64::from(owner.id));

    // The same contract again (companies in another order, other spacing): nothing written.
    let (v1, entries) = (version(&app).await, audit_entries(&app).await);
    let again =
        contract(" Snow melting salt, winter 2031 ", &["Salt Supply Co", "Keystone Minerals", "Salt Supply Co"]);
    let second = call(&app, "PUT", PATH, &token, Some(&again), &[]).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.header("etag"), tag, "the same version");
    assert_eq!((version(&app).await, audit_entries(&app).await), (v1, entries), "no version raised, no entry");

    // A change under the current ETag: applied, with a new one; the old ETag is now stale.
    let mut changed = contract("Snow melting salt, winter 2031", &["Salt Supply Co"]);
    changed["line_items"] = json!([{"description": "Treated rock salt", "unit_cost": 64.0}]);
    let update = call(&app, "PUT", PATH, &token, Some(&changed), &[("if-match", &tag)]).await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.body);
    let new_tag = update.header("etag").to_owned();
    assert_ne!(new_tag, tag);
    assert_eq!(update.json()["id"].as_i64(), Some(contract_id), "the same contract, changed");
    assert!(version(&app).await > v1);
    let treated = app.get("/api/v1/contracts?q=treated").await.json();
    assert_eq!(treated["total"], 1, "the new line item is searchable at once");

    // A stale If-Match: 412, and nothing changes.
    let mut lost = changed.clone();
    lost["description"] = json!("Overwritten by a system that did not read first");
    let stale = call(&app, "PUT", PATH, &token, Some(&lost), &[("if-match", &tag)]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{}", stale.body);
    assert!(stale.json()["message"].as_str().is_some_and(|m| m.contains(&new_tag)), "{}", stale.body);
    let now = call(&app, "GET", PATH, &token, None, &[]).await;
    assert_eq!(now.header("etag"), new_tag);
    assert_eq!(now.json()["contract"]["description"], "Snow melting salt, winter 2031");
    // Create-only on an existing number: 412.
    let create_only = call(&app, "PUT", PATH, &token, Some(&changed), &[("if-none-match", "*")]).await;
    assert_eq!(create_only.status, StatusCode::PRECONDITION_FAILED);

    // Archived: out of the default search, in it when asked; audited as the client.
    let archived = call(&app, "POST", &format!("{PATH}/archive"), &token, None, &[("if-match", &new_tag)]).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    assert_eq!(archived.json()["archived"], true);
    assert_eq!(app.get("/api/v1/contracts?q=treated").await.json()["total"], 0);
    assert_eq!(app.get("/api/v1/contracts?q=treated&archived=true").await.json()["total"], 1);
    let again = call(&app, "POST", &format!("{PATH}/archive"), &token, None, &[]).await;
    assert_eq!(again.header("etag"), archived.header("etag"), "archiving twice changes nothing");
    assert_eq!(via_of(&app, "archive").await.as_deref(), Some("API client “Financial system”"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'archive'").await, 1);

    // The back-office's audit page names the person and, under them, the client they acted through.
    let owner_browser = Browser::new(&app);
    owner_browser.sign_in(owner.id).await;
    let page = owner_browser.get("/admin/audit/?resource=contracts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let through = page.body.matches("through API client “Financial system”").count();
    assert_eq!(through, 3, "created, changed and archived, each through the client: {}", page.body);
}
on_both_backends!(a_pushed_contract_is_written_once_found_at_once_and_audited_as_the_client);

/// Pushes that name one new company and one new contract type at the same moment add each once.
/// Each push would find neither and try to add it, and all but one would fail on the name's
/// unique index (500), were the names not locked.
async fn pushes_at_the_same_moment_add_a_new_company_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let owner = User::new("controller@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let (_, id, secret) = client(&app, "Financial system", owner.id, "contracts:write").await;
    let token = token_for(&app, &id, &secret, None).await;
    let push_all = |paths: Vec<String>, body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let pushes = paths.iter().map(|path| call(app, "PUT", path, token, Some(&body), &[]));
            for pushed in futures_util::future::join_all(pushes).await {
                assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.body);
            }
        }
    };
    let numbers = |from: u32| (from..from + 6).map(|n| format!("/api/v1/contracts/by-controller/{n}")).collect();
    // A first round naming known things only: it opens the pool's connections, so that in the
    // second the six transactions run side by side rather than one while the others connect.
    push_all(numbers(87000), contract("Sand", &["Keystone Minerals"])).await;
    let mut body = contract("Road salt", &["Brand New Salt Co", "Keystone Minerals"]);
    body["contract_type"] = json!("Brand new type");
    push_all(numbers(88000), body).await;
    let companies = app.count("SELECT COUNT(*) AS n FROM companies WHERE name = 'Brand New Salt Co'").await;
    let types = app.count("SELECT COUNT(*) AS n FROM contract_types WHERE name = 'Brand new type'").await;
    assert_eq!((companies, types), (1, 1), "one company and one type, added by whichever push came first");
    let linked = app.count("SELECT COUNT(*) AS n FROM contract_companies").await;
    assert_eq!(linked, 18, "six contracts with two companies each, and six with one");
}
on_both_backends!(pushes_at_the_same_moment_add_a_new_company_once);

async fn a_write_needs_the_scope_a_user_who_may_edit_contracts_and_a_body_that_reads(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = User::new("admin@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let staff = User::new("buyer@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let (_, id, secret) = client(&app, "Finance", admin.id, "contracts:write vendors:read").await;
    let writer = token_for(&app, &id, &secret, None).await;
    let reader = token_for(&app, &id, &secret, Some("vendors:read")).await;
    let (_, staff_id, staff_secret) = client(&app, "Staff tool", staff.id, "contracts:write").await;
    let staff_token = token_for(&app, &staff_id, &staff_secret, None).await;
    let body = contract("Traffic cones", &["Cone Co"]);

    let without_scope = call(&app, "PUT", PATH, &reader, Some(&body), &[]).await;
    assert_eq!(without_scope.status, StatusCode::FORBIDDEN);
    assert!(without_scope.header("www-authenticate").contains("scope=\"contracts:write\""));
    // The scope only narrows: a staff member may not edit contracts in the back-office, so
    // neither may a client acting for them.
    let not_allowed = call(&app, "PUT", PATH, &staff_token, Some(&body), &[]).await;
    assert_eq!(not_allowed.status, StatusCode::FORBIDDEN, "{}", not_allowed.body);
    let anonymous = app
        .request(
            axum::http::Request::put(PATH)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.header("www-authenticate").starts_with("Bearer"));
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contracts").await, 0, "nothing written");

    // Bodies that cannot be used are named, and nothing is written.
    let types = app.count("SELECT COUNT(*) AS n FROM contract_types").await;
    let mut bad = body.clone();
    bad["department"] = json!("Department of Nowhere");
    let r = call(&app, "PUT", PATH, &writer, Some(&bad), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Department of Nowhere"), "{}", r.body);
    let r = call(&app, "PUT", PATH, &writer, Some(&json!({"description": "Cones", "colour": "orange"})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {}", r.body);
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("colour")), "and named: {}", r.body);
    let r = call(&app, "PUT", PATH, &writer, Some(&json!({"description": " "})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("`description`"), "{}", r.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contracts").await, 0, "nothing written");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contract_types").await, types, "not even the contract type");

    // Two contracts with one number: the API will not guess.
    for _ in 0..2 {
        common::builders::Contract::new("Shared number").controller("55555").insert(&app).await;
    }
    let r = call(&app, "PUT", "/api/v1/contracts/by-controller/55555", &writer, Some(&body), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Several contracts"), "{}", r.body);
    let r = call(&app, "POST", "/api/v1/contracts/by-controller/55555/archive", &writer, None, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}
on_both_backends!(a_write_needs_the_scope_a_user_who_may_edit_contracts_and_a_body_that_reads);

/// Every operation of the document that names a security scheme, called with a token of each
/// single scope (and of none) of a user whom the policy allows everything: the operation
/// refuses exactly the tokens without a scope it names (403 `insufficient_scope`) and serves
/// the rest. Public operations serve every token.
async fn each_scope_allows_exactly_its_operations(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let boss =
        User::new("boss@pittsburghpa.gov").roles(&[Role::Superadmin, Role::Admin, Role::Conductor]).insert(&app).await;
    let flow = common::builders::flow(&app, "Matrix flow", &["Review"]).await;
    let existing = common::builders::Contract::new("Matrix contract").controller("M-1").insert(&app).await;
    let drafted = common::builders::Opportunity::new("Matrix draft").create(&app, &boss).await;
    let (works, kind) = (drafted.department_id, drafted.contract_type_id);
    let drafted = drafted.id;
    let draft = json!({
        "title": "Matrix draft",
        "description": "Drafted by the scope matrix.",
        "department_id": works,
        "contract_type_id": kind,
        "planned_publish": chrono::Utc::now().date_naive() + chrono::Duration::days(1),
        "planned_submission_start": chrono::Utc::now().date_naive() + chrono::Duration::days(2),
        "planned_submission_end": chrono::Utc::now() + chrono::Duration::days(30),
    });
    let doc = app.get("/api/openapi.json").await.json();

    let mut sets: Vec<(String, Scopes)> = vec![("no scope".into(), Scopes::default())];
    for scope in Scope::ALL {
        sets.push((scope.name().to_owned(), Scopes::parse(scope.name()).expect("scope")));
    }
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if path == "/api/oauth/token" {
                continue;
            }
            let needed: Vec<String> = op["security"]
                .as_array()
                .map(|reqs| {
                    reqs.iter()
                        .filter_map(|r| r["bearer"].as_array())
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let id = if path.contains("/flows/") {
                flow
            } else if path.contains("/opportunities/drafts/") {
                drafted
            } else {
                existing.id
            };
            let concrete = path.replace("{number}", "M-1").replace("{id}", &id.to_string());
            let multipart = op.pointer("/requestBody/content/multipart~1form-data").is_some();
            let body = op.get("requestBody").is_some().then(|| {
                if path.contains("/opportunities/drafts") {
                    draft.clone()
                } else {
                    contract("Matrix contract", &["Matrix Co"])
                }
            });
            for (name, scopes) in &sets {
                let token = accounts::api::tokens::issue_personal(
                    &app.state.db,
                    &boss,
                    "matrix",
                    *scopes,
                    chrono::Utc::now() + chrono::Duration::hours(1),
                )
                .await
                .expect("token");
                let r = if multipart {
                    let (kind, bytes) = common::api::multipart(
                        &[("name", "Matrix document")],
                        Some(("document", "m.pdf", common::api::PDF)),
                    );
                    common::api::call_raw(&app, &method.to_uppercase(), &concrete, &token.token, &kind, bytes).await
                } else {
                    call(&app, &method.to_uppercase(), &concrete, &token.token, body.as_ref(), &[]).await
                };
                let allowed = needed.is_empty() || needed.iter().any(|n| n == name);
                let what = format!("{method} {path} with {name}: {} {}", r.status, r.body);
                if allowed && needed.is_empty() {
                    // Public: the token is no obstacle (the sample ids may find nothing).
                    assert!(![401, 403].contains(&r.status.as_u16()), "{what}");
                } else if allowed {
                    assert!(r.status.is_success(), "{what}");
                } else {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
                    assert!(r.header("www-authenticate").contains("insufficient_scope"), "{what}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 5 * 10, "only {checked} calls");
}
on_both_backends!(each_scope_allows_exactly_its_operations);

/// A vendor's app reads and sets the vendor's subscriptions with the signature of its manage
/// link, as the page does; a wrong signature is no page, and what cannot be done is named.
async fn a_vendor_manages_its_subscriptions_with_its_manage_link(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let salt = common::builders::Category::new("Road salt").insert(&app).await;
    let paving = common::builders::Category::new("Paving").insert(&app).await;
    let v = common::builders::Vendor::new("bids@saltco.example")
        .categories(&[salt])
        .confirmed()
        .unsubscribed()
        .insert(&app)
        .await;
    let links = beacon::links::VendorLinks::new(&app.state.secret, app.state.config.site.app_url.clone());
    let sig = links.signature(beacon::links::Purpose::Manage, v.id);
    let path = format!("/api/v1/vendors/{}/subscriptions?sig={sig}", v.id);
    let request = |method: &str, body: Option<Value>| {
        let mut r = axum::http::Request::builder().method(method).uri(path.as_str());
        if body.is_some() {
            r = r.header("content-type", "application/json");
        }
        r.body(axum::body::Body::from(body.map(|b| b.to_string()).unwrap_or_default())).expect("request")
    };

    let read = app.request(request("GET", None)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.header("cache-control"), "private, no-store", "the address carries a credential");
    let now = read.json();
    assert_eq!((now["subscribed"].as_bool(), now["categories"][0]["name"].as_str()), (Some(false), Some("Road salt")));

    let set = json!({"categories": [paving], "opportunities": [], "newsletter": true});
    let saved = app.request(request("PUT", Some(set))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let now = saved.json();
    assert_eq!(now["subscribed"], true, "saving subscribes again, as the page");
    assert_eq!(
        now["categories"].as_array().map(|c| c.iter().map(|c| c["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(paving)])
    );
    assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM vendor_categories WHERE vendor_id = {}", v.id)).await, 1);

    // What cannot be done is named, and nothing changes.
    let bad = json!({"categories": [paving, 999999], "opportunities": [424242], "newsletter": false});
    let refused = app.request(request("PUT", Some(bad))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("999999") && refused.body.contains("424242"), "{}", refused.body);
    assert_eq!(app.request(request("GET", None)).await.json()["newsletter"], true, "unchanged");

    // Another vendor's id, the unsubscribe link's signature, or a malformed one: refused.
    let other = common::builders::Vendor::new("other@pave.example").insert(&app).await;
    let theirs = app.get_json(&format!("/api/v1/vendors/{}/subscriptions?sig={sig}", other.id)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let unsubscribe = links.signature(beacon::links::Purpose::Unsubscribe, v.id);
    let wrong = app.get_json(&format!("/api/v1/vendors/{}/subscriptions?sig={unsubscribe}", v.id)).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let malformed = app.get_json(&format!("/api/v1/vendors/{}/subscriptions?sig=abc", v.id)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.body.contains("`sig`"));
}
on_both_backends!(a_vendor_manages_its_subscriptions_with_its_manage_link);

/// A staff buyer's "Bid system" client that may write opportunities: an access token, and a
/// draft body with the given title that the API accepts.
async fn bid_system(app: &TestApp) -> (String, impl Fn(&str) -> Value) {
    use model::entities::department;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let buyer = User::new("buyer@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await;
    let (_, id, secret) = client(app, "Bid system", buyer.id, "opportunities:write").await;
    let token = token_for(app, &id, &secret, None).await;
    let kind = common::builders::bid_type(app).await;
    let works = department::Entity::find()
        .filter(department::Column::Name.eq("Department of Public Works"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("seeded department")
        .id;
    let today = chrono::Utc::now().date_naive();
    let draft = move |title: &str| {
        json!({
            "title": title,
            "description": "Resurfacing of twelve streets in the East End.",
            "department_id": works,
            "contract_type_id": kind,
            "planned_publish": today + chrono::Duration::days(1),
            "planned_submission_start": today + chrono::Duration::days(2),
            "planned_submission_end": chrono::Utc::now() + chrono::Duration::days(30),
        })
    };
    (token, draft)
}

/// A draft made through the API by a staff member's client: sent for approval like one from the
/// staff page, in the approvers' queue, never published by its client; changed under If-Match;
/// documents attached by their bytes' type.
async fn a_draft_made_through_the_api_waits_for_beacons_approvers(backend: Backend) {
    use model::entities::opportunity;
    use sea_orm::EntityTrait;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let (token, draft) = bid_system(&app).await;
    let conductor = common::browser::Browser::sign_in_as(&app, "approver@pittsburghpa.gov", &[Role::Conductor]).await;
    let emails_before = app.queued_emails().await.len();

    let made =
        call(&app, "POST", "/api/v1/opportunities/drafts", &token, Some(&draft("Street resurfacing, fall")), &[]).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let view = made.json();
    let draft_id = view["id"].as_i64().expect("id");
    assert_eq!((view["approved"].as_bool(), view["contact"].as_str()), (Some(false), Some("buyer@pittsburghpa.gov")));
    let row = opportunity::Entity::find_by_id(i32::try_from(draft_id).expect("id"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("row");
    assert!(!row.is_public && row.published_at.is_none(), "a draft, not public");
    assert!(app.queued_emails().await.len() > emails_before, "the approvers are asked, as for a staff draft");
    // In the approvers' queue; not in the public list or API.
    let queue = conductor.get("/beacon/admin/").await;
    assert!(queue.body.contains("Street resurfacing, fall") && queue.body.contains("awaits"), "{}", queue.body);
    assert_eq!(app.get_json(&format!("/api/v1/opportunities/{draft_id}")).await.status, StatusCode::NOT_FOUND);
    // Its client cannot publish it: no operation approves, and the body cannot say so.
    let doc = app.get("/api/openapi.json").await.json();
    let paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    assert!(!paths.iter().any(|p| p.contains("approve") || p.contains("publish")), "{paths:?}");
    let mut sneaky = draft("Street resurfacing, fall");
    sneaky["is_public"] = json!(true);
    let path = format!("/api/v1/opportunities/drafts/{draft_id}");
    let refused = call(&app, "PUT", &path, &token, Some(&sneaky), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM opportunities WHERE is_public").await, 0);

    // Changed under its ETag; a stale one is 412.
    let tag = made.header("etag").to_owned();
    let changed =
        call(&app, "PUT", &path, &token, Some(&draft("Street resurfacing, fall 2027")), &[("if-match", &tag)]).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.json()["title"], "Street resurfacing, fall 2027");
    let stale = call(&app, "PUT", &path, &token, Some(&draft("Lost update")), &[("if-match", &tag)]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    // Beacon's own rules, named: bids closing in the past.
    let mut past = draft("Street resurfacing, fall 2027");
    past["planned_submission_end"] = json!(chrono::Utc::now() - chrono::Duration::days(1));
    let r = call(&app, "PUT", &path, &token, Some(&past), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("`planned_submission_end`"), "{}", r.body);

    // A document, by its bytes: a PDF is attached, a text file called .pdf is not.
    let upload = |name: &str, bytes: &[u8]| {
        let (kind, body) = common::api::multipart(&[("name", name)], Some(("document", "spec.pdf", bytes)));
        axum::http::Request::post(format!("{path}/documents"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", kind)
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let attached = app.request(upload("Specifications", common::api::PDF)).await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.body);
    let files = common::stored_files(&app).await;
    let refused = app.request(upload("Not a PDF", b"just text, really")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(common::stored_files(&app).await, files, "the refused file is not kept");
    let view = call(&app, "GET", &path, &token, None, &[]).await.json();
    assert_eq!(view["documents"][0]["name"], "Specifications");

    // Another staff member's client sees no such draft; the audit log names the client.
    let other = User::new("other@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let (_, other_id, other_secret) = client(&app, "Other system", other.id, "opportunities:write").await;
    let other_token = token_for(&app, &other_id, &other_secret, None).await;
    assert_eq!(call(&app, "GET", &path, &other_token, None, &[]).await.status, StatusCode::NOT_FOUND);
    let via = app
        .count(
            "SELECT COUNT(*) AS n FROM audit_log WHERE resource = 'opportunities' AND via = 'API client “Bid system”'",
        )
        .await;
    assert_eq!(via, 3, "created, changed, a document added");
}
on_both_backends!(a_draft_made_through_the_api_waits_for_beacons_approvers);

/// Drafts made at the same moment that name one city employee new to Procure as their contact
/// sign them up once; the others find the new user (the address is unique: without the lock on
/// it, all but one would fail).
async fn drafts_at_the_same_moment_sign_up_a_new_contact_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let (token, draft_titled) = bid_system(&app).await;
    let draft = |contact: &str| {
        let mut body = draft_titled("Street resurfacing");
        body["contact"] = json!(contact);
        body
    };
    let make_all = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let drafts = (0..6).map(|_| call(app, "POST", "/api/v1/opportunities/drafts", token, Some(&body), &[]));
            for made in futures_util::future::join_all(drafts).await {
                assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
                assert_eq!(made.json()["contact"], body["contact"]);
            }
        }
    };
    // The first round names the buyer: it opens the pool's connections, so the second runs side
    // by side.
    make_all(draft("buyer@pittsburghpa.gov")).await;
    make_all(draft("new.engineer@pittsburghpa.gov")).await;
    let users = app.count("SELECT COUNT(*) AS n FROM users WHERE email = 'new.engineer@pittsburghpa.gov'").await;
    assert_eq!(users, 1, "signed up once");
}
on_both_backends!(drafts_at_the_same_moment_sign_up_a_new_contact_once);
