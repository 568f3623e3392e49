//! Conductor's metrics (issue 16): the figures per flow (averages, buckets with true bounds,
//! unassigned work, superseded rows left out but kept), the page with its charts and tables,
//! the flow's data, the exports with their statuses, and that figures follow every change.
//! On both databases.

mod common;

use accounts::{CurrentUser, Role};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::browser::Browser;
use common::builders::{Contract, User, managed_contract};
use common::{Backend, TestApp};
use conductor::emails::Mailing;
use conductor::metrics::{Filter, figures};
use conductor::start::Start;
use model::entities::{conductor_set_aside, work_item, work_item_activity, work_item_stage};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

fn start(description: &str, flow: i32, assignee: &CurrentUser, at: DateTime<Utc>) -> Start {
    Start {
        description: description.into(),
        flow_id: Some(flow),
        assignee_id: Some(assignee.id),
        department_id: None,
        at: Some(at),
    }
}

/// What the metrics tests start from: flow "Bid" (Review, Quote, Sign; targets 10 days) and
/// "Quick", and work through them at known moments:
/// - Salt: Review took 1 day, Quote 2 days; now in Sign for 17 days (past its target).
/// - Cones: Review took 2 days; now in Quote for 7.5 days; unassigned.
/// - Gravel: Review took 1 day, then the work went back to it (the row reopened; the log keeps
///   the first pass); in Review 3 days.
/// - Paint: Review took 5 days, then moved to "Quick" (its "Bid" rows superseded).
struct Setup {
    bid: i32,
    quick: i32,
    salt: work_item::Model,
    cones: work_item::Model,
    gravel: work_item::Model,
    paint: work_item::Model,
    now: DateTime<Utc>,
}

async fn setup(app: &TestApp) -> Setup {
    let db = &app.state.db;
    let mail = Mailing::of(&app.state);
    let cora = User::new("cora@pittsburghpa.gov").roles(&[Role::Conductor]).insert(app).await;
    let bid = common::builders::flow(app, "Bid", &["Review", "Quote", "Sign"]).await;
    let quick = common::builders::flow(app, "Quick", &["Check", "Done"]).await;
    let now = Utc::now();
    let days = |d: f64| now - Duration::seconds((d * 86_400.0) as i64);

    let parent = managed_contract(app, "Road salt", "SPEC-1", 40).await;
    let salt =
        conductor::start::renewal(db, &mail, Some(&cora), parent, &start("Salt 2027", bid, &cora, days(20.0)), now)
            .await
            .expect("salt");
    conductor::transitions::complete(db, Some(&cora), salt.id, days(19.0), now).await.expect("review");
    conductor::transitions::complete(db, Some(&cora), salt.id, days(17.0), now).await.expect("quote");

    let cones =
        conductor::start::new_work(db, &mail, Some(&cora), &start("Café cones\tand signs", bid, &cora, days(9.5)), now)
            .await
            .expect("cones");
    conductor::transitions::complete(db, Some(&cora), cones.id, days(7.5), now).await.expect("review");
    work_item::Entity::update_many()
        .col_expr(work_item::Column::AssigneeId, Expr::value(Option::<i32>::None))
        .filter(work_item::Column::Id.eq(cones.id))
        .exec(db)
        .await
        .expect("unassign");

    let gravel = conductor::start::new_work(db, &mail, Some(&cora), &start("Gravel", bid, &cora, days(5.0)), now)
        .await
        .expect("gravel");
    conductor::transitions::complete(db, Some(&cora), gravel.id, days(4.0), now).await.expect("review");
    conductor::transitions::revert(db, Some(&cora), gravel.id, 0, days(3.0), now).await.expect("revert");

    let paint = conductor::start::new_work(db, &mail, Some(&cora), &start("Paint", bid, &cora, days(8.0)), now)
        .await
        .expect("paint");
    conductor::transitions::complete(db, Some(&cora), paint.id, days(3.0), now).await.expect("review");
    conductor::flows::switch(db, Some(&cora), paint.id, quick, now).await.expect("switch");
    Setup { bid, quick, salt, cones, gravel, paint, now }
}

