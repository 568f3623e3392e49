//! COSTARS uploads (`/conductor/upload/costars`, `research/conductor.md` §7): an award list goes
//! through the admin's web import at Conductor's own desk (preview, confirm, a job with its
//! progress), its name checked (`COSTARS-<n>.csv`) before anything of it is stored; then each
//! COSTARS contract without a document takes one PDF. There is no step that takes a path on
//! the server (the original imported, then deleted, whatever path the client named).

use accounts::{Flash, ServiceError, SignedIn, Viewer, page_with_status};
use admin::imports::{Desk, show_at};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use model::entities::import;
use platform::http::upload::{FileField, UploadForm};
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::conductor_only;

/// The page's address.
const PAGE: &str = "/conductor/upload/costars";

/// Conductor's import desk: COSTARS award lists only, for conductor-level users.
pub const DESK: Desk = Desk {
    base: PAGE,
    index: PAGE,
    kind: Some("costars"),
    allow: conductor_only,
    crumbs: &[("Conductor", "/conductor/"), ("COSTARS uploads", PAGE)],
    name_rule: Some(scout::import::costars::name_problem),
};

/// A contract's document: a PDF, by its bytes.
const DOCUMENT: FileField =
    FileField { name: "document", types: Some(&["application/pdf"]), area: "contracts", name_rule: None };

/// COSTARS contracts listed for their documents on one page.
const LISTED: u64 = 100;

pub fn routes(routes: Routes) -> Routes {
    routes
        .get(PAGE, index)
        .post(PAGE, upload)
        .get("/conductor/upload/costars/{id}", show)
        .post("/conductor/upload/costars/{id}/confirm", confirm)
        .post("/conductor/upload/costars/contracts/{id}/document", attach)
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let db = &state.db;
    let recent: Vec<_> = import::Entity::find()
        .filter(import::Column::Kind.eq("costars"))
        .order_by_desc(import::Column::Id)
        .limit(10)
        .all(db)
        .await?
        .into_iter()
        .map(|i| context! { id => i.id, file_name => i.file_name, status => i.status })
        .collect();
    let (waiting, contracts) = crate::costars::waiting(db, LISTED).await?;
    let contracts: Vec<_> = contracts
        .into_iter()
        .map(|c| {
            context! {
                id => c.id,
                description => c.description.unwrap_or_else(|| format!("Contract {}", c.id)),
                expires => c.expiration_date.map(|d| d.format("%b %-d, %Y").to_string()),
            }
        })
        .collect();
    let ctx = context! { recent, contracts, waiting, error, listed => LISTED };
    Ok(page_with_status(state, viewer, status, "conductor/costars.html", ctx)?.into_response())
}

async fn index(State(state): State<AppState>, SignedIn(me): SignedIn, viewer: Viewer) -> Result<Response, AppError> {
    conductor_only(&me)?;
    render(&state, &viewer, StatusCode::OK, None).await
}

/// An award list: stored, previewed and shown for confirmation; or refused, with nothing kept.
async fn upload(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    match admin::imports::upload_at(&DESK, &state, &me, request).await? {
        Ok(id) => Ok(Redirect::to(&format!("{PAGE}/{id}")).into_response()),
        Err(error) => render(&state, &viewer, StatusCode::BAD_REQUEST, Some(error)).await,
    }
}

async fn show(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    show_at(&DESK, &state, &me, &viewer, id).await
}

async fn confirm(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    admin::imports::confirm_at(&DESK, &state, &me, &viewer, id).await
}

/// One contract's PDF: attached in one transaction, then back to the list, which no longer
/// shows the contract.
async fn attach(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    // Permission first, then the body: a refused user's file is never stored.
    accounts::authorize(Some(&me), accounts::Action::Create, accounts::Resource::CostarsUpload)?;
    let mut form = UploadForm::read(&state, request, &[DOCUMENT]).await?;
    let back = Redirect::to(&format!("{PAGE}#contract-{id}")).into_response();
    if let Some((_, problem)) = form.errors.first().cloned() {
        form.discard().await;
        viewer.set_flash(Flash::error(problem)).await?;
        return Ok(back);
    }
    let Some(file) = form.file(DOCUMENT.name).map(|f| f.id) else {
        viewer.set_flash(Flash::error("Choose the contract's PDF to upload.")).await?;
        return Ok(back);
    };
    let txn = platform::db::begin_write(&state.db).await?;
    match crate::costars::attach(&txn, Some(&me), id, file, Utc::now()).await {
        Ok(attached) => {
            txn.commit().await?;
            form.keep();
            let name = attached.description.unwrap_or_else(|| format!("Contract {id}"));
            viewer.set_flash(Flash::success(format!("The document of “{name}” is uploaded."))).await?;
            Ok(Redirect::to(PAGE).into_response())
        }
        Err(ServiceError::Conflict(said)) => {
            txn.rollback().await?;
            form.discard().await;
            viewer.set_flash(Flash::error(said)).await?;
            Ok(back)
        }
        Err(e) => {
            txn.rollback().await?;
            form.discard().await;
            Err(e.into())
        }
    }
}
