//! The staff side of Beacon (`/beacon/admin/`): drafting and editing opportunities with their
//! documents, the lists of drafts awaiting approval, approved and published ones, and the
//! approve and archive buttons. Every action goes through `lifecycle`, which checks the policy.

use accounts::{Action, SignedIn, Viewer, page, page_with_status};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{
    contract_type, department, opportunity, opportunity_category, opportunity_document, required_document,
};
use platform::files::{self, FileError};
use platform::http::{AppError, AppState};
use platform::storage::{StorageError, Visibility};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::lifecycle::{self, ChangeError, Draft, Status};

/// The file types an opportunity document may be, identified by its bytes.
pub const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// A submitted opportunity form: its fields, and the document it uploaded, if any.
struct Submitted {
    fields: Vec<(String, String)>,
    upload: Option<(i64, String)>,
    errors: Vec<(&'static str, String)>,
}

impl Submitted {
    fn text(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    fn ids(&self, name: &str) -> Vec<i32> {
        self.fields.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.parse().ok()).collect()
    }

    /// The upload is not going to be kept: delete it.
    async fn discard(&mut self, state: &AppState) {
        if let Some((id, _)) = self.upload.take()
            && let Err(e) = files::delete_now(&state.db, id).await
        {
            tracing::error!(file = id, error = %e, "could not delete an upload that was not kept");
        }
    }
}

async fn read(state: &AppState, request: Request) -> Result<Submitted, AppError> {
    let mut form = Submitted { fields: Vec::new(), upload: None, errors: Vec::new() };
    let mut parts = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(format!("send the form as an upload: {}", e.body_text())))?;
    loop {
        let field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                form.discard(state).await;
                return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(e.body_text())
                });
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "document" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            if filename.is_empty() || form.upload.is_some() {
                continue;
            }
            let limit = state.config.uploads.max_content_length;
            match files::save_upload(
                state,
                field,
                &filename,
                Visibility::Private,
                "opportunities",
                limit,
                Some(DOCUMENT_TYPES),
            )
            .await
            {
                Ok(record) => form.upload = Some((record.id, filename)),
                Err(FileError::Storage(StorageError::TooLarge { .. })) => {
                    form.discard(state).await;
                    return Err(AppError::PayloadTooLarge);
                }
                Err(FileError::Storage(StorageError::NotAccepted { .. })) => form
                    .errors
                    .push(("document", format!("“{filename}” is not a PDF, Word or Excel file by its contents."))),
                Err(FileError::Storage(StorageError::Empty)) => {
                    form.errors.push(("document", format!("“{filename}” is empty.")));
                }
                Err(e) => {
                    form.discard(state).await;
                    return Err(e.into());
                }
            }
            continue;
        }
        match field.text().await {
            Ok(text) => form.fields.push((name, text)),
            Err(e) => {
                form.discard(state).await;
                return Err(AppError::BadRequest(e.body_text()));
            }
        }
    }
    Ok(form)
}

/// The draft a form describes; dates it cannot read become errors.
fn draft_of(state: &AppState, form: &mut Submitted) -> Draft {
    let date = |form: &mut Submitted, field: &'static str| -> Option<NaiveDate> {
        let raw = form.text(field);
        if raw.is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(&raw, "%Y-%m-%d").ok().or_else(|| {
            form.errors.push((field, "Enter a date as YYYY-MM-DD.".into()));
            None
        })
    };
    let planned_publish = date(form, "planned_publish");
    let planned_submission_start = date(form, "planned_submission_start");
    let end_day = date(form, "planned_submission_end");
    let end_time = form.text("planned_submission_end_time");
    let time = chrono::NaiveTime::parse_from_str(if end_time.is_empty() { "14:00" } else { &end_time }, "%H:%M").ok();
    if time.is_none() {
        form.errors.push(("planned_submission_end", "Enter the closing time as HH:MM, e.g. 14:00.".into()));
    }
    // The closing moment is entered in the city's time zone.
    let tz = state.config.site.display_timezone;
    let planned_submission_end = end_day.zip(time).and_then(|(d, t)| {
        tz.from_local_datetime(&NaiveDateTime::new(d, t)).earliest().map(|local| local.with_timezone(&Utc))
    });
    if end_day.is_some() && time.is_some() && planned_submission_end.is_none() {
        form.errors.push((
            "planned_submission_end",
            "That time does not exist that day (the clocks change); choose another.".into(),
        ));
    }
    Draft {
        title: form.text("title"),
        description: form.text("description"),
        department_id: form.text("department").parse().ok(),
        contract_type_id: form.text("contract_type").parse().ok(),
        contact: Some(form.text("contact")),
        planned_publish,
        planned_submission_start,
        planned_submission_end,
        categories: form.ids("category"),
        required_documents: form.ids("required_document"),
        timezone: Some(tz),
    }
}

