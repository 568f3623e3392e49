//! The JSON API against its own description: a test walks `/api/openapi.json`, calls every
//! operation, produces every response status it documents, and validates each body against the
//! documented schema (JSON Schema, as OpenAPI 3.1 defines it).

mod common;

use accounts::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::browser::Browser;
use common::{Backend, TestApp};
use model::entities::{contract, contract_company};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::{Value, json};

async fn seeded(backend: Backend) -> Option<TestApp> {
    let app = TestApp::new(backend, &[]).await?;
    common::builders::sample_contracts(&app).await;
    beacon::demo::load(&app.state.db, &app.state.config, app.state.config.site.today(), 0).await.expect("beacon demo");
    Some(app)
}

/// A published opportunity of the demo.
async fn published_opportunity(app: &TestApp) -> i32 {
    use model::entities::opportunity;
    opportunity::Entity::find()
        .filter(opportunity::Column::Title.eq("Street resurfacing, spring season"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the demo's opportunity")
        .id
}

async fn gear(app: &TestApp) -> (contract::Model, i32) {
    let c = contract::Entity::find()
        .filter(contract::Column::Description.contains("PROTECTIVE GEAR"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the sample contract");
    let link = contract_company::Entity::find()
        .filter(contract_company::Column::ContractId.eq(c.id))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("its company");
    (c, link.company_id)
}

async fn get(app: &TestApp, path: &str, if_none_match: Option<&str>) -> common::Response {
    let mut request = Request::get(path);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    app.request(request.body(Body::empty()).expect("request")).await
}

/// A request the walk makes: its method, token, extra headers and body.
#[derive(Default)]
struct Call<'a> {
    method: &'a str,
    token: Option<&'a str>,
    headers: Vec<(&'a str, String)>,
    /// Content type and body.
    body: Option<(&'a str, String)>,
}

async fn send(app: &TestApp, path: &str, call: Call<'_>) -> common::Response {
    let mut request = Request::builder().method(call.method.to_uppercase().as_str()).uri(path);
    if let Some(token) = call.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in call.headers {
        request = request.header(name, value);
    }
    let body = match call.body {
        Some((kind, body)) => {
            request = request.header("content-type", kind);
            Body::from(body)
        }
        None => Body::empty(),
    };
    app.request(request.body(body).expect("request")).await
}

/// An opportunity draft as the API takes it, in `o`'s department and contract type.
fn draft_body(o: &model::entities::opportunity::Model, title: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    json!({
        "title": title,
        "description": "Resurfacing of city streets, walked by the API test.",
        "department_id": o.department_id,
        "contract_type_id": o.contract_type_id,
        "planned_publish": today + chrono::Duration::days(1),
        "planned_submission_start": today + chrono::Duration::days(2),
        "planned_submission_end": chrono::Utc::now() + chrono::Duration::days(30),
    })
    .to_string()
}

/// A contract as the write operations take it.
fn contract_body(description: &str) -> String {
    json!({
        "description": description,
        "expiration": "2030-06-30",
        "contract_type": "Walked",
        "companies": ["Walk Supply Co"],
        "properties": [{"key": "Spec Number", "value": "W-1"}],
        "line_items": [{"description": "Walking boots", "unit_cost": 80.5, "quantity": 12.0}],
    })
    .to_string()
}

/// GET `path` as `who` (a signed-in browser), or as nobody.
async fn ask(app: &TestApp, who: Option<&Browser<'_>>, path: &str) -> common::Response {
    match who {
        Some(browser) => browser.get(path).await,
        None => get(app, path, None).await,
    }
}

/// Checks `body` against `schema`, which may `$ref` into the document's components.
fn assert_valid(doc: &Value, schema: &Value, body: &Value, what: &str) {
    let mut root = schema.clone();
    if let Some(map) = root.as_object_mut() {
        map.insert("components".into(), doc["components"].clone());
    }
    let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{what}: bad schema: {e}"));
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: the body does not match the documented schema: {errors:#?}\n{body:#}");
}

/// A value the operation cannot accept for `parameter` (by its documented schema).
fn invalid_value(parameter: &Value) -> &'static str {
    let schema = &parameter["schema"];
    let types = |s: &Value| -> Vec<String> {
        match &s["type"] {
            Value::String(t) => vec![t.clone()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    };
    let t = types(schema);
    if t.iter().any(|t| t == "integer") {
        "not-a-number"
    } else if t.iter().any(|t| t == "boolean") {
        "maybe"
    } else if t.iter().any(|t| t == "array") {
        "no-such-field"
    } else {
        // Strings: longer than documented.
        "x"
    }
}

async fn every_endpoint_answers_as_documented(backend: Backend) {
    let Some(app) = seeded(backend).await else { return };
    let (contract, company) = gear(&app).await;
    let opportunity = published_opportunity(&app).await;
    // Conductor's figures are for conductor-level staff: the walk signs in to read them, and
    // asks as nobody (401) and as other staff (403).
    let flow = common::builders::flow(&app, "Walk flow", &["Review", "Award"]).await;
    let conductor = Browser::sign_in_as(&app, "walker@example.gov", &[Role::Conductor, Role::Admin]).await;
    let staff = Browser::sign_in_as(&app, "stroller@example.gov", &[Role::Staff]).await;
    let as_needed = |path: &str| if path.starts_with("/api/v1/conductor/") { Some(&conductor) } else { None };
    // Operations that name a security scheme are called with a personal token of the conductor's
    // that has every scope; the token endpoint itself is walked by tests/api_access.rs.
    let walker_id =
        accounts::users::find_by_email(&app.state.db, "walker@example.gov").await.expect("q").expect("walker");
    let walker = accounts::users::current_user(&app.state.db, walker_id.id).await.expect("q").expect("walker");
    let issue = |scopes: &str| {
        accounts::api::tokens::issue_personal(
            &app.state.db,
            &walker,
            "walk",
            accounts::api::Scopes::parse(scopes).expect("scopes"),
            chrono::Utc::now() + chrono::Duration::days(1),
        )
    };
    let token = issue(&accounts::api::Scopes::all().to_string()).await.expect("token");
    // A token without the scopes the secured operations need, for their 403s.
    let narrow = issue("").await.expect("token");
    // Contracts the write operations address by controller number: one of its own, and a
    // number two contracts share (409).
    for number in ["WALK-1", "WALK-DUP", "WALK-DUP"] {
        let c = contract::ActiveModel {
            financial_id: Set(Some(number.to_owned())),
            description: Set(Some(format!("Walked contract {number}"))),
            is_archived: Set(false),
            is_visible: Set(true),
            ..model::Stamp::created(None, chrono::Utc::now())
        };
        c.insert(&app.state.db).await.expect("contract");
    }
    let mut fresh = 0;
    let walked_opportunity = {
        use model::entities::opportunity;
        opportunity::Entity::find_by_id(opportunity).one(&app.state.db).await.expect("q").expect("opportunity")
    };
    // A vendor whose subscriptions the walk reads and sets with its manage link's signature.
    let vendor = common::builders::Vendor::new("walker@vendor.example").confirmed().insert(&app).await;
    let sig = beacon::links::VendorLinks::new(&app.state.secret, app.state.config.site.app_url.clone())
        .signature(beacon::links::Purpose::Manage, vendor.id);

    let response = get(&app, "/api/openapi.json", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let doc = response.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);

    // The document and the router agree on what the API is.
    let routed: Vec<String> = procure::app::route_table()
        .list()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/") || r.path.starts_with("/api/oauth/"))
        .map(|r| format!("{} {}", r.method.as_str().to_lowercase(), r.path))
        .collect();
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            documented.push(format!("{method} {path}"));
        }
    }
    let mut a = routed.clone();
    a.sort();
    documented.sort();
    assert_eq!(a, documented, "every API route is documented, and every documented operation is routed");

    let mut exercised = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if path == "/api/oauth/token" {
                continue;
            }
            let secured = op.get("security").is_some();
            let params: Vec<&Value> = op["parameters"].as_array().map(|p| p.iter().collect()).unwrap_or_default();
            let who = as_needed(path);
            let id = if path.starts_with("/api/v1/companies/") {
                company
            } else if path.starts_with("/api/v1/conductor/flows/") {
                flow
            } else if path.starts_with("/api/v1/opportunities/") {
                opportunity
            } else if path.starts_with("/api/v1/vendors/") {
                vendor.id
            } else {
                contract.id
            };
            // The signature, where the operation takes one, is part of its address.
            let signed = params.iter().any(|p| p["name"] == "sig");
            let concrete = path.replace("{id}", &id.to_string()).replace("{number}", "WALK-1")
                + &if signed { format!("?sig={sig}") } else { String::new() };
            let writes = method != "get";
            let body_of = |description: &str| {
                op.get("requestBody").is_some().then(|| {
                    let body = if path.contains("/opportunities/drafts") {
                        draft_body(&walked_opportunity, description)
                    } else if path.contains("/subscriptions") {
                        json!({"categories": [], "opportunities": [], "newsletter": true}).to_string()
                    } else {
                        contract_body(description)
                    };
                    ("application/json", body)
                })
            };
            let multipart = op.pointer("/requestBody/content/multipart~1form-data").is_some();
            // A multipart operation's body: a title and a small PDF, or `file` instead.
            let form = |file: Option<&[u8]>| -> Option<(&str, String)> {
                let (kind, bytes) =
                    common::api::multipart(&[("name", "Walked document")], file.map(|f| ("document", "walk.pdf", f)));
                Some((Box::leak(kind.into_boxed_str()), String::from_utf8_lossy(&bytes).into_owned()))
            };
            let with_token = |token| Call {
                method,
                token: Some(token),
                body: if multipart { form(Some(common::api::PDF)) } else { body_of("Walked contract") },
                ..Call::default()
            };
            // A query that finds the sample contract, where the operation takes one.
            let query = if params.iter().any(|p| p["name"] == "q") { "?q=protective+gear&expired=true" } else { "" };
            let responses = op["responses"].as_object().expect("responses");
            let schema_of = |status: &str| responses[status].pointer("/content/application~1json/schema").cloned();
            let mut etag = None;
            for status in responses.keys() {
                let what = format!("{method} {path} → {status}");
                let response = match status.as_str() {
                    "200" if secured || writes => {
                        send(&app, &format!("{concrete}{query}"), with_token(&token.token)).await
                    }
                    "201" if path.contains("{number}") => {
                        fresh += 1;
                        send(&app, &path.replace("{number}", &format!("WALK-NEW-{fresh}")), with_token(&token.token))
                            .await
                    }
                    "201" => send(&app, &concrete, with_token(&token.token)).await,
                    "404" if secured && path.contains("{id}") => {
                        send(&app, &path.replace("{id}", "999999"), with_token(&token.token)).await
                    }
                    "413" => {
                        assert!(multipart, "{what}: the walk only knows 413 as a file over the size cap");
                        let cap = usize::try_from(app.state.config.uploads.max_content_length).expect("size");
                        let big = vec![b'%'; cap + 1];
                        send(&app, &concrete, Call { body: form(Some(&big)), ..with_token(&token.token) }).await
                    }
                    "401" if secured => {
                        let r = send(&app, &concrete, Call { token: None, ..with_token("") }).await;
                        assert!(r.header("www-authenticate").starts_with("Bearer"), "{what}");
                        r
                    }
                    "403" if secured => {
                        let r = send(&app, &concrete, with_token(&narrow.token)).await;
                        assert!(r.header("www-authenticate").contains("insufficient_scope"), "{what}");
                        r
                    }
                    "404" if path.contains("{number}") => {
                        send(&app, &path.replace("{number}", "NO-SUCH-NUMBER"), with_token(&token.token)).await
                    }
                    "409" => {
                        assert!(path.contains("{number}"), "{what}: the walk only knows 409 as a shared number");
                        send(&app, &path.replace("{number}", "WALK-DUP"), with_token(&token.token)).await
                    }
                    "412" => {
                        let stale = vec![("if-match", "\"stale\"".to_owned())];
                        send(&app, &concrete, Call { headers: stale, ..with_token(&token.token) }).await
                    }
                    "415" => {
                        let body = Some(("text/plain", "description: boots".to_owned()));
                        send(&app, &concrete, Call { body, ..with_token(&token.token) }).await
                    }
                    "422" if multipart => {
                        send(&app, &concrete, Call { body: form(None), ..with_token(&token.token) }).await
                    }
                    "422" => {
                        let body = Some(("application/json", json!({"description": 5}).to_string()));
                        send(&app, &concrete, Call { body, ..with_token(&token.token) }).await
                    }
                    "429" => {
                        assert!(secured, "{what}: the walk only knows 429 as a token's rate limit");
                        // The window used up, as if the token had made every request it may.
                        let limit = app.state.config.api.rate_limit;
                        let window = chrono::Utc::now().timestamp() / i64::try_from(limit.window.as_secs()).expect("s");
                        let used = format!(
                            "INSERT INTO api_rate_windows (token_id, window_number, requests) VALUES ({}, {window}, {}) \
                             ON CONFLICT (token_id, window_number) DO UPDATE SET requests = {}",
                            token.id, limit.requests, limit.requests
                        );
                        sea_orm::ConnectionTrait::execute_unprepared(&app.state.db, &used).await.expect("use it up");
                        let r = send(&app, &concrete, with_token(&token.token)).await;
                        assert!(!r.header("retry-after").is_empty(), "{what}");
                        let again = format!("DELETE FROM api_rate_windows WHERE token_id = {}", token.id);
                        sea_orm::ConnectionTrait::execute_unprepared(&app.state.db, &again).await.expect("reset");
                        r
                    }
                    "200" => {
                        let r = ask(&app, who, &format!("{concrete}{query}")).await;
                        if responses["200"]["headers"].get("ETag").is_some() {
                            assert!(!r.header("etag").is_empty(), "{what}: documented ETag missing");
                            etag = Some(r.header("etag").to_owned());
                        }
                        r
                    }
                    "304" => {
                        let tag = match &etag {
                            Some(tag) => tag.clone(),
                            None => get(&app, &concrete, None).await.header("etag").to_owned(),
                        };
                        let r = get(&app, &concrete, Some(&tag)).await;
                        assert!(r.raw.is_empty(), "{what}: a 304 has no body");
                        r
                    }
                    "404" if signed => {
                        // Another vendor's id under this signature: no such page.
                        let other = concrete.replacen(&format!("/{}/", vendor.id), "/999999/", 1);
                        send(&app, &other, with_token(&token.token)).await
                    }
                    "404" => {
                        assert!(path.contains("{id}"), "{what}: the walk only knows 404 as an unknown id");
                        ask(&app, who, &path.replace("{id}", "999999")).await
                    }
                    "401" => {
                        assert!(who.is_some(), "{what}: the walk only knows 401 where it signs in");
                        get(&app, &concrete, None).await
                    }
                    "403" => {
                        assert!(who.is_some(), "{what}: the walk only knows 403 where it signs in");
                        staff.get(&concrete).await
                    }
                    "400" => {
                        // Every parameter, given a value it cannot take, is a 400 naming it: in the
                        // query, or in the path (an id that is not a whole number from 1).
                        let path_param = params.iter().find(|p| p["in"] == "path").and_then(|p| p["name"].as_str());
                        if (writes || secured) && path_param.is_none() {
                            // No path to get wrong: a body that is not JSON at all.
                            assert!(op.get("requestBody").is_some(), "{what}: the walk knows this 400 as a bad body");
                            let body = Some(("application/json", "{\"title\": ".to_owned()));
                            send(&app, &concrete, Call { body, ..with_token(&token.token) }).await
                        } else if writes || secured {
                            // A path parameter it cannot take, from a caller that may use it.
                            let name = path_param.unwrap_or_default();
                            let bad = "9".repeat(101);
                            let r =
                                send(&app, &path.replace(&format!("{{{name}}}"), &bad), with_token(&token.token)).await;
                            let message = r.json()["message"].as_str().unwrap_or_default().to_owned();
                            assert!(
                                message.contains(&format!("`{name}`")),
                                "{what}: the message names {name}: {message}"
                            );
                            r
                        } else {
                            let bad_params: Vec<&&Value> =
                                params.iter().filter(|p| p["in"] == "query" || p["in"] == "path").collect();
                            assert!(!bad_params.is_empty(), "{what}: the walk only knows 400 as a bad parameter");
                            let mut last = None;
                            for p in bad_params {
                                let name = p["name"].as_str().expect("name");
                                let bad = if name == "q" { "x".repeat(1_001) } else { invalid_value(p).to_owned() };
                                let address = if p["in"] == "path" {
                                    path.replace(&format!("{{{name}}}"), &bad)
                                } else {
                                    let base = concrete.split('?').next().unwrap_or(&concrete);
                                    format!("{base}?{name}={bad}")
                                };
                                let r = ask(&app, who, &address).await;
                                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {name}={bad}: {}", r.body);
                                let message = r.json()["message"].as_str().unwrap_or_default().to_owned();
                                assert!(
                                    message.contains(&format!("`{name}`")),
                                    "{what}: the message names {name}: {message}"
                                );
                                if let Some(schema) = schema_of("400") {
                                    assert_valid(&doc, &schema, &r.json(), &what);
                                }
                                last = Some(r);
                            }
                            last.expect("a response")
                        }
                    }
                    other => panic!("{what}: the walk cannot produce status {other}; teach it"),
                };
                assert_eq!(response.status.as_str(), status, "{what}: {}", response.body);
                if let Some(schema) = schema_of(status) {
                    assert!(response.header("content-type").starts_with("application/json"), "{what}");
                    assert_valid(&doc, &schema, &response.json(), &what);
                }
                exercised += 1;
            }
        }
    }
    // 200 and 400 for each list; 200, 304, 400 and 404 for each of the three details.
    assert!(exercised >= 16, "only {exercised} responses exercised");
}
on_both_backends!(every_endpoint_answers_as_documented);

async fn search_pages_and_details_follow_edits(backend: Backend) {
    let Some(app) = seeded(backend).await else { return };
    let (contract, company) = gear(&app).await;

    let found = get(&app, "/api/v1/contracts?q=protective+gear&expired=true", None).await.json();
    assert_eq!(found["total"], 1, "{found:#}");
    let hit = &found["results"][0];
    assert_eq!(hit["contract"]["id"], contract.id);
    assert!(hit["snippet"].as_str().is_some_and(|s| s.contains("<mark>")), "{hit:#}");
    assert!(hit["companies"].as_array().is_some_and(|c| c.iter().any(|c| c["id"] == company)));
    // Expired contracts are left out unless asked for, as on the site.
    assert_eq!(get(&app, "/api/v1/contracts?q=protective+gear", None).await.json()["total"], 0);
    // Malformed queries find nothing; they are not errors.
    for q in ["%22", "OR", "-", "%28%28%28"] {
        let r = get(&app, &format!("/api/v1/contracts?q={q}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
    }

    // Paging: more hits than a page, links to the next page that keep the filters.
    let today = app.state.config.site.today();
    scout::demo::load(&app.state.db, 200, today).await.expect("demo data");
    let services = "maintenance OR repair OR installation OR supply OR rental OR inspection OR cleaning \
                    OR delivery OR training OR consulting OR disposal OR calibration";
    let q: String = url::form_urlencoded::byte_serialize(services.as_bytes()).collect();
    let all = get(&app, &format!("/api/v1/contracts?q={q}&expired=true"), None).await.json();
    let total = all["total"].as_u64().expect("total");
    assert!(total > 50, "the demo data has more than a page of such contracts: {all:#}");
    assert_eq!(all["results"].as_array().map(Vec::len), Some(50));
    let next = all["next"].as_str().expect("a next page");
    assert!(next.contains("expired=true") && next.ends_with("page=2"), "{next}");
    let second = get(&app, next, None).await.json();
    assert_eq!(second["page"], 2);
    assert_eq!(second["previous"].as_str().map(|p| p.ends_with("page=1")), Some(true));
    assert_ne!(second["results"][0]["contract"]["id"], all["results"][0]["contract"]["id"]);

    // The ETag changes with the contract, and the old one no longer earns a 304.
    let path = format!("/api/v1/contracts/{}", contract.id);
    let before = get(&app, &path, None).await;
    let tag = before.header("etag").to_owned();
    assert_eq!(get(&app, &path, Some(&tag)).await.status, StatusCode::NOT_MODIFIED);
    let txn = app.state.db.begin().await.expect("txn");
    let mut edit: contract::ActiveModel = contract.clone().into();
    edit.description = Set(Some("FIREFIGHTER PROTECTIVE GEAR, RENEWED".into()));
    edit.update(&txn).await.expect("edit");
    scout::search::reindex(&txn, contract.id).await.expect("reindex");
    txn.commit().await.expect("commit");
    let after = get(&app, &path, Some(&tag)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.header("etag"), tag);
    assert_eq!(after.json()["description"], "FIREFIGHTER PROTECTIVE GEAR, RENEWED");
    assert_eq!(get(&app, "/api/v1/contracts?q=renewed&expired=true", None).await.json()["total"], 1);

    // Errors anywhere under /api are JSON of one shape, even for routes that do not exist.
    let missing = get(&app, "/api/v1/nothing-here", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let body = missing.json();
    assert_eq!(body["status"], 404);
    assert!(body["message"].is_string() && body["request_id"].is_string() && body["error"].is_string(), "{body:#}");
    assert_eq!(
        json!(body.as_object().map(|o| {
            let mut k: Vec<_> = o.keys().cloned().collect();
            k.sort();
            k
        })),
        json!(["error", "message", "request_id", "status"])
    );
}
on_both_backends!(search_pages_and_details_follow_edits);

#[tokio::test]
async fn the_docs_page_describes_every_operation_without_scripts() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let page = app.get("/api/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    let text = &page.body;
    for path in ["/api/v1/contracts", "/api/v1/contracts/{id}", "/api/v1/companies/{id}"] {
        assert!(text.contains(&format!("GET {path}</code>")), "{path} missing from the docs page: {text}");
    }
    assert!(page.body.contains("id=\"schema-Contract\""));
    assert!(!page.body.contains("<script>"), "no inline script under the CSP");
    assert_eq!(app.get("/api").await.status, StatusCode::PERMANENT_REDIRECT);
}

/// Cached answers are never older than the data: every kind of change is seen at once, by
/// anonymous visitors (whose pages are cached) and API clients alike.
async fn cached_pages_follow_every_change(backend: Backend) {
    let Some(app) = seeded(backend).await else { return };
    let (contract, company) = gear(&app).await;
    let page = format!("/scout/contracts/{}", contract.id);
    let api = format!("/api/v1/contracts/{}", contract.id);
    let search = "/scout/search?q=firefighters&expired=on";
    assert!(app.get(&page).await.body.contains("<dt>Followers</dt><dd>0</dd>"));
    assert!(app.get(search).await.body.contains("1 contract found"));
    assert_eq!(get(&app, &api, None).await.json()["followers"], 0);

    // Following (a signed-in user) changes the count anonymous visitors see.
    let staff = common::browser::Browser::sign_in_as(&app, "staff@example.org", &[accounts::Role::Staff]).await;
    staff.post(&format!("/scout/contracts/{}/follow", contract.id), &[]).await;
    assert_eq!(get(&app, &api, None).await.json()["followers"], 1);
    assert!(app.get(&page).await.body.contains("<dt>Followers</dt><dd>1</dd>"));

    // A back-office edit: the page, the search and the API all show it at once (pages in title
    // case, the API as stored).
    let admin = common::browser::Browser::sign_in_as(&app, "admin@example.org", &[accounts::Role::Admin]).await;
    let saved = admin
        .post(
            &format!("/admin/contracts/{}/edit", contract.id),
            &[
                ("description", "HELMETS FOR FIREFIGHTERS"),
                ("visible", "on"),
                ("expiration", "2015-06-30"),
                ("companies", "3 RIVERS FIRE EQUIPMENT"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(app.get(&page).await.body.contains("Helmets for Firefighters"));
    assert!(app.get(search).await.body.contains("Helmets for Firefighters"));
    assert_eq!(get(&app, &api, None).await.json()["description"], "HELMETS FOR FIREFIGHTERS");

    // A company renamed in the back-office shows on its contract's cached page.
    let renamed = admin.post(&format!("/admin/companies/{company}/edit"), &[("name", "FOUR RIVERS FIRE")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    assert!(app.get(&page).await.body.contains("Four Rivers Fire"));
    assert_eq!(get(&app, &format!("/api/v1/companies/{company}"), None).await.json()["name"], "FOUR RIVERS FIRE");

    // Hidden in the back-office: gone from the cached page and the search.
    let hidden = admin
        .post(
            &format!("/admin/contracts/{}/edit", contract.id),
            &[("description", "HELMETS FOR FIREFIGHTERS"), ("companies", "FOUR RIVERS FIRE")],
        )
        .await;
    assert_eq!(hidden.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&page).await.status, StatusCode::NOT_FOUND);
    assert!(app.get(search).await.body.contains("0 contracts found"));
}
on_both_backends!(cached_pages_follow_every_change);
