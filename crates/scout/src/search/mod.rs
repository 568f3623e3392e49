//! Contract search. The truth is `contract_search`, rewritten by [`reindex`] in the same
//! transaction as any change to a contract. [`find`] (pages and the API) answers from this
//! process's in-memory index (`index.rs`), which `kept.rs` brings up to the data version read at
//! the start of each search, so it never shows stale data. [`search`] answers the same question
//! in SQL on both databases (PostgreSQL full-text search over a weighted `tsvector`, SQLite
//! FTS5): the reference the tests compare [`find`] with, and the answer where an app state has no
//! index. See `docs/decisions/0004-search-in-memory.md`.

mod index;
mod kept;
mod passage;
pub mod query;
mod words;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use serde::Serialize;

pub use kept::Kept;
pub use query::Parsed;

use index::{Filter, Query};

/// Results per page.
pub const PER_PAGE: u64 = 50;

/// The most of each field the index holds: far more than any real contract has, and four of
/// them stay under the 1 MB PostgreSQL allows a `tsvector` (a longer text failed the change that
/// indexed it).
pub const MAX_INDEXED_CHARS: usize = 100_000;

/// Where a search may look. Empty means everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Company,
    Description,
    LineItem,
    Property,
    Controller,
}

impl Field {
    pub const ALL: [Field; 5] =
        [Field::Company, Field::Description, Field::LineItem, Field::Property, Field::Controller];

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::Company => "company",
            Field::Description => "description",
            Field::LineItem => "line_item",
            Field::Property => "property",
            Field::Controller => "controller",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Company => "company name",
            Field::Description => "description",
            Field::LineItem => "line item",
            Field::Property => "contract property",
            Field::Controller => "controller number",
        }
    }

    /// The index column, for the fields that have one.
    fn column(self) -> Option<&'static str> {
        match self {
            Field::Company => Some("company"),
            Field::Description => Some("description"),
            Field::LineItem => Some("line_items"),
            Field::Property => Some("properties"),
            Field::Controller => None,
        }
    }
}

/// Index columns in the order of preference for "found in".
const COLUMNS: [(Field, &str); 4] = [
    (Field::Company, "company"),
    (Field::Description, "description"),
    (Field::LineItem, "line_items"),
    (Field::Property, "properties"),
];

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub q: String,
    pub fields: Vec<Field>,
    pub contract_type: Option<i32>,
    pub department: Option<i32>,
    pub include_expired: bool,
    pub include_archived: bool,
    /// From 1.
    pub page: u64,
    /// Contracts that expired before this day are expired (the display time zone's today).
    pub today: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub contract_id: i32,
    /// The field the search matched in.
    pub found_in: &'static str,
    /// A passage of that field, HTML-escaped, with matches in `<mark>`.
    pub snippet: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub hits: Vec<Hit>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// Rewrites contract `id`'s row of the index from the contract and what hangs off it. Call it
/// in the transaction that changed them.
pub async fn reindex(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    reindex_all(db, &[id]).await
}

/// [`reindex`] for many contracts changed by one transaction (an import's batch, a company
/// renamed): the contracts data's version is raised once for them all. Raising it once per
/// contract would be quadratic on PostgreSQL, where each raise of the one `data_versions` row in
/// a transaction leaves a row version that every later raise in it must step over (a 100,000
/// contract demo did not finish in 25 minutes).
pub async fn reindex_all(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    for id in ids {
        write_text(db, *id).await?;
    }
    changed(db, ids).await
}

