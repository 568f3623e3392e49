//! The index `/conductor/`: three lists, each sorted, searched and paged by the server from the
//! query string (the page works without JavaScript; htmx only refreshes it live):
//! - **In progress**: every work item in progress, unassigned ones included (the original's
//!   inner join dropped them), with its spec number (else the renewed contract's), the renewed
//!   contract's expiration, the current stage and the days spent in it against the stage's
//!   target; selected rows are reassigned together.
//! - **All contracts**: contracts of a type Conductor manages, with a spec number, visible and
//!   not archived, that no live work renews and nobody set aside, soonest expiry first.
//! - **Set aside**: work removed from Conductor and contracts set aside, each with its undo.
//!
//! "Only mine" (the default) narrows In progress to the viewer's work. Each list is one query
//! with its count; nothing is loaded beyond the page shown.

use accounts::{SignedIn, Viewer, page};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::context;
use minijinja::value::Serde;
use platform::db::stmt;
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Value};
use serde::{Deserialize, Serialize};

use super::conductor_only;
use crate::colours::{Tone, days_tone, expiry_tone};

/// Rows per page: 25, as a phone shows each row stacked into a card of six labelled fields (50
/// made a page of 300 fields there), and each row is most of a page's cost to make
/// (bench/RESULTS.md, "Conductor's index").
pub const PAGE_SIZE: u64 = 25;

pub fn routes(routes: Routes) -> Routes {
    routes.post("/conductor/assign", assign)
}

/// Which list the index shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tab {
    #[default]
    Progress,
    All,
    Aside,
}

/// The index's query string; anything unknown or unreadable falls back to the default.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IndexQuery {
    #[serde(default)]
    tab: Option<String>,
    /// "all" shows everyone's work; anything else only the viewer's.
    #[serde(default)]
    who: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    dir: Option<String>,
    /// A flow's id: only the work following it (the flows' metrics link here).
    #[serde(default)]
    flow: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

/// The index's reading of its query string.
#[derive(Debug, Clone, Serialize)]
struct View {
    tab: Tab,
    mine: bool,
    q: String,
    sort: &'static str,
    desc: bool,
    page: u64,
    /// Only the work following this flow (the work lists).
    flow: Option<i32>,
}

/// The work lists' sorts: (parameter, the work item's key column), the first the default. The
/// database keeps each key on `work_items` with an index `(status, key, id)` (migration 20), so
/// a page is read along that index. "days" (in the current stage) ascending is the latest
/// entry first.
const PROGRESS_SORTS: &[(&str, &str)] = &[
    ("expires", "w.renews_expiration"),
    ("days", "w.stage_entered_at"),
    ("description", "w.sort_description"),
    ("stage", "w.sort_stage"),
    ("assignee", "w.sort_assignee"),
];
/// All contracts' sorts: (parameter, SQL expression), the first the default.
const ALL_SORTS: &[(&str, &str)] =
    &[("expires", "c.expiration_date"), ("description", "lower(c.description)"), ("controller", "c.financial_id")];

impl View {
    fn of(q: &IndexQuery) -> View {
        let tab = match q.tab.as_deref() {
            Some("all") => Tab::All,
            Some("aside") => Tab::Aside,
            _ => Tab::Progress,
        };
        let sorts = if tab == Tab::All { ALL_SORTS } else { PROGRESS_SORTS };
        let sort = sorts.iter().find(|(name, _)| Some(*name) == q.sort.as_deref()).map_or(sorts[0].0, |(n, _)| n);
        View {
            tab,
            mine: q.who.as_deref() != Some("all"),
            q: q.q.as_deref().unwrap_or("").trim().chars().take(200).collect(),
            sort,
            desc: q.dir.as_deref() == Some("desc"),
            page: q.page.as_deref().and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1),
            flow: q.flow.as_deref().and_then(|f| f.parse().ok()).filter(|f| *f >= 1),
        }
    }

    fn order_by(&self, sorts: &[(&str, &str)]) -> String {
        let column = sorts.iter().find(|(name, _)| *name == self.sort).map_or(sorts[0].1, |(_, c)| c);
        let dir = if self.desc { "DESC" } else { "ASC" };
        // Blanks last either way; the id breaks ties so pages never overlap.
        format!("ORDER BY ({column}) IS NULL, {column} {dir}, c.id ASC")
    }

    /// The work lists' key column and whether it runs descending: (column, descending).
    fn work_key(&self) -> (&'static str, bool) {
        let column = PROGRESS_SORTS.iter().find(|(name, _)| *name == self.sort).map_or(PROGRESS_SORTS[0].1, |(_, c)| c);
        // Fewest days first is the latest entry first.
        (column, self.desc != (self.sort == "days"))
    }

    /// `%q%` for LIKE, with LIKE's own characters escaped (by `\`).
    fn pattern(&self) -> Option<String> {
        (!self.q.is_empty()).then(|| {
            let escaped = self.q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })
    }
}

