//! The staff side of Beacon (`/beacon/admin/`): drafting and editing opportunities with their
//! documents, the lists of drafts awaiting approval, approved and published ones, and the
//! approve and archive buttons. Every action goes through `lifecycle`, which checks the policy.

use accounts::ServiceError;
use accounts::{Action, SignedIn, Viewer, page, page_with_status};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{
    contract_type, department, opportunity, opportunity_category, opportunity_document, required_document,
};
use platform::files;
use platform::http::upload::{FileField, UploadForm};
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::lifecycle::{self, Draft, Status};

/// The file types an opportunity document may be, identified by its bytes.
pub const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// The opportunity form's one file field.
pub(crate) const DOCUMENT: FileField =
    FileField { name: "document", types: Some(DOCUMENT_TYPES), area: "opportunities", name_rule: None };

/// The draft a form describes; dates it cannot read become errors.
fn draft_of(state: &AppState, form: &mut UploadForm) -> Draft {
    let mut errors = Vec::new();
    let draft =
        read_draft(|name| form.text(name), |name| form.ids(name), state.config.site.display_timezone, &mut errors);
    form.errors.extend(errors);
    draft
}

/// The draft an opportunity form's fields describe (`text` reads a field, trimmed; `ids` a
/// checkbox group), the closing moment entered in `tz`; dates and times it cannot read are
/// added to `errors`. Beacon's staff form and Conductor's "Post to Beacon" read it alike.
pub fn read_draft(
    text: impl Fn(&str) -> String,
    ids: impl Fn(&str) -> Vec<i32>,
    tz: chrono_tz::Tz,
    errors: &mut Vec<(String, String)>,
) -> Draft {
    let mut date = |field: &'static str| -> Option<NaiveDate> {
        let raw = text(field);
        if raw.is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(&raw, "%Y-%m-%d").ok().or_else(|| {
            errors.push((field.into(), "Enter a date as YYYY-MM-DD.".into()));
            None
        })
    };
    let planned_publish = date("planned_publish");
    let planned_submission_start = date("planned_submission_start");
    let end_day = date("planned_submission_end");
    let end_time = text("planned_submission_end_time");
    let time = chrono::NaiveTime::parse_from_str(if end_time.is_empty() { "14:00" } else { &end_time }, "%H:%M").ok();
    if time.is_none() {
        errors.push(("planned_submission_end".into(), "Enter the closing time as HH:MM, e.g. 14:00.".into()));
    }
    // The closing moment is entered in the city's time zone.
    let planned_submission_end = end_day.zip(time).and_then(|(d, t)| {
        tz.from_local_datetime(&NaiveDateTime::new(d, t)).earliest().map(|local| local.with_timezone(&Utc))
    });
    if end_day.is_some() && time.is_some() && planned_submission_end.is_none() {
        errors.push((
            "planned_submission_end".into(),
            "That time does not exist that day (the clocks change); choose another.".into(),
        ));
    }
    Draft {
        title: text("title"),
        description: text("description"),
        department_id: text("department").parse().ok(),
        contract_type_id: text("contract_type").parse().ok(),
        contact: Some(text("contact")),
        planned_publish,
        planned_submission_start,
        planned_submission_end,
        categories: ids("category"),
        required_documents: ids("required_document"),
        timezone: Some(tz),
    }
}

/// An opportunity form's choices: departments, types that take opportunities, bid documents,
/// categories (Beacon's staff form and Conductor's "Post to Beacon").
pub async fn form_choices(state: &AppState) -> Result<minijinja::Value, AppError> {
    let db = &state.db;
    let departments = accounts::users::departments(db).await?;
    let types: Vec<(i32, String)> = contract_type::Entity::find()
        .filter(contract_type::Column::AllowOpportunities.eq(true))
        .order_by_asc(contract_type::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let documents: Vec<(i32, String)> = required_document::Entity::find()
        .order_by_asc(required_document::Column::DisplayName)
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.display_name))
        .collect();
    let groups = crate::vendors::category_groups(state).await?;
    Ok(context! { departments, types, documents, groups => Serde(groups) })
}