/// Writes contract `id`'s row of the index, without recording the change.
async fn write_text(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let text = |sql: &str| Statement::from_sql_and_values(backend, sql, [Value::from(id)]);
    // The index never holds the control characters the highlight markers are made of (text
    // stored before `platform::text`'s rule may), so a passage's marks are the database's own;
    // and each column is cut at MAX_INDEXED_CHARS, under PostgreSQL's 1 MB tsvector limit.
    let joined = |rows: Vec<sea_orm::QueryResult>| -> String {
        let text = rows
            .iter()
            .filter_map(|r| r.try_get_by_index::<Option<String>>(0).ok().flatten())
            .map(|text| platform::text::strip_controls(&text).into_owned())
            .collect::<Vec<_>>()
            .join(" ; ");
        match text.char_indices().nth(MAX_INDEXED_CHARS) {
            Some((cut, _)) => text[..cut].to_owned(),
            None => text,
        }
    };
    let ph = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_owned() };
    let company = joined(
        db.query_all_raw(text(&format!(
            "SELECT co.name FROM companies co JOIN contract_companies cc ON cc.company_id = co.id \
             WHERE cc.contract_id = {} ORDER BY co.name",
            ph(1)
        )))
        .await?,
    );
    let description =
        joined(db.query_all_raw(text(&format!("SELECT description FROM contracts WHERE id = {}", ph(1)))).await?);
    let concat = if backend == DbBackend::Postgres {
        "concat_ws(' ', description, manufacturer, model_number)"
    } else {
        "description || coalesce(' ' || manufacturer, '') || coalesce(' ' || model_number, '')"
    };
    let line_items = joined(
        db.query_all_raw(text(&format!("SELECT {concat} FROM line_items WHERE contract_id = {} ORDER BY id", ph(1))))
            .await?,
    );
    let prop = if backend == DbBackend::Postgres {
        "concat_ws(': ', key, value)"
    } else {
        "key || coalesce(': ' || value, '')"
    };
    let properties = joined(
        db.query_all_raw(text(&format!(
            "SELECT {prop} FROM contract_properties WHERE contract_id = {} ORDER BY id",
            ph(1)
        )))
        .await?,
    );
    let values = [Value::from(id), company.into(), description.into(), line_items.into(), properties.into()];
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO contract_search (contract_id, company, description, line_items, properties, vector) \
             VALUES ($1, $2, $3, $4, $5, \
               setweight(to_tsvector('english', $2 || ' ' || $3), 'A') || \
               setweight(to_tsvector('english', $4), 'B') || setweight(to_tsvector('english', $5), 'D')) \
             ON CONFLICT (contract_id) DO UPDATE SET company = EXCLUDED.company, description = EXCLUDED.description, \
               line_items = EXCLUDED.line_items, properties = EXCLUDED.properties, vector = EXCLUDED.vector"
        }
        _ => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "DELETE FROM contract_search WHERE rowid = ?",
                [Value::from(id)],
            ))
            .await?;
            "INSERT INTO contract_search (rowid, company, description, line_items, properties) VALUES (?, ?, ?, ?, ?)"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// How many versions of `search_changes` are kept: a process further behind reloads its index.
pub const CHANGES_KEPT: i64 = 100_000;

/// Raises the contracts data's version once and records that contracts `ids` changed at it (see
/// the `search_changes` migration for why in that order), dropping records too old to be read.
async fn changed(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    crate::freshness::bump(db).await?;
    let backend = db.get_database_backend();
    // 500 ids a statement: well under SQLite's and PostgreSQL's limits on parameters.
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = (2..chunk.len() + 2).map(|n| format!("(${n})")).collect();
        let log = format!(
            "INSERT INTO search_changes (version, contract_id) \
             SELECT d.version, v.column1 FROM data_versions d, (VALUES {}) AS v WHERE d.name = $1",
            rows.join(", ")
        );
        let mut values = vec![crate::freshness::DATA.into()];
        values.extend(chunk.iter().map(|id| sea_orm::Value::from(*id)));
        db.execute_raw(platform::db::stmt(backend, &log, values)).await?;
    }
    let prune = "DELETE FROM search_changes \
                 WHERE version < (SELECT version FROM data_versions WHERE name = $1) - $2";
    db.execute_raw(platform::db::stmt(backend, prune, vec![crate::freshness::DATA.into(), CHANGES_KEPT.into()]))
        .await?;
    Ok(())
}

