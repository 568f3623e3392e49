//! Contract search on SQLite (FTS5) and PostgreSQL (tsvector): the query language, filters,
//! ranking, paging, "found in" and highlighted passages, and an index that is never stale.

mod common;

use common::{Backend, TestApp};
use scout::import::{self, Actor, Kind};
use scout::search::{self, Field, Request, Results};

const HEADER: &str = "TYPE OF CONTRACT,CONTRACT,PA,COMPANY,SERVICE,EXPIRATION,CONTROLLER,ADDRESS1,ADDRESS2,E-MAIL ADDRESS,CONTACT,PHONE #,FAX #,NOTES";

async fn load(app: &TestApp, name: &str, rows: &[String]) {
    let text = format!("{HEADER}\r{}\r", rows.join("\r"));
    let report = import::import(&app.state.db, Actor(None), Kind::Contracts, name, text.as_bytes(), &|_, _| {})
        .await
        .expect("import");
    assert_eq!(report.skipped, 0, "{:?}", report.problems);
}

fn row(kind: &str, company: &str, service: &str, expires: &str, controller: &str) -> String {
    format!("{kind},S-{controller},,\"{company}\",\"{service}\",{expires},{controller},,,,,,,")
}

async fn find(app: &TestApp, q: &str) -> Results {
    run(app, Request { q: q.into(), ..Request::default() }).await
}

/// A search as the pages run it (on the process's index), checked against the database's
/// answer: the same count, the same contracts on the page (ranks may tie differently).
async fn run(app: &TestApp, mut req: Request) -> Results {
    req.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22);
    let found = search::find(&app.state, &req).await.unwrap_or_else(|e| panic!("{:?}: {e}", req.q));
    let reference = search::search(&app.state.db, &req).await.unwrap_or_else(|e| panic!("{:?}: {e}", req.q));
    assert_eq!(found.total, reference.total, "{:?}", req.q);
    let ids = |r: &Results| r.hits.iter().map(|h| h.contract_id).collect::<std::collections::BTreeSet<_>>();
    if found.total <= search::PER_PAGE {
        assert_eq!(ids(&found), ids(&reference), "{:?}", req.q);
    }
    found
}

async fn description_of(app: &TestApp, id: i32) -> String {
    use sea_orm::EntityTrait;
    model::entities::contract::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("row")
        .description
        .unwrap_or_default()
}

async fn descriptions(app: &TestApp, r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for h in &r.hits {
        out.push(description_of(app, h.contract_id).await);
    }
    out
}