/// The form's choices: departments, types that take opportunities, bid documents, categories.
async fn choices(state: &AppState) -> Result<minijinja::Value, AppError> {
    let db = &state.db;
    let departments: Vec<(i32, String)> = department::Entity::find()
        .order_by_asc(department::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|d| d.name != accounts::users::NEW_USER_DEPARTMENT)
        .map(|d| (d.id, d.name))
        .collect();
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
    errors: &[(&'static str, String)],
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
            contact => text("contact"),
        },
        documents => Serde(documents),
        errors => errors.iter().map(|(f, m)| (f.to_string(), m.clone())).collect::<Vec<_>>(),
        choices => choices(state).await?,
        timezone => state.config.site.display_timezone.name(),
    };
    page_with_status(state, viewer, status, "beacon/staff_form.html", ctx)
}

/// Staff and conductor-level users draft opportunities (and see these pages); county users not.
fn may_draft(me: &accounts::CurrentUser) -> Result<(), AppError> {
    Ok(accounts::authorize(Some(me), Action::Create, accounts::Resource::Opportunity { public: false, own: true })?)
}

pub async fn index(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
) -> Result<Response, AppError> {
    may_draft(&me)?;
    let now = Utc::now();
    let today = state.config.site.today();
    let all = opportunity::Entity::find()
        .filter(opportunity::Column::IsArchived.eq(false))
        .order_by_asc(opportunity::Column::PlannedSubmissionEnd)
        .all(&state.db)
        .await?;
    let rows: Vec<_> = all
        .into_iter()
        .filter(|o| {
            Status::of(o, now, today).is_public()
                || me.is_conductor_level()
                || (lifecycle::may(Some(&me), Action::Edit, o) && !o.is_public)
        })
        .map(|o| context! { id => o.id, title => o.title.clone(), status => Serde(Status::of(&o, now, today)) })
        .collect();
    Ok(page(&state, &viewer, "beacon/staff_index.html", context! { rows })?.into_response())
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

impl From<ChangeError> for AppError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Db(e) => e.into(),
            ChangeError::Denied(d) => d.into(),
            ChangeError::NotFound => AppError::NotFound,
            ChangeError::Invalid(errors) => {
                AppError::BadRequest(errors.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "))
            }
        }
    }
}

/// Saves a new (`id` None) or existing opportunity from the submitted form, then its document.
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
    let mut form = read(state, request).await?;
    let draft = draft_of(state, &mut form);
    let now = Utc::now();
    let document_name = form.text("document_name");
    if form.upload.is_some() && document_name.is_empty() {
        form.errors.push(("document_name", "Give the document a title.".into()));
    }
    let result = if form.errors.is_empty() {
        match &existing {
            Some(o) => lifecycle::update(&state.db, Some(me), o.id, &draft, now).await,
            None => lifecycle::create(&state.db, Some(me), &draft, now).await,
        }
    } else {
        Err(ChangeError::Invalid(Vec::new()))
    };
    let saved = match result {
        Ok(saved) => saved,
        Err(ChangeError::Invalid(errors)) => {
            form.discard(state).await;
            let mut all = form.errors.clone();
            all.extend(errors);
            return form_page(state, viewer, me, existing.as_ref(), &form.fields, &all, StatusCode::BAD_REQUEST).await;
        }
        Err(other) => {
            form.discard(state).await;
            return Err(other.into());
        }
    };
    if let Some((file_id, _)) = form.upload {
        if let Err(e) = lifecycle::add_document(&state.db, Some(me), saved.id, &document_name, file_id, now).await {
            form.discard(state).await;
            return Err(e.into());
        }
        form.upload = None;
    }
    if existing.is_none() {
        // The draft is saved: a failure to queue these emails is logged, not shown as a failed save.
        let links = crate::vendors::links(state);
        if let Err(e) =
            crate::notify::sent_for_approval(&state.db, &crate::vendors::mailing(state, &links), &saved).await
        {
            tracing::error!(opportunity = saved.id, error = %e, "could not queue the approval emails");
        }
    }
    Ok(Redirect::to(&format!("/beacon/admin/{}", saved.id)).into_response())
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
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let o = lifecycle::approve(&state.db, Some(&me), id, Utc::now(), state.config.site.today()).await?;
    let links = crate::vendors::links(&state);
    crate::notify::approved(&state.db, &crate::vendors::mailing(&state, &links), &o).await?;
    Ok(Redirect::to(&format!("/beacon/admin/{id}")).into_response())
}

pub async fn archive(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    lifecycle::archive(&state.db, Some(&me), id, Utc::now()).await?;
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
    let record = files::find(&state.db, d.file_id).await?.ok_or(AppError::NotFound)?;
    let url = state
        .storage
        .url(&record.key, &record.content_type, std::time::Duration::from_secs(300))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Redirect::to(&url).into_response())
}
