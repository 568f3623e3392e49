//! The back-office over Beacon's tables: categories, required bid documents, vendors and
//! opportunities. Each is listed and searched, created (opportunities excepted: they are drafted
//! in Beacon) and edited with its rules, deleted or refused with a reason, logged, and kept from
//! users who are not admins.

mod common;

use accounts::Role;
use axum::http::StatusCode;
use beacon::lifecycle;
use chrono::{DateTime, Duration, Utc};
use common::browser::Browser;
use common::builders::{BidDocument, Category, Opportunity, User, Vendor};
use common::{Backend, TestApp, id_from, jobs_named};
use model::entities::{
    audit_log, category, contract_type, opportunity, opportunity_category, opportunity_document,
    opportunity_required_document, required_document, vendor, vendor_category, vendor_opportunity,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

async fn seeded_type(app: &TestApp, name: &str) -> i32 {
    let found = contract_type::Entity::find().filter(contract_type::Column::Name.eq(name)).one(&app.state.db).await;
    found.expect("q").expect("seeded type").id
}

async fn audit_entries(app: &TestApp, resource: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Resource.eq(resource))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.state.db)
        .await
        .expect("log")
}

async fn categories_are_kept_while_vendors_or_opportunities_use_them(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;

    // Create, with the codes checked first.
    let blank = admin.post("/admin/categories/new", &[("nigp_codes", " "), ("category", "Construction")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert!(blank.body.contains("NIGP codes is required"), "{}", blank.body);
    let bad = admin.post("/admin/categories/new", &[("nigp_codes", "913x0")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter NIGP codes as numbers"), "{}", bad.body);
    let created = admin
        .post(
            "/admin/categories/new",
            &[
                ("nigp_codes", "091300 | 91305"),
                ("category", "Construction"),
                ("subcategory", "Paving"),
                ("category_friendly_name", "Asphalt paving"),
                ("examples", "asphalt\r\nsealcoating\r\n"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let paving = id_from(created.header("location"));
    let row = category::Entity::find_by_id(paving).one(db).await.expect("q").expect("row");
    assert_eq!(row.nigp_codes, "91300|91305", "integers joined by bars, as the importer stores them");
    assert_eq!(row.examples.as_deref(), Some("asphalt|sealcoating"));
    let plumbing = Category::new("Pipes").group("Plumbing").codes("67000").insert(&app).await;

    // List and search across codes, group, subcategory and friendly name.
    let list = admin.get("/admin/categories/").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("2 results") && list.body.contains("Asphalt paving"), "{}", list.body);
    for q in ["91305", "construction", "PAVING", "asphalt"] {
        let found = admin.get(&format!("/admin/categories/?q={q}")).await;
        assert!(found.body.contains("1 result") && found.body.contains("Asphalt paving"), "{q}: {}", found.body);
    }
    assert!(admin.get("/admin/categories/?q=pipes").await.body.contains("1 result"));

    // Edit: the examples show one a line.
    let form = admin.get(&format!("/admin/categories/{paving}/edit")).await;
    assert!(form.body.contains("asphalt\nsealcoating</textarea>"), "{}", form.body);
    let edited = admin
        .post(
            &format!("/admin/categories/{paving}/edit"),
            &[
                ("nigp_codes", "91300|91305"),
                ("category", "Construction"),
                ("subcategory", "Paving"),
                ("category_friendly_name", "Paving and sealcoating"),
                ("examples", "asphalt\nsealcoating"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let row = category::Entity::find_by_id(paving).one(db).await.expect("q").expect("row");
    assert_eq!(row.display_name(), "Paving and sealcoating");

    // In use: refused, saying by how many.
    Vendor::new("bids@acme.example").business("Acme Paving").categories(&[paving, plumbing]).insert(&app).await;
    Vendor::new("office@best.example").business("Best Asphalt").categories(&[paving]).insert(&app).await;
    Opportunity::new("Street resurfacing").categories(&[paving]).create(&app, &staff).await;
    let refused = admin.post(&format!("/admin/categories/{paving}/delete"), &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("used by 2 vendors and 1 opportunity"), "{}", refused.body);
    let refused = admin.post(&format!("/admin/categories/{plumbing}/delete"), &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("used by 1 vendor;"), "{}", refused.body);
    assert!(category::Entity::find_by_id(paving).one(db).await.expect("q").is_some());
    assert_eq!(vendor_category::Entity::find().count(db).await.expect("count"), 3, "nobody was unsubscribed");

    // Unused: deleted after the confirmation page.
    let unused = Category::new("Unused").group("Other").codes("99999").insert(&app).await;
    let confirm = admin.get(&format!("/admin/categories/{unused}/delete")).await;
    assert!(confirm.body.contains("Delete category “Unused”?"), "{}", confirm.body);
    let deleted = admin.post(&format!("/admin/categories/{unused}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(category::Entity::find_by_id(unused).one(db).await.expect("q").is_none());

    let log = audit_entries(&app, "categories").await;
    let actions: Vec<(&str, &str)> = log.iter().map(|e| (e.action.as_str(), e.summary.as_str())).collect();
    assert_eq!(
        actions,
        [("create", "Asphalt paving"), ("update", "Paving and sealcoating"), ("delete", "Unused")],
        "refusals change nothing and log nothing"
    );
    assert!(log[1].before.as_deref().is_some_and(|b| b.contains("Asphalt paving")));
}
on_both_backends!(categories_are_kept_while_vendors_or_opportunities_use_them);

async fn required_documents_have_unique_names_and_only_web_links(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;

    let created = admin
        .post(
            "/admin/required-documents/new",
            &[
                ("display_name", "W-9"),
                ("description", "Request for Taxpayer Identification Number"),
                ("form_href", "https://www.irs.gov/pub/irs-pdf/fw9.pdf"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let w9 = id_from(created.header("location"));

    // The name is unique whatever its case: a form error, not a database error.
    let duplicate = admin.post("/admin/required-documents/new", &[("display_name", "w-9")]).await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST, "{}", duplicate.body);
    assert!(duplicate.body.contains("A bid document with this name already exists."), "{}", duplicate.body);
    let blank = admin.post("/admin/required-documents/new", &[("display_name", "")]).await;
    assert!(blank.body.contains("Name is required."), "{}", blank.body);

    // Only an absolute http(s) address is a link vendors may be sent to.
    for href in
        ["javascript:alert(document.cookie)", "/forms/affidavit.pdf", "ftp://example.gov/a.pdf", "data:text/html,x"]
    {
        let refused =
            admin.post("/admin/required-documents/new", &[("display_name", "Affidavit"), ("form_href", href)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{href}");
        assert!(refused.body.contains("Enter a full web address starting with"), "{href}: {}", refused.body);
    }
    let affidavit = admin
        .post(
            "/admin/required-documents/new",
            &[("display_name", "Affidavit"), ("form_href", "http://apps.example.gov/affidavit.pdf")],
        )
        .await;
    assert_eq!(affidavit.status, StatusCode::SEE_OTHER, "{}", affidavit.body);
    let affidavit = id_from(affidavit.header("location"));
    assert_eq!(required_document::Entity::find().count(db).await.expect("count"), 2, "no refused form saved anything");

    // List and search.
    let list = admin.get("/admin/required-documents/").await;
    assert!(list.body.contains("2 results") && list.body.contains("Required bid documents"), "{}", list.body);
    let found = admin.get("/admin/required-documents/?q=TAXPAYER").await;
    assert!(found.body.contains("1 result") && found.body.contains("W-9"), "{}", found.body);

    // Edit: keeping its own name is no duplicate; taking another's (in another case) is.
    let kept = admin
        .post(&format!("/admin/required-documents/{w9}/edit"), &[("display_name", "W-9"), ("form_href", "")])
        .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.body);
    let row = required_document::Entity::find_by_id(w9).one(db).await.expect("q").expect("row");
    assert_eq!((row.form_href, row.description), (None, None), "blank fields are NULL");
    let taken = admin.post(&format!("/admin/required-documents/{w9}/edit"), &[("display_name", "AFFIDAVIT")]).await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("already exists"), "{}", taken.body);
    let bad_link = admin
        .post(
            &format!("/admin/required-documents/{w9}/edit"),
            &[("display_name", "W-9"), ("form_href", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(bad_link.status, StatusCode::BAD_REQUEST);

    // Required by opportunities: refused, saying by how many.
    Opportunity::new("Street resurfacing").documents(&[w9]).create(&app, &staff).await;
    Opportunity::new("Bridge painting").documents(&[w9, affidavit]).create(&app, &staff).await;
    let refused = admin.post(&format!("/admin/required-documents/{w9}/delete"), &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("2 opportunities require this document"), "{}", refused.body);
    let refused = admin.post(&format!("/admin/required-documents/{affidavit}/delete"), &[]).await;
    assert!(refused.body.contains("1 opportunity requires this document"), "{}", refused.body);
    assert_eq!(opportunity_required_document::Entity::find().count(db).await.expect("count"), 3);

    let unused = BidDocument::new("Bid bond").insert(&app).await;
    let deleted = admin.post(&format!("/admin/required-documents/{unused}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(required_document::Entity::find_by_id(unused).one(db).await.expect("q").is_none());

    let log = audit_entries(&app, "required-documents").await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "create", "update", "delete"]);
    assert_eq!(log[3].summary, "Bid bond");
    assert!(log[2].before.as_deref().is_some_and(|b| b.contains("irs.gov")), "the log keeps the old link");
}
on_both_backends!(required_documents_have_unique_names_and_only_web_links);

async fn vendors_are_kept_as_sign_up_keeps_them(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    let pipes = Category::new("Pipes").group("Plumbing").codes("67000").insert(&app).await;
    let (paving_s, pipes_s) = (paving.to_string(), pipes.to_string());

    // The form offers categories by the name vendors see.
    let form = admin.get("/admin/vendors/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains(&format!("value=\"{paving}\"")) && form.body.contains(">Paving</label>"),
        "{}",
        form.body
    );

    let fields = |email: &'static str, phone: &'static str, fax: &'static str| {
        vec![
            ("business_name", "Acme Paving"),
            ("email", email),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("phone_number", phone),
            ("fax_number", fax),
            ("woman_owned", "on"),
            ("newsletter", "on"),
        ]
    };
    let bad = admin.post("/admin/vendors/new", &fields("not an address", "555-0100", "412 555 01011")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter an email address like"), "{}", bad.body);
    assert!(bad.body.contains("Enter a phone number of 10 digits"), "{}", bad.body);
    assert!(bad.body.contains("Enter a fax number of 10 digits"), "{}", bad.body);
    let mut with_categories = fields("Bids@Acme.Example", "(412) 555-0100", "1-412-555-0101");
    with_categories.extend([("categories", paving_s.as_str()), ("categories", pipes_s.as_str())]);
    let created = admin.post("/admin/vendors/new", &with_categories).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let acme = id_from(created.header("location"));
    let row = vendor::Entity::find_by_id(acme).one(db).await.expect("q").expect("row");
    assert_eq!(row.email, "bids@acme.example", "lower-cased, as sign-up stores it");
    assert_eq!((row.phone_number.as_deref(), row.fax_number.as_deref()), (Some("4125550100"), Some("4125550101")));
    assert!(row.woman_owned && row.newsletter && !row.minority_owned);
    assert!(row.confirmed_at.is_none() && row.unsubscribed_at.is_none(), "unticked: not confirmed");

    // One vendor per address, whatever its case.
    let duplicate =
        admin.post("/admin/vendors/new", &[("business_name", "Acme Again"), ("email", "BIDS@acme.example")]).await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST, "{}", duplicate.body);
    assert!(duplicate.body.contains("Another vendor has this email address."), "{}", duplicate.body);
    let other = Vendor::new("office@best.example").business("Best Asphalt").categories(&[paving]).insert(&app).await.id;
    let taken = admin
        .post(&format!("/admin/vendors/{other}/edit"), &[("business_name", "Best"), ("email", "Bids@ACME.example")])
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("Another vendor has this email address."));

    // List: confirmed or not, how many categories; search by business or email.
    let list = admin.get("/admin/vendors/").await;
    assert!(list.body.contains("2 results"), "{}", list.body);
    assert!(
        list.body.contains(
            "<td data-label=\"Email\">bids@acme.example</td><td data-label=\"Confirmed\">no</td>\
             <td data-label=\"Categories\">2</td>"
        ),
        "{}",
        list.body
    );
    assert!(admin.get("/admin/vendors/?q=ACME").await.body.contains("1 result"));
    let by_email = admin.get("/admin/vendors/?q=office%40best").await;
    assert!(by_email.body.contains("1 result") && by_email.body.contains("Best Asphalt"), "{}", by_email.body);

    // Confirmed and unsubscribed are boxes over moments: ticking sets now, keeping it ticked
    // keeps the moment, unticking clears it.
    let mut confirm = fields("bids@acme.example", "4125550100", "");
    confirm.extend([("categories", paving_s.as_str()), ("confirmed", "on")]);
    let before = Utc::now();
    let saved = admin.post(&format!("/admin/vendors/{acme}/edit"), &confirm).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let row = vendor::Entity::find_by_id(acme).one(db).await.expect("q").expect("row");
    let confirmed_at = row.confirmed_at.expect("confirmed");
    assert!(confirmed_at >= before - Duration::seconds(1));
    assert_eq!(row.fax_number, None);
    let cats: Vec<i32> = vendor_category::Entity::find()
        .filter(vendor_category::Column::VendorId.eq(acme))
        .all(db)
        .await
        .expect("q")
        .into_iter()
        .map(|c| c.category_id)
        .collect();
    assert_eq!(cats, [paving], "unticked categories are unsubscribed");
    let long_ago: DateTime<Utc> = "2020-01-02T03:04:05Z".parse().expect("moment");
    let mut earlier: vendor::ActiveModel = row.into();
    earlier.confirmed_at = Set(Some(long_ago));
    earlier.update(db).await.expect("backdate");
    let form = admin.get(&format!("/admin/vendors/{acme}/edit")).await;
    assert!(form.body.contains("name=\"confirmed\" value=\"on\" checked"), "{}", form.body);
    confirm.push(("unsubscribed", "on"));
    admin.post(&format!("/admin/vendors/{acme}/edit"), &confirm).await;
    let row = vendor::Entity::find_by_id(acme).one(db).await.expect("q").expect("row");
    assert_eq!(row.confirmed_at, Some(long_ago), "a box left ticked keeps the stored moment");
    assert!(row.unsubscribed_at.is_some());
    let unconfirm: Vec<_> =
        confirm.iter().filter(|(k, _)| *k != "confirmed" && *k != "unsubscribed").copied().collect();
    admin.post(&format!("/admin/vendors/{acme}/edit"), &unconfirm).await;
    let row = vendor::Entity::find_by_id(acme).one(db).await.expect("q").expect("row");
    assert_eq!((row.confirmed_at, row.unsubscribed_at), (None, None));

    // Delete: the vendor and every subscription.
    let o = Opportunity::new("Street resurfacing").categories(&[paving]).create(&app, &staff).await.id;
    vendor_opportunity::ActiveModel { vendor_id: Set(acme), opportunity_id: Set(o) }.insert(db).await.expect("follow");
    let deleted = admin.post(&format!("/admin/vendors/{acme}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(vendor::Entity::find_by_id(acme).one(db).await.expect("q").is_none());
    assert_eq!(
        vendor_category::Entity::find().filter(vendor_category::Column::VendorId.eq(acme)).count(db).await.expect("n"),
        0
    );
    assert_eq!(vendor_opportunity::Entity::find().count(db).await.expect("n"), 0);
    assert_eq!(vendor_category::Entity::find().count(db).await.expect("n"), 1, "the other vendor keeps theirs");

    let log = audit_entries(&app, "vendors").await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "update", "update", "delete"]);
    assert!(log.iter().all(|e| e.summary == "Acme Paving"));
    assert!(log[2].before.as_deref().is_some_and(|b| b.contains("2020-01-02T03:04:05")), "the log keeps the moment");
    let page = admin.get("/admin/audit/").await;
    assert!(page.body.contains("vendors") && page.body.contains("Acme Paving"), "{}", page.body);
}
on_both_backends!(vendors_are_kept_as_sign_up_keeps_them);

/// The edit form of opportunity `id` as a browser would post it back unchanged.
async fn stored_form(admin: &Browser<'_>, id: i32) -> Vec<(String, String)> {
    let page = admin.get(&format!("/admin/opportunities/{id}/edit")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let app = admin.app;
    let tz = app.state.config.site.display_timezone;
    let o = opportunity::Entity::find_by_id(id).one(&app.state.db).await.expect("q").expect("row");
    let end = o.planned_submission_end.with_timezone(&tz);
    let mut form = vec![
        ("title".to_owned(), o.title),
        ("description".to_owned(), o.description),
        ("department".to_owned(), o.department_id.to_string()),
        ("contract_type".to_owned(), o.contract_type_id.to_string()),
        ("contact".to_owned(), o.contact_id.map(|c| c.to_string()).unwrap_or_default()),
        ("planned_publish".to_owned(), o.planned_publish.to_string()),
        ("planned_submission_start".to_owned(), o.planned_submission_start.to_string()),
        ("planned_submission_end".to_owned(), end.date_naive().to_string()),
        ("planned_submission_end_time".to_owned(), end.format("%H:%M").to_string()),
    ];
    for (name, value) in &form {
        if !matches!(name.as_str(), "description" | "department" | "contract_type" | "contact") {
            assert!(page.body.contains(&format!("value=\"{value}\"")), "{name} shows {value}: {}", page.body);
        }
    }
    if o.is_archived {
        form.push(("archived".into(), "on".into()));
    }
    for c in opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(id))
        .all(&app.state.db)
        .await
        .expect("q")
    {
        form.push(("categories".into(), c.category_id.to_string()));
    }
    for d in opportunity_required_document::Entity::find()
        .filter(opportunity_required_document::Column::OpportunityId.eq(id))
        .all(&app.state.db)
        .await
        .expect("q")
    {
        form.push(("required_documents".into(), d.required_document_id.to_string()));
    }
    form
}

fn with(form: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        form.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).cloned().collect();
    out.extend(changes.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    out
}

async fn post(browser: &Browser<'_>, path: &str, form: &[(String, String)]) -> common::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

async fn opportunities_are_corrected_here_but_never_published(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    let w9 = BidDocument::new("W-9").insert(&app).await;
    let id = Opportunity::new("Street resurfacing 2027")
        .categories(&[paving])
        .documents(&[w9])
        .create(&app, &staff)
        .await
        .id;
    let edit = format!("/admin/opportunities/{id}/edit");

    // Made in Beacon, not here.
    let list = admin.get("/admin/opportunities/").await;
    assert!(list.body.contains("href=\"/beacon/admin/new\">Draft an opportunity in Beacon</a>"), "{}", list.body);
    assert!(!list.body.contains("/admin/opportunities/new"), "{}", list.body);
    assert!(list.body.contains("Street resurfacing 2027") && list.body.contains("Awaiting approval"), "{}", list.body);
    let new = admin.get("/admin/opportunities/new").await;
    assert_eq!((new.status, new.header("location")), (StatusCode::SEE_OTHER, "/beacon/admin/new"));
    let posted = admin.post("/admin/opportunities/new", &[("title", "Sneaky")]).await;
    assert_eq!(posted.status, StatusCode::BAD_REQUEST);
    assert!(posted.body.contains("Opportunities are not created here: use /beacon/admin/new."), "{}", posted.body);
    assert_eq!(opportunity::Entity::find().count(db).await.expect("n"), 1);
    assert!(admin.get("/admin/opportunities/?q=RESURFACING").await.body.contains("1 result"));
    assert!(admin.get("/admin/opportunities/?q=milling").await.body.contains("1 result"), "descriptions are searched");
    assert!(admin.get("/admin/opportunities/?q=bridge").await.body.contains("0 results"));

    // An edit with every publishing field a form could post: saved, still a draft, nothing sent.
    let form = stored_form(&admin, id).await;
    let now = Utc::now().to_rfc3339();
    let now = now.as_str();
    let sneaky = with(
        &form,
        &[
            ("title", "Street resurfacing, 2027 season"),
            ("is_public", "on"),
            ("public", "on"),
            ("approved", "yes"),
            ("published_at", now),
            ("publish", "on"),
            ("save_type", "publish"),
        ],
    );
    let saved = post(&admin, &edit, &sneaky).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let o = opportunity::Entity::find_by_id(id).one(db).await.expect("q").expect("row");
    assert_eq!(o.title, "Street resurfacing, 2027 season");
    assert!(!o.is_public && o.published_at.is_none(), "an admin edit never publishes");
    assert_eq!(jobs_named(&app, "beacon.new_opportunity").await, 0, "and announces nothing");
    assert_eq!(opportunity_required_document::Entity::find().count(db).await.expect("n"), 1, "lists kept");

    // Each rule, a form error.
    let long = vec!["word"; 501].join(" ");
    let costars = seeded_type(&app, "COSTARS").await.to_string();
    let yesterday = (app.state.config.site.today() - Duration::days(1)).to_string();
    let (long, costars, yesterday) = (long.as_str(), costars.as_str(), yesterday.as_str());
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("description", long)], "Keep the description to 500 words; it has 501."),
        (vec![("contract_type", "999999")], "Choose the contract type."),
        (vec![("contract_type", costars)], "COSTARS contracts are not bid through Beacon."),
        (vec![("department", "999999")], "Choose the department."),
        (vec![("contact", "999999")], "Choose the contact vendors write to from the active users."),
        (vec![("planned_submission_end", yesterday)], "Bids must close in the future."),
        (vec![("planned_submission_end_time", "25:00")], "Enter the closing time as HH:MM"),
        (vec![("planned_publish", "next week")], "Enter a date as YYYY-MM-DD."),
        (vec![("title", "")], "Title is required."),
        (vec![("categories", "paving")], "Choose from the list."),
        (vec![("categories", "999999")], "One of the chosen categories no longer exists."),
    ];
    for (changes, message) in cases {
        let refused = post(&admin, &edit, &with(&form, &changes)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{changes:?}: {}", refused.body);
        assert!(refused.body.contains(message), "{changes:?} → {message}: {}", refused.body);
    }
    let blank = post(&admin, &edit, &with(&form, &[("title", ""), ("description", "")])).await;
    assert_eq!(blank.body.matches("Title is required.").count(), 2, "summary and field, once: {}", blank.body);
    assert!(!blank.body.contains("Give the opportunity a title"), "not twice over: {}", blank.body);
    let o = opportunity::Entity::find_by_id(id).one(db).await.expect("q").expect("row");
    assert_eq!(o.title, "Street resurfacing, 2027 season", "refused edits changed nothing");

    // Contact, closing moment (in the display time zone), lists and archiving.
    let other = User::new("buyer@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let closes = (app.state.config.site.today() + Duration::days(40)).to_string();
    let (contact, w9_s) = (other.id.to_string(), w9.to_string());
    let changed = with(
        &form,
        &[
            ("contact", contact.as_str()),
            ("planned_submission_end", closes.as_str()),
            ("planned_submission_end_time", "10:30"),
            ("required_documents", w9_s.as_str()),
            ("archived", "on"),
        ],
    );
    let saved = post(&admin, &edit, &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let o = opportunity::Entity::find_by_id(id).one(db).await.expect("q").expect("row");
    let tz = app.state.config.site.display_timezone;
    assert_eq!(o.contact_id, Some(other.id));
    assert_eq!(
        o.planned_submission_end.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        format!("{closes} 10:30")
    );
    assert!(o.is_archived && !o.is_public);
    assert_eq!(opportunity_required_document::Entity::find().count(db).await.expect("n"), 1);
    assert!(admin.get("/admin/opportunities/").await.body.contains("Archived"));

    // A closed opportunity can still be corrected, its closing moment left as it was.
    let mut closed: opportunity::ActiveModel = o.into();
    // Whole seconds: PostgreSQL keeps microseconds, not nanoseconds.
    let closed_at = DateTime::from_timestamp(Utc::now().timestamp() - 3 * 86_400 - 17, 0).expect("moment");
    closed.planned_submission_end = Set(closed_at);
    closed.planned_publish = Set(app.state.config.site.today() - Duration::days(20));
    closed.planned_submission_start = Set(app.state.config.site.today() - Duration::days(10));
    closed.update(db).await.expect("close");
    let form = stored_form(&admin, id).await;
    let fixed = post(&admin, &edit, &with(&form, &[("title", "Street resurfacing (2027)")])).await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    let o = opportunity::Entity::find_by_id(id).one(db).await.expect("q").expect("row");
    assert_eq!(
        (o.title.as_str(), o.planned_submission_end),
        ("Street resurfacing (2027)", closed_at),
        "kept to the second"
    );

    let log = audit_entries(&app, "opportunities").await;
    assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["update", "update", "update"]);
    assert!(log[0].after.as_deref().is_some_and(|a| a.contains("\"approved\":[\"no\"]")), "{:?}", log[0].after);
}
on_both_backends!(opportunities_are_corrected_here_but_never_published);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn deleting_an_opportunity_deletes_its_documents_lists_and_files(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let db = &app.state.db;
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let conductor = User::new("conductor@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    let w9 = BidDocument::new("W-9").insert(&app).await;
    let id =
        Opportunity::new("Salt dome repairs").categories(&[paving]).documents(&[w9]).create(&app, &conductor).await.id;
    let keep =
        Opportunity::new("Bridge painting").categories(&[paving]).documents(&[w9]).create(&app, &conductor).await.id;
    let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(PDF))]);
    let file = platform::files::save_upload(
        &app.state,
        body,
        "bid.pdf",
        platform::storage::Visibility::Private,
        "opportunities",
        1024 * 1024,
        Some(&["application/pdf"]),
    )
    .await
    .expect("stored");
    lifecycle::add_document(db, Some(&conductor), id, "Request for bids", file.id, Utc::now()).await.expect("attach");
    let v = Vendor::new("bids@acme.example").business("Acme Paving").categories(&[paving]).insert(&app).await.id;
    vendor_opportunity::ActiveModel { vendor_id: Set(v), opportunity_id: Set(id) }.insert(db).await.expect("follow");
    let deletions_before = jobs_named(&app, "platform.delete_object").await;

    let confirm = admin.get(&format!("/admin/opportunities/{id}/delete")).await;
    assert!(confirm.body.contains("Delete opportunity “Salt dome repairs”?"), "{}", confirm.body);
    let deleted = admin.post(&format!("/admin/opportunities/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert!(opportunity::Entity::find_by_id(id).one(db).await.expect("q").is_none());
    assert_eq!(opportunity_document::Entity::find().count(db).await.expect("n"), 0);
    assert!(platform::files::find(db, file.id).await.expect("q").is_none(), "the file's record is gone");
    assert_eq!(
        jobs_named(&app, "platform.delete_object").await,
        deletions_before + 1,
        "and its object queued for deletion"
    );
    let left = opportunity_category::Entity::find().all(db).await.expect("q");
    assert_eq!(left.iter().map(|c| c.opportunity_id).collect::<Vec<_>>(), [keep], "the other keeps its lists");
    assert_eq!(opportunity_required_document::Entity::find().count(db).await.expect("n"), 1);
    assert_eq!(vendor_opportunity::Entity::find().count(db).await.expect("n"), 0);
    assert!(vendor::Entity::find_by_id(v).one(db).await.expect("q").is_some(), "its follower is still a vendor");

    let log = audit_entries(&app, "opportunities").await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].action.as_str(), log[0].summary.as_str()), ("delete", "Salt dome repairs"));
    assert!(log[0].before.as_deref().is_some_and(|b| b.contains("Milling and resurfacing")));
}
on_both_backends!(deleting_an_opportunity_deletes_its_documents_lists_and_files);

async fn only_admins_reach_beacons_tables(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let author = User::new("author@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let paving = Category::new("Paving").codes("91300").insert(&app).await;
    let w9 = BidDocument::new("W-9").insert(&app).await;
    let acme = Vendor::new("bids@acme.example").business("Acme Paving").categories(&[paving]).insert(&app).await.id;
    let o =
        Opportunity::new("Street resurfacing").categories(&[paving]).documents(&[w9]).create(&app, &author).await.id;
    let tables = [("categories", paving), ("required-documents", w9), ("vendors", acme), ("opportunities", o)];

    let anonymous = Browser::new(&app);
    let mut others = Vec::new();
    for (name, role) in [("staff", Role::Staff), ("county", Role::County), ("conductor", Role::Conductor)] {
        others.push((name, Browser::sign_in_as(&app, &format!("{name}@example.org"), &[role]).await));
    }
    let admin = Browser::sign_in_as(&app, "admin@example.org", &[Role::Admin]).await;
    let root = Browser::sign_in_as(&app, "root@example.org", &[Role::Superadmin]).await;
    let index = admin.get("/admin/").await;
    for (slug, _) in tables {
        assert!(index.body.contains(&format!("/admin/{slug}/")), "{slug} is on the admin index");
    }
    let mut failures = Vec::new();
    for (slug, id) in tables {
        let gets = [
            format!("/admin/{slug}/"),
            format!("/admin/{slug}/new"),
            format!("/admin/{slug}/{id}/edit"),
            format!("/admin/{slug}/{id}/delete"),
        ];
        let posts =
            [format!("/admin/{slug}/new"), format!("/admin/{slug}/{id}/edit"), format!("/admin/{slug}/{id}/delete")];
        for path in &gets {
            let r = anonymous.get(path).await;
            if !(r.status == StatusCode::SEE_OTHER && r.header("location").starts_with("/sign-in?next=")) {
                failures.push(format!("GET {path} as anonymous: {} {}", r.status, r.header("location")));
            }
            for (name, browser) in &others {
                let r = browser.get(path).await;
                if r.status != StatusCode::FORBIDDEN {
                    failures.push(format!("GET {path} as {name}: {}", r.status));
                }
            }
            for (name, browser) in [("admin", &admin), ("superadmin", &root)] {
                let r = browser.get(path).await;
                let ok = r.status == StatusCode::OK
                    || (path.ends_with("/new") && slug == "opportunities" && r.status == StatusCode::SEE_OTHER);
                if !ok {
                    failures.push(format!("GET {path} as {name}: {}", r.status));
                }
            }
        }
        for path in &posts {
            let r = anonymous.post(path, &[]).await;
            if !(r.status == StatusCode::SEE_OTHER && r.header("location").starts_with("/sign-in?next=")) {
                failures.push(format!("POST {path} as anonymous: {} {}", r.status, r.header("location")));
            }
            for (name, browser) in &others {
                let r = browser.post(path, &[]).await;
                if r.status != StatusCode::FORBIDDEN {
                    failures.push(format!("POST {path} as {name}: {}", r.status));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing the refused requests posted changed anything.
    assert!(category::Entity::find_by_id(paving).one(&app.state.db).await.expect("q").is_some());
    assert!(required_document::Entity::find_by_id(w9).one(&app.state.db).await.expect("q").is_some());
    assert!(vendor::Entity::find_by_id(acme).one(&app.state.db).await.expect("q").is_some());
    assert!(opportunity::Entity::find_by_id(o).one(&app.state.db).await.expect("q").is_some());
    assert_eq!(audit_log::Entity::find().count(&app.state.db).await.expect("n"), 0);
}
on_both_backends!(only_admins_reach_beacons_tables);
