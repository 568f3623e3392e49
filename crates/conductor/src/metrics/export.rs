//! Conductor's downloads, as TSV or CSV (UTF-8, a header even when nothing matches):
//! - a flow's export: a row per work item with a current row in the flow, then a column per
//!   stage of the flow in flow order holding when the item completed it (blank while not):
//!   keyed by stage, so a row never shifts (the original placed times by position);
//! - the all-contracts export: a row per work item and per contract of a type Conductor manages
//!   that no work item makes or renews, with its computed status.
//!
//! Values a spreadsheet would run as a formula are defused as Beacon's export does. In TSV, a
//! backslash, tab, newline or carriage return in a value is written `\\`, `\t`, `\n`, `\r`
//! (a TSV field cannot hold them); CSV quotes such values instead.
//!
//! The all-contracts export is streamed: rows go out in chunks as the database yields them, so
//! memory does not grow with the number of contracts.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::StreamExt;
use model::entities::work_item;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, StreamTrait};

use super::Filter;

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tsv,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "tsv" => Some(Format::Tsv),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Tsv => "tsv",
            Format::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Tsv => "text/tab-separated-values; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// One line of `cells`, ending in a newline.
    pub fn line<S: AsRef<str>>(self, cells: &[S]) -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(if self == Format::Tsv { '\t' } else { ',' });
            }
            let cell = platform::text::spreadsheet_safe(cell.as_ref());
            match self {
                Format::Tsv => {
                    for c in cell.chars() {
                        match c {
                            '\\' => out.push_str("\\\\"),
                            '\t' => out.push_str("\\t"),
                            '\n' => out.push_str("\\n"),
                            '\r' => out.push_str("\\r"),
                            c => out.push(c),
                        }
                    }
                }
                Format::Csv if cell.contains([',', '"', '\n', '\r']) => {
                    out.push('"');
                    out.push_str(&cell.replace('"', "\"\""));
                    out.push('"');
                }
                Format::Csv => out.push_str(&cell),
            }
        }
        out.push('\n');
        out
    }
}

/// A moment as the exports write it: ISO 8601 in the site's time zone.
fn moment(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map(|t| t.with_timezone(&tz).to_rfc3339()).unwrap_or_default()
}

