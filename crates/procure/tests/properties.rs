//! Properties that hold for any input, checked with generated inputs (proptest) on both
//! databases:
//! - any text in the search box, with any filters and page, is a search that answers (the
//!   rendered FTS5 and tsquery expressions are valid for the real databases, not only in form);
//! - every importer turns any bytes into a report or an error that says what is wrong, never a
//!   panic, and a preview reports exactly what the import then does (so the preview, which only
//!   reads, cannot drift from the import, which writes).
//!
//! The generated files are random bytes and random mutations of the original's real files; the
//! hostile files kept in `tests/hostile/` (its README says what each is) are fed to every
//! importer as well. Case counts are bounded so each test takes seconds.

mod common;

use common::{Backend, TestApp, data};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use scout::import::{self, Actor, Kind, Report};
use scout::search::{self, Field, Request};

/// Runs `future` to completion from a proptest closure inside a multi-threaded test runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Text with the characters the search box treats specially, often, and anything else.
fn search_box() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("-".to_owned()),
        Just(" OR ".to_owned()),
        Just(" ".to_owned()),
        Just("'".to_owned()),
        Just("&|!:*()<->\\".to_owned()),
        Just("NEAR(".to_owned()),
        Just("fire".to_owned()),
        Just("salt".to_owned()),
        Just("ACME".to_owned()),
        "[a-z0-9]{1,6}",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

async fn any_search_answers(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let bytes = std::fs::read(data("files/2015-08-13-contractlist.csv")).expect("file");
    import::import(&app.state.db, Actor(None), Kind::Contracts, "list.csv", &bytes, &|_, _| {}).await.expect("import");
    let fields = proptest::sample::subsequence(Field::ALL.to_vec(), 0..=Field::ALL.len());
    let strategy = (search_box(), fields, any::<bool>(), any::<bool>(), 1u64..5, proptest::option::of(1i32..30));
    let result = runner(400).run(&strategy, |(q, fields, expired, archived, page, department)| {
        let req = Request {
            q: q.clone(),
            fields,
            include_expired: expired,
            include_archived: archived,
            page,
            department,
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22),
            ..Request::default()
        };
        let found = block_on(search::search(&app.state.db, &req))
            .map_err(|e| TestCaseError::fail(format!("{q:?}: the search failed: {e}")))?;
        prop_assert!(found.hits.len() as u64 <= search::PER_PAGE);
        for hit in &found.hits {
            // A passage's marks are balanced and nothing else in it is markup.
            let opened = hit.snippet.matches("<mark>").count();
            prop_assert_eq!(opened, hit.snippet.matches("</mark>").count(), "{}", hit.snippet);
            let unmarked = hit.snippet.replace("<mark>", "").replace("</mark>", "");
            prop_assert!(!unmarked.contains('<') && !unmarked.contains('>'), "{}", hit.snippet);
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
on_both_backends!(any_search_answers);

/// What a file did or could not do, for comparing a preview with its import.
fn outcome(result: anyhow::Result<Report>) -> Result<Report, String> {
    result.map_err(|e| format!("{e:#}"))
}

/// Previews `bytes` as `kind`, imports it, and checks they agree and that an error says
/// something; returns the import's outcome.
async fn preview_then_import(app: &TestApp, kind: Kind, name: &str, bytes: &[u8]) -> Result<Report, String> {
    let preview = outcome(import::preview(&app.state.db, Actor(None), kind, name, bytes).await);
    let imported = outcome(import::import(&app.state.db, Actor(None), kind, name, bytes, &|_, _| {}).await);
    assert_eq!(preview, imported, "{kind:?} {name}: the preview and the import disagree");
    if let Err(message) = &imported {
        assert!(!message.trim().is_empty(), "{kind:?} {name}: an error says what is wrong");
        assert!(message.len() < 2_000, "{kind:?} {name}: the error is short ({} bytes)", message.len());
    }
    imported
}

/// The original's files that mutations start from: one of each kind.
const SEEDS: [(Kind, &str); 4] = [
    (Kind::Contracts, "mock/old_contracts.csv"),
    (Kind::State, "mock/state.csv"),
    (Kind::Costars, "mock/COSTARS-1.csv"),
    (Kind::Nigp, "mock/nigp.csv"),
];

/// A change to a file: overwrite, insert or cut at a position (taken modulo the length).
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to CSV, to text and to the databases, and any byte.
    let byte = prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\r'),
        Just(b'\n'),
        Just(0u8),
        Just(1u8),
        Just(0xffu8),
        Just(b'/'),
        Just(b'|'),
        any::<u8>()
    ];
    prop_oneof![
        4 => (any::<usize>(), byte.clone()).prop_map(|(at, b)| Mutation::Set(at, b)),
        4 => (any::<usize>(), byte).prop_map(|(at, b)| Mutation::Insert(at, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Set(at, b) => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = b;
                }
            }
            Mutation::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Mutation::Truncate(at) => bytes.truncate(at % len),
        }
    }
    bytes
}

