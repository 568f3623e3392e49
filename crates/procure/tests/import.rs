//! The importers against the original's own data files: the counts its importers produced
//! (shared/data/pittsburgh/README.md), idempotence, and bad rows reported while good rows import.

mod common;

use common::{Backend, TestApp, data};
use scout::import::{self, Actor, Kind, Report};
use sea_orm::{ConnectionTrait, Statement};

async fn run(app: &TestApp, kind: Kind, path: &str) -> Report {
    let bytes = std::fs::read(data(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let name = path.rsplit('/').next().expect("name");
    import::import(&app.state.db, Actor(None), kind, name, &bytes, &|_, _| {}).await.expect("import")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

/// contracts, with expiration, with link, companies, contacts, company links, line items.
async fn counts(app: &TestApp) -> [i64; 7] {
    [
        count(app, "SELECT COUNT(*) FROM contracts").await,
        count(app, "SELECT COUNT(*) FROM contracts WHERE expiration_date IS NOT NULL").await,
        count(app, "SELECT COUNT(*) FROM contracts WHERE contract_href IS NOT NULL").await,
        count(app, "SELECT COUNT(*) FROM companies").await,
        count(app, "SELECT COUNT(*) FROM company_contacts").await,
        count(app, "SELECT COUNT(*) FROM contract_companies").await,
        count(app, "SELECT COUNT(*) FROM line_items").await,
    ]
}

async fn hrefs(app: &TestApp) -> Vec<String> {
    let db = &app.state.db;
    let sql = "SELECT contract_href FROM contracts WHERE contract_href IS NOT NULL";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("query");
    rows.iter().map(|r| r.try_get_by_index::<String>(0).expect("href")).collect()
}

async fn property(app: &TestApp, key: &str) -> i64 {
    count(app, &format!("SELECT COUNT(*) FROM contract_properties WHERE key = '{key}'")).await
}

async fn the_sample_files_import_as_the_original_counted_and_twice_changes_nothing(backend: Backend) {
    // (kind, file, [contracts, with expiration, with link, companies, contacts, links, line items])
    let cases: [(Kind, &str, [i64; 7]); 5] = [
        (Kind::Contracts, "files/2015-08-13-contractlist.csv", [422, 418, 0, 352, 364, 494, 0]),
        (Kind::Contracts, "files/2015-08-17-ab_bids.csv", [17, 16, 0, 17, 15, 20, 0]),
        (Kind::State, "seed/2015-10-27-seed-state.csv", [7, 7, 7, 7, 2, 7, 0]),
        (Kind::Costars, "files/costars/COSTARS-12.csv", [68, 67, 0, 68, 0, 68, 265]),
        (Kind::Costars, "files/costars/COSTARS-36.csv", [6, 6, 0, 6, 0, 6, 32]),
    ];
    for (kind, file, expected) in cases {
        let Some(app) = TestApp::new(backend, &[]).await else { return };
        let first = run(&app, kind, file).await;
        assert_eq!(first.skipped, 0, "{file}: {:?}", first.problems);
        assert_eq!(counts(&app).await, expected, "{file}");
        let second = run(&app, kind, file).await;
        assert_eq!((second.created, second.updated), (0, 0), "{file}: a second import changes nothing");
        assert_eq!(second.unchanged, first.rows, "{file}");
        assert_eq!(counts(&app).await, expected, "{file} after a second import");
        match file {
            "files/2015-08-13-contractlist.csv" => assert_eq!(property(&app, "Spec Number").await, 423),
            "seed/2015-10-27-seed-state.csv" => {
                assert_eq!(property(&app, "Parent Number").await, 7);
                assert_eq!(property(&app, "Contract Number").await, 7);
                let links = hrefs(&app).await;
                assert_eq!(links.len(), 7);
                for link in links {
                    assert!(link.starts_with("http://www.emarketplace.state.pa.us/FileDownload.aspx?file="), "{link}");
                    assert!(link.ends_with("\\ContractFile.pdf") || link.ends_with("\\Overview.pdf"), "{link}");
                }
            }
            "files/costars/COSTARS-12.csv" => {
                assert_eq!(property(&app, "List of manufacturers").await, 68);
                assert_eq!(property(&app, "Located in").await, 13);
                // "10.24/15" is not a date: imported without one, and said so.
                assert!(
                    first.problems.iter().any(|p| !p.skipped && p.reason.contains("10.24/15")),
                    "{:?}",
                    first.problems
                );
            }
            "files/costars/COSTARS-36.csv" => {
                // The original lost these controller numbers to a header spelled `Controller`.
                assert_eq!(count(&app, "SELECT COUNT(*) FROM contracts WHERE financial_id IS NOT NULL").await, 6);
            }
            _ => {}
        }
    }
}
on_both_backends!(the_sample_files_import_as_the_original_counted_and_twice_changes_nothing);

async fn nigp_categories_import_and_collapse_identical_rows(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let report = run(&app, Kind::Nigp, "files/2015-07-01-nigp-cleaned.csv").await;
    assert_eq!((report.rows, report.created, report.unchanged), (344, 343, 1));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM categories").await, 343);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT category) FROM categories").await, 14, "14 top-level groups");
    let again = run(&app, Kind::Nigp, "files/2015-07-01-nigp-cleaned.csv").await;
    assert_eq!(again.created, 0);
}
on_both_backends!(nigp_categories_import_and_collapse_identical_rows);

/// Everything the importers write, for comparing before and after.
async fn everything(app: &TestApp) -> [i64; 9] {
    let [a, b, c, d, e, f, g] = counts(app).await;
    [
        a,
        b,
        c,
        d,
        e,
        f,
        g,
        count(app, "SELECT COUNT(*) FROM contract_properties").await,
        count(app, "SELECT COUNT(*) FROM contract_types").await,
    ]
}

async fn a_preview_reports_exactly_what_the_import_then_does_and_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    // In order, so later files meet what earlier ones made (the same companies, contracts).
    let files = [
        (Kind::Contracts, "files/2015-05-22-contractlist.csv"),
        (Kind::Contracts, "files/2015-08-13-contractlist.csv"),
        (Kind::State, "seed/2015-10-27-seed-state.csv"),
        (Kind::Costars, "files/costars/COSTARS-12.csv"),
        (Kind::Costars, "files/costars/COSTARS-8.csv"),
        (Kind::Nigp, "files/2015-07-01-nigp-cleaned.csv"),
    ];
    for (kind, file) in files {
        let bytes = std::fs::read(data(file)).expect("file");
        let name = file.rsplit('/').next().expect("name");
        let before = everything(&app).await;
        let preview = import::preview(&app.state.db, Actor(None), kind, name, &bytes).await.expect("preview");
        assert_eq!(everything(&app).await, before, "{file}: the preview wrote nothing");
        let imported = run(&app, kind, file).await;
        assert_eq!(preview, imported, "{file}: the preview said what the import did");
        assert!(imported.created + imported.updated > 0, "{file} did something");
        let again = import::preview(&app.state.db, Actor(None), kind, name, &bytes).await.expect("preview");
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, imported.rows - imported.skipped), "{file}");
    }
}
on_both_backends!(a_preview_reports_exactly_what_the_import_then_does_and_writes_nothing);

