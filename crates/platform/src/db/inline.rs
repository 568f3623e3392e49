//! Reads of one row from the SQLite file on the calling thread, for the reads that every request
//! makes (the data versions).
//!
//! sqlx gives each SQLite connection a thread of its own: a statement is a message to that
//! thread and an answer back, two thread switches that cost far more than a read by key. Reading
//! the data version through the pool held a cached page to 6.7k req/s; read here, 15k (and an
//! uncached search page gained as much, bench/RESULTS.md, 2026-12-06). So each thread keeps its
//! own read-only connection to the file and reads in place; a read by key takes microseconds, so
//! an async worker may wait for it.
//!
//! Invariants:
//! - Read-only: the connection is opened `SQLITE_OPEN_READ_ONLY`; nothing is written here.
//! - Never waits on a lock: there is no busy timeout. Any error (the file busy, missing, or not
//!   migrated yet) answers `None`, and the caller reads through the pool instead.
//! - As fresh as the pool: each read is a read transaction of its own (autocommit), which in WAL
//!   mode sees every transaction committed before it began, by any connection of any process.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, Row};

/// The files a thread keeps a connection to (a process has one; a test process may have more).
const FILES_PER_THREAD: usize = 4;

thread_local! {
    static OPEN: RefCell<Vec<(PathBuf, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// The first row `sql` (with `params`) reads from the SQLite file at `path`, made into a value by
/// `f`: `Some(None)` when there is no row, `None` when it could not be read here (read it
/// through the pool then).
pub fn row<T>(
    path: &Path,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Option<Option<T>> {
    OPEN.try_with(|open| {
        let mut open = open.try_borrow_mut().ok()?;
        let at = match open.iter().position(|(p, _)| p == path) {
            Some(at) => at,
            None => {
                let connection = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .ok()?;
                // rusqlite waits 5 s on a lock by default; here the pool is the wait.
                connection.busy_timeout(std::time::Duration::ZERO).ok()?;
                if open.len() >= FILES_PER_THREAD {
                    open.remove(0);
                }
                open.push((path.to_owned(), connection));
                open.len() - 1
            }
        };
        let answer = open[at].1.prepare_cached(sql).and_then(|mut statement| statement.query_row(params, f).optional());
        match answer {
            Ok(answer) => Some(answer),
            Err(e) => {
                // A statement that fails once may fail on this connection for good (a file
                // replaced under it): open it again next time.
                tracing::debug!(error = %e, "inline SQLite read failed; reading through the pool");
                open.remove(at);
                None
            }
        }
    })
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE v (name TEXT PRIMARY KEY, version INTEGER); \
             INSERT INTO v VALUES ('a', 1);",
        )
        .expect("schema");
        (dir, path)
    }

    fn version(path: &Path, name: &str) -> Option<Option<i64>> {
        row(path, "SELECT version FROM v WHERE name = ?1", [name], |r| r.get(0))
    }

    #[test]
    fn reads_what_another_connection_committed_since() {
        let (_dir, path) = file();
        assert_eq!(version(&path, "a"), Some(Some(1)));
        assert_eq!(version(&path, "b"), Some(None), "no row");
        let writer = Connection::open(&path).expect("open");
        writer.execute("UPDATE v SET version = version + 1", []).expect("update");
        assert_eq!(version(&path, "a"), Some(Some(2)), "the kept connection sees the new commit");
    }

    #[test]
    fn cannot_write_and_answers_none_when_it_cannot_read() {
        let (_dir, path) = file();
        assert_eq!(row(&path, "UPDATE v SET version = 9 RETURNING version", [], |r| r.get::<_, i64>(0)), None);
        assert_eq!(version(&path, "a"), Some(Some(1)), "nothing was written");
        assert_eq!(row(&path, "SELECT nothing FROM nowhere", [], |r| r.get::<_, i64>(0)), None);
        assert_eq!(version(&path.with_file_name("missing.db"), "a"), None, "no such file");
    }
}
