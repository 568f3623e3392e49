//! Scout's lists (issue 13): an empty search lists contracts, soonest expiration first, by type
//! and by department, 50 a page; result rows with a status, companies linked to their pages and,
//! for a signed-in user, a Follow button per row and a mark on followed contracts; stored
//! capitals shown in title case on pages (not in the API, not in the database).

mod common;

use accounts::Role;
use axum::http::StatusCode;
use chrono::Duration;
use common::browser::Browser;
use common::builders::{Contract, contract_described};
use common::{Backend, TestApp};
use model::entities::{contract, contract_type};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// Where each of `ids` first appears in `body` as a result row, in that order (panics if absent).
fn positions(body: &str, ids: &[i32]) -> Vec<usize> {
    ids.iter()
        .map(|id| body.find(&format!("id=\"contract-{id}\"")).unwrap_or_else(|| panic!("contract {id} is not listed")))
        .collect()
}

fn listed(body: &str, id: i32) -> bool {
    body.contains(&format!("id=\"contract-{id}\""))
}

async fn type_id(app: &TestApp, name: &str) -> i32 {
    contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq(name))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("seeded type")
        .id
}

async fn department_id(app: &TestApp, name: &str) -> i32 {
    accounts::users::department_id(&app.state.db, name).await.expect("q").expect("seeded department")
}

async fn an_empty_search_lists_contracts_soonest_expiration_first(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let today = app.state.config.site.today();
    let day = |n: i64| today + Duration::days(n);
    let (a_bid, b_bid) = (type_id(&app, "A-BID").await, type_id(&app, "B-BID").await);
    let (works, finance) =
        (department_id(&app, "Department of Public Works").await, department_id(&app, "Department of Finance").await);
    let c = |d: &str| Contract::new(d);
    let later = c("ROAD SALT").expires(day(40)).contract_type(a_bid).department(works).insert(&app).await;
    let soon = c("Janitorial services").expires(day(5)).contract_type(b_bid).department(finance).insert(&app).await;
    let last = c("Asphalt").expires(day(400)).contract_type(a_bid).department(works).insert(&app).await;
    let undated = c("Elevator maintenance").contract_type(a_bid).insert(&app).await;
    let ended = c("Old uniforms").expires(day(-10)).contract_type(a_bid).insert(&app).await;
    let long_ended = c("Older uniforms").expires(day(-100)).insert(&app).await;
    let archived = c("Archived radios").expires(day(20)).archived().insert(&app).await;
    let hidden = c("Hidden radios").expires(day(1)).hidden().insert(&app).await;
    let visitor = Browser::new(&app);

    // Everything running, soonest first, then what has no end date; never "0 found".
    let all = visitor.get("/scout/search?q=").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains(">4 contracts</h2>"), "{}", all.body);
    assert!(!all.body.contains("found"), "a list, not a search");
    let order = positions(&all.body, &[soon.id, later.id, last.id, undated.id]);
    assert!(order.is_sorted(), "soonest expiration first, undated last: {order:?}");
    for left_out in [ended.id, long_ended.id, archived.id, hidden.id] {
        assert!(!listed(&all.body, left_out), "contract {left_out} is not listed");
    }
    assert!(visitor.get("/scout/search?q=+++").await.body.contains(">4 contracts</h2>"), "blank is empty");

    // Expired ones when asked for, after the running ones, most recently expired first.
    let with_expired = visitor.get("/scout/search?q=&expired=on").await;
    assert!(with_expired.body.contains(">6 contracts</h2>"), "{}", with_expired.body);
    let order = positions(&with_expired.body, &[soon.id, later.id, last.id, undated.id, ended.id, long_ended.id]);
    assert!(order.is_sorted(), "{order:?}");
    let with_archived = visitor.get("/scout/search?q=&archived=on").await;
    assert!(positions(&with_archived.body, &[soon.id, archived.id, later.id]).is_sorted());
    assert!(!listed(&with_archived.body, hidden.id), "hidden contracts never are");

    // By type and by department, the heading saying what is listed.
    let of_type = visitor.get(&format!("/scout/search?q=&type={a_bid}")).await;
    assert!(of_type.body.contains(">3 A-BID contracts</h2>"), "{}", of_type.body);
    assert!(positions(&of_type.body, &[later.id, last.id, undated.id]).is_sorted());
    let of_works = visitor.get(&format!("/scout/search?q=&department={works}")).await;
    assert!(of_works.body.contains(">2 contracts of the Department of Public Works</h2>"), "{}", of_works.body);
    assert!(!listed(&of_works.body, soon.id));
    let both = visitor.get(&format!("/scout/search?q=&type={b_bid}&department={finance}")).await;
    assert!(both.body.contains(">1 B-BID contract of the Department of Finance</h2>"), "{}", both.body);
    // Nothing listed: the page says so, and offers expired contracts and the feedback form.
    let none = visitor.get(&format!("/scout/search?q=&type={b_bid}&department={works}")).await;
    assert!(none.body.contains("No contracts are listed") && none.body.contains("expired=on"), "{}", none.body);
    assert!(none.body.contains("href=\"/scout/feedback\">Tell us</a>"), "{}", none.body);

    // The JSON API keeps its documented answer: an empty q finds nothing.
    let api = app.get_json("/api/v1/contracts?q=").await.json();
    assert_eq!(api["total"], 0, "{api}");
    // The home page offers the list.
    assert!(visitor.get("/scout/").await.body.contains("href=\"/scout/search?q=\""));
}
on_both_backends!(an_empty_search_lists_contracts_soonest_expiration_first);