async fn the_query_language_filters_and_passages(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    load(
        &app,
        "city.csv",
        &[
            row("County", "ACME FIRE EQUIPMENT", "FIRE PROTECTIVE GEAR", "6/30/30", "1001"),
            row("A-BID", "BLUE TRUCKS INC", "SNOW PLOW TRUCKS", "6/30/30", "1002"),
            row("A-BID", "GREEN OFFICE SUPPLY & <CO>", "OFFICE FURNITURE", "1/1/10", "1003"),
            row("B-BID", "RED TRUCKS LLC", "DUMP TRUCKS AND PARTS", "6/30/30", "1004"),
        ],
    )
    .await;

    let fire = find(&app, "fire").await;
    assert_eq!(fire.total, 1);
    assert_eq!(fire.hits[0].found_in, "company name");
    assert!(fire.hits[0].snippet.contains("<mark>"), "{:?}", fire.hits[0]);

    // AND by default, OR, exclusion, phrases.
    assert_eq!(descriptions(&app, &find(&app, "trucks snow").await).await, ["SNOW PLOW TRUCKS"]);
    assert_eq!(find(&app, "trucks").await.total, 2);
    assert_eq!(find(&app, "plow OR dump").await.total, 2);
    assert_eq!(descriptions(&app, &find(&app, "trucks -snow").await).await, ["DUMP TRUCKS AND PARTS"]);
    // AND binds the same way on both databases: (snow) AND (plow OR dump).
    assert_eq!(descriptions(&app, &find(&app, "snow plow OR dump").await).await, ["SNOW PLOW TRUCKS"]);
    assert_eq!(descriptions(&app, &find(&app, "plow OR dump -snow").await).await, ["DUMP TRUCKS AND PARTS"]);
    assert_eq!(find(&app, "\"protective gear\"").await.total, 1);
    assert_eq!(find(&app, "\"gear protective\"").await.total, 0);

    // Expired contracts only when asked for.
    assert_eq!(find(&app, "furniture").await.total, 0);
    let with_expired = run(&app, Request { q: "furniture".into(), include_expired: true, ..Request::default() }).await;
    assert_eq!(with_expired.total, 1);
    // The company's "& <CO>" comes back escaped, never as markup.
    let supply = run(&app, Request { q: "supply".into(), include_expired: true, ..Request::default() }).await;
    assert_eq!(supply.total, 1);
    let snippet = supply.hits[0].snippet.replace("<mark>", "").replace("</mark>", "");
    let unescaped = snippet.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "");
    assert!(!snippet.contains('<') && !unescaped.contains('&'), "{:?}", supply.hits[0]);

    // A controller number matches directly, first.
    let by_number = find(&app, "1002").await;
    assert_eq!(by_number.hits[0].found_in, "controller number");
    assert_eq!(description_of(&app, by_number.hits[0].contract_id).await, "SNOW PLOW TRUCKS");

    // Fields to search in.
    let only_descriptions =
        run(&app, Request { q: "fire".into(), fields: vec![Field::Description], ..Request::default() }).await;
    assert_eq!(only_descriptions.total, 1);
    assert_eq!(only_descriptions.hits[0].found_in, "description");
    let only_items = run(&app, Request { q: "fire".into(), fields: vec![Field::LineItem], ..Request::default() }).await;
    assert_eq!(only_items.total, 0);

    // Contract type filter.
    let a_bid = model::entities::contract_type::Entity::find_by_name(&app, "A-BID").await;
    let typed = run(&app, Request { q: "trucks".into(), contract_type: Some(a_bid), ..Request::default() }).await;
    assert_eq!(descriptions(&app, &typed).await, ["SNOW PLOW TRUCKS"]);

    // Malformed input never errors.
    for junk in
        ["\"", "OR", "-", "- -trucks", "((( ***", "NEAR(a b)", "\\", "'; DROP TABLE contracts; --", &"x ".repeat(5_000)]
    {
        let r = find(&app, junk).await;
        assert!(r.total <= 4, "{junk:?}");
    }
}
on_both_backends!(the_query_language_filters_and_passages);

trait FindByName {
    async fn find_by_name(app: &TestApp, name: &str) -> i32;
}

impl FindByName for model::entities::contract_type::Entity {
    async fn find_by_name(app: &TestApp, name: &str) -> i32 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        model::entities::contract_type::Entity::find()
            .filter(model::entities::contract_type::Column::Name.eq(name))
            .one(&app.state.db)
            .await
            .expect("q")
            .expect("type")
            .id
    }
}

