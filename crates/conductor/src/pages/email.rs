//! Sending an update about a work item (`updates::send`), and downloading the files kept with it.
//!
//! - `GET /conductor/items/{id}/email`: the form (To, Cc, subject, body starting as the current
//!   stage's default message, attachments), beside "Add contacts": the addresses of the
//!   item's department's users and of the renewed contract's followers, as text to copy.
//! - `POST` the same path (multipart, CSRF-checked by the platform): refused forms come back
//!   with status 400, their values and an error summary, and keep no file; a sent update goes
//!   back to the item with a flash message.
//! - `GET /conductor/items/{id}/files/{file}`: a file kept with the item (`{file}` is its
//!   `stored_files` id), through a short-lived signed link; 404 when it is not that item's.
//!
//! All three are for conductor-level users only, checked before anything is read or stored.

use accounts::{ServiceError, SignedIn, Viewer, page_with_status};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use model::entities::{contract, contract_follower, user, work_item, work_item_file};
use platform::files;
use platform::http::upload::{FileField, UploadForm};
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{conductor_only, item_link, item_or_404};
use crate::emails::Mailing;
use crate::store;
use crate::updates::{self, MAX_ATTACHMENTS, UpdateForm};

/// The types an attachment may be, by its bytes: PDF, Word, Excel.
pub const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// The form's file field (`multiple`).
const ATTACHMENTS: FileField =
    FileField { name: "attachments", types: Some(ATTACHMENT_TYPES), area: "conductor", name_rule: None };

pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/conductor/items/{id}/email", form)
        .post("/conductor/items/{id}/email", send)
        .get("/conductor/items/{id}/files/{file}", file)
}

/// The item, if an update can be sent from it (work in progress); 404 or 409 otherwise.
async fn sendable(db: &impl ConnectionTrait, id: i32) -> Result<store::Item, AppError> {
    let item = item_or_404(db, id).await?;
    if item.work.status != work_item::IN_PROGRESS {
        return Err(AppError::Conflict("This work is no longer in progress: no update can be sent from it.".into()));
    }
    Ok(item)
}

pub async fn form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let item = sendable(&state.db, id).await?;
    let body = current_stage(&item).and_then(|s| s.default_message.clone()).unwrap_or_default();
    let values = [("body".to_owned(), body)];
    render(&state, &viewer, &item, &values, &[], StatusCode::OK).await
}

pub async fn send(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    request: Request,
) -> Result<Response, AppError> {
    // Refuse before any upload is stored.
    conductor_only(&me)?;
    let item = sendable(&state.db, id).await?;
    let mut form = UploadForm::read_up_to(&state, request, &[ATTACHMENTS], MAX_ATTACHMENTS).await?;
    if !form.errors.is_empty() {
        let errors = file_errors(&form, form.errors.clone());
        form.discard().await;
        return render(&state, &viewer, &item, &form.fields, &errors, StatusCode::BAD_REQUEST).await;
    }
    let update =
        UpdateForm { to: form.text("to"), cc: form.text("cc"), subject: form.text("subject"), body: form.text("body") };
    let attached: Vec<i64> = form.files_of(ATTACHMENTS.name).map(|f| f.id).collect();
    let txn = platform::db::begin_write(&state.db).await?;
    match updates::send(&txn, &Mailing::of(&state), Some(&me), id, &update, &attached, Utc::now()).await {
        Ok(sent) => {
            txn.commit().await?;
            form.keep();
            let recipients =
                if sent.recipients == 1 { "1 recipient".to_owned() } else { format!("{} recipients", sent.recipients) };
            viewer.set_flash(accounts::Flash::success(format!("Sent “{}” to {recipients}.", sent.subject))).await?;
            Ok(Redirect::to(&item_link(id)).into_response())
        }
        Err(ServiceError::Invalid(problems)) => {
            txn.rollback().await?;
            let errors = problems.into_iter().map(|(f, m)| (f.to_owned(), m)).collect();
            let errors = file_errors(&form, errors);
            form.discard().await;
            render(&state, &viewer, &item, &form.fields, &errors, StatusCode::BAD_REQUEST).await
        }
        Err(e) => {
            txn.rollback().await?;
            form.discard().await;
            Err(e.into())
        }
    }
}

