//! This process's search index, kept in step with the database (one per app state, found in
//! the Scout wing's contributions).
//!
//! Invariant: a search answers from an index at least as new as the `contracts` data version it
//! read when it began, so an edit committed before a search began is in its answer, in every
//! process. The index catches up by reading `search_changes` past the version it holds (see
//! that migration for why those rows are complete at every version a reader can see) and
//! reloading only those contracts; a process too far behind, or new, loads them all. One
//! catch-up runs at a time; searches that arrive meanwhile wait for it, then share it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use platform::http::AppState;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};

use super::index::{Attrs, Doc, FIELDS, Index};

/// Contracts read per statement when loading.
const CHUNK: usize = 500;

#[derive(Clone, Default)]
pub struct Kept(Arc<Inner>);

#[derive(Default)]
struct Inner {
    held: RwLock<Held>,
    catching_up: tokio::sync::Mutex<()>,
    /// Searches answered, for tests of coalescing.
    searches: AtomicU64,
}

#[derive(Default)]
struct Held {
    index: Index,
    /// The data version the index holds everything up to; `None` before the first load.
    version: Option<i64>,
}

impl Kept {
    pub fn new() -> Kept {
        Kept::default()
    }

    /// How many searches this index has answered.
    pub fn searches(&self) -> u64 {
        self.0.searches.load(Ordering::Relaxed)
    }

    /// Runs `f` on an index holding at least every change up to the data version current now.
    pub async fn read<T>(&self, state: &AppState, f: impl FnOnce(&Index) -> T) -> Result<T, DbErr> {
        self.ready(state).await?;
        self.0.searches.fetch_add(1, Ordering::Relaxed);
        let held = self.0.held.read().map_err(|_| DbErr::Custom("the search index was poisoned".into()))?;
        Ok(f(&held.index))
    }

    /// Brings the index up to the data version current now (loading it the first time).
    pub async fn ready(&self, state: &AppState) -> Result<(), DbErr> {
        let wanted = platform::freshness::current(state, crate::freshness::DATA).await?;
        if !self.holds(wanted) {
            let _turn = self.0.catching_up.lock().await;
            if !self.holds(wanted) {
                self.catch_up(&state.db).await?;
            }
        }
        Ok(())
    }

    fn holds(&self, version: i64) -> bool {
        self.0.held.read().is_ok_and(|held| held.version.is_some_and(|v| v >= version))
    }

    /// Brings the index up to the data version current now.
    async fn catch_up(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let target = platform::freshness::version(db, crate::freshness::DATA).await?;
        let since = self.0.held.read().ok().and_then(|held| held.version);
        let Some(since) = since.filter(|v| target - v < super::CHANGES_KEPT / 2) else {
            let index = load_all(db).await?;
            tracing::info!(contracts = index.len(), bytes = index.bytes(), version = target, "search index loaded");
            self.replace(|held| *held = Held { index, version: Some(target) })?;
            return Ok(());
        };
        let sql = "SELECT DISTINCT contract_id FROM search_changes WHERE version > $1 AND version <= $2";
        let rows = db
            .query_all_raw(platform::db::stmt(db.get_database_backend(), sql, vec![since.into(), target.into()]))
            .await?;
        let ids: Vec<i32> = rows.iter().filter_map(|r| r.try_get_by_index::<i32>(0).ok()).collect();
        let mut docs: HashMap<i32, Doc> = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            docs.extend(load(db, Some(chunk), 0).await?.into_iter().map(|d| (d.id, d)));
        }
        self.replace(|held| {
            for id in &ids {
                match docs.get(id) {
                    Some(doc) => held.index.upsert(doc),
                    None => held.index.remove(*id),
                }
            }
            held.version = Some(target);
        })
    }

    fn replace(&self, change: impl FnOnce(&mut Held)) -> Result<(), DbErr> {
        let mut held = self.0.held.write().map_err(|_| DbErr::Custom("the search index was poisoned".into()))?;
        change(&mut held);
        Ok(())
    }
}

/// Every contract with a row in `contract_search`, read [`CHUNK`] at a time.
async fn load_all(db: &impl ConnectionTrait) -> Result<Index, DbErr> {
    let mut index = Index::new();
    let mut after = 0;
    loop {
        let docs = load(db, None, after).await?;
        let Some(last) = docs.last().map(|d| d.id) else { break };
        for doc in &docs {
            index.upsert(doc);
        }
        after = last;
    }
    index.shrink();
    Ok(index)
}

/// Contracts `ids` (or the next [`CHUNK`] after id `after`), in id order, with their text.
async fn load(db: &impl ConnectionTrait, ids: Option<&[i32]>, after: i32) -> Result<Vec<Doc>, DbErr> {
    let backend = db.get_database_backend();
    let join = match backend {
        DbBackend::Postgres => "s.contract_id = c.id",
        _ => "s.rowid = c.id",
    };
    let which = match ids {
        Some(ids) => {
            let unique: HashSet<i32> = ids.iter().copied().collect();
            let list = unique.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            format!("c.id IN ({list}) ORDER BY c.id")
        }
        None => format!("c.id > {after} ORDER BY c.id LIMIT {CHUNK}"),
    };
    let sql = format!(
        "SELECT c.id, c.is_visible, c.is_archived, c.expiration_date, c.contract_type_id, c.department_id, \
         c.financial_id, s.company, s.description, s.line_items, s.properties \
         FROM contracts c JOIN contract_search s ON {join} WHERE {which}"
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await?;
    rows.iter().map(doc).collect()
}

fn doc(row: &QueryResult) -> Result<Doc, DbErr> {
    let mut text: [String; FIELDS] = Default::default();
    for (i, field) in text.iter_mut().enumerate() {
        *field = row.try_get_by_index::<Option<String>>(7 + i)?.unwrap_or_default();
    }
    Ok(Doc {
        id: row.try_get_by_index(0)?,
        text,
        attrs: Attrs {
            visible: row.try_get_by_index(1)?,
            archived: row.try_get_by_index(2)?,
            expires: row.try_get_by_index(3)?,
            contract_type: row.try_get_by_index(4)?,
            department: row.try_get_by_index(5)?,
            controller: row.try_get_by_index::<Option<String>>(6)?.map(String::into_boxed_str),
        },
    })
}