/// Removes contract `id` from the index (SQLite; PostgreSQL's row goes with the contract).
pub async fn forget(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "DELETE FROM contract_search WHERE rowid = ?",
            [Value::from(id)],
        );
        db.execute_raw(stmt).await?;
    }
    changed(db, &[id]).await
}

/// SQL for the filters on `c` (contracts), with their values appended to `values`.
fn filters(req: &Request, backend: DbBackend, values: &mut Vec<Value>) -> String {
    let mut sql = String::from(" AND c.is_visible");
    let push = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        if backend == DbBackend::Postgres { format!("${}", values.len()) } else { "?".to_owned() }
    };
    if !req.include_archived {
        sql.push_str(" AND NOT c.is_archived");
    }
    if !req.include_expired
        && let Some(today) = req.today
    {
        let p = push(values, today.into());
        sql.push_str(&format!(" AND (c.expiration_date IS NULL OR c.expiration_date >= {p})"));
    }
    if let Some(t) = req.contract_type {
        let p = push(values, t.into());
        sql.push_str(&format!(" AND c.contract_type_id = {p}"));
    }
    if let Some(d) = req.department {
        let p = push(values, d.into());
        sql.push_str(&format!(" AND c.department_id = {p}"));
    }
    sql
}

/// How many rows of `from` match `where_sql` (with `values`).
async fn count(db: &impl ConnectionTrait, from: &str, where_sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let sql = format!("SELECT COUNT(*) FROM {from} WHERE {where_sql}");
    let row = db.query_one_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

fn wanted(req: &Request, field: Field) -> bool {
    req.fields.is_empty() || req.fields.contains(&field)
}

/// Runs a search on this process's index (see [`kept`]), or on the database where the app
/// state has none (a process without the Scout wing). Malformed input finds nothing rather
/// than failing.
pub async fn find(state: &platform::http::AppState, req: &Request) -> Result<Results, DbErr> {
    match state.contributions.all::<Kept>().next() {
        // Boxed: its future (the index's catch-up) is large for every caller's.
        Some(kept) => Box::pin(from_index(kept, state, req)).await,
        None => search(&state.db, req).await,
    }
}

/// Loads this process's index ahead of the first search (the web role calls it at start-up).
pub async fn warm(state: &platform::http::AppState) -> Result<(), DbErr> {
    match state.contributions.all::<Kept>().next() {
        Some(kept) => kept.ready(state).await,
        None => Ok(()),
    }
}

/// [`search`]'s answer, from the index.
async fn from_index(kept: &Kept, state: &platform::http::AppState, req: &Request) -> Result<Results, DbErr> {
    let page = req.page.max(1);
    let per_page = usize::try_from(PER_PAGE).unwrap_or(50);
    let offset = usize::try_from((page - 1) * PER_PAGE).unwrap_or(usize::MAX);
    let query = Query::of(&Parsed::parse(&req.q));
    let fields: Vec<usize> = COLUMNS.iter().enumerate().filter(|(_, (f, _))| wanted(req, *f)).map(|(i, _)| i).collect();
    let searchable = !query.is_empty() && !fields.is_empty();
    let controller = req.q.trim();
    let by_number = wanted(req, Field::Controller) && !controller.is_empty() && controller.len() <= 64;
    let mut filter = Filter {
        fields,
        contract_type: req.contract_type,
        department: req.department,
        include_archived: req.include_archived,
        expired_before: req.today.filter(|_| !req.include_expired),
        except: Vec::new(),
    };
    let (exact, found, passages) = kept
        .read(state, |index| {
            let exact = if by_number { index.by_controller(controller, &filter) } else { Vec::new() };
            let shown = exact.len().saturating_sub(offset).min(per_page);
            filter.except.clone_from(&exact);
            let found = if searchable {
                index.search(&query, &filter, offset.saturating_sub(exact.len()), per_page - shown)
            } else {
                index::Found::default()
            };
            // Each hit's field and passage, from the text the index holds.
            let passages: Vec<_> = found
                .ids
                .iter()
                .map(|id| {
                    let m = index.matched(*id, &query, &filter)?;
                    let passage = passage::passage(index.text(*id, m.field)?, &m.positions, &query);
                    (!passage.is_empty()).then(|| (COLUMNS[m.field].0, passage))
                })
                .collect();
            (exact, found, passages)
        })
        .await?;
    let mut hits: Vec<Hit> = exact
        .iter()
        .skip(offset)
        .take(per_page)
        .map(|id| Hit { contract_id: *id, found_in: Field::Controller.label(), snippet: escape(controller) })
        .collect();
    for (id, passage) in found.ids.iter().zip(passages) {
        hits.push(match passage {
            Some((field, passage)) => Hit { contract_id: *id, found_in: field.label(), snippet: highlight(&passage) },
            None => Hit { contract_id: *id, found_in: "several fields", snippet: String::new() },
        });
    }
    let total = exact.len() as u64 + found.total;
    Ok(Results { hits, total, page, pages: total.div_ceil(PER_PAGE).max(1) })
}

/// Runs a search on the database: the reference [`find`] answers as, and its answer where the
/// app state has no index. Malformed input finds nothing rather than failing.
pub async fn search(db: &impl ConnectionTrait, req: &Request) -> Result<Results, DbErr> {
    let backend = db.get_database_backend();
    let page = req.page.max(1);
    let offset = (page - 1) * PER_PAGE;

    // An exact controller number comes first.
    let mut exact: Vec<i32> = Vec::new();
    let controller = req.q.trim();
    if wanted(req, Field::Controller) && !controller.is_empty() && controller.len() <= 64 {
        let mut values = vec![Value::from(controller.to_owned())];
        let p1 = if backend == DbBackend::Postgres { "$1" } else { "?" };
        let sql = format!(
            "SELECT c.id FROM contracts c WHERE c.financial_id = {p1}{} ORDER BY c.id",
            filters(req, backend, &mut values)
        );
        for row in db.query_all_raw(Statement::from_sql_and_values(backend, &sql, values)).await? {
            exact.push(row.try_get_by_index(0)?);
        }
    }
    let parsed = Parsed::parse(&req.q);
    let columns: Vec<&str> = Field::ALL.iter().filter(|f| wanted(req, **f)).filter_map(|f| f.column()).collect();
    let searchable = !parsed.is_empty() && !columns.is_empty();
    let exact_total = u64::try_from(exact.len()).unwrap_or(0);
    let mut hits: Vec<Hit> = exact
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(PER_PAGE).unwrap_or(50))
        .map(|id| Hit { contract_id: *id, found_in: Field::Controller.label(), snippet: escape(controller) })
        .collect();
    let mut total = exact_total;
    if searchable {
        let not_exact = if exact.is_empty() {
            String::new()
        } else {
            format!(" AND c.id NOT IN ({})", exact.iter().map(i32::to_string).collect::<Vec<_>>().join(","))
        };
        let (matcher, rank, order, mut values) = match backend {
            DbBackend::Postgres => {
                let vector = if columns.len() == COLUMNS.len() {
                    "s.vector".to_owned()
                } else {
                    format!(
                        "to_tsvector('english', concat_ws(' ', {}))",
                        columns.iter().map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ")
                    )
                };
                (
                    format!("{vector} @@ to_tsquery('english', $1)"),
                    format!("ts_rank({vector}, to_tsquery('english', $1))"),
                    "DESC",
                    vec![Value::from(parsed.tsquery())],
                )
            }
            _ => {
                let expr = fts5_in(&parsed, &columns);
                (
                    "contract_search MATCH ?".to_owned(),
                    "bm25(contract_search, 10.0, 10.0, 4.0, 1.0)".to_owned(),
                    "ASC",
                    vec![Value::from(expr)],
                )
            }
        };
        let from = match backend {
            DbBackend::Postgres => "contract_search s JOIN contracts c ON c.id = s.contract_id",
            _ => "contract_search JOIN contracts c ON c.id = contract_search.rowid",
        };
        let filter_sql = filters(req, backend, &mut values);
        let where_sql = format!("{matcher}{filter_sql}{not_exact}");
        let fts_total = count(db, from, &where_sql, values.clone()).await?;
        total += fts_total;
        let shown = u64::try_from(hits.len()).unwrap_or(0);
        let fts_offset = offset.saturating_sub(exact_total);
        let fts_limit = PER_PAGE - shown;
        if fts_limit > 0 {
            let sql = format!(
                "SELECT c.id FROM {from} WHERE {where_sql} ORDER BY {rank} {order}, c.id LIMIT {fts_limit} OFFSET {fts_offset}"
            );
            let mut ids = Vec::new();
            for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
                ids.push(row.try_get_by_index::<i32>(0)?);
            }
            hits.extend(explain(db, &parsed, &columns, &ids).await?);
        }
    }
    let pages = total.div_ceil(PER_PAGE).max(1);
    Ok(Results { hits, total, page, pages })
}