async fn results_are_paged_and_the_index_is_never_stale(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let rows: Vec<String> = (0..60)
        .map(|i| {
            row(
                "County",
                &format!("WIDGET MAKER {i}"),
                &format!("WIDGETS LOT {i}"),
                "6/30/30",
                &format!("{}", 5000 + i),
            )
        })
        .collect();
    load(&app, "widgets.csv", &rows).await;
    let first = find(&app, "widgets").await;
    assert_eq!((first.total, first.pages, first.hits.len()), (60, 2, 50));
    let second = run(&app, Request { q: "widgets".into(), page: 2, ..Request::default() }).await;
    let browser = common::browser::Browser::new(&app);
    let past = browser.get("/scout/search?q=widgets&page=999").await;
    assert_eq!(past.status.as_u16(), 303, "past the last page: sent to it");
    assert!(past.header("location").ends_with("page=2"), "{}", past.header("location"));
    assert_eq!(second.hits.len(), 10);
    let mut all: Vec<i32> = first.hits.iter().chain(&second.hits).map(|h| h.contract_id).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 60, "pages do not overlap");

    // A second file adds a company to an existing contract: found at once by the new name.
    assert_eq!(find(&app, "zanzibar").await.total, 0);
    load(&app, "more.csv", &[row("County", "ZANZIBAR SUPPLY", "WIDGETS LOT 7", "6/30/30", "5007")]).await;
    let found = find(&app, "zanzibar").await;
    assert_eq!(found.total, 1);
    assert_eq!(description_of(&app, found.hits[0].contract_id).await, "WIDGETS LOT 7");
}
on_both_backends!(results_are_paged_and_the_index_is_never_stale);

async fn the_demo_set_is_complete_and_searchable(backend: Backend) {
    use model::entities::{
        company, contract, contract_company, contract_follower, contract_type, department, line_item,
    };
    use scout::demo::catalogue::{KINDS, STAFF};
    use sea_orm::EntityTrait;
    use std::collections::HashMap;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let made = scout::demo::load(db, 50, today).await.expect("demo");
    assert_eq!((made.contracts, made.companies, made.line_items), (50, 16, 500), "at least a company of each trade");
    assert_eq!(made.staff, 6);
    assert_eq!(app.count("SELECT COUNT(*) FROM contract_search").await, 50, "every demo contract is indexed");
    let by_number = find(&app, "900007").await;
    assert_eq!(by_number.hits.first().map(|h| h.found_in), Some("controller number"));

    // Every contract is of a kind, and everything about it fits that kind: its line items, its
    // company's trade, its department and its type.
    let names = |rows: Vec<(i32, String)>| rows.into_iter().collect::<HashMap<i32, String>>();
    let companies =
        names(company::Entity::find().all(db).await.expect("q").into_iter().map(|c| (c.id, c.name)).collect());
    let types =
        names(contract_type::Entity::find().all(db).await.expect("q").into_iter().map(|t| (t.id, t.name)).collect());
    let departments =
        names(department::Entity::find().all(db).await.expect("q").into_iter().map(|d| (d.id, d.name)).collect());
    let holders: HashMap<i32, i32> = contract_company::Entity::find()
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|l| (l.contract_id, l.company_id))
        .collect();
    let mut items: HashMap<i32, Vec<String>> = HashMap::new();
    for item in line_item::Entity::find().all(db).await.expect("q") {
        assert!(item.unit_cost.is_some_and(|c| c > 0.0), "{item:?}");
        items.entry(item.contract_id).or_default().push(item.description);
    }
    let mut replaced = 0;
    for c in contract::Entity::find().all(db).await.expect("q") {
        let title = c.description.clone().unwrap_or_default();
        let kind = KINDS.iter().find(|k| k.titles.contains(&title.as_str())).unwrap_or_else(|| panic!("{title}"));
        let theirs = items.get(&c.id).cloned().unwrap_or_default();
        assert_eq!(theirs.len(), 10, "{title}");
        assert!(theirs.iter().all(|i| kind.items.iter().any(|k| k.description == i)), "{title}: {theirs:?}");
        let company = &companies[&holders[&c.id]];
        assert!(kind.trades.iter().any(|t| company.contains(t)), "{title} from {company}");
        let department = c.department_id.map(|d| departments[&d].as_str()).unwrap_or_default();
        assert!(kind.departments.contains(&department), "{title} for {department}");
        let kind_of = c.contract_type_id.map(|t| types[&t].as_str()).unwrap_or_default();
        assert!(kind.types.contains(&kind_of), "{title} as {kind_of}");
        assert!(!title.contains('(') && !company.contains('#'), "no run numbers in names: {title}, {company}");
        replaced += usize::from(c.parent_id.is_some());
    }
    assert!(replaced >= 2, "some contracts renew expired ones");

    // Staff of several departments follow contracts of their own department, so browsing by
    // department shows something.
    let followed_in: Vec<i32> = contract_follower::Entity::find()
        .find_also_related(model::entities::user::Entity)
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .filter_map(|(_, u)| u.and_then(|u| u.department_id))
        .collect();
    let mut busy: Vec<i32> = followed_in.clone();
    busy.sort_unstable();
    busy.dedup();
    assert!(busy.len() >= 3, "followers in several departments: {busy:?}");
    assert!(STAFF.iter().all(|(email, ..)| email.ends_with("@example.org")), "addresses never delivered");
    let works = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("seeded");
    let page = app.get(&format!("/scout/departments/{works}")).await;
    assert!(page.body.contains("id=\"contract-"), "{}", page.body);

    // Running it again adds nothing; a scale of 0 is refused.
    assert_eq!(scout::demo::load(db, 50, today).await.expect("again"), scout::demo::Made::default());
    assert_eq!(app.count("SELECT COUNT(*) FROM contracts").await, 50);
    assert!(scout::demo::load(db, 0, today).await.is_err(), "a scale of 0 is refused");
}
on_both_backends!(the_demo_set_is_complete_and_searchable);