/// One work item in a list.
#[derive(Debug, FromQueryResult)]
struct WorkRow {
    id: i32,
    contract_id: i32,
    description: Option<String>,
    parent_id: Option<i32>,
    parent_description: Option<String>,
    parent_expiration: Option<NaiveDate>,
    spec: Option<String>,
    parent_spec: Option<String>,
    stage: Option<String>,
    target_days: Option<i32>,
    entered_at: Option<DateTime<Utc>>,
    assignee_id: Option<i32>,
    assignee: Option<String>,
}

/// One contract of All contracts (or one set aside).
#[derive(Debug, FromQueryResult)]
struct ContractRow {
    id: i32,
    description: Option<String>,
    financial_id: Option<String>,
    expiration_date: Option<NaiveDate>,
    spec: Option<String>,
}

#[derive(Debug, Serialize)]
struct WorkLine {
    id: i32,
    contract_id: i32,
    description: String,
    parent_id: Option<i32>,
    parent_description: Option<String>,
    /// The item's spec number, else the renewed contract's (`inherited`).
    spec: Option<String>,
    inherited: bool,
    expires: Option<String>,
    expiry: Tone,
    stage: Option<String>,
    days: Option<i64>,
    target_days: Option<i32>,
    pace: Tone,
    assignee: Option<String>,
    mine: bool,
}

#[derive(Debug, Serialize)]
struct ContractLine {
    id: i32,
    description: String,
    financial_id: Option<String>,
    expires: Option<String>,
    expiry: Tone,
    spec: Option<String>,
}

/// The index page.
pub async fn index(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Query(query): Query<IndexQuery>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let view = View::of(&query);
    let db = &state.db;
    let now = Utc::now();
    let today = state.config.site.today();
    let (total, work, contracts, aside) = match view.tab {
        Tab::Progress => {
            let (total, rows) = work_rows(db, &view, model::entities::work_item::IN_PROGRESS, me.id).await?;
            (total, rows, Vec::new(), Vec::new())
        }
        Tab::All => {
            let (total, rows) = contract_rows(db, &view, false).await?;
            (total, Vec::new(), rows, Vec::new())
        }
        Tab::Aside => {
            let (total, rows) = work_rows(db, &view, model::entities::work_item::REMOVED, me.id).await?;
            let (_, set_aside) = contract_rows(db, &View { page: 1, ..view.clone() }, true).await?;
            (total, rows, Vec::new(), set_aside)
        }
    };
    let work: Vec<WorkLine> = work
        .into_iter()
        .map(|r| {
            let days = r.entered_at.map(|at| (now - at).num_days().max(0));
            let (spec, inherited) = match (r.spec, r.parent_spec) {
                (Some(s), _) => (Some(s), false),
                (None, Some(p)) => (Some(p), true),
                (None, None) => (None, false),
            };
            WorkLine {
                id: r.id,
                contract_id: r.contract_id,
                description: r.description.unwrap_or_default(),
                parent_id: r.parent_id,
                parent_description: r.parent_description,
                spec,
                inherited,
                expires: r.parent_expiration.map(|d| d.format("%b %-d, %Y").to_string()),
                expiry: expiry_tone(r.parent_expiration, today),
                stage: r.stage,
                pace: days_tone(r.entered_at, r.target_days, now),
                days,
                target_days: r.target_days,
                mine: r.assignee_id == Some(me.id),
                assignee: r.assignee,
            }
        })
        .collect();
    let line = |r: ContractRow| ContractLine {
        id: r.id,
        description: r.description.unwrap_or_default(),
        financial_id: r.financial_id,
        expires: r.expiration_date.map(|d| d.format("%b %-d, %Y").to_string()),
        expiry: expiry_tone(r.expiration_date, today),
        spec: r.spec,
    };
    let contracts: Vec<ContractLine> = contracts.into_iter().map(line).collect();
    let aside: Vec<ContractLine> = aside.into_iter().map(line).collect();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let assignees = crate::people::assignees(&state).await?;
    let flow_name = match view.flow {
        Some(id) => model::entities::flow::Entity::find_by_id(id).one(db).await?.map(|f| f.name),
        None => None,
    };
    let ctx = context! {
        view => Serde(&view),
        flow_name,
        work => Serde(work),
        contracts => Serde(contracts),
        aside => Serde(aside),
        total, pages,
        assignees => Serde(assignees),
        me => me.id,
        self_url => link_to(&view),
    };
    Ok(page(&state, &viewer, "conductor/index.html", ctx)?.into_response())
}