/// Paging runs across the parts of the list (dated, undated, expired) without gaps or repeats.
async fn browsing_is_paged_50_at_a_time(backend: Backend) {
    use scout::search::{self, Request};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let today = app.state.config.site.today();
    let db = &app.state.db;
    let now = chrono::Utc::now();
    let mut made = Vec::new();
    // 48 running (expiring on 24 days, two a day), 4 undated, 3 expired: 55 in all.
    for n in 0..55_i64 {
        let expires = match n {
            0..48 => Some(today + Duration::days(n / 2)),
            48..52 => None,
            _ => Some(today - Duration::days(n - 50)),
        };
        let c = contract::ActiveModel {
            description: Set(Some(format!("Contract {n}"))),
            expiration_date: Set(expires),
            is_archived: Set(false),
            is_visible: Set(true),
            ..model::Stamp::created(None, now)
        }
        .insert(db)
        .await
        .expect("contract");
        made.push(c.id);
    }
    let page = |page: u64| Request { include_expired: true, page, today: Some(today), ..Request::default() };
    let first = search::browse(db, &page(1)).await.expect("browse");
    let second = search::browse(db, &page(2)).await.expect("browse");
    assert_eq!((first.total, first.pages, second.page), (55, 2, 2));
    assert_eq!(first.hits.len(), 50);
    let ids: Vec<i32> = first.hits.iter().chain(&second.hits).map(|h| h.contract_id).collect();
    // Two a day expire in the order they were made; then the undated, by id; then the expired,
    // most recent first (made in the order of longer ago).
    assert_eq!(ids, made, "every contract once, in order");
    let past = search::browse(db, &page(3)).await.expect("browse");
    assert!(past.hits.is_empty() && past.page > past.pages);
    let running = search::browse(db, &Request { include_expired: false, ..page(2) }).await.expect("browse");
    assert_eq!((running.total, running.hits.len()), (52, 2));

    // On the site, a page past the last (a stale link) is the last page.
    let stale = app.get("/scout/search?q=&page=9").await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert!(stale.header("location").ends_with("page=2"), "{}", stale.header("location"));
    assert!(app.get("/scout/search?q=&page=2").await.body.contains("Page 2 of 2"));
}
on_both_backends!(browsing_is_paged_50_at_a_time);