fn day(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The flow's export (see the module header), whole: a flow's work is bounded by its staff.
pub async fn flow(
    db: &impl ConnectionTrait,
    flow: i32,
    filter: Filter,
    format: Format,
    tz: Tz,
) -> Result<String, DbErr> {
    let stages = super::stages(db, flow).await?;
    let passages = super::passages(db, flow, Filter { from: None, until: None, ..filter }).await?;
    let mut ids: Vec<i32> = passages.iter().map(|p| p.work_item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut exits: HashMap<(i32, i32), DateTime<Utc>> = HashMap::new();
    for p in &passages {
        if let Some(at) = p.exited {
            exits.insert((p.work_item_id, p.stage_id), at);
        }
    }
    let mut header = vec!["item_number".to_owned(), "description".into(), "assigned_to".into(), "department".into()];
    header.extend(stages.iter().map(|s| s.name.clone()));
    let mut out = format.line(&header);
    let about = super::data::about_items(db, ids.clone()).await?;
    for id in ids {
        let Some(a) = about.get(&id) else { continue };
        let mut row = vec![
            a.contract_id.to_string(),
            a.description.clone().unwrap_or_default(),
            a.email.clone().unwrap_or_default(),
            a.department.clone().unwrap_or_default(),
        ];
        row.extend(stages.iter().map(|s| moment(exits.get(&(id, s.id)).copied(), tz)));
        out.push_str(&format.line(&row));
    }
    Ok(out)
}

/// The all-contracts export's columns.
pub const ALL_COLUMNS: [&str; 11] = [
    "item_number",
    "parent_item_number",
    "description",
    "expiration_date",
    "parent_expiration",
    "department",
    "assigned_to",
    "spec_number",
    "parent_spec",
    "flow_name",
    "status",
];

/// One row of the all-contracts export as the database gives it.
#[derive(Debug, FromQueryResult)]
struct AllRow {
    item_number: i32,
    parent_item_number: Option<i32>,
    description: Option<String>,
    expiration_date: Option<NaiveDate>,
    parent_expiration: Option<NaiveDate>,
    department: Option<String>,
    assigned_to: Option<String>,
    spec_number: Option<String>,
    parent_spec: Option<String>,
    flow_name: Option<String>,
    /// A work item's status, or for a contract no work touches: `archived`, `set_aside` or
    /// `not_started`.
    state: String,
}

/// How the export names a row's state.
pub fn status_label(state: &str) -> &'static str {
    match state {
        work_item::IN_PROGRESS => "in progress",
        work_item::COMPLETED => "completed",
        work_item::REMOVED => "removed from Conductor",
        work_item::KILLED | "archived" => "archived",
        "set_aside" => "set aside",
        _ => "not started",
    }
}

/// The first "Spec Number" property of contract `c` (in any case), as SQL.
fn spec_of(c: &str) -> String {
    format!(
        "(SELECT p.value FROM contract_properties p WHERE p.contract_id = {c}.id \
         AND lower(p.key) = 'spec number' ORDER BY p.id LIMIT 1)"
    )
}

fn all_sql() -> String {
    let (spec, parent_spec) = (spec_of("c"), spec_of("p"));
    let statuses = format!(
        "'{}', '{}', '{}', '{}'",
        work_item::IN_PROGRESS,
        work_item::COMPLETED,
        work_item::REMOVED,
        work_item::KILLED
    );
    format!(
        "SELECT c.id AS item_number, w.parent_id AS parent_item_number, c.description, c.expiration_date, \
                p.expiration_date AS parent_expiration, d.name AS department, u.email AS assigned_to, \
                {spec} AS spec_number, {parent_spec} AS parent_spec, f.name AS flow_name, w.status AS state \
         FROM work_items w JOIN contracts c ON c.id = w.contract_id \
         LEFT JOIN contracts p ON p.id = w.parent_id \
         LEFT JOIN departments d ON d.id = w.department_id \
         LEFT JOIN users u ON u.id = w.assignee_id \
         LEFT JOIN flows f ON f.id = w.flow_id \
         WHERE w.status IN ({statuses}) \
         UNION ALL \
         SELECT c.id, NULL, c.description, c.expiration_date, NULL, d.name, NULL, {spec}, NULL, NULL, \
                CASE WHEN c.is_archived THEN 'archived' \
                     WHEN EXISTS (SELECT 1 FROM conductor_set_aside a WHERE a.contract_id = c.id) THEN 'set_aside' \
                     ELSE 'not_started' END \
         FROM contracts c JOIN contract_types t ON t.id = c.contract_type_id \
         LEFT JOIN departments d ON d.id = c.department_id \
         WHERE t.managed_by_conductor \
           AND NOT EXISTS (SELECT 1 FROM work_items w WHERE w.contract_id = c.id) \
           AND NOT EXISTS (SELECT 1 FROM work_items w WHERE w.parent_id = c.id AND w.status <> 'killed') \
         ORDER BY 1"
    )
}

/// Bytes a chunk of the stream gathers before it is sent.
const CHUNK: usize = 32 * 1024;

/// The all-contracts export as a streamed body: the rows are read and written while the client
/// downloads them, a chunk at a time. An error after the first chunk ends the body early (the
/// download fails visibly rather than ending as if complete), and is logged.
pub fn all(db: DatabaseConnection, format: Format) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if let Err(e) = write_all(&db, format, &tx).await {
            tracing::error!(error = %e, "the all-contracts export failed");
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }))
}

async fn write_all(
    db: &(impl ConnectionTrait + StreamTrait),
    format: Format,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), DbErr> {
    let statement = platform::db::stmt(ConnectionTrait::get_database_backend(db), &all_sql(), Vec::new());
    let mut rows = AllRow::find_by_statement(statement).stream(db).await?;
    let mut chunk = format.line(&ALL_COLUMNS);
    let id = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
    while let Some(row) = rows.next().await {
        let r = row?;
        chunk.push_str(&format.line(&[
            r.item_number.to_string(),
            id(r.parent_item_number),
            r.description.unwrap_or_default(),
            day(r.expiration_date),
            day(r.parent_expiration),
            r.department.unwrap_or_default(),
            r.assigned_to.unwrap_or_default(),
            r.spec_number.unwrap_or_default(),
            r.parent_spec.unwrap_or_default(),
            r.flow_name.unwrap_or_default(),
            status_label(&r.state).to_owned(),
        ]));
        if chunk.len() >= CHUNK && tx.send(Ok(Bytes::from(std::mem::take(&mut chunk)))).await.is_err() {
            return Ok(()); // the client went away
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(Ok(Bytes::from(chunk))).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_escapes_what_a_field_cannot_hold_and_csv_quotes_it() {
        let cells = ["é\tcafé", "two\nlines", "back\\slash", "=SUM(A1)", "plain"];
        assert_eq!(Format::Tsv.line(&cells), "é\\tcafé\ttwo\\nlines\tback\\\\slash\t'=SUM(A1)\tplain\n");
        assert_eq!(Format::Csv.line(&["a,b", "say \"hi\"", "x\ny", "-1"]), "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",'-1\n");
    }

    #[test]
    fn every_state_has_its_label() {
        for (state, label) in [
            ("in_progress", "in progress"),
            ("completed", "completed"),
            ("removed", "removed from Conductor"),
            ("killed", "archived"),
            ("archived", "archived"),
            ("set_aside", "set aside"),
            ("not_started", "not started"),
        ] {
            assert_eq!(status_label(state), label);
        }
    }
}