/// This page's address, as the refresh and the pager fetch it.
fn link_to(view: &View) -> String {
    let tab = match view.tab {
        Tab::Progress => "progress",
        Tab::All => "all",
        Tab::Aside => "aside",
    };
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    url.append_pair("tab", tab);
    url.append_pair("who", if view.mine { "mine" } else { "all" });
    if !view.q.is_empty() {
        url.append_pair("q", &view.q);
    }
    url.append_pair("sort", view.sort);
    url.append_pair("dir", if view.desc { "desc" } else { "asc" });
    if let Some(flow) = view.flow {
        url.append_pair("flow", &flow.to_string());
    }
    format!("/conductor/?{}", url.finish())
}

/// Work items with `status`, the page `view` asks for, and how many there are in all.
///
/// In two steps, so the cost of a page does not grow with the list: the count and the page's
/// ids are read from `work_items` alone, along the index of the sort's key; then the details
/// (spec numbers, stage, assignee) are read for the page's rows alone. Items without the key
/// (new work renews no contract) come after the others in either direction: the page is
/// taken from the keyed items and, past their end, from the rest.
async fn work_rows(
    db: &impl ConnectionTrait,
    view: &View,
    status: &str,
    me: i32,
) -> Result<(u64, Vec<WorkRow>), AppError> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![status.into()];
    let mut filter = String::from("w.status = $1");
    if view.mine && view.tab == Tab::Progress {
        values.push(me.into());
        filter.push_str(&format!(" AND w.assignee_id = ${}", values.len()));
    }
    if let Some(pattern) = view.pattern() {
        values.push(pattern.into());
        filter.push_str(&format!(" AND w.search_text LIKE ${} ESCAPE '\\'", values.len()));
    }
    if let Some(flow) = view.flow {
        values.push(flow.into());
        filter.push_str(&format!(" AND w.flow_id = ${}", values.len()));
    }
    let (key, desc) = view.work_key();
    #[derive(FromQueryResult)]
    struct Counts {
        n: i64,
        keyed: i64,
    }
    let counted = format!("SELECT count(*) AS n, count({key}) AS keyed FROM work_items w WHERE {filter}");
    let counts = Counts::find_by_statement(stmt(backend, &counted, values.clone())).one(db).await?;
    let (total, keyed) =
        counts.map_or((0, 0), |c| (u64::try_from(c.n).unwrap_or(0), u64::try_from(c.keyed).unwrap_or(0)));
    let dir = if desc { "DESC" } else { "ASC" };
    let offset = (view.page - 1).saturating_mul(PAGE_SIZE);
    let mut ids: Vec<i32> = Vec::new();
    if offset < keyed {
        let sql = format!(
            "SELECT w.id FROM work_items w WHERE {filter} AND {key} IS NOT NULL \
             ORDER BY {key} {dir}, w.id {dir} LIMIT {PAGE_SIZE} OFFSET {offset}"
        );
        ids.extend(ids_of(db, &sql, values.clone()).await?);
    }
    let wanted = PAGE_SIZE - ids.len() as u64;
    if wanted > 0 && total > keyed && offset + PAGE_SIZE > keyed {
        let sql = format!(
            "SELECT w.id FROM work_items w WHERE {filter} AND {key} IS NULL ORDER BY w.id {dir} LIMIT {wanted} OFFSET {}",
            offset.saturating_sub(keyed)
        );
        ids.extend(ids_of(db, &sql, values).await?);
    }
    if ids.is_empty() {
        return Ok((total, Vec::new()));
    }
    let listed = ids.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT w.id, w.contract_id, c.description, w.parent_id, p.description AS parent_description, \
                w.renews_expiration AS parent_expiration, w.spec_number AS spec, \
                w.renews_spec_number AS parent_spec, s.name AS stage, s.target_days, \
                w.stage_entered_at AS entered_at, w.assignee_id, u.email AS assignee \
         FROM work_items w \
         JOIN contracts c ON c.id = w.contract_id \
         LEFT JOIN contracts p ON p.id = w.parent_id \
         LEFT JOIN stages s ON s.id = w.current_stage_id \
         LEFT JOIN users u ON u.id = w.assignee_id \
         WHERE w.id IN ({listed})"
    );
    let mut rows = WorkRow::find_by_statement(stmt(backend, &sql, Vec::new())).all(db).await?;
    // The page's order, as the first step found it.
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok((total, rows))
}