/// Form values for a stored opportunity.
async fn values_of(state: &AppState, o: &opportunity::Model) -> Result<Vec<(String, String)>, AppError> {
    let tz = state.config.site.display_timezone;
    let end = o.planned_submission_end.with_timezone(&tz);
    let mut v = vec![
        ("title".to_owned(), o.title.clone()),
        ("description".to_owned(), o.description.clone()),
        ("department".to_owned(), o.department_id.to_string()),
        ("contract_type".to_owned(), o.contract_type_id.to_string()),
        ("planned_publish".to_owned(), o.planned_publish.to_string()),
        ("planned_submission_start".to_owned(), o.planned_submission_start.to_string()),
        ("planned_submission_end".to_owned(), end.date_naive().to_string()),
        ("planned_submission_end_time".to_owned(), end.format("%H:%M").to_string()),
    ];
    if let Some(contact) = o.contact_id
        && let Some(user) = model::entities::user::Entity::find_by_id(contact).one(&state.db).await?
    {
        v.push(("contact".to_owned(), user.email));
    }
    for c in opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(o.id))
        .all(&state.db)
        .await?
    {
        v.push(("category".into(), c.category_id.to_string()));
    }
    for d in model::entities::opportunity_required_document::Entity::find()
        .filter(model::entities::opportunity_required_document::Column::OpportunityId.eq(o.id))
        .all(&state.db)
        .await?
    {
        v.push(("required_document".into(), d.required_document_id.to_string()));
    }
    Ok(v)
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    me: &accounts::CurrentUser,
    o: Option<&opportunity::Model>,
    values: &[(String, String)],
    errors: &[(String, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let text = |name: &str| values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let ids = |name: &str| -> Vec<i32> {
        values.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let now = Utc::now();
    let today = state.config.site.today();
    let documents = match o {
        Some(o) => {
            opportunity_document::Entity::find()
                .filter(opportunity_document::Column::OpportunityId.eq(o.id))
                .order_by_asc(opportunity_document::Column::Id)
                .all(&state.db)
                .await?
        }
        None => Vec::new(),
    };
    let ctx = context! {
        o => o.map(|o| context! {
            id => o.id, title => &o.title, status => Serde(Status::of(o, now, today)),
            label => Status::of(o, now, today).label(),
            may_approve => !o.is_public && lifecycle::may(Some(me), Action::Publish, o),
            may_archive => !o.is_archived && lifecycle::may(Some(me), Action::Publish, o),
            may_edit => lifecycle::may(Some(me), Action::Edit, o),
        }),
        v => context! {
            title => text("title"), description => text("description"), department => text("department"),
            contract_type => text("contract_type"), planned_publish => text("planned_publish"),
            planned_submission_start => text("planned_submission_start"),
            planned_submission_end => text("planned_submission_end"),
            planned_submission_end_time => text("planned_submission_end_time"),
            categories => ids("category"), required_documents => ids("required_document"),
            contact => text("contact"), document_name => text("document_name"),
        },
        documents => Serde(documents),
        errors => errors.to_vec(),
        choices => form_choices(state).await?,
        timezone => zone_words(state.config.site.display_timezone),
    };
    page_with_status(state, viewer, status, "beacon/staff_form.html", ctx)
}

/// A time zone as people say it ("Eastern time"), for US zones; other zones by their name.
pub(crate) fn zone_words(tz: chrono_tz::Tz) -> String {
    let words = match tz.name() {
        "America/New_York" | "US/Eastern" | "America/Detroit" | "America/Indiana/Indianapolis" => "Eastern time",
        "America/Chicago" | "US/Central" => "Central time",
        "America/Denver" | "US/Mountain" | "America/Boise" => "Mountain time",
        "America/Phoenix" | "US/Arizona" => "Arizona time",
        "America/Los_Angeles" | "US/Pacific" => "Pacific time",
        "America/Anchorage" | "US/Alaska" => "Alaska time",
        "Pacific/Honolulu" | "US/Hawaii" => "Hawaii time",
        other => return other.replace('_', " "),
    };
    words.to_owned()
}

/// Staff and conductor-level users draft opportunities (and see these pages); county users not.
fn may_draft(me: &accounts::CurrentUser) -> Result<(), AppError> {
    Ok(accounts::authorize(Some(me), Action::Create, accounts::Resource::Opportunity { public: false, own: true })?)
}

/// One row of the staff list.
#[derive(Debug, serde::Serialize)]
struct StaffRow {
    id: i32,
    title: String,
    status: Status,
    label: &'static str,
    closes: String,
    department: String,
    author: String,
}

/// The staff list: what `me` may see, what needs action first (drafts to approve, then open,
/// upcoming and scheduled ones, then closed), soonest deadline first within each.
pub async fn index(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
) -> Result<Response, AppError> {
    may_draft(&me)?;
    let now = Utc::now();
    let today = state.config.site.today();
    let db = &state.db;
    let all = opportunity::Entity::find()
        .filter(opportunity::Column::IsArchived.eq(false))
        .order_by_asc(opportunity::Column::PlannedSubmissionEnd)
        .all(db)
        .await?;
    let departments: std::collections::HashMap<i32, String> =
        department::Entity::find().all(db).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let authors: std::collections::HashMap<i32, String> = model::entities::user::Entity::find()
        .filter(model::entities::user::Column::Id.is_in(all.iter().filter_map(|o| o.created_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            let name = match (u.first_name.as_deref(), u.last_name.as_deref()) {
                (Some(f), Some(l)) if !f.is_empty() && !l.is_empty() => format!("{f} {l}"),
                _ => u.email.clone(),
            };
            (u.id, name)
        })
        .collect();
    let mut rows: Vec<StaffRow> = all
        .into_iter()
        .filter(|o| {
            Status::of(o, now, today).is_public()
                || me.is_conductor_level()
                || (lifecycle::may(Some(&me), Action::Edit, o) && !o.is_public)
        })
        .map(|o| {
            let status = Status::of(&o, now, today);
            StaffRow {
                id: o.id,
                label: status.label(),
                status,
                closes: lifecycle::local_time(o.planned_submission_end, state.config.site.display_timezone),
                department: departments.get(&o.department_id).cloned().unwrap_or_default(),
                author: o.created_by.and_then(|id| authors.get(&id).cloned()).unwrap_or_else(|| "—".to_owned()),
                title: o.title,
            }
        })
        .collect();
    // Stable: within a status, the query's order (soonest deadline first) stays.
    rows.sort_by_key(|r| r.status.urgency());
    let waiting = rows.iter().filter(|r| r.status == Status::Draft).count();
    let ctx = context! { rows => Serde(rows), waiting, approver => me.is_conductor_level() };
    Ok(page(&state, &viewer, "beacon/staff_index.html", ctx)?.into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
) -> Result<Response, AppError> {
    may_draft(&me)?;
    form_page(&state, &viewer, &me, None, &[], &[], StatusCode::OK).await
}

/// An opportunity as `me` may see it on the staff pages: published ones, their own drafts, and
/// for conductor-level users everything (archived and scheduled ones too).
async fn load(state: &AppState, me: &accounts::CurrentUser, id: i32) -> Result<opportunity::Model, AppError> {
    lifecycle::visible(&state.db, Some(me), id, Utc::now(), state.config.site.today()).await?.ok_or(AppError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    may_draft(&me)?;
    let o = load(&state, &me, id).await?;
    let values = values_of(&state, &o).await?;
    form_page(&state, &viewer, &me, Some(&o), &values, &[], StatusCode::OK).await
}

/// Saves a new (`id` None) or existing opportunity from the submitted form with its document
/// and, for a new draft, the emails asking for approval: one transaction.
async fn save(
    state: &AppState,
    viewer: &Viewer,
    me: &accounts::CurrentUser,
    id: Option<i32>,
    request: Request,
) -> Result<Response, AppError> {
    let existing = match id {
        Some(id) => Some(load(state, me, id).await?),
        None => None,
    };
    // Refuse before storing any upload (the service checks again when saving).
    if let Some(o) = &existing
        && !lifecycle::may(Some(me), Action::Edit, o)
    {
        return Err(accounts::Denied::Forbidden.into());
    }
    let mut form = UploadForm::read(state, request, &[DOCUMENT]).await?;
    let draft = draft_of(state, &mut form);
    let document_name = form.text("document_name");
    if form.file(DOCUMENT.name).is_some() && document_name.is_empty() {
        form.errors.push(("document_name".into(), "Give the document a title.".into()));
    }
    if !form.errors.is_empty() {
        let errors = with_file_to_attach_again(&form, form.errors.clone());
        form.discard().await;
        return form_page(state, viewer, me, existing.as_ref(), &form.fields, &errors, StatusCode::BAD_REQUEST).await;
    }
    let txn = platform::db::begin_write(&state.db).await?;
    match write_draft(state, &txn, me, existing.as_ref(), &draft, &form, &document_name).await {
        Ok(saved) => {
            let details =
                changes(state, existing.as_ref(), &saved, form.file(DOCUMENT.name).map(|_| document_name.as_str()));
            let action = if existing.is_some() { "update" } else { "create" };
            admin::audit::record_action(&txn, Some(me.id), action, "opportunities", saved.id, &saved.title, &details)
                .await?;
            txn.commit().await?;
            form.keep();
            let said = if existing.is_some() { "Saved." } else { "Saved and sent for approval." };
            viewer.set_flash(accounts::Flash::success(said)).await?;
            Ok(Redirect::to(&format!("/beacon/admin/{}", saved.id)).into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            let refused_fields = match &e {
                ServiceError::Invalid(errors) => {
                    let mut all = form.errors.clone();
                    all.extend(errors.iter().map(|(f, m)| ((*f).to_owned(), m.clone())));
                    Some(with_file_to_attach_again(&form, all))
                }
                _ => None,
            };
            form.discard().await;
            match refused_fields {
                Some(all) => {
                    form_page(state, viewer, me, existing.as_ref(), &form.fields, &all, StatusCode::BAD_REQUEST).await
                }
                None => Err(e.into()),
            }
        }
    }
}

/// What a staff save changed, for the audit log: the fields that differ (a description only as
/// "changed"), and a document added.
fn changes(
    state: &AppState,
    before: Option<&opportunity::Model>,
    after: &opportunity::Model,
    document: Option<&str>,
) -> Vec<(&'static str, String)> {
    let tz = state.config.site.display_timezone;
    let fields = |o: &opportunity::Model| {
        [
            ("Title", o.title.clone()),
            ("Department", o.department_id.to_string()),
            ("Contract type", o.contract_type_id.to_string()),
            ("Contact", o.contact_id.map(|c| c.to_string()).unwrap_or_default()),
            ("Publish on", o.planned_publish.to_string()),
            ("Bids open on", o.planned_submission_start.to_string()),
            ("Bids close", lifecycle::local_time(o.planned_submission_end, tz)),
        ]
    };
    let mut out: Vec<(&'static str, String)> = match before {
        None => vec![("Bids close", lifecycle::local_time(after.planned_submission_end, tz))],
        Some(before) => fields(before)
            .into_iter()
            .zip(fields(after))
            .filter(|((_, b), (_, a))| a != b)
            .map(|((label, b), (_, a))| match label {
                "Department" | "Contract type" | "Contact" => (label, "changed".to_owned()),
                _ => (label, format!("{b} → {a}")),
            })
            .collect(),
    };
    if before.is_some_and(|b| b.description != after.description) {
        out.push(("Description", "changed".into()));
    }
    if let Some(name) = document {
        out.push(("Document added", name.to_owned()));
    }
    out
}

/// `errors`, plus, when the refused form carried a file, a word under the file field: a browser
/// cannot be made to choose the file again, so the user must, and should be told.
fn with_file_to_attach_again(form: &UploadForm, mut errors: Vec<(String, String)>) -> Vec<(String, String)> {
    if let Some(file) = form.file(DOCUMENT.name) {
        errors.push((
            DOCUMENT.name.into(),
            format!("“{}” was not saved because of the other errors: choose it again.", file.filename),
        ));
    }
    errors
}

/// The services one save calls, in the handler's transaction.
async fn write_draft(
    state: &AppState,
    txn: &DatabaseTransaction,
    me: &accounts::CurrentUser,
    existing: Option<&opportunity::Model>,
    draft: &Draft,
    form: &UploadForm,
    document_name: &str,
) -> Result<opportunity::Model, ServiceError> {
    let now = Utc::now();
    let saved = match existing {
        Some(o) => lifecycle::update(txn, Some(me), o.id, draft, now).await?,
        None => lifecycle::create(txn, Some(me), draft, now).await?,
    };
    if let Some(upload) = form.file(DOCUMENT.name) {
        lifecycle::add_document(txn, Some(me), saved.id, document_name, upload.id, now).await?;
    }
    if existing.is_none() {
        let links = crate::vendors::links(state);
        crate::notify::sent_for_approval(txn, &crate::vendors::mailing(state, &links), &saved)
            .await
            .map_err(|e| DbErr::Custom(format!("queueing the approval emails: {e:#}")))?;
    }
    Ok(saved)
}

pub async fn create(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    request: Request,
) -> Result<Response, AppError> {
    may_draft(&me)?;
    save(&state, &viewer, &me, None, request).await
}

pub async fn update(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    request: Request,
) -> Result<Response, AppError> {
    may_draft(&me)?;
    save(&state, &viewer, &me, Some(id), request).await
}

pub async fn approve(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let o = lifecycle::approve(&txn, Some(&me), id, Utc::now(), state.config.site.today()).await?;
    let links = crate::vendors::links(&state);
    crate::notify::approved(&txn, &crate::vendors::mailing(&state, &links), &o).await?;
    let audience = crate::notify::audience_size(&txn, crate::notify::Audience::Interested(o.id)).await?;
    let publish = o.planned_publish.format("%B %-d, %Y").to_string();
    let (published, told) = match o.published_at {
        Some(_) => ("now".to_owned(), format!("Approved and published: {} vendors will be told.", number(audience))),
        None => (format!("on {publish}"), format!("Approved: it will be published on {publish}.")),
    };
    let details = [("Published", published), ("Vendors in its categories or following it", number(audience))];
    admin::audit::record_action(&txn, Some(me.id), "approve", "opportunities", o.id, &o.title, &details).await?;
    txn.commit().await?;
    viewer.set_flash(accounts::Flash::success(told)).await?;
    Ok(Redirect::to(&format!("/beacon/admin/{id}")).into_response())
}

fn number(n: u64) -> String {
    admin::audit::number(n)
}

pub async fn archive(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    lifecycle::archive(&txn, Some(&me), id, Utc::now()).await?;
    let o = opportunity::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    admin::audit::record_action(&txn, Some(me.id), "archive", "opportunities", id, &o.title, &[]).await?;
    txn.commit().await?;
    viewer.set_flash(accounts::Flash::success(format!("Archived “{}”: it is off every public page.", o.title))).await?;
    Ok(Redirect::to("/beacon/admin/").into_response())
}

/// `GET /beacon/opportunities/{id}/documents/{doc}`: a document, for whoever may see its
/// opportunity, through a short-lived signed link.
pub async fn document(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, doc)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    lifecycle::visible(&state.db, viewer.user.as_ref(), id, now, state.config.site.today())
        .await?
        .ok_or(AppError::NotFound)?;
    let d = opportunity_document::Entity::find_by_id(doc)
        .filter(opportunity_document::Column::OpportunityId.eq(id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    files::signed_redirect(&state, d.file_id).await
}