/// Text stored with the control characters the highlight markers are made of (before the input
/// rule, or written by hand) cannot forge a mark: only the matched word is marked.
async fn stored_marker_characters_do_not_become_marks(backend: Backend) {
    use sea_orm::{ActiveModelTrait, Set};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let contract = model::entities::contract::ActiveModel {
        description: Set(Some("Road \u{1}salt\u{2} and \u{1}grit for winter".into())),
        is_visible: Set(true),
        is_archived: Set(false),
        ..model::Stamp::created(None, chrono::Utc::now())
    }
    .insert(&app.state.db)
    .await
    .expect("contract");
    search::reindex(&app.state.db, contract.id).await.expect("reindex");
    let found = find(&app, "winter").await;
    assert_eq!(found.hits.len(), 1);
    let snippet = &found.hits[0].snippet;
    assert_eq!(snippet.matches("<mark>").count(), 1, "{snippet}");
    assert!(snippet.contains("<mark>winter</mark>") && snippet.contains("Road salt and grit"), "{snippet}");
}
on_both_backends!(stored_marker_characters_do_not_become_marks);

/// Each web process keeps its own index, and two on one database are two indexes: whatever
/// changes through one (an import, a column set by a script, a deletion) is found through the
/// other by the next search, with no wait.
async fn an_edit_through_one_process_is_found_through_another(backend: Backend) {
    use sea_orm::ConnectionTrait;
    use tower::ServiceExt;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let config = app.state.config.clone();
    let other = procure::app::build_state(config.clone(), procure::app::open_database(&config).await.expect("open"))
        .await
        .expect("a second process's state");
    let through_other = |q: &str| {
        let req = Request { q: q.into(), today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22), ..Request::default() };
        let other = other.clone();
        async move { search::find(&other, &req).await.expect("search").total }
    };
    load(
        &app,
        "city.csv",
        &[
            row("County", "ACME FIRE EQUIPMENT", "FIRE PROTECTIVE GEAR", "6/30/30", "1001"),
            row("A-BID", "BLUE TRUCKS INC", "SNOW PLOW TRUCKS", "6/30/30", "1002"),
        ],
    )
    .await;
    assert_eq!((through_other("fire").await, find(&app, "fire").await.total), (1, 1), "both indexes loaded");

    // Text: a company added and a contract made by one import through the first (one batch, so
    // one raise of the version records both contracts).
    load(
        &app,
        "more.csv",
        &[
            row("A-BID", "ZANZIBAR SUPPLY", "SNOW PLOW TRUCKS", "6/30/30", "1002"),
            row("A-BID", "QUOKKA PAVING", "ASPHALT RESURFACING", "6/30/30", "1003"),
        ],
    )
    .await;
    assert_eq!((through_other("zanzibar").await, through_other("quokka").await), (1, 1));
    let page = procure::app::router(&other)
        .oneshot(
            axum::http::Request::get("/scout/search?q=zanzibar")
                .header("host", "localhost")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    let body = axum::body::to_bytes(page.into_body(), usize::MAX).await.expect("body");
    assert!(String::from_utf8_lossy(&body).contains("1 contract found"), "the other's page");

    // A column the filters read, set by hand (no service layer, no reindex).
    let exec = |sql: &'static str| {
        let db = app.state.db.clone();
        async move { db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}")) }
    };
    exec("UPDATE contracts SET is_archived = true WHERE financial_id = '1001'").await;
    assert_eq!(through_other("fire").await, 0, "archived");
    exec("UPDATE contracts SET is_archived = false, financial_id = '7777' WHERE financial_id = '1001'").await;
    assert_eq!(through_other("fire").await, 1, "back");
    assert_eq!(through_other("7777").await, 1, "found by its new controller number");

    // A contract deleted.
    let zanzibar = find(&app, "zanzibar").await.hits[0].contract_id;
    let sql = format!("DELETE FROM contracts WHERE id = {zanzibar}");
    app.state.db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(through_other("zanzibar").await, 0, "deleted");
    assert_eq!(find(&app, "zanzibar").await.total, 0);
}
on_both_backends!(an_edit_through_one_process_is_found_through_another);

