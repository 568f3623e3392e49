//! Opportunity drafts in the API (scope `opportunities:write`): a city system drafts an
//! opportunity, changes it, and attaches its documents; Beacon's approvers publish it, exactly
//! as a draft written on the staff page.
//!
//! Invariants:
//! - The same services as the staff page (`lifecycle::create`, `update`, `add_document`, and
//!   the approval emails of a new draft), with the caller's user: the policy decides (staff draft
//!   and edit their own drafts; only conductor-level users edit public ones), and nothing here
//!   publishes. A draft made through the API is in the approval queue like any other.
//! - The scope is checked before the body is read (a refused caller learns nothing from it).
//! - A `PUT` carries the whole draft and takes `If-Match` (the `ETag` of [`DraftView`]): a stale
//!   one is 412 and nothing is written.
//! - A document is uploaded through the platform's upload kit (its type by its bytes, the size
//!   cap), after the permission check, and kept only if the change commits.
//! - Each write is one transaction with its audit entry, which names the token's client.

use accounts::api::bearer::MissingScope;
use accounts::api::{ApiCaller, Scope};
use accounts::{Action, ServiceError};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use model::entities::{opportunity, opportunity_category, opportunity_document, opportunity_required_document, user};
use platform::http::api::{ApiError, PathId, check_preconditions, etag_of_json, private_json_with_etag};
use platform::http::upload::UploadForm;
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::lifecycle::{self, Draft};
use crate::staff::DOCUMENT;

#[derive(OpenApi)]
#[openapi(
    paths(create_draft, get_draft, put_draft, add_document),
    components(schemas(DraftBody, DraftView, DocumentView, DocumentUpload, ApiError))
)]
pub struct ApiDoc;

/// An opportunity as a city system drafts it. Ids are those of the back-office (and of
/// `GET /api/v1/opportunities`' filters).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    #[schema(example = "Street resurfacing, fall season", min_length = 1)]
    pub title: String,
    /// At most 500 words.
    #[schema(min_length = 1)]
    pub description: String,
    pub department_id: i32,
    /// A contract type whose contracts are bid through Beacon.
    pub contract_type_id: i32,
    /// The city employee vendors write to; the token's user when absent.
    #[serde(default)]
    pub contact: Option<String>,
    /// The day it is published, once approved.
    pub planned_publish: NaiveDate,
    /// The first day bids are accepted.
    pub planned_submission_start: NaiveDate,
    /// The moment bids close, in the future.
    pub planned_submission_end: DateTime<Utc>,
    #[serde(default)]
    pub category_ids: Vec<i32>,
    /// The documents a bid must include (the back-office's list).
    #[serde(default)]
    pub required_document_ids: Vec<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: i32,
    pub name: String,
}

/// An opportunity as its drafter sees it, with its `ETag` in the header.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftView {
    pub id: i32,
    pub title: String,
    pub description: String,
    pub department_id: i32,
    pub contract_type_id: i32,
    /// The contact's email address.
    pub contact: Option<String>,
    pub planned_publish: NaiveDate,
    pub planned_submission_start: NaiveDate,
    pub planned_submission_end: DateTime<Utc>,
    pub category_ids: Vec<i32>,
    pub required_document_ids: Vec<i32>,
    pub documents: Vec<DocumentView>,
    /// Approved by a conductor-level user (then published on its publish day).
    pub approved: bool,
    pub archived: bool,
    /// Its page for staff.
    pub html_url: String,
}

/// A document to attach: a PDF, Word or Excel file, and its title.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Read by utoipa for the document only.
pub struct DocumentUpload {
    /// The title vendors see.
    name: String,
    /// The file (PDF, Word or Excel, recognised by its bytes).
    #[schema(value_type = String, format = Binary)]
    document: Vec<u8>,
}

fn scope(caller: &ApiCaller) -> Result<(), MissingScope> {
    caller.require(Scope::OpportunitiesWrite)
}

/// A service's refusal in the API's words: a draft's problems are a 422 naming each field.
fn refused(e: ServiceError) -> AppError {
    match e {
        ServiceError::Invalid(problems) => AppError::Unprocessable(
            problems.iter().map(|(field, m)| format!("`{field}`: {m}")).collect::<Vec<_>>().join(" "),
        ),
        other => other.into(),
    }
}

fn draft_of(body: DraftBody, state: &AppState) -> Draft {
    Draft {
        title: body.title,
        description: body.description,
        department_id: Some(body.department_id),
        contract_type_id: Some(body.contract_type_id),
        contact: body.contact,
        planned_publish: Some(body.planned_publish),
        planned_submission_start: Some(body.planned_submission_start),
        planned_submission_end: Some(body.planned_submission_end),
        categories: body.category_ids,
        required_documents: body.required_document_ids,
        timezone: Some(state.config.site.display_timezone),
    }
}