async fn ids_of(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<Vec<i32>, AppError> {
    #[derive(FromQueryResult)]
    struct Id {
        id: i32,
    }
    let found = Id::find_by_statement(stmt(db.get_database_backend(), sql, values)).all(db).await?;
    Ok(found.into_iter().map(|r| r.id).collect())
}

/// All contracts (`aside` false) or the contracts set aside (`aside` true), a page of them and
/// how many in all; the spec numbers are read for the page's rows alone.
async fn contract_rows(
    db: &impl ConnectionTrait,
    view: &View,
    aside: bool,
) -> Result<(u64, Vec<ContractRow>), AppError> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let set_aside = if aside { "EXISTS" } else { "NOT EXISTS" };
    let has_spec = "EXISTS (SELECT 1 FROM contract_properties cp WHERE cp.contract_id = c.id \
                    AND lower(cp.key) = 'spec number' AND cp.value IS NOT NULL)";
    let mut filter = format!(
        "t.managed_by_conductor AND c.is_visible AND NOT c.is_archived AND {has_spec} \
         AND NOT EXISTS (SELECT 1 FROM work_items w WHERE w.parent_id = c.id AND w.status <> 'killed') \
         AND {set_aside} (SELECT 1 FROM conductor_set_aside a WHERE a.contract_id = c.id)",
    );
    if let Some(pattern) = view.pattern() {
        values.push(pattern.into());
        let n = values.len();
        filter.push_str(&format!(
            " AND (lower(coalesce(c.description, '')) LIKE ${n} ESCAPE '\\' \
             OR lower(coalesce(c.financial_id, '')) LIKE ${n} ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM contract_properties cp WHERE cp.contract_id = c.id \
                        AND lower(cp.key) = 'spec number' AND lower(coalesce(cp.value, '')) LIKE ${n} ESCAPE '\\'))"
        ));
    }
    let from = "FROM contracts c JOIN contract_types t ON t.id = c.contract_type_id";
    let count = count(db, &format!("SELECT count(*) AS n {from} WHERE {filter}"), values.clone()).await?;
    let order = if aside { "ORDER BY c.id".to_owned() } else { view.order_by(ALL_SORTS) };
    let sql = format!(
        "SELECT c.id, c.description, c.financial_id, c.expiration_date, NULL AS spec \
         {from} WHERE {filter} {order} LIMIT {PAGE_SIZE} OFFSET {}",
        (view.page - 1).saturating_mul(PAGE_SIZE),
    );
    let mut rows = ContractRow::find_by_statement(stmt(backend, &sql, values)).all(db).await?;
    if !rows.is_empty() {
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let specs = model::entities::contract_property::Entity::find()
            .filter(model::entities::contract_property::Column::ContractId.is_in(ids))
            .order_by_asc(model::entities::contract_property::Column::Id)
            .all(db)
            .await?;
        for row in &mut rows {
            row.spec = specs
                .iter()
                .find(|p| p.contract_id == row.id && p.key.eq_ignore_ascii_case(crate::metadata::SPEC_NUMBER))
                .and_then(|p| p.value.clone());
        }
    }
    Ok((count, rows))
}