/// A preview reads only: it runs while another connection holds SQLite's one write lock, where it
/// used to wait for the lock and fail with "database is locked" (and, holding it for a large file,
/// made every other user's write fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_runs_while_another_writer_holds_the_lock() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    run(&app, Kind::Contracts, "mock/old_contracts.csv").await;
    let writer = platform::db::begin_write(&app.state.db).await.expect("the write lock");
    writer
        .execute_unprepared("UPDATE contracts SET description = 'being edited' WHERE id = 1")
        .await
        .expect("a write in progress");
    let bytes = std::fs::read(data("files/2015-08-13-contractlist.csv")).expect("file");
    let preview = import::preview(&app.state.db, Actor(None), Kind::Contracts, "list.csv", &bytes)
        .await
        .expect("the preview does not need the write lock");
    assert!(preview.created > 400, "{preview:?}");
    writer.commit().await.expect("the writer finishes");
}

#[tokio::test]
async fn a_file_with_three_broken_rows_imports_the_rest_and_names_the_three() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let good = std::fs::read(data("mock/old_contracts.csv")).expect("mock");
    let mut bytes = good.clone();
    if !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r") {
        bytes.push(b'\n');
    }
    // Line 5: no company. Line 6: bytes that are not text. Line 7: no company either.
    bytes.extend_from_slice(b"County,1,PR,,NO COMPANY HERE,6/30/15,1,,,,,,,\n");
    bytes.extend_from_slice(b"County,2,PR,\xff\xfe BROKEN,SOMETHING,6/30/15,2,,,,,,,\n");
    bytes.extend_from_slice(b"A-BID,3,PR,None,ALSO NONE,1/1/16,3,,,,,,,\n");
    bytes.extend_from_slice(b"B-BID,4,PR,GOOD AFTER BAD,LAST ROW,1/1/16,4,,,,,,,\n");
    let report = import::import(&app.state.db, Actor(None), Kind::Contracts, "broken.csv", &bytes, &|_, _| {})
        .await
        .expect("the file imports");
    let skipped: Vec<u64> = report.problems.iter().filter(|p| p.skipped).map(|p| p.line).collect();
    assert_eq!(skipped, [5, 6, 7], "{:?}", report.problems);
    assert!(report.problems.iter().any(|p| p.line == 6 && p.reason.contains("UTF-8")));
    assert_eq!((report.created, report.skipped), (4, 3));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contracts").await, 4);
}