async fn the_figures_count_every_current_passage_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let s = setup(&app).await;
    let prepared = conductor::metrics::prepared(&app.state, s.bid, Filter::default()).await.expect("figures");
    let names: Vec<&str> = prepared.stages.iter().map(|st| st.name.as_str()).collect();
    assert_eq!(names, ["Review", "Quote", "Sign"]);
    // Review: Salt 1 day and Cones 2 days; Gravel's reverted passage and Paint's switched-away
    // one are superseded.
    assert_eq!(prepared.completed[0].average_days, 1.5);
    assert_eq!(prepared.completed[0].took.len(), 2);
    assert_eq!(prepared.completed[1].average_days, 2.0);
    assert_eq!(prepared.completed[2].took.len(), 0);
    let open = figures::open(&prepared.stages, &prepared.open, s.now);
    assert_eq!(open[0].by_bucket, [0, 1, 0, 0, 0], "Gravel, 3 days in Review");
    assert_eq!(open[1].by_bucket, [0, 0, 1, 0, 0], "Cones, 7.5 days in Quote, unassigned and counted");
    assert_eq!(open[2].by_bucket, [0, 0, 0, 1, 0], "Salt, 17 days in Sign");
    assert_eq!((open[2].over_target, open[1].over_target), (1, 0), "past the 10-day target or not");

    // What the figures leave out is kept: Paint's rows in "Bid" (superseded by the switch) and
    // the log's entry of Gravel's first pass through Review (the revert reopened the row).
    let kept = work_item_stage::Entity::find()
        .filter(work_item_stage::Column::SupersededAt.is_not_null())
        .filter(work_item_stage::Column::WorkItemId.eq(s.paint.id))
        .count(&app.state.db)
        .await
        .expect("q");
    assert_eq!(kept, 3, "Paint's three rows in Bid");
    let history = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(s.gravel.id))
        .filter(work_item_activity::Column::Kind.eq("exited"))
        .count(&app.state.db)
        .await
        .expect("q");
    assert_eq!(history, 1, "Gravel's completed Review stays in its log");
    let quick = conductor::metrics::prepared(&app.state, s.quick, Filter::default()).await.expect("figures");
    assert_eq!(figures::open(&quick.stages, &quick.open, s.now)[0].total(), 1, "Paint is in Quick now");

    // A department filter and a date range.
    let other = Filter { department: Some(999_999), ..Filter::default() };
    let none = conductor::metrics::prepared(&app.state, s.bid, other).await.expect("figures");
    assert!(none.completed.iter().all(|c| c.took.is_empty()) && none.open.is_empty());
    let recent = Filter { from: Some(s.now - Duration::days(10)), ..Filter::default() };
    let recent = conductor::metrics::prepared(&app.state, s.bid, recent).await.expect("figures");
    assert_eq!(recent.completed[0].took.len(), 1, "only Cones completed Review in the last 10 days");
    assert_eq!(recent.open.len(), 3, "open work is counted whatever the range");
}
on_both_backends!(the_figures_count_every_current_passage_once);

async fn the_figures_follow_every_change(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let s = setup(&app).await;
    let cora = accounts::users::current_user(&app.state.db, s.salt.assignee_id.expect("assigned")).await;
    let cora = cora.expect("q").expect("cora");
    let before = conductor::metrics::prepared(&app.state, s.bid, Filter::default()).await.expect("figures");
    conductor::transitions::complete(&app.state.db, Some(&cora), s.cones.id, s.now, s.now).await.expect("quote");
    let after = conductor::metrics::prepared(&app.state, s.bid, Filter::default()).await.expect("figures");
    assert_eq!(before.completed[1].took.len(), 1);
    assert_eq!(after.completed[1].took.len(), 2, "the completion is counted at once");
    assert_eq!(after.completed[1].average_days, 4.8, "(2 + 7.5) / 2, each rounded first");
}
on_both_backends!(the_figures_follow_every_change);

/// The numbers in a chart's `<title>`s that follow `prefix`, in order.
fn chart_values(svg: &str, prefix: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut values = Vec::new();
    let mut in_title = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"title" => in_title = true,
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"title" => in_title = false,
            quick_xml::events::Event::Text(t) if in_title => {
                let text = t.decode().expect("text").into_owned();
                if let Some(rest) = text.strip_prefix(prefix) {
                    values.push(rest.split(' ').next().unwrap_or_default().to_owned());
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    values
}

/// The first `<svg>…</svg>` after `marker` in `page`.
fn svg_after<'a>(page: &'a str, marker: &str) -> &'a str {
    let from = page.find(marker).unwrap_or_else(|| panic!("{marker} in the page"));
    let start = from + page[from..].find("<svg").expect("a chart");
    let end = start + page[start..].find("</svg>").expect("its end") + "</svg>".len();
    &page[start..end]
}