async fn view(db: &impl ConnectionTrait, o: &opportunity::Model) -> Result<DraftView, DbErr> {
    let mut category_ids: Vec<i32> = opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(o.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.category_id)
        .collect();
    category_ids.sort_unstable();
    let mut required_document_ids: Vec<i32> = opportunity_required_document::Entity::find()
        .filter(opportunity_required_document::Column::OpportunityId.eq(o.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.required_document_id)
        .collect();
    required_document_ids.sort_unstable();
    let documents = opportunity_document::Entity::find()
        .filter(opportunity_document::Column::OpportunityId.eq(o.id))
        .order_by_asc(opportunity_document::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| DocumentView { id: d.id, name: d.name })
        .collect();
    let contact = match o.contact_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email),
        None => None,
    };
    Ok(DraftView {
        id: o.id,
        title: o.title.clone(),
        description: o.description.clone(),
        department_id: o.department_id,
        contract_type_id: o.contract_type_id,
        contact,
        planned_publish: o.planned_publish,
        planned_submission_start: o.planned_submission_start,
        planned_submission_end: o.planned_submission_end,
        category_ids,
        required_document_ids,
        documents,
        approved: o.is_public,
        archived: o.is_archived,
        html_url: format!("/beacon/admin/{}", o.id),
    })
}

fn tag_of(v: &DraftView) -> Result<String, AppError> {
    etag_of_json(v)
}

fn answer<T: Serialize>(status: StatusCode, value: &T, location: Option<String>) -> Result<Response, AppError> {
    private_json_with_etag(status, value, location.as_deref())
}

/// The opportunity, if the caller may see it (a draft only by its author, its contact and
/// approvers); 404 otherwise, so a draft's existence is not told.
async fn visible(db: &impl ConnectionTrait, caller: &ApiCaller, id: i32) -> Result<opportunity::Model, AppError> {
    let o = opportunity::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    if !lifecycle::may(Some(&caller.user), Action::View, &o) {
        return Err(AppError::NotFound);
    }
    Ok(o)
}

/// Drafts an opportunity. It is not public: Beacon's approvers are asked to approve it, as for a
/// draft written on the staff page.
#[utoipa::path(
    post,
    path = "/api/v1/opportunities/drafts",
    tag = "beacon",
    request_body = DraftBody,
    security(("bearer" = ["opportunities:write"]), ("oauth2" = ["opportunities:write"])),
    responses(
        (status = 201, description = "Drafted and sent for approval", body = DraftView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Where to read it"))),
        (status = 400, description = "The body is not valid JSON", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks opportunities:write, or its user may not draft opportunities", body = ApiError),
        (status = 415, description = "The body is not JSON", body = ApiError),
        (status = 422, description = "Not of the draft's shape, or a draft Beacon refuses (past dates, an unknown department…); the message names each problem", body = ApiError),
    )
)]
pub async fn create_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    request: Request,
) -> Result<Response, Response> {
    scope(&caller).map_err(IntoResponse::into_response)?;
    let Json(body) = Json::<DraftBody>::from_request(request, &state).await.map_err(IntoResponse::into_response)?;
    let made = async {
        let draft = draft_of(body, &state);
        let txn = platform::db::begin_write(&state.db).await?;
        let saved = lifecycle::create(&txn, Some(&caller.user), &draft, Utc::now()).await.map_err(refused)?;
        let links = crate::vendors::links(&state);
        crate::notify::sent_for_approval(&txn, &crate::vendors::mailing(&state, &links), &saved)
            .await
            .map_err(|e| AppError::Internal(e.context("queueing the approval emails")))?;
        let details =
            [("Bids close", lifecycle::local_time(saved.planned_submission_end, state.config.site.display_timezone))];
        admin::audit::record_action(
            &txn,
            Some(caller.user.id),
            "create",
            "opportunities",
            saved.id,
            &saved.title,
            &details,
        )
        .await?;
        let shown = view(&txn, &saved).await?;
        txn.commit().await?;
        answer(StatusCode::CREATED, &shown, Some(format!("/api/v1/opportunities/drafts/{}", saved.id)))
    };
    made.await.map_err(IntoResponse::into_response)
}

/// An opportunity its caller drafted (or may approve), with its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/opportunities/drafts/{id}",
    tag = "beacon",
    params(("id" = i32, Path, description = "The opportunity's id", minimum = 1, maximum = 2147483647)),
    security(("bearer" = ["opportunities:write"]), ("oauth2" = ["opportunities:write"])),
    responses(
        (status = 200, description = "The draft", body = DraftView,
            headers(("ETag" = String, description = "Send it in If-Match with the next change"))),
        (status = 400, description = "The id is not a whole number from 1 to 2147483647", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks opportunities:write", body = ApiError),
        (status = 404, description = "No opportunity with this id that the token's user may see", body = ApiError),
    )
)]
pub async fn get_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> Result<Response, Response> {
    scope(&caller).map_err(IntoResponse::into_response)?;
    let read = async {
        let o = visible(&state.db, &caller, id).await?;
        answer(StatusCode::OK, &view(&state.db, &o).await?, None)
    };
    read.await.map_err(IntoResponse::into_response)
}