/// A hundred visitors asking for the same page at the same moment, before it is cached: the
/// search runs once, and all get its page.
async fn concurrent_identical_misses_run_the_search_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    load(&app, "city.csv", &[row("A-BID", "BLUE TRUCKS INC", "SNOW PLOW TRUCKS", "6/30/30", "1002")]).await;
    let kept = app.state.contributions.all::<search::Kept>().next().expect("the Scout wing's index");
    let before = kept.searches();
    let pages = futures_util::future::join_all((0..100).map(|_| app.get("/scout/search?q=plow"))).await;
    assert!(pages.iter().all(|p| p.status.is_success() && p.body.contains("1 contract found")));
    assert_eq!(kept.searches() - before, 1, "searches run for 100 identical requests");
    // A different search is a different page.
    app.get("/scout/search?q=snow").await;
    assert_eq!(kept.searches() - before, 2);
}
on_both_backends!(concurrent_identical_misses_run_the_search_once);

/// While a cached answer is made, its data's version is the one read when the making began
/// (the version it is kept under), not read again: a search page reads it once, not four times.
/// A change committed meanwhile is for the next answer; other data's versions are read as usual.
async fn a_cached_answer_is_made_at_the_version_it_is_kept_under(backend: Backend) {
    use platform::freshness;
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = app.state.db.clone();
    let data = scout::freshness::DATA;
    let before = freshness::version(&db, data).await.expect("version");
    let beacon = freshness::version(&db, beacon::lifecycle::DATA).await.expect("version");
    let made = freshness::cached(&app.state, data, "probe", || async {
        scout::freshness::bump(&db).await?;
        platform::freshness::bump(&db, beacon::lifecycle::DATA).await?;
        let inside = freshness::version(&db, data).await?;
        let other = freshness::version(&db, beacon::lifecycle::DATA).await?;
        Ok::<_, sea_orm::DbErr>(Some(format!("{inside} {other}")))
    })
    .await
    .expect("made");
    assert_eq!(made, Some(format!("{before} {}", beacon + 1)));
    assert_eq!(freshness::version(&db, data).await.expect("version"), before + 1, "read again outside");
}
on_both_backends!(a_cached_answer_is_made_at_the_version_it_is_kept_under);
