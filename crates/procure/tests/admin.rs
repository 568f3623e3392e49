//! The back-office: the generic pages over departments, accepted domains and users, the
//! superadmin-only rules for roles, and the audit log.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use common::browser::Browser;
use common::{Backend, TestApp, id_from, stored_files};
use model::entities::{audit_log, department, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

async fn an_admin_manages_departments_and_every_change_is_logged(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;

    let list = admin.get("/admin/departments/").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("22 results"), "the original's 22 departments are seeded");
    assert!(list.body.contains("Equal Opportunity Review Commission"));

    // Create, with validation first.
    let blank = admin.post("/admin/departments/new", &[("name", "  ")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.contains("Name is required"), "{}", blank.body);
    let taken = admin.post("/admin/departments/new", &[("name", "Other")]).await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("already exists"));
    let created = admin.post("/admin/departments/new", &[("name", "Bureau of 100% Tests")]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from(created.header("location"));

    // Search is case-insensitive and takes % literally.
    let found = admin.get("/admin/departments/?q=100%25").await;
    assert!(found.body.contains("1 result") && found.body.contains("Bureau of 100% Tests"), "{}", found.body);
    let none = admin.get("/admin/departments/?q=%25%25").await;
    assert!(none.body.contains("0 results"), "{}", none.body);
    assert!(admin.get("/admin/departments/?q=BUREAU+OF+100").await.body.contains("1 result"));

    // Edit.
    let form = admin.get(&format!("/admin/departments/{id}/edit")).await;
    assert!(form.body.contains("value=\"Bureau of 100% Tests\""), "{}", form.body);
    let edited = admin.post(&format!("/admin/departments/{id}/edit"), &[("name", "Bureau of Tests")]).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let row = department::Entity::find_by_id(id).one(&app.state.db).await.expect("q").expect("row");
    let me = user::Entity::find().filter(user::Column::Email.eq("admin@example.org")).one(&app.state.db).await;
    let me = me.expect("q").expect("admin");
    assert_eq!((row.name.as_str(), row.created_by, row.updated_by), ("Bureau of Tests", Some(me.id), Some(me.id)));

    // Delete asks first, then deletes.
    let confirm = admin.get(&format!("/admin/departments/{id}/delete")).await;
    assert!(confirm.body.contains("Delete department “Bureau of Tests”?"), "{}", confirm.body);
    assert!(department::Entity::find_by_id(id).one(&app.state.db).await.expect("q").is_some());
    let deleted = admin.post(&format!("/admin/departments/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(department::Entity::find_by_id(id).one(&app.state.db).await.expect("q").is_none());
    assert_eq!(admin.get(&format!("/admin/departments/{id}/edit")).await.status, StatusCode::NOT_FOUND);

    // "New User" is where sign-ups wait: it stays.
    let new_user = accounts::users::department_id(&app.state.db, "New User").await.expect("q").expect("seeded");
    let refused = admin.post(&format!("/admin/departments/{new_user}/delete"), &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("cannot be deleted"), "{}", refused.body);

    // The log: three entries, newest first, with who and what changed.
    let entries = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(&app.state.db).await.expect("log");
    let actions: Vec<_> = entries.iter().map(|e| (e.action.as_str(), e.actor_id)).collect();
    assert_eq!(actions, vec![("create", Some(me.id)), ("update", Some(me.id)), ("delete", Some(me.id))]);
    assert!(entries[1].before.as_deref().is_some_and(|b| b.contains("100%")));
    assert!(entries[1].after.as_deref().is_some_and(|a| a.contains("Bureau of Tests")));
    let page = admin.get("/admin/audit/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Bureau of 100% Tests → Bureau of Tests"), "{}", page.body);
    assert!(page.body.contains("admin@example.org"), "an admin without a name is named by address");
}
on_both_backends!(an_admin_manages_departments_and_every_change_is_logged);

/// Contracts saved at the same moment that name one new company add it once: the form locks the
/// names it may add, as the API's push does (tests/api_writes.rs).
async fn contracts_saved_at_the_same_moment_add_a_new_company_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let save_all = |companies: &'static str| {
        let admin = &admin;
        async move {
            let saves = (0..6).map(|n| async move {
                let description = format!("Road salt {n}");
                let form = [("description", description.as_str()), ("visible", "on"), ("companies", companies)];
                admin.post("/admin/contracts/new", &form).await
            });
            for saved in futures_util::future::join_all(saves).await {
                assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
            }
        }
    };
    // The first round opens the pool's connections, so the second runs side by side.
    save_all("Keystone Minerals").await;
    save_all("Brand New Salt Co\nKeystone Minerals").await;
    let named = |name: &str| format!("SELECT COUNT(*) AS n FROM companies WHERE name = '{name}'");
    assert_eq!(app.count(&named("Brand New Salt Co")).await, 1);
    assert_eq!(app.count(&named("Keystone Minerals")).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM contract_companies").await, 18);
}
on_both_backends!(contracts_saved_at_the_same_moment_add_a_new_company_once);

#[tokio::test]
async fn lists_are_paged_by_fifty() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    for i in 0..40 {
        let r = admin.post("/admin/departments/new", &[("name", &format!("Paged {i:02}"))]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let first = admin.get("/admin/departments/").await;
    assert!(first.body.contains("62 results") && first.body.contains("Page 1 of 2"), "{}", first.body);
    assert_eq!(first.body.matches("/edit\"").count(), 50);
    let second = admin.get("/admin/departments/?page=2").await;
    assert_eq!(second.body.matches("/edit\"").count(), 12);
    let past = admin.get("/admin/departments/?page=999").await;
    assert_eq!(past.status, StatusCode::SEE_OTHER);
    assert_eq!(past.header("location"), "/admin/departments/?page=2");
    let nonsense = admin.get("/admin/departments/?page=-3").await;
    assert_eq!(nonsense.status, StatusCode::OK, "a bad page number is page 1");
    assert_eq!(admin.get("/admin/nothing-here/").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_superadmins_give_roles_or_touch_superadmins() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let root = Browser::sign_in_as(&app, "root@example.org", &[Role::Superadmin]).await;
    let find = |email: &'static str| {
        let db = app.state.db.clone();
        async move {
            user::Entity::find().filter(user::Column::Email.eq(email)).one(&db).await.expect("q").expect("user").id
        }
    };
    let root_id = find("root@example.org").await;
    let admin_id = find("admin@example.org").await;

    // An admin creates a user: staff, whatever the form says about roles.
    let form = admin.get("/admin/users/new").await;
    assert!(!form.body.contains("name=\"roles\""), "admins do not see roles");
    let created = admin
        .post("/admin/users/new", &[("email", "New.Person@Example.org"), ("active", "on"), ("roles", "superadmin")])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let new_id = id_from(created.header("location"));
    assert_eq!(accounts::users::roles_of(&app.state.db, new_id).await.expect("roles"), vec![Role::Staff]);

    // An admin can neither edit nor delete a superadmin.
    assert_eq!(
        admin.post(&format!("/admin/users/{root_id}/edit"), &[("email", "root@example.org")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.post(&format!("/admin/users/{root_id}/delete"), &[]).await.status, StatusCode::FORBIDDEN);
    // Nor lock themselves out.
    let own = admin.post(&format!("/admin/users/{admin_id}/delete"), &[]).await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);

    // A superadmin gives roles, and cannot take their own superadmin role away.
    let form = root.get(&format!("/admin/users/{new_id}/edit")).await;
    assert!(form.body.contains("name=\"roles\""));
    let promoted = root
        .post(
            &format!("/admin/users/{new_id}/edit"),
            &[("email", "new.person@example.org"), ("active", "on"), ("roles", "conductor"), ("roles", "county")],
        )
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER, "{}", promoted.body);
    assert_eq!(
        accounts::users::roles_of(&app.state.db, new_id).await.expect("roles"),
        vec![Role::Conductor, Role::County]
    );
    let demote_self = root
        .post(
            &format!("/admin/users/{root_id}/edit"),
            &[("email", "root@example.org"), ("active", "on"), ("roles", "admin")],
        )
        .await;
    assert_eq!(demote_self.status, StatusCode::BAD_REQUEST);
    assert!(demote_self.body.contains("superadmin role from yourself"));
    let unknown = root
        .post(&format!("/admin/users/{new_id}/edit"), &[("email", "new.person@example.org"), ("roles", "emperor")])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    // The role change is in the log, and the new conductor now sees the admin index.
    let logged = audit_log::Entity::find().filter(audit_log::Column::Resource.eq("users")).count(&app.state.db).await;
    assert_eq!(logged.expect("count"), 2);
    let conductor = Browser::new(&app);
    conductor.sign_in(new_id).await;
    let index = conductor.get("/admin/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(!index.body.contains("/admin/users/"), "but not the admin-only tables");
}

#[tokio::test]
async fn accepted_domains_let_their_staff_sign_up() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let bad = admin.post("/admin/accepted-domains/new", &[("domain", "https://county.example")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let ok = admin.post("/admin/accepted-domains/new", &[("domain", "@County.Example")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let visitor = Browser::new(&app);
    visitor.post("/sign-in", &[("email", "clerk@county.example")]).await;
    let clerk = || user::Entity::find().filter(user::Column::Email.eq("clerk@county.example")).one(&app.state.db);
    assert!(clerk().await.expect("q").is_none(), "asking for a link creates nobody");
    let link = common::browser::last_email(&app).await.expect("a link was sent");
    let token = common::browser::token_in(&link).expect("the email carries a link");
    assert_eq!(visitor.post("/sign-in/link", &[("token", &token)]).await.status, StatusCode::SEE_OTHER);
    assert!(clerk().await.expect("q").is_some(), "staff of an accepted domain get an account when they use it");
}

#[tokio::test]
async fn contract_types_say_where_opportunities_may_be_posted() {
    let Some(app) = TestApp::new(Backend::Sqlite, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let list = admin.get("/admin/contract-types/").await;
    assert!(list.body.contains("13 results") && list.body.contains("COSTARS"), "the original's types are seeded");
    use model::entities::contract_type;
    let county = contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq("County"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("seeded");
    assert!(!county.allow_opportunities);
    let saved = admin
        .post(
            &format!("/admin/contract-types/{}/edit", county.id),
            &[
                ("name", "County"),
                ("allow_opportunities", "on"),
                ("opportunity_response_instructions", "Submit via the county portal."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let county = contract_type::Entity::find_by_id(county.id).one(&app.state.db).await.expect("q").expect("row");
    assert!(county.allow_opportunities && !county.managed_by_conductor);
    assert_eq!(county.opportunity_response_instructions.as_deref(), Some("Submit via the county portal."));
    let audit = admin.get("/admin/audit/").await;
    assert!(
        audit.body.contains("<strong>Opportunities may be posted under this type</strong>: no → yes"),
        "the field's label and yes/no, not its key: {}",
        audit.body
    );
}

async fn contracts_are_edited_with_their_companies_details_and_items_and_search_follows(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let search = |q: &'static str| {
        let db = app.state.db.clone();
        async move {
            let req = scout::search::Request { q: q.into(), include_expired: true, ..Default::default() };
            scout::search::search(&db, &req).await.expect("search").total
        }
    };
    let created = admin
        .post(
            "/admin/contracts/new",
            &[
                ("description", "Road salt"),
                ("financial_id", "77001"),
                ("expiration", "2027-06-30"),
                ("visible", "on"),
                ("companies", "SALTY ROADS INC\nWINTER CO"),
                ("properties", "Spec Number: 9001"),
                ("line_items", "Rock salt\nCalcium chloride"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from(created.header("location"));
    assert_eq!(search("winter").await, 1, "found by company at once");
    assert_eq!(search("chloride").await, 1, "and by line item");

    let bad = admin
        .post(
            &format!("/admin/contracts/{id}/edit"),
            &[
                ("description", "Road salt"),
                ("expiration", "30/06/2027"),
                ("properties", "no colon here"),
                ("parent", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for message in ["YYYY-MM-DD", "is not Key: value", "cannot renew itself"] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
    }

    let edited = admin
        .post(
            &format!("/admin/contracts/{id}/edit"),
            &[
                ("description", "Road salt and grit"),
                ("visible", "on"),
                ("companies", "SALTY ROADS INC"),
                ("line_items", "Rock salt\nGrit"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    assert_eq!(search("winter").await, 0, "the unlinked company no longer finds it");
    assert_eq!(search("grit").await, 1);
    assert_eq!(search("chloride").await, 0);
    let form = admin.get(&format!("/admin/contracts/{id}/edit")).await;
    assert!(form.body.contains("Rock salt\nGrit") || form.body.contains("Rock salt&#10;Grit"), "{}", form.body);

    // Saving without touching the inline lists leaves imported values alone (an untrimmed name).
    let mut store = scout::import::Store::write(scout::import::Actor(None));
    let odd = store.company(&app.state.db, "ODD NAME ").await.expect("company").0;
    store.link(&app.state.db, id, odd).await.expect("link");
    let form = admin.get(&format!("/admin/contracts/{id}/edit")).await;
    let companies_text = "ODD NAME \nSALTY ROADS INC";
    assert!(form.body.contains("ODD NAME"), "{}", form.body);
    let resaved = admin
        .post(
            &format!("/admin/contracts/{id}/edit"),
            &[
                ("description", "Road salt and grit"),
                ("expiration", "2028-01-31"),
                ("visible", "on"),
                ("companies", companies_text),
                ("line_items", "Rock salt\r\nGrit"),
            ],
        )
        .await;
    assert_eq!(resaved.status, StatusCode::SEE_OTHER, "{}", resaved.body);
    let links = model::entities::contract_company::Entity::find()
        .filter(model::entities::contract_company::Column::CompanyId.eq(odd))
        .all(&app.state.db)
        .await
        .expect("q");
    assert_eq!(links.len(), 1, "still linked to the company as imported");

    // Renaming a company re-indexes its contracts.
    use model::entities::company;
    let salty = company::Entity::find()
        .filter(company::Column::Name.eq("SALTY ROADS INC"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("company");
    admin.post(&format!("/admin/companies/{}/edit", salty.id), &[("name", "BRINE WORKS")]).await;
    assert_eq!(search("brine").await, 1);

    assert_eq!(admin.post(&format!("/admin/contracts/{id}/delete"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(search("grit").await, 0, "a deleted contract leaves the index");
}
on_both_backends!(contracts_are_edited_with_their_companies_details_and_items_and_search_follows);

async fn admins_import_a_file_from_the_web_after_a_preview(backend: Backend) {
    use model::entities::{contract, import};
    use platform::jobs::{Job, JobContext};
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let staff = Browser::sign_in_as(&app, "staff@example.org", &[Role::Staff]).await;
    let file = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/pittsburgh/mock/old_contracts.csv"),
    )
    .expect("mock file");

    let refused =
        staff.post_multipart("/admin/imports/", &[("kind", "contracts")], ("file", "old_contracts.csv", &file)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let wrong =
        admin.post_multipart("/admin/imports/", &[("kind", "costars")], ("file", "old_contracts.csv", &file)).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("COSTARS-&lt;number&gt;.csv"), "{}", wrong.body);
    assert_eq!(common::stored_files(&app).await, 0, "a refused import keeps no file");
    // A file far wider than any real one is refused in a sentence, not with its columns listed.
    let wide: String = (0..100_000).map(|i| format!("column{i},")).collect();
    let refused_wide = admin
        .post_multipart("/admin/imports/", &[("kind", "costars")], ("file", "COSTARS-9.csv", wide.as_bytes()))
        .await;
    assert_eq!(refused_wide.status, StatusCode::BAD_REQUEST);
    assert!(refused_wide.body.contains("the file has 100001 columns; a data file may have at most 500"));
    assert!(!refused_wide.body.contains("column99") && refused_wide.body.len() < 40_000, "{}", refused_wide.body.len());

    let uploaded =
        admin.post_multipart("/admin/imports/", &[("kind", "contracts")], ("file", "old_contracts.csv", &file)).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let page_path = uploaded.header("location").to_owned();
    let preview = admin.get(&page_path).await;
    assert!(
        preview.body.contains("Nothing is saved yet") && preview.body.contains("3 RIVERS FIRE EQUIPMENT"),
        "{}",
        preview.body
    );
    assert_eq!(contract::Entity::find().all(&app.state.db).await.expect("q").len(), 0, "the preview changed nothing");

    let id: i32 = page_path.rsplit('/').next().and_then(|s| s.parse().ok()).expect("id");
    assert_eq!(admin.post(&format!("/admin/imports/{id}/confirm"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.post(&format!("/admin/imports/{id}/confirm"), &[]).await.status, StatusCode::BAD_REQUEST, "once");
    let queued = admin.get(&page_path).await;
    assert!(queued.body.contains("This page updates itself"));
    assert!(queued.body.contains("Import queued."), "the confirmation says so: {}", queued.body);
    assert!(!admin.get(&page_path).await.body.contains("Import queued."), "once");

    // The worker runs it.
    let env = procure::app::job_env(app.state.db.clone(), app.state.config.clone()).expect("env");
    let ctx = JobContext { env, job_id: 1, attempt: 1, worker: "test".into() };
    let admin_id =
        accounts::users::find_by_email(&app.state.db, "admin@example.org").await.expect("q").expect("admin").id;
    admin::imports::ImportFile { import_id: id, actor: Some(admin_id) }.run(&ctx).await.expect("import job");
    let row = import::Entity::find_by_id(id).one(&app.state.db).await.expect("q").expect("row");
    assert_eq!((row.status.as_str(), row.rows_done), ("done", 3));
    let contracts = contract::Entity::find().all(&app.state.db).await.expect("q");
    assert_eq!(contracts.len(), 3);
    assert!(contracts.iter().all(|c| c.created_by == Some(admin_id)), "the audit columns name who imported");
    assert!(admin.get(&page_path).await.body.contains("Imported."));

    // The upload, the confirmation and the outcome are in the audit log, with their counts.
    let logged = audit_log::Entity::find()
        .filter(audit_log::Column::Resource.eq("imports"))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.state.db)
        .await
        .expect("log");
    let seen: Vec<_> =
        logged.iter().map(|e| (e.action.as_str(), e.actor_id, e.record_id.as_str(), e.summary.as_str())).collect();
    let id_text = id.to_string();
    assert_eq!(
        seen,
        vec![
            ("upload", Some(admin_id), id_text.as_str(), "old_contracts.csv"),
            ("start_import", Some(admin_id), id_text.as_str(), "old_contracts.csv"),
            ("import", Some(admin_id), id_text.as_str(), "old_contracts.csv"),
        ]
    );
    let audit = admin.get("/admin/audit/?resource=imports").await;
    assert!(audit.body.contains("Uploaded file"), "{}", audit.body);
    assert!(audit.body.contains("<strong>Would add</strong>: 3"), "{}", audit.body);
    assert!(audit.body.contains("Started importing file"), "{}", audit.body);
    let done = audit.body.split("<tr>").find(|row| row.contains("Imported file")).expect("the import's entry");
    for fact in ["<strong>Rows</strong>: 3", "<strong>Added</strong>: 3", "<strong>Cannot import</strong>: 0"] {
        assert!(done.contains(fact), "{fact}: {done}");
    }
    assert!(done.contains(&format!("href=\"/admin/imports/{id}\"")), "the import is linked: {done}");
    assert!(done.contains("admin@example.org"), "under the name of whoever confirmed it: {done}");
}
on_both_backends!(admins_import_a_file_from_the_web_after_a_preview);

/// The smallest file that is a PDF by its bytes.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn contract_documents_and_item_prices_are_edited_in_the_back_office(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let created = admin
        .post(
            "/admin/contracts/new",
            &[("description", "Road salt"), ("visible", "on"), ("line_items", "Rock salt | 61.25\nCatalog | 12%")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from(created.header("location"));
    let items = app.get_json(&format!("/api/v1/contracts/{id}")).await.json()["line_items"].clone();
    assert_eq!(items[0]["unit_cost"], 61.25, "{items:#}");
    assert_eq!((items[1]["unit_cost"].as_f64(), items[1]["percentage"].as_bool()), (Some(12.0), Some(true)));
    let form = admin.get(&format!("/admin/contracts/{id}/edit")).await;
    assert!(form.body.contains("Rock salt | 61.25") && form.body.contains("enctype=\"multipart/form-data\""));
    let bad_price = admin
        .post(
            &format!("/admin/contracts/{id}/edit"),
            &[("description", "Road salt"), ("line_items", "Rock salt | 6l.25")],
        )
        .await;
    assert_eq!(bad_price.status, StatusCode::BAD_REQUEST);
    assert!(bad_price.body.contains("write the price as 12.50"), "{}", bad_price.body);

    let fields = [("description", "Road salt"), ("visible", "on"), ("line_items", "Rock salt | 61.25\nCatalog | 12%")];
    let edit = format!("/admin/contracts/{id}/edit");
    let files_before = stored_files(&app).await;
    // A program renamed to .pdf is refused by its bytes, and leaves nothing stored.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 this is not a pdf";
    let refused = admin.post_multipart(&edit, &fields, ("document", "contract.pdf", exe)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("is not a PDF file by its contents"), "{}", refused.body);
    assert_eq!(stored_files(&app).await, files_before);

    let saved = admin.post_multipart(&edit, &fields, ("document", "Road salt 2026.pdf", PDF)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let first = model::entities::contract::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("q")
        .and_then(|c| c.document_id)
        .expect("a document");
    let page = app.get(&format!("/scout/contracts/{id}")).await;
    assert!(page.body.contains(&format!("/scout/contracts/{id}/document")), "{}", page.body);
    let visitor = Browser::new(&app);
    let link = visitor.get(&format!("/scout/contracts/{id}/document")).await;
    assert_eq!(link.status, StatusCode::SEE_OTHER);
    let download = visitor.get(link.header("location")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.header("content-type"), "application/pdf");
    assert_eq!(download.raw, PDF);
    let api = app.get_json(&format!("/api/v1/contracts/{id}")).await.json();
    assert_eq!(api["document_url"], format!("/scout/contracts/{id}/document"));

    // Saving without a file keeps it; a posted file id is ignored (only uploads count).
    let kept = admin.post(&edit, &[("description", "Road salt"), ("visible", "on"), ("document", "1")]).await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    let now = model::entities::contract::Entity::find_by_id(id).one(&app.state.db).await.expect("q").expect("c");
    assert_eq!(now.document_id, Some(first));

    // A new file replaces the old, whose record goes at once (its object by a queued job).
    let replaced = admin.post_multipart(&edit, &fields, ("document", "Road salt, signed.pdf", PDF)).await;
    assert_eq!(replaced.status, StatusCode::SEE_OTHER, "{}", replaced.body);
    assert!(platform::files::find(&app.state.db, first).await.expect("q").is_none());
    assert_eq!(stored_files(&app).await, files_before + 1);

    let removed =
        admin.post(&edit, &[("description", "Road salt"), ("visible", "on"), ("document_remove", "on")]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(stored_files(&app).await, files_before);
    assert_eq!(visitor.get(&format!("/scout/contracts/{id}/document")).await.status, StatusCode::NOT_FOUND);
}
on_both_backends!(contract_documents_and_item_prices_are_edited_in_the_back_office);

async fn company_contacts_are_managed_and_shown_at_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let made = admin.post("/admin/companies/new", &[("name", "KEYSTONE SALT CO")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let company = id_from(made.header("location"));
    // The public page is cached for visitors; the new contact must show anyway.
    let page = format!("/scout/companies/{company}");
    assert!(!app.get(&page).await.body.contains("Dana"));

    let bad =
        admin.post("/admin/company-contacts/new", &[("company", "NO SUCH CO"), ("email", "not-an-address")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("There is no company named") && bad.body.contains("name@example.com"), "{}", bad.body);

    let created = admin
        .post(
            "/admin/company-contacts/new",
            &[
                ("company", "KEYSTONE SALT CO"),
                ("first_name", "Dana"),
                ("last_name", "Brine"),
                ("email", "dana@keystonesalt.example"),
                ("phone_number", "412-555-0100"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let contact = id_from(created.header("location"));
    let shown = app.get(&page).await;
    assert!(shown.body.contains("Dana") && shown.body.contains("dana@keystonesalt.example"), "{}", shown.body);
    let listed = admin.get("/admin/company-contacts/?q=keystone").await;
    assert!(listed.body.contains("Dana Brine"), "found by the company's name: {}", listed.body);

    assert_eq!(
        admin.post(&format!("/admin/company-contacts/{contact}/delete"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(!app.get(&page).await.body.contains("Dana"));
    let logged = audit_log::Entity::find()
        .filter(audit_log::Column::Resource.eq("company-contacts"))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(logged, 2, "created and deleted, both in the audit log");
}
on_both_backends!(company_contacts_are_managed_and_shown_at_once);

async fn back_office_changes_are_confirmed_once(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;

    let created = admin.post("/admin/departments/new", &[("name", "Bureau of Bridges")]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from(created.header("location"));
    let landed = admin.get(created.header("location")).await;
    assert!(landed.body.contains("Added department “Bureau of Bridges”."), "{}", landed.body);
    assert!(landed.body.contains("usa-alert--success"), "a USWDS success alert");
    assert_eq!(landed.header("cache-control"), "private, no-store");
    let again = admin.get(created.header("location")).await;
    assert!(!again.body.contains("Added department"), "shown once, then gone");

    // A form sent back with errors keeps nothing for later.
    let refused = admin.post(&format!("/admin/departments/{id}/edit"), &[("name", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(!admin.get("/admin/departments/").await.body.contains("usa-alert--success"));

    let saved = admin.post(&format!("/admin/departments/{id}/edit"), &[("name", "Bureau of Tunnels")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // The message waits through pages that render nothing (a redirect) for the next page.
    assert_eq!(admin.get("/admin").await.status, StatusCode::PERMANENT_REDIRECT);
    let index = admin.get("/admin/").await;
    assert!(index.body.contains("Saved department “Bureau of Tunnels”."), "{}", index.body);
    assert!(!admin.get("/admin/departments/").await.body.contains("Saved department"));

    // Another admin's browser never sees it.
    let other = Browser::sign_in_as(&app, "other-admin@example.org", &[Role::Admin]).await;
    let deleted = admin.post(&format!("/admin/departments/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(!other.get("/admin/departments/").await.body.contains("Deleted department"));
    let list = admin.get(deleted.header("location")).await;
    assert!(list.body.contains("Deleted department “Bureau of Tunnels”."), "{}", list.body);
}
on_both_backends!(back_office_changes_are_confirmed_once);

/// The entry of the audit page's table that contains `marker`.
fn audit_row<'a>(page: &'a str, marker: &str) -> &'a str {
    page.split("<tr>").find(|row| row.contains(marker)).unwrap_or_else(|| panic!("no entry with {marker}: {page}"))
}

async fn the_audit_log_names_people_and_shows_local_times_and_changed_lines(backend: Backend) {
    use chrono::TimeZone;
    use sea_orm::{ActiveModelTrait, Set};
    let Some(app) = TestApp::new(backend, &[("DISPLAY_TIMEZONE", "America/Chicago")]).await else { return };
    let admin = Browser::sign_in_as(&app, "ada@example.org", &[Role::Admin]).await;
    let ada = user::Entity::find().filter(user::Column::Email.eq("ada@example.org")).one(&app.state.db).await;
    let mut ada: user::ActiveModel = ada.expect("q").expect("ada").into();
    ada.first_name = Set(Some("Ada".into()));
    ada.last_name = Set(Some("Lovelace".into()));
    let ada = ada.update(&app.state.db).await.expect("named");
    let finance = accounts::users::department_id(&app.state.db, "Department of Finance").await.expect("q").expect("d");

    let fields = |items: &'static str, department: String| {
        vec![
            ("description".to_owned(), "Road salt".to_owned()),
            ("visible".to_owned(), "on".to_owned()),
            ("department".to_owned(), department),
            ("line_items".to_owned(), items.to_owned()),
        ]
    };
    let form = fields("Rock salt | 61.25\nCalcium chloride | 12.00\nGrit", String::new());
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let created = admin.post("/admin/contracts/new", &form).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from(created.header("location"));
    let form = fields("Rock salt | 63.00\r\nCalcium chloride | 12.00\r\nGrit", finance.to_string());
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let edited = admin.post(&format!("/admin/contracts/{id}/edit"), &form).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);

    let page = admin.get("/admin/audit/").await;
    assert_eq!(page.status, StatusCode::OK);
    let changed = audit_row(&page.body, "Changed contract");
    assert!(changed.contains("Ada Lovelace") && !changed.contains("ada@example.org"), "the name: {changed}");
    assert!(
        changed.contains("removed:</span> Rock salt | 61.25</del>, <ins")
            && changed.contains("added:</span> Rock salt | 63.00</ins>"),
        "only the changed line: {changed}"
    );
    assert!(!changed.contains("Calcium chloride") && !changed.contains("Grit"), "not the unchanged lines: {changed}");
    assert!(changed.contains("<strong>Department</strong>: (empty) → Department of Finance"), "{changed}");
    let edit_link = format!("href=\"/admin/contracts/{id}/edit\"");
    assert!(changed.contains(&format!("{edit_link}>Road salt</a>")), "linked: {changed}");
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("update"))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("entry");
    let chicago = chrono_tz::America::Chicago.from_utc_datetime(&entry.created_at.naive_utc());
    let local = chicago.format("%b %-d, %Y, %-I:%M %p %Z").to_string();
    assert!(local.ends_with(" CST") || local.ends_with(" CDT"), "{local}");
    assert!(changed.contains(&format!(">{local}</time>")), "{local} in {changed}");
    assert!(!page.body.contains("UTC"), "no UTC times");
    let added = audit_row(&page.body, "Added contract");
    assert!(added.contains("added:</span> Calcium chloride | 12.00"), "a new record's lines: {added}");

    // A deleted record is no longer linked, and the other filters narrow the list.
    assert_eq!(admin.post(&format!("/admin/contracts/{id}/delete"), &[]).await.status, StatusCode::SEE_OTHER);
    let other = Browser::sign_in_as(&app, "bob@example.org", &[Role::Admin]).await;
    assert_eq!(other.post("/admin/departments/new", &[("name", "Bureau of Logs")]).await.status, StatusCode::SEE_OTHER);
    let page = admin.get("/admin/audit/").await;
    assert!(!page.body.contains(&edit_link), "gone, so not linked");
    let deleted = audit_row(&page.body, "Deleted contract");
    assert!(deleted.contains("“Road salt”"), "{deleted}");
    let ada_only = admin.get(&format!("/admin/audit/?user={}", ada.id)).await;
    assert!(ada_only.body.contains("3 changes.") && !ada_only.body.contains("Bureau of Logs"), "{}", ada_only.body);
    let departments = admin.get("/admin/audit/?resource=departments").await;
    assert!(departments.body.contains("1 change.") && departments.body.contains("Bureau of Logs"));
    assert!(!departments.body.contains("Road salt"), "{}", departments.body);

    // Other changes, by any wing, with their facts; a job acting alone is the system.
    let txn = platform::db::begin_write(&app.state.db).await.expect("txn");
    let facts = [("Vendors emailed", admin::audit::number(1503u32)), ("Closes", "Jan 9, 2027".to_owned())];
    admin::audit::record_action(&txn, Some(ada.id), "approve", "opportunities", 41, "Snow plows", &facts)
        .await
        .expect("recorded");
    admin::audit::record_action(&txn, None, "publish", "opportunities", 41, "Snow plows", &[]).await.expect("recorded");
    txn.commit().await.expect("commit");
    let page = admin.get("/admin/audit/?resource=opportunities").await;
    let approved = audit_row(&page.body, "Approved opportunity");
    assert!(approved.contains("“Snow plows”") && approved.contains("Ada Lovelace"), "{approved}");
    assert!(
        approved.contains("<strong>Vendors emailed</strong>: 1,503")
            && approved.find("Vendors emailed") < approved.find("Closes"),
        "the facts, in order: {approved}"
    );
    assert!(audit_row(&page.body, "Published opportunity").contains("The system"), "{}", page.body);
}
on_both_backends!(the_audit_log_names_people_and_shows_local_times_and_changed_lines);