async fn count(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64, AppError> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let found = Count::find_by_statement(stmt(db.get_database_backend(), sql, values)).one(db).await?;
    Ok(found.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// The bulk reassignment form: the selected items (`item`) and who takes them.
pub async fn assign(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    axum::Form(pairs): super::Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let ids: Vec<i32> = pairs.iter().filter(|(k, _)| k == "item").filter_map(|(_, v)| v.parse().ok()).collect();
    let assignee = super::field(&pairs, "assignee").parse::<i32>().ok();
    // Back to the list as it was shown (a Conductor path only).
    let back = super::field(&pairs, "back");
    let back =
        accounts::viewer::safe_next(Some(&back)).filter(|b| b.starts_with("/conductor/")).unwrap_or("/conductor/");
    let (Some(assignee), false) = (assignee, ids.is_empty()) else {
        viewer.set_flash(accounts::Flash::error("Select the work to reassign and who should take it.")).await?;
        return Ok(Redirect::to(back).into_response());
    };
    let now = Utc::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let changed =
        match crate::items::reassign(&txn, &crate::emails::Mailing::of(&state), Some(&me), &ids, assignee, now).await {
            Ok(n) => n,
            Err(accounts::ServiceError::Invalid(problems)) => {
                let said = problems.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ");
                viewer.set_flash(accounts::Flash::error(said)).await?;
                return Ok(Redirect::to(back).into_response());
            }
            Err(e) => return Err(e.into()),
        };
    txn.commit().await?;
    let told = match changed {
        0 => "Nothing changed: the selected work was already theirs or is no longer in progress.".to_owned(),
        1 => "Reassigned 1 piece of work.".to_owned(),
        n => format!("Reassigned {n} pieces of work."),
    };
    viewer.set_flash(accounts::Flash::success(told)).await?;
    Ok(Redirect::to(back).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(pairs: &[(&str, &str)]) -> View {
        let q: IndexQuery =
            serde_urlencoded_like(pairs).expect("a query string always reads (unknown values fall back)");
        View::of(&q)
    }

    fn serde_urlencoded_like(pairs: &[(&str, &str)]) -> Option<IndexQuery> {
        let json: serde_json::Map<String, serde_json::Value> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned()))).collect();
        serde_json::from_value(serde_json::Value::Object(json)).ok()
    }

    #[test]
    fn an_empty_query_is_my_work_in_progress_by_expiry_page_one() {
        let v = view(&[]);
        assert_eq!((v.tab, v.mine, v.sort, v.desc, v.page), (Tab::Progress, true, "expires", false, 1));
    }

    #[test]
    fn unknown_sorts_pages_and_tabs_fall_back_and_sql_never_takes_the_parameter() {
        let v = view(&[("tab", "x"), ("sort", "1; DROP TABLE users"), ("page", "-3"), ("who", "all")]);
        assert_eq!((v.tab, v.sort, v.page, v.mine), (Tab::Progress, "expires", 1, false));
        assert_eq!(v.work_key(), ("w.renews_expiration", false));
        assert_eq!(view(&[("sort", "days")]).work_key(), ("w.stage_entered_at", true), "fewest days: latest entry");
        assert_eq!(view(&[("sort", "days"), ("dir", "desc")]).work_key(), ("w.stage_entered_at", false));
        let all = view(&[("tab", "all"), ("sort", "controller"), ("dir", "desc")]);
        assert_eq!(all.order_by(ALL_SORTS), "ORDER BY (c.financial_id) IS NULL, c.financial_id DESC, c.id ASC");
    }

    #[test]
    fn a_search_escapes_like_wildcards() {
        assert_eq!(view(&[("q", " 50%_off\\ ")]).pattern().as_deref(), Some("%50\\%\\_off\\\\%"));
        assert_eq!(view(&[("q", "   ")]).pattern(), None);
    }
}