#[tokio::test]
async fn files_of_the_wrong_kind_or_name_are_refused_whole() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let bytes = std::fs::read(data("files/costars/COSTARS-1.csv")).expect("file");
    let wrong_kind = import::import(&app.state.db, Actor(None), Kind::Nigp, "COSTARS-1.csv", &bytes, &|_, _| {}).await;
    assert!(wrong_kind.is_err_and(|e| e.to_string().contains("no \"code\" column")));
    let wrong_name = import::import(&app.state.db, Actor(None), Kind::Costars, "costars.csv", &bytes, &|_, _| {}).await;
    assert!(wrong_name.is_err_and(|e| e.to_string().contains("COSTARS-<number>.csv")));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contracts").await, 0);
}

#[test]
fn the_command_line_imports_reports_and_fails_on_rows_it_left_out() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [("PROCURE_ENV", "test")];
    let file = data("files/2015-05-22-contractlist.csv");
    let out = common::bin::run(dir.path(), &["import", "contracts", file.to_str().expect("path")], &env);
    let stderr = common::bin::text(&out.stderr);
    assert!(!out.status.success(), "a row was left out, so the command says so");
    assert!(stderr.contains("2015-05-22-contractlist.csv:17: not imported: COMPANY is empty"), "{stderr}");
    let stdout = common::bin::text(&out.stdout);
    assert!(stdout.contains("477 rows: 414 created, 62 updated, 0 unchanged, 1 not imported"), "{stdout}");

    let ok = data("mock/old_contracts.csv");
    let out = common::bin::run(dir.path(), &["import", "contracts", ok.to_str().expect("path")], &env);
    assert!(out.status.success(), "{}", common::bin::text(&out.stderr));
    assert!(common::bin::text(&out.stdout).contains("3 rows: 0 created, 0 updated, 3 unchanged"));

    let bad = common::bin::run(dir.path(), &["import", "vendors", ok.to_str().expect("path")], &env);
    assert!(!bad.status.success());
    assert!(common::bin::text(&bad.stderr).contains("choose contracts, state, costars or nigp"));
}