/// Lists contracts without searching (the search box left empty), filtered as [`search`]
/// filters, [`PER_PAGE`] a page: those still running soonest expiration first, then those
/// without an expiration date, then (when asked for) expired ones, most recently expired first.
/// Each part is an indexed range of `contracts` (`idx_contracts_expiration`), read in order.
pub async fn browse(db: &impl ConnectionTrait, req: &Request) -> Result<Results, DbErr> {
    let backend = db.get_database_backend();
    let page = req.page.max(1);
    let offset = (page - 1) * PER_PAGE;
    let mut parts: Vec<(String, Vec<Value>, &str)> = Vec::new();
    let part = |condition: &str, day: Option<NaiveDate>, order: &'static str| {
        let mut values: Vec<Value> = day.into_iter().map(Value::from).collect();
        let day_placeholder = if backend == DbBackend::Postgres { "$1" } else { "?" };
        let filter_sql = filters(&Request { include_expired: true, ..req.clone() }, backend, &mut values);
        (format!("{}{filter_sql}", condition.replace("{day}", day_placeholder)), values, order)
    };
    match req.today {
        Some(today) => {
            parts.push(part("c.expiration_date >= {day}", Some(today), "c.expiration_date, c.id"));
            parts.push(part("c.expiration_date IS NULL", None, "c.id"));
            if req.include_expired {
                parts.push(part("c.expiration_date < {day}", Some(today), "c.expiration_date DESC, c.id DESC"));
            }
        }
        None => {
            parts.push(part("c.expiration_date IS NOT NULL", None, "c.expiration_date, c.id"));
            parts.push(part("c.expiration_date IS NULL", None, "c.id"));
        }
    }
    let mut hits = Vec::new();
    let mut total = 0;
    for (where_sql, values, order) in parts {
        let n = count(db, "contracts c", &where_sql, values.clone()).await?;
        // The part of this page that falls in this part of the list.
        let start = offset.max(total);
        let end = (offset + PER_PAGE).min(total + n);
        if start < end {
            let sql = format!(
                "SELECT c.id FROM contracts c WHERE {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
                end - start,
                start - total
            );
            for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
                hits.push(Hit { contract_id: row.try_get_by_index(0)?, found_in: "", snippet: String::new() });
            }
        }
        total += n;
    }
    let pages = total.div_ceil(PER_PAGE).max(1);
    Ok(Results { hits, total, page, pages })
}