async fn result_rows_show_status_links_and_what_the_viewer_follows(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    common::builders::sample_contracts(&app).await;
    let today = app.state.config.site.today();
    let running = Contract::new("SNOW PLOW BLADES")
        .expires(today + Duration::days(100))
        .company("ALLEGHENY PLOW PARTS, LLC")
        .insert(&app)
        .await;
    let expiring = Contract::new("Traffic cones").expires(today + Duration::days(10)).insert(&app).await;
    // The sample's protective gear (expired in 2015) is replaced by its renewal.
    let gear = contract_described(&app, "PROTECTIVE GEAR").await;
    let mut renewal: contract::ActiveModel = running.clone().into();
    renewal.parent_id = Set(Some(gear.id));
    renewal.update(&app.state.db).await.expect("renew");
    scout::freshness::bump(&app.state.db).await.expect("bump");

    let list = "/scout/search?q=&expired=on";
    let visitor = Browser::new(&app);
    let page = visitor.get(list).await.body;
    let row = |body: &str, id: i32| -> String {
        let start = body.find(&format!("id=\"contract-{id}\"")).unwrap_or_else(|| panic!("{id} not listed"));
        body[start..].split("</tr>").next().unwrap_or_default().to_owned()
    };
    assert!(row(&page, running.id).contains(">Active<"), "{}", row(&page, running.id));
    assert!(row(&page, expiring.id).contains(">Expires within 30 days<"));
    assert!(row(&page, gear.id).contains(">Replaced<"), "{}", row(&page, gear.id));
    let water = contract_described(&app, "WATER COOLER").await;
    assert!(row(&page, water.id).contains(">Expired<"));
    // Companies link to their pages, in title case where stored in capitals.
    let plow = model::entities::company::Entity::find()
        .filter(model::entities::company::Column::Name.eq("ALLEGHENY PLOW PARTS, LLC"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("company");
    assert!(
        row(&page, running.id)
            .contains(&format!("href=\"/scout/companies/{}\">Allegheny Plow Parts, LLC</a>", plow.id)),
        "{}",
        row(&page, running.id)
    );
    assert!(row(&page, running.id).contains(">Snow Plow Blades</a>"));
    // Anonymous visitors get no buttons and no marks.
    assert!(!page.contains("/follow\"") && !page.contains(">Following</span>"), "{page}");

    // A staff member follows from a row and comes back to the list, at that row.
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    let before = staff.get(list).await.body;
    assert!(row(&before, running.id).contains(&format!("action=\"/scout/contracts/{}/follow\"", running.id)));
    assert!(row(&before, running.id).contains("name=\"next\""), "the button comes back to the list");
    let followed = staff.post(&format!("/scout/contracts/{}/follow", running.id), &[("next", list)]).await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER);
    assert_eq!(followed.header("location"), format!("{list}#contract-{}", running.id));
    let after = staff.get(list).await.body;
    assert!(row(&after, running.id).contains(">Following</span>"), "{}", row(&after, running.id));
    assert!(row(&after, running.id).contains(&format!("action=\"/scout/contracts/{}/unfollow\"", running.id)));
    assert!(row(&after, running.id).contains("Stop following"));
    assert!(!row(&after, expiring.id).contains(">Following</span>"), "only what they follow is marked");
    assert!(row(&after, expiring.id).contains("/follow\""));
    // Another user sees their own follows only; the visitor's cached page is unchanged.
    let county = Browser::sign_in_as(&app, "county@example.org", &[Role::County]).await;
    assert!(!row(&county.get(list).await.body, running.id).contains(">Following</span>"));
    assert!(!visitor.get(list).await.body.contains(">Following</span>"));
    // The company page lists its contracts the same way.
    let company = staff.get(&format!("/scout/companies/{}", plow.id)).await.body;
    assert!(
        company.contains("<h1>Allegheny Plow Parts, LLC</h1>")
            && row(&company, running.id).contains(">Following</span>")
    );

    // Unfollowing comes back too; a `next` that is not a Scout page is not followed.
    let unfollowed = staff.post(&format!("/scout/contracts/{}/unfollow", running.id), &[("next", list)]).await;
    assert_eq!(unfollowed.header("location"), format!("{list}#contract-{}", running.id));
    assert!(!row(&staff.get(list).await.body, running.id).contains(">Following</span>"));
    for elsewhere in ["https://evil.example/", "//evil.example/scout/", "/admin/", "/scout/x#y"] {
        let r = staff.post(&format!("/scout/contracts/{}/follow", expiring.id), &[("next", elsewhere)]).await;
        assert_eq!(r.header("location"), format!("/scout/contracts/{}", expiring.id), "{elsewhere}");
    }
}
on_both_backends!(result_rows_show_status_links_and_what_the_viewer_follows);

/// Stored capitals read as title case on every page, and stay as stored in the API and the
/// database; text with any lower-case letter is shown as it is.
async fn capitals_are_shown_in_title_case_on_pages_only(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    common::builders::sample_contracts(&app).await;
    let gear = contract_described(&app, "PROTECTIVE GEAR").await;
    let visitor = Browser::new(&app);
    let page = visitor.get(&format!("/scout/contracts/{}", gear.id)).await.body;
    assert!(page.contains("<h1>Firefighters&#39; Protective Gear</h1>"), "{page}");
    assert!(page.contains(">3 Rivers Fire Equipment</a>"));
    let results = visitor.get("/scout/search?q=fire+equipment&expired=on").await.body;
    assert!(results.contains("<mark>Fire</mark> <mark>Equipment</mark>"), "the passage too: {results}");
    let feedback = visitor.get(&format!("/scout/contracts/{}/feedback", gear.id)).await.body;
    assert!(feedback.contains(">Firefighters&#39; Protective Gear</a>"));

    let api = app.get_json(&format!("/api/v1/contracts/{}", gear.id)).await.json();
    assert_eq!(api["description"], "FIREFIGHTERS' PROTECTIVE GEAR");
    assert_eq!(api["companies"][0]["name"], "3 RIVERS FIRE EQUIPMENT");
    let stored = contract::Entity::find_by_id(gear.id).one(&app.state.db).await.expect("q").expect("row");
    assert_eq!(stored.description.as_deref(), Some("FIREFIGHTERS' PROTECTIVE GEAR"));

    let mixed = Contract::new("IT services for the 311 call center (PQ)").insert(&app).await;
    assert!(
        visitor
            .get(&format!("/scout/contracts/{}", mixed.id))
            .await
            .body
            .contains("<h1>IT services for the 311 call center (PQ)</h1>")
    );
}
on_both_backends!(capitals_are_shown_in_title_case_on_pages_only);

/// An expired contract's page does not invite following "to hear before it expires".
async fn only_running_contracts_promise_a_reminder(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let today = app.state.config.site.today();
    let running = Contract::new("Road salt").expires(today + Duration::days(60)).insert(&app).await;
    let ended = Contract::new("Road salt, last winter").expires(today - Duration::days(60)).insert(&app).await;
    let visitor = Browser::new(&app);
    assert!(visitor.get(&format!("/scout/contracts/{}", running.id)).await.body.contains("hear before it expires"));
    let expired = visitor.get(&format!("/scout/contracts/{}", ended.id)).await.body;
    assert!(!expired.contains("hear before it expires"), "{expired}");
    assert!(expired.contains("keep it among the contracts you follow"));
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    let signed_in = staff.get(&format!("/scout/contracts/{}", ended.id)).await.body;
    assert!(signed_in.contains("with no reminder to come") && !signed_in.contains("hear before it expires"));
}
on_both_backends!(only_running_contracts_promise_a_reminder);