/// Replaces a draft's fields (the whole draft). Its author and contact may change it while it
/// is a draft; once approved, only conductor-level users.
#[utoipa::path(
    put,
    path = "/api/v1/opportunities/drafts/{id}",
    tag = "beacon",
    params(
        ("id" = i32, Path, description = "The opportunity's id", minimum = 1, maximum = 2147483647),
        ("If-Match" = Option<String>, Header, description = "Change only if the draft is still this ETag"),
    ),
    request_body = DraftBody,
    security(("bearer" = ["opportunities:write"]), ("oauth2" = ["opportunities:write"])),
    responses(
        (status = 200, description = "Changed", body = DraftView,
            headers(("ETag" = String, description = "Its version now"))),
        (status = 400, description = "The id is not a whole number from 1 to 2147483647, or the body is not valid JSON", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks opportunities:write, or its user may not change this opportunity", body = ApiError),
        (status = 404, description = "No opportunity with this id that the token's user may see", body = ApiError),
        (status = 412, description = "If-Match names another version", body = ApiError),
        (status = 415, description = "The body is not JSON", body = ApiError),
        (status = 422, description = "Not of the draft's shape, or a draft Beacon refuses; the message names each problem", body = ApiError),
    )
)]
pub async fn put_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    request: Request,
) -> Result<Response, Response> {
    scope(&caller).map_err(IntoResponse::into_response)?;
    let headers = request.headers().clone();
    let Json(body) = Json::<DraftBody>::from_request(request, &state).await.map_err(IntoResponse::into_response)?;
    let changed = async {
        let draft = draft_of(body, &state);
        let txn = platform::db::begin_write(&state.db).await?;
        let before = visible(&txn, &caller, id).await?;
        check_preconditions(&headers, Some(&tag_of(&view(&txn, &before).await?)?))?;
        let saved = lifecycle::update(&txn, Some(&caller.user), id, &draft, Utc::now()).await.map_err(refused)?;
        let details = [("Through the API", "the whole draft".to_owned())];
        admin::audit::record_action(&txn, Some(caller.user.id), "update", "opportunities", id, &saved.title, &details)
            .await?;
        let shown = view(&txn, &saved).await?;
        txn.commit().await?;
        answer(StatusCode::OK, &shown, None)
    };
    changed.await.map_err(IntoResponse::into_response)
}

/// Attaches a document (multipart: `name`, the title vendors see, and `document`, the file).
/// Added to a published opportunity that is still open, it is an addendum: its followers are
/// told.
#[utoipa::path(
    post,
    path = "/api/v1/opportunities/drafts/{id}/documents",
    tag = "beacon",
    params(("id" = i32, Path, description = "The opportunity's id", minimum = 1, maximum = 2147483647)),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    security(("bearer" = ["opportunities:write"]), ("oauth2" = ["opportunities:write"])),
    responses(
        (status = 201, description = "Attached", body = DocumentView),
        (status = 400, description = "The id, or the form, cannot be read", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks opportunities:write, or its user may not change this opportunity", body = ApiError),
        (status = 404, description = "No opportunity with this id that the token's user may see", body = ApiError),
        (status = 413, description = "The file is larger than the site accepts", body = ApiError),
        (status = 422, description = "No file, a file that is not PDF, Word or Excel, or no title", body = ApiError),
    )
)]
pub async fn add_document(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    request: Request,
) -> Result<Response, Response> {
    scope(&caller).map_err(IntoResponse::into_response)?;
    let added = async {
        // Permission before the body: a refused caller's file is never stored.
        let o = visible(&state.db, &caller, id).await?;
        if !lifecycle::may(Some(&caller.user), Action::Edit, &o) {
            return Err(AppError::Forbidden);
        }
        let mut form = UploadForm::read(&state, request, &[DOCUMENT]).await?;
        let name = form.text("name");
        let mut problems: Vec<String> = form.errors.iter().map(|(f, m)| format!("`{f}`: {m}")).collect();
        let Some(file) = form.file(DOCUMENT.name).cloned() else {
            problems.push("`document`: attach the file.".into());
            form.discard().await;
            return Err(AppError::Unprocessable(problems.join(" ")));
        };
        if name.is_empty() {
            problems.push("`name`: give the document a title.".into());
        }
        if !problems.is_empty() {
            form.discard().await;
            return Err(AppError::Unprocessable(problems.join(" ")));
        }
        let txn = platform::db::begin_write(&state.db).await?;
        let doc = match lifecycle::add_document(&txn, Some(&caller.user), id, &name, file.id, Utc::now()).await {
            Ok(doc) => doc,
            Err(e) => {
                txn.rollback().await?;
                form.discard().await;
                return Err(refused(e));
            }
        };
        let details = [("Document added", name.clone())];
        admin::audit::record_action(&txn, Some(caller.user.id), "update", "opportunities", id, &o.title, &details)
            .await?;
        txn.commit().await?;
        form.keep();
        answer(StatusCode::CREATED, &DocumentView { id: doc.id, name: doc.name }, None)
    };
    added.await.map_err(IntoResponse::into_response)
}