/// The FTS5 expression for `parsed`, restricted to `columns` unless they are all of them.
fn fts5_in(parsed: &Parsed, columns: &[&str]) -> String {
    if columns.len() == COLUMNS.len() {
        parsed.fts5()
    } else {
        format!("{{{}}} : ({})", columns.join(" "), parsed.fts5())
    }
}

/// For each hit (in order): the first field it matched in, and a highlighted passage of it.
async fn explain(db: &impl ConnectionTrait, parsed: &Parsed, columns: &[&str], ids: &[i32]) -> Result<Vec<Hit>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let id_list = ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let mut found: std::collections::HashMap<i32, (Field, String)> = std::collections::HashMap::new();
    if backend == DbBackend::Sqlite {
        // One query: a passage of every searched column for the page's hits; the first column
        // whose passage has a match marker is where it was found.
        let snippets: Vec<String> = COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (_, c))| {
                if columns.contains(c) {
                    format!("snippet(contract_search, {i}, char(1), char(2), '…', 16)")
                } else {
                    "''".to_owned()
                }
            })
            .collect();
        let expr = fts5_in(parsed, columns);
        let sql = format!(
            "SELECT rowid, {} FROM contract_search WHERE contract_search MATCH ? AND rowid IN ({id_list})",
            snippets.join(", ")
        );
        for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, [Value::from(expr)])).await? {
            let id: i32 = row.try_get_by_index(0)?;
            for (i, (field, _)) in COLUMNS.iter().enumerate() {
                let passage: String = row.try_get_by_index(i + 1)?;
                if passage.contains('\u{1}') {
                    found.entry(id).or_insert((*field, passage));
                }
            }
        }
    }
    for (field, column) in COLUMNS.iter().filter(|_| backend == DbBackend::Postgres) {
        if !columns.contains(column) {
            continue;
        }
        let (sql, value) = match backend {
            DbBackend::Postgres => (
                format!(
                    "SELECT s.contract_id, ts_headline('english', s.{column}, q, \
                       'StartSel=\u{1}, StopSel=\u{2}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"') \
                     FROM contract_search s, to_tsquery('english', $1) q \
                     WHERE s.contract_id IN ({id_list}) AND to_tsvector('english', s.{column}) @@ q"
                ),
                Value::from(parsed.tsquery()),
            ),
            _ => continue,
        };
        for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, [value])).await? {
            let id: i32 = row.try_get_by_index(0)?;
            let passage: String = row.try_get_by_index(1)?;
            found.entry(id).or_insert((*field, passage));
        }
    }
    Ok(ids
        .iter()
        .map(|id| match found.remove(id) {
            Some((field, passage)) => Hit { contract_id: *id, found_in: field.label(), snippet: highlight(&passage) },
            // Matched through stemming across fields; nothing single to show.
            None => Hit { contract_id: *id, found_in: "several fields", snippet: String::new() },
        })
        .collect())
}

