//! Importers for the original suite's data files: the City's contract list (the "X-Drive"
//! file), the PA state-contract list, COSTARS award lists and NIGP categories.
//!
//! Every file is read whole (and refused whole if it cannot be read), then imported in batches
//! of [`BATCH_ROWS`] rows, each its own transaction with the search index of the contracts it
//! touched, so other users' writes go on between batches (on SQLite the importer is otherwise the
//! one writer for the whole file). A row that cannot be imported (an empty company, say) is
//! reported with its line and reason and the others still import. Entities are found or created
//! by all of their attributes, so importing a file twice changes nothing: after a database
//! failure, the batches that committed stay, and importing the file again completes it.
//!
//! A preview ([`preview`]) runs the same code through a dry-run [`Store`] in a read-only
//! transaction: it reports exactly what the import would do and never holds the write lock.

mod contacts;
pub mod costars;
pub mod nigp;
pub mod reader;
mod state;
pub mod store;
mod xdrive;

use admin::imports::Progress;
use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use serde::Serialize;

pub use store::{Actor, Store};

/// Rows per transaction of an import.
pub const BATCH_ROWS: usize = 200;

/// Which importer reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The City's contract list (`TYPE OF CONTRACT, CONTRACT, PA, COMPANY, …`).
    Contracts,
    /// The PA state-contract list (`…, PARENT, …`).
    State,
    /// A COSTARS award list, named `COSTARS-<n>.csv`.
    Costars,
    /// NIGP categories (`code, category_friendly_name, examples, category, parent_category`).
    Nigp,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Contracts, Kind::State, Kind::Costars, Kind::Nigp];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Contracts => "contracts",
            Kind::State => "state",
            Kind::Costars => "costars",
            Kind::Nigp => "nigp",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Contracts => "City contract list",
            Kind::State => "PA state contract list",
            Kind::Costars => "COSTARS award list (COSTARS-<n>.csv)",
            Kind::Nigp => "NIGP categories",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "contracts" => Some(Kind::Contracts),
            "state" => Some(Kind::State),
            "costars" => Some(Kind::Costars),
            "nigp" => Some(Kind::Nigp),
            _ => None,
        }
    }
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It made a new contract (or category).
    Created,
    /// It added to an existing one (a company, a property, a line item, a contact).
    Updated,
    /// Everything in it was already there.
    Unchanged,
    /// It was not imported, because of this.
    Skipped(String),
}

/// A note about one line of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: u64,
    pub reason: String,
    /// The row was not imported (otherwise it was, and this is a warning about one value).
    pub skipped: bool,
}

/// The summary of one file's import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub file: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub problems: Vec<Problem>,
    /// Contracts the current batch created or changed, to re-index before its transaction commits.
    #[serde(skip)]
    pub(crate) touched: std::collections::BTreeSet<i32>,
}

impl Report {
    pub(crate) fn warn(&mut self, line: u64, reason: impl Into<String>) {
        self.problems.push(Problem { line, reason: reason.into(), skipped: false });
    }
}

/// `m/d/yy` (two-digit year, Python's rule: 69–99 are 1900s) or `m/d/yyyy`, as the original's
/// `strptime` formats read them; anything else is not a date.
pub(crate) fn parse_date(raw: &str, four_digit_year: bool) -> Option<NaiveDate> {
    let parts: Vec<&str> = raw.split('/').collect();
    let [m, d, y] = parts[..] else { return None };
    let digits =
        |s: &str, min: usize, max: usize| (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(m, 1, 2) || !digits(d, 1, 2) {
        return None;
    }
    let year: i32 = if four_digit_year {
        if !digits(y, 4, 4) {
            return None;
        }
        y.parse().ok()?
    } else {
        if !digits(y, 2, 2) {
            return None;
        }
        let yy: i32 = y.parse().ok()?;
        if yy >= 69 { 1900 + yy } else { 2000 + yy }
    };
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// On SQLite, the pause between batches that lets other writers in.
const SQLITE_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// Imports one file (`name` is its file name, which COSTARS lists need), reporting progress as
/// (rows done, rows in all).
pub async fn import(
    db: &DatabaseConnection,
    actor: Actor,
    kind: Kind,
    name: &str,
    bytes: &[u8],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<Report> {
    run(db, actor, kind, name, bytes, &Rows(progress), true).await
}

/// Like [`import`], with a [`Progress`] that also writes with each batch (the web import
/// records its progress on its row and as an event).
pub async fn import_with(
    db: &DatabaseConnection,
    actor: Actor,
    kind: Kind,
    name: &str,
    bytes: &[u8],
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    run(db, actor, kind, name, bytes, progress, true).await
}

/// A progress told only the rows done.
struct Rows<'a>(&'a (dyn Fn(u64, u64) + Sync));

impl Progress for Rows<'_> {
    fn rows(&self, done: u64, total: u64) {
        (self.0)(done, total);
    }

    fn batch<'a>(&'a self, _: &'a DatabaseTransaction, _: u64, _: u64) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async { Ok(()) })
    }
}