async fn the_page_draws_its_tables_and_the_data_agrees(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let s = setup(&app).await;
    let dana = Browser::sign_in_as(&app, "dana@pittsburghpa.gov", &[Role::Conductor]).await;
    let list = dana.get("/conductor/metrics/").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("/conductor/metrics/{}", s.bid)), "{}", list.body);

    let page = dana.get(&format!("/conductor/metrics/{}", s.bid)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let averages = svg_after(&page.body, "averages-heading");
    assert!(averages.contains("<title id=\"chart-average-title\">") && averages.contains("<desc id="));
    assert_eq!(chart_values(averages, "Average days: "), ["1.5", "2"], "bars for the stages with completions");
    for cell in ["<td data-label=\"Average days\">1.5</td>", "<td data-label=\"Average days\">2</td>"] {
        assert!(page.body.contains(cell), "the table says it too: {cell}");
    }
    let progress = svg_after(&page.body, "progress-heading");
    assert_eq!(chart_values(progress, "7 to 15 days: "), ["1"], "Cones");
    assert!(page.body.contains("1 past target"), "Salt is past Sign's target");
    // Review's distribution by default, longest first; each row links to its work.
    let distribution = &page.body[page.body.find("id=\"distribution\"").expect("distribution")..];
    let cones = distribution.find("Café cones").expect("Cones is listed");
    let salt = distribution.find("Salt 2027").expect("Salt is listed");
    assert!(cones < salt, "2 days before 1 day");
    assert!(distribution.contains(&format!("/conductor/items/{}", s.cones.id)));

    // Which work follows the flow: the index, filtered by it (linked from the metrics).
    assert!(list.body.contains(&format!("/conductor/?who=all&amp;flow={}", s.bid)), "{}", list.body);
    let following = dana.get(&format!("/conductor/?who=all&flow={}", s.bid)).await;
    assert!(following.body.contains("Only the work following the flow “Bid”"), "{}", following.body);
    assert!(following.body.contains("3 items") && !following.body.contains("Paint"), "{}", following.body);
    let moved = dana.get(&format!("/conductor/?who=all&flow={}", s.quick)).await;
    assert!(moved.body.contains("1 item.") && moved.body.contains("Paint"), "{}", moved.body);

    // A filter it cannot read is a clear 400 naming the field; nothing else is shown.
    let bad = dana.get(&format!("/conductor/metrics/{}?from=yesterday", s.bid)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter the date as YYYY-MM-DD") && !bad.body.contains("<svg"));
    assert_eq!(dana.get("/conductor/metrics/999999").await.status, StatusCode::NOT_FOUND);

    // The data: completed stages and current ones, unassigned work included (email null).
    let data = dana.get(&format!("/api/v1/conductor/flows/{}/metrics", s.bid)).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    let data = data.json();
    assert_eq!(data["stageOrder"].as_array().map(Vec::len), Some(3));
    let current = data["current"].as_array().expect("current");
    let cones = current.iter().find(|i| i["contract_id"] == s.cones.contract_id).expect("Cones is current");
    assert!(cones["email"].is_null(), "unassigned");
    assert_eq!(cones["stages"][0]["name"], "Quote");
    let seconds = cones["stages"][0]["seconds"].as_i64().expect("seconds");
    assert!((7 * 86_400 + 43_000..7 * 86_400 + 44_000).contains(&seconds), "{seconds}");
    assert!(data["complete"].as_array().expect("complete").iter().any(|i| i["contract_id"] == s.salt.contract_id));
}
on_both_backends!(the_page_draws_its_tables_and_the_data_agrees);

/// A TSV line's cells, with its escapes read back.
fn tsv_cells(line: &str) -> Vec<String> {
    line.split('\t')
        .map(|cell| {
            let mut out = String::new();
            let mut chars = cell.chars();
            while let Some(c) = chars.next() {
                match (c, c == '\\') {
                    (_, true) => match chars.next() {
                        Some('t') => out.push('\t'),
                        Some('n') => out.push('\n'),
                        Some('r') => out.push('\r'),
                        Some(other) => out.push(other),
                        None => {}
                    },
                    (c, false) => out.push(c),
                }
            }
            out
        })
        .collect()
}

async fn the_exports_keep_every_row_in_its_columns(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let s = setup(&app).await;
    let dana = Browser::sign_in_as(&app, "dana@pittsburghpa.gov", &[Role::Conductor]).await;
    let tsv = dana.get(&format!("/conductor/metrics/{}/export?format=tsv", s.bid)).await;
    assert_eq!(tsv.status, StatusCode::OK);
    assert!(tsv.header("content-type").starts_with("text/tab-separated-values"));
    assert!(tsv.header("content-disposition").contains("conductor-bid-metrics.tsv"));
    let lines: Vec<&str> = tsv.body.lines().collect();
    assert_eq!(
        tsv_cells(lines[0]),
        ["item_number", "description", "assigned_to", "department", "Review", "Quote", "Sign"]
    );
    let cones: Vec<String> =
        lines.iter().map(|l| tsv_cells(l)).find(|c| c[0] == s.cones.contract_id.to_string()).expect("Cones has a row");
    assert_eq!(cones[1], "Café cones\tand signs", "UTF-8 and a tab survive the round trip");
    assert_eq!(cones[2], "", "unassigned");
    assert!(!cones[4].is_empty() && cones[5].is_empty() && cones[6].is_empty(), "at stage 2, blanks after: {cones:?}");
    assert!(lines.iter().all(|l| tsv_cells(l).len() == 7), "every row has every column");

    let csv = dana.get(&format!("/conductor/metrics/{}/export?format=csv", s.bid)).await;
    assert!(csv.body.contains("\"Café cones\tand signs\"") || csv.body.contains("Café cones\tand signs"));
    // An empty flow's export is its header.
    let empty = common::builders::flow(&app, "Empty", &["Only"]).await;
    let nothing = dana.get(&format!("/conductor/metrics/{empty}/export?format=csv")).await;
    assert_eq!(nothing.body, "item_number,description,assigned_to,department,Only\n");
    assert_eq!(
        dana.get(&format!("/conductor/metrics/{}/export?format=xls", s.bid)).await.status,
        StatusCode::BAD_REQUEST
    );
}
on_both_backends!(the_exports_keep_every_row_in_its_columns);

async fn the_all_contracts_export_names_every_status(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let dana = Browser::sign_in_as(&app, "dana@pittsburghpa.gov", &[Role::Conductor]).await;
    let empty = dana.get("/conductor/export?format=csv").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(
        empty.body,
        "item_number,parent_item_number,description,expiration_date,parent_expiration,department,assigned_to,\
         spec_number,parent_spec,flow_name,status\n",
        "the header even when nothing matches"
    );

    let s = setup(&app).await;
    let waiting = managed_contract(&app, "Fire hose", "SPEC-2", 300).await;
    let shelved = managed_contract(&app, "Old radios", "SPEC-3", 300).await;
    conductor_set_aside::ActiveModel { contract_id: Set(shelved), created_at: Set(Utc::now()), created_by: Set(None) }
        .insert(db)
        .await
        .expect("set aside");
    let gone = managed_contract(&app, "Pagers", "SPEC-4", -30).await;
    model::entities::contract::Entity::update_many()
        .col_expr(model::entities::contract::Column::IsArchived, Expr::value(true))
        .filter(model::entities::contract::Column::Id.eq(gone))
        .exec(db)
        .await
        .expect("archive");
    let unmanaged = Contract::new("Staplers").insert(&app).await;
    for (item, status) in
        [(s.cones.id, work_item::REMOVED), (s.gravel.id, work_item::COMPLETED), (s.paint.id, work_item::KILLED)]
    {
        work_item::Entity::update_many()
            .col_expr(work_item::Column::Status, Expr::value(status))
            .filter(work_item::Column::Id.eq(item))
            .exec(db)
            .await
            .expect("status");
    }

    let tsv = dana.get("/conductor/export?format=tsv").await;
    assert!(tsv.header("content-disposition").contains("conductor-all-"));
    let rows: Vec<Vec<String>> = tsv.body.lines().skip(1).map(tsv_cells).collect();
    let status_of = |id: i32| {
        rows.iter().find(|r| r[0] == id.to_string()).map(|r| r[10].clone()).unwrap_or_else(|| "absent".into())
    };
    assert_eq!(status_of(s.salt.contract_id), "in progress");
    assert_eq!(status_of(s.cones.contract_id), "removed from Conductor");
    assert_eq!(status_of(s.gravel.contract_id), "completed");
    assert_eq!(status_of(s.paint.contract_id), "archived", "killed work's successor is archived");
    assert_eq!(status_of(waiting), "not started");
    assert_eq!(status_of(shelved), "set aside");
    assert_eq!(status_of(gone), "archived");
    assert_eq!(status_of(unmanaged.id), "absent", "a type Conductor does not manage");
    let salt = rows.iter().find(|r| r[0] == s.salt.contract_id.to_string()).expect("salt");
    assert_eq!((salt[8].as_str(), salt[9].as_str()), ("SPEC-1", "Bid"), "the parent's spec and the flow");
    assert_eq!(salt[6], "cora@pittsburghpa.gov");
    assert!(
        !rows.iter().any(|r| s.salt.parent_id.is_some_and(|p| r[0] == p.to_string())),
        "the renewed contract is the row's parent, not a row"
    );
}
on_both_backends!(the_all_contracts_export_names_every_status);