/// Escaped for HTML (the platform's one rule: `/` stays as it is).
fn escape(text: &str) -> String {
    platform::text::html_escape(text).into_owned()
}

/// The databases mark matches with \x01…\x02 around raw text; escape the text, then mark.
pub(crate) fn highlight(passage: &str) -> String {
    let mut out = String::with_capacity(passage.len() + 64);
    for part in passage.split_inclusive(['\u{1}', '\u{2}']) {
        let (text, mark) = match part.strip_suffix('\u{1}') {
            Some(text) => (text, "<mark>"),
            None => part.strip_suffix('\u{2}').map_or((part, ""), |text| (text, "</mark>")),
        };
        out.push_str(&platform::text::html_escape(text));
        out.push_str(mark);
    }
    out
}

/// The raw passage [`highlight`] made `marked` from (marks back to \x01…\x02, text unescaped).
pub(crate) fn unhighlight(marked: &str) -> String {
    marked
        .replace("<mark>", "\u{1}")
        .replace("</mark>", "\u{2}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn passages_are_escaped_before_they_are_marked() {
        assert_eq!(super::highlight("<b>\u{1}fire\u{2}</b> & co"), "&lt;b&gt;<mark>fire</mark>&lt;/b&gt; &amp; co");
    }

    #[test]
    fn a_marked_passage_reads_back_as_it_was() {
        for raw in ["<b>\u{1}fire\u{2}</b> & co", "&amp; \"quoted\" 'single' &lt;", "plain"] {
            assert_eq!(super::unhighlight(&super::highlight(raw)), raw);
        }
    }
}