/// What importing the file would do, without doing it: the same run through a dry-run store,
/// reading only.
pub async fn preview(
    db: &DatabaseConnection,
    actor: Actor,
    kind: Kind,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<Report> {
    run(db, actor, kind, name, bytes, &Rows(&|_, _| {}), false).await
}

async fn run(
    db: &DatabaseConnection,
    actor: Actor,
    kind: Kind,
    name: &str,
    bytes: &[u8],
    progress: &dyn Progress,
    commit: bool,
) -> anyhow::Result<Report> {
    let table = reader::read(bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let costars = match kind {
        Kind::Costars => Some(costars::Context::new(name, &table.headers)?),
        _ => None,
    };
    if let Some(missing) = required(kind).iter().find(|h| !table.headers.iter().any(|t| t == *h)) {
        anyhow::bail!(
            "{name}: there is no {missing:?} column, so this is not a {} file (its columns: {})",
            kind.name(),
            column_list(&table.headers)
        );
    }
    let total = u64::try_from(table.rows.len()).unwrap_or(u64::MAX);
    let mut report = Report { file: name.to_owned(), ..Report::default() };
    let mut store = if commit { Store::write(actor) } else { Store::dry_run(actor) };
    let mut rows = table.rows.into_iter().peekable();
    let mut done: u64 = 0;
    while rows.peek().is_some() {
        let txn =
            if commit { platform::db::begin_write(db).await? } else { platform::db::WriteTxn::unwritten(db).await? };
        for row in rows.by_ref().take(BATCH_ROWS) {
            let outcome = match row {
                Err(unreadable) => (Outcome::Skipped(unreadable.reason), unreadable.line),
                Ok(row) => {
                    let outcome = match kind {
                        Kind::Contracts => xdrive::row(&txn, &mut store, &row, &mut report).await?,
                        Kind::State => state::row(&txn, &mut store, &row, &mut report).await?,
                        Kind::Costars => match &costars {
                            Some(ctx) => costars::row(&txn, &mut store, ctx, &row, &mut report).await?,
                            None => Outcome::Skipped("internal: no COSTARS context".into()),
                        },
                        Kind::Nigp => nigp::row(&txn, &mut store, &row, &mut report).await?,
                    };
                    (outcome, row.line)
                }
            };
            report.rows += 1;
            match outcome {
                (Outcome::Created, _) => report.created += 1,
                (Outcome::Updated, _) => report.updated += 1,
                (Outcome::Unchanged, _) => report.unchanged += 1,
                (Outcome::Skipped(reason), line) => {
                    report.skipped += 1;
                    report.problems.push(Problem { line, reason, skipped: true });
                }
            }
            done += 1;
            progress.rows(done, total);
        }
        // The search index changes in the same transaction as the contracts it describes.
        let touched = std::mem::take(&mut report.touched);
        if commit {
            crate::search::reindex_all(&txn, &touched.into_iter().collect::<Vec<_>>()).await?;
            progress.batch(&txn, done, total).await?;
            txn.commit().await?;
            if db.get_database_backend() == sea_orm::DbBackend::Sqlite && rows.peek().is_some() {
                // SQLite has one writer at a time, and a waiting writer polls: without a pause the
                // next batch takes the lock again at once, and the site's other writes (a save, the
                // relay announcing this import's progress) wait for the whole import.
                tokio::time::sleep(SQLITE_PAUSE).await;
            }
        } else {
            txn.rollback().await?;
        }
    }
    report.problems.sort_by_key(|p| p.line);
    Ok(report)
}

/// The first few of `headers`, for a message.
fn column_list(headers: &[String]) -> String {
    const SHOWN: usize = 12;
    let first = headers.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    match headers.len().saturating_sub(SHOWN) {
        0 => first,
        more => format!("{first} and {more} more"),
    }
}

/// The columns a file of each kind must have.
fn required(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Contracts => &["TYPE OF CONTRACT", "CONTRACT", "COMPANY", "SERVICE", "EXPIRATION", "CONTROLLER"],
        Kind::State => &["TYPE OF CONTRACT", "CONTRACT", "PARENT", "COMPANY", "SERVICE", "EXPIRATION", "CONTROLLER"],
        Kind::Costars => &["Company", "Expiration"],
        Kind::Nigp => &["code", "category_friendly_name", "examples", "category", "parent_category"],
    }
}

/// Combines what a row did to contract `id` and to everything around it, and notes the contract
/// for re-indexing if anything changed.
pub(crate) fn outcome(report: &mut Report, id: i32, contract_created: bool, anything_added: bool) -> Outcome {
    if contract_created || anything_added {
        report.touched.insert(id);
    }
    match (contract_created, anything_added) {
        (true, _) => Outcome::Created,
        (false, true) => Outcome::Updated,
        (false, false) => Outcome::Unchanged,
    }
}

pub(crate) type RowResult = Result<Outcome, DbErr>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_original_formats() {
        assert_eq!(parse_date("6/30/15", false), NaiveDate::from_ymd_opt(2015, 6, 30));
        assert_eq!(parse_date("12/31/99", false), NaiveDate::from_ymd_opt(1999, 12, 31));
        assert_eq!(parse_date("11/31/2015", false), None, "four digits and an impossible date");
        assert_eq!(parse_date("Mo. To Mo.", false), None);
        assert_eq!(parse_date("10.24/15", false), None);
        assert_eq!(parse_date("6/30/2015", true), NaiveDate::from_ymd_opt(2015, 6, 30));
        assert_eq!(parse_date("6/30/15", true), None);
        assert_eq!(parse_date(" 6/30/15", false), None);
    }
}