async fn any_bytes_import_as_a_report_or_a_clear_error(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let kinds = proptest::sample::select(Kind::ALL.to_vec());
    let random = (kinds, proptest::collection::vec(any::<u8>(), 0..1_500));
    let result = runner(150).run(&random, |(kind, bytes)| {
        block_on(preview_then_import(&app, kind, "COSTARS-7.csv", &bytes)).ok();
        Ok(())
    });
    if let Err(failure) = result {
        panic!("random bytes: {failure}");
    }
    let seeds: Vec<(Kind, Vec<u8>)> =
        SEEDS.iter().map(|(kind, path)| (*kind, std::fs::read(data(path)).expect("seed file"))).collect();
    let mutated = (proptest::sample::select(seeds), proptest::collection::vec(mutation(), 1..12));
    let result = runner(150).run(&mutated, |((kind, seed), mutations)| {
        let bytes = mutate(seed, &mutations);
        block_on(preview_then_import(&app, kind, "COSTARS-7.csv", &bytes)).ok();
        Ok(())
    });
    if let Err(failure) = result {
        panic!("mutated files: {failure}");
    }
}
on_both_backends!(any_bytes_import_as_a_report_or_a_clear_error);

fn hostile_files() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/hostile")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| (p.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read(&p).expect("read")))
        .collect();
    files.sort();
    files
}

async fn the_hostile_files_are_reported_or_refused_by_every_importer(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let files = hostile_files();
    assert!(files.len() >= 20, "the corpus is there: {}", files.len());
    for (name, bytes) in &files {
        for kind in Kind::ALL {
            // COSTARS files are named for their contract.
            let as_name = if kind == Kind::Costars { "COSTARS-99.csv" } else { name.as_str() };
            let outcome = preview_then_import(&app, kind, as_name, bytes).await;
            if name == "wide.csv" {
                let message = outcome.expect_err("600 columns are refused");
                assert!(message.contains("600 columns; a data file may have at most 500"), "{message}");
            }
        }
    }
    // What was imported carries no control characters, and the site still answers.
    let controls = app
        .count(
            "SELECT COUNT(*) FROM contracts WHERE description LIKE '%' || char(1) || '%' OR financial_id LIKE '%' || char(27) || '%'"
                .replace("char(", if backend == Backend::Postgres { "chr(" } else { "char(" })
                .as_str(),
        )
        .await;
    assert_eq!(controls, 0);
    let salt = app.count("SELECT COUNT(*) FROM contracts WHERE description = 'Road salt'").await;
    assert_eq!(salt, 1, "nul-and-controls.csv imported its row without the controls");
    assert_eq!(app.get("/scout/search?q=salt").await.status, axum::http::StatusCode::OK);

    // A description of 1.3 MB of different words (over PostgreSQL's 1 MB tsvector) imports, and
    // the contract is found by its first words.
    let words: Vec<String> = (0..150_000).map(|i| format!("w{i:x}")).collect();
    let huge = format!(
        "TYPE OF CONTRACT,CONTRACT,COMPANY,SERVICE,EXPIRATION,CONTROLLER\nCounty,1,HUGE INC,zebrawood {},6/30/30,77\n",
        words.join(" ")
    );
    let report = preview_then_import(&app, Kind::Contracts, "huge.csv", huge.as_bytes()).await.expect("imported");
    assert_eq!(report.created, 1, "{report:?}");
    let found = search::search(
        &app.state.db,
        &Request { q: "zebrawood".into(), page: 1, include_expired: true, ..Request::default() },
    )
    .await
    .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(app.get_json("/api/v1/contracts?q=script").await.status, axum::http::StatusCode::OK);
}
on_both_backends!(the_hostile_files_are_reported_or_refused_by_every_importer);