/// `errors` as the page shows them: a file of a type not accepted is an "Invalid file type"
/// (the original's words, then which file); and when the refused form carried files, a word
/// that they were not kept (a browser cannot be made to choose them again).
fn file_errors(form: &UploadForm, errors: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = errors
        .into_iter()
        .map(|(field, message)| {
            if field == ATTACHMENTS.name && message.contains("by its contents") {
                let which = message.split(" by its contents").next().unwrap_or_default().to_owned();
                (field, format!("Invalid file type: {which}."))
            } else {
                (field, message)
            }
        })
        .collect();
    let kept: Vec<&str> = form.files_of(ATTACHMENTS.name).map(|f| f.filename.as_str()).collect();
    if !kept.is_empty() {
        let names = kept.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ");
        out.push((
            ATTACHMENTS.name.into(),
            format!(
                "{names} {} not kept because of the errors: choose the files again.",
                if kept.len() == 1 { "was" } else { "were" }
            ),
        ));
    }
    out
}

fn current_stage(item: &store::Item) -> Option<&model::entities::stage::Model> {
    item.progress().current.and_then(|i| item.stages.get(i))
}

/// Who the "Add contacts" list suggests: the users of the item's department, and the followers
/// of the contract it renews; each list sorted by address, active users only.
async fn contacts(db: &impl ConnectionTrait, item: &work_item::Model) -> Result<(Vec<String>, Vec<String>), AppError> {
    let department = match item.department_id {
        Some(d) => user::Entity::find()
            .filter(user::Column::DepartmentId.eq(d))
            .filter(user::Column::Active.eq(true))
            .order_by_asc(user::Column::Email)
            .all(db)
            .await?
            .into_iter()
            .map(|u| u.email)
            .collect(),
        None => Vec::new(),
    };
    let followers = match item.parent_id {
        Some(parent) => {
            let ids: Vec<i32> = contract_follower::Entity::find()
                .filter(contract_follower::Column::ContractId.eq(parent))
                .all(db)
                .await?
                .into_iter()
                .map(|f| f.user_id)
                .collect();
            user::Entity::find()
                .filter(user::Column::Id.is_in(ids))
                .filter(user::Column::Active.eq(true))
                .order_by_asc(user::Column::Email)
                .all(db)
                .await?
                .into_iter()
                .map(|u| u.email)
                .collect()
        }
        None => Vec::new(),
    };
    Ok((department, followers))
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    item: &store::Item,
    values: &[(String, String)],
    errors: &[(String, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let text = |name: &str| super::typed(values, name);
    let description = contract::Entity::find_by_id(item.work.contract_id)
        .one(&state.db)
        .await?
        .and_then(|c| c.description)
        .unwrap_or_else(|| format!("Item #{}", item.work.id));
    let (department, followers) = contacts(&state.db, &item.work).await?;
    let ctx = context! {
        item => context! {
            id => item.work.id,
            description,
            stage => current_stage(item).map(|s| s.name.clone()),
            link => item_link(item.work.id),
            renews => item.work.parent_id.is_some(),
        },
        v => context! { to => text("to"), cc => text("cc"), subject => text("subject"), body => text("body") },
        errors => errors.to_vec(),
        department,
        followers,
        max_attachments => MAX_ATTACHMENTS,
        max_size => platform::http::errors::human_size(state.config.uploads.max_content_length),
    };
    page_with_status(state, viewer, status, "conductor/email.html", ctx)
}

/// `GET /conductor/items/{id}/files/{file}`: a file kept with item `id`.
pub async fn file(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path((id, file)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let file: i64 = file.parse().map_err(|_| AppError::NotFound)?;
    let kept = work_item_file::Entity::find()
        .filter(work_item_file::Column::WorkItemId.eq(id))
        .filter(work_item_file::Column::FileId.eq(file))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    files::signed_redirect(&state, kept.file_id).await
}
