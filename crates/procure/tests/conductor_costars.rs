//! COSTARS uploads from Conductor (issue 16): an award list through the admin's import at
//! Conductor's desk (its name checked before anything is stored; preview, confirm, the job),
//! then each COSTARS contract's PDF. On both databases.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use common::browser::Browser;
use common::{Backend, TestApp};
use model::entities::{contract, contract_type};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn award_list() -> Vec<u8> {
    std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pittsburgh/mock/COSTARS-1.csv"),
    )
    .expect("the mock award list")
}

/// A minimal PDF, as the upload kit recognises one by its bytes.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn costars_contracts(app: &TestApp) -> Vec<contract::Model> {
    let db = &app.state.db;
    let Some(t) =
        contract_type::Entity::find().filter(contract_type::Column::Name.eq("COSTARS")).one(db).await.expect("q")
    else {
        return Vec::new();
    };
    contract::Entity::find().filter(contract::Column::ContractTypeId.eq(t.id)).all(db).await.expect("q")
}

/// Uploads `name` as an award list and imports it; returns the import's page.
async fn import(app: &TestApp, browser: &Browser<'_>, name: &str) -> String {
    let uploaded = browser.post_multipart("/conductor/upload/costars", &[], ("file", name, &award_list())).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let page = uploaded.header("location").to_owned();
    assert!(page.starts_with("/conductor/upload/costars/"), "{page}");
    let preview = browser.get(&page).await;
    assert!(preview.body.contains("Nothing is saved yet") && preview.body.contains("Advanced Office Systems"));
    assert!(preview.body.contains(&format!("action=\"{page}/confirm\"")), "confirmed at this desk");
    assert_eq!(browser.post(&format!("{page}/confirm"), &[]).await.status, StatusCode::SEE_OTHER);
    app.run_pending_jobs().await;
    assert!(browser.get(&page).await.body.contains("Imported."));
    page
}

async fn an_award_list_makes_its_contracts_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;

    // A name that is not COSTARS-<n>.csv is refused before anything of the file is stored.
    let refused = cora.post_multipart("/conductor/upload/costars", &[], ("file", "costars3.csv", &award_list())).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("“costars3.csv” is not a COSTARS file name"), "{}", refused.body);
    assert_eq!(common::stored_files(&app).await, 0);

    import(&app, &cora, "COSTARS-1.csv").await;
    let made = costars_contracts(&app).await;
    let names: Vec<String> = made.iter().filter_map(|c| c.description.clone()).collect();
    assert!(names.contains(&"COSTARS 1 - Advanced Office Systems".to_owned()), "{names:?}");
    // Importing the same list again adds nothing.
    import(&app, &cora, "COSTARS-1.csv").await;
    assert_eq!(costars_contracts(&app).await.len(), made.len(), "a re-upload adds nothing");

    // Imports of other kinds are not shown at this desk.
    let admin = Browser::sign_in_as(&app, "avery@pittsburghpa.gov", &[Role::Admin]).await;
    let contracts = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/pittsburgh/mock/old_contracts.csv"),
    )
    .expect("mock file");
    let other = admin
        .post_multipart("/admin/imports/", &[("kind", "contracts")], ("file", "old_contracts.csv", &contracts))
        .await;
    let id = other.header("location").rsplit('/').next().expect("id").to_owned();
    assert_eq!(cora.get(&format!("/conductor/upload/costars/{id}")).await.status, StatusCode::NOT_FOUND);

    // Only conductor-level users upload.
    let staff = Browser::sign_in_as(&app, "sam@pittsburghpa.gov", &[Role::Staff]).await;
    assert_eq!(staff.get("/conductor/upload/costars").await.status, StatusCode::FORBIDDEN);
    let denied = staff.post_multipart("/conductor/upload/costars", &[], ("file", "COSTARS-2.csv", &award_list())).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
on_both_backends!(an_award_list_makes_its_contracts_once);

async fn each_contract_takes_one_pdf(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let cora = Browser::sign_in_as(&app, "cora@pittsburghpa.gov", &[Role::Conductor]).await;
    import(&app, &cora, "COSTARS-1.csv").await;
    let target = costars_contracts(&app)
        .await
        .into_iter()
        .find(|c| c.description.as_deref() == Some("COSTARS 1 - Advanced Office Systems"))
        .expect("the contract");
    let listed = cora.get("/conductor/upload/costars").await;
    assert!(listed.body.contains(&format!("id=\"contract-{}\"", target.id)), "waiting for its document");
    let address = format!("/conductor/upload/costars/contracts/{}/document", target.id);
    let files_before = common::stored_files(&app).await;

    // A program renamed .pdf is refused by its bytes, and nothing is kept.
    let exe = cora.post_multipart(&address, &[], ("document", "award.pdf", b"MZ\x90\x00\x03\x00\x00\x00program")).await;
    assert_eq!(exe.status, StatusCode::SEE_OTHER);
    let told = cora.get("/conductor/upload/costars").await;
    assert!(told.body.contains("is not a PDF file by its contents"), "{}", told.body);
    assert_eq!(common::stored_files(&app).await, files_before);

    let sent = cora.post_multipart(&address, &[], ("document", "award.pdf", PDF)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let after = cora.get("/conductor/upload/costars").await;
    assert!(after.body.contains("is uploaded"), "{}", after.body);
    assert!(!after.body.contains(&format!("id=\"contract-{}\"", target.id)), "the row left the list");
    let attached = contract::Entity::find_by_id(target.id).one(&app.state.db).await.expect("q").expect("contract");
    assert!(attached.document_id.is_some());
    // Scout serves it at once.
    let scout = cora.get(&format!("/scout/contracts/{}/document", target.id)).await;
    assert!(scout.status.is_redirection(), "{}", scout.status);

    // A second upload for the same contract does not replace it.
    let again = cora.post_multipart(&address, &[], ("document", "other.pdf", PDF)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(cora.get("/conductor/upload/costars").await.body.contains("already has its document"));
    let kept = contract::Entity::find_by_id(target.id).one(&app.state.db).await.expect("q").expect("contract");
    assert_eq!(kept.document_id, attached.document_id);
    assert_eq!(common::stored_files(&app).await, files_before + 1, "the refused second file is not kept");

    // Only COSTARS contracts take a document here.
    let other = common::builders::Contract::new("Road salt").insert(&app).await;
    let elsewhere = cora
        .post_multipart(
            &format!("/conductor/upload/costars/contracts/{}/document", other.id),
            &[],
            ("document", "x.pdf", PDF),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    assert_eq!(common::stored_files(&app).await, files_before + 1);
}
on_both_backends!(each_contract_takes_one_pdf);
