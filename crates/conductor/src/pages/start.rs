//! Starting work: on new work (`/conductor/new`) or on a contract from All contracts
//! (`/conductor/contracts/{id}/start`), and setting a contract aside or back. The form asks for
//! the description, an active flow, who does it (conductor-level), the department and when work
//! began (display time zone, not in the future); the service writes nothing unless all of it is
//! valid. Starting a contract twice (a double submit) lands on the one work item there is.

use accounts::{SignedIn, Viewer, page_with_status};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{contract, flow};
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Pairs, conductor_only, field, form_errors, item_link, local_input, parse_local};
use crate::start::Start;

pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/conductor/new", new_form)
        .post("/conductor/new", create_new)
        .get("/conductor/contracts/{id}/start", renewal_form)
        .post("/conductor/contracts/{id}/start", create_renewal)
        .post("/conductor/contracts/{id}/set-aside", set_aside)
        .post("/conductor/contracts/{id}/restore", restore)
}

/// The form's values and the problems reading them.
fn read(state: &AppState, pairs: &[(String, String)]) -> (Start, Vec<(String, String)>) {
    let mut errors = Vec::new();
    let at = match parse_local(state.config.site.display_timezone, &field(pairs, "start")) {
        Ok(at) => at,
        Err(message) => {
            errors.push(("start".to_owned(), message.to_owned()));
            None
        }
    };
    let start = Start {
        description: field(pairs, "description"),
        flow_id: field(pairs, "flow").parse().ok(),
        assignee_id: field(pairs, "assignee").parse().ok(),
        department_id: field(pairs, "department").parse().ok(),
        at,
    };
    (start, errors)
}

/// The start form, for `parent` (a renewal) or new work.
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    parent: Option<&contract::Model>,
    values: &[(String, String)],
    errors: &[(String, String)],
    status: StatusCode,
) -> Result<Response, AppError> {
    let db = &state.db;
    let flows: Vec<(i32, String)> = flow::Entity::find()
        .filter(flow::Column::IsArchived.eq(false))
        .order_by_asc(flow::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name))
        .collect();
    let departments = accounts::users::departments(db).await?;
    let assignees = crate::people::assignees(state).await?;
    let v = |name: &str| field(values, name);
    let ctx = context! {
        parent => parent.map(|p| context! { id => p.id, description => p.description.clone().unwrap_or_default() }),
        action => parent.map_or("/conductor/new".to_owned(), |p| format!("/conductor/contracts/{}/start", p.id)),
        v => context! {
            description => v("description"), flow => v("flow"), assignee => v("assignee"),
            department => v("department"), start => v("start"),
        },
        flows, departments, assignees => Serde(assignees),
        errors => errors.to_vec(),
        timezone => state.config.site.display_timezone.name(),
    };
    Ok(page_with_status(state, viewer, status, "conductor/start.html", ctx)?.into_response())
}

/// The values a fresh form starts with: the viewer does the work, starting now; a renewal
/// keeps the contract's description and department.
fn defaults(state: &AppState, me: i32, parent: Option<&contract::Model>) -> Vec<(String, String)> {
    let mut v = vec![
        ("assignee".to_owned(), me.to_string()),
        ("start".to_owned(), local_input(state.config.site.display_timezone, Utc::now())),
    ];
    if let Some(p) = parent {
        v.push(("description".to_owned(), p.description.clone().unwrap_or_default()));
        if let Some(d) = p.department_id {
            v.push(("department".to_owned(), d.to_string()));
        }
    }
    v
}

pub async fn new_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    form_page(&state, &viewer, None, &defaults(&state, me.id, None), &[], StatusCode::OK).await
}

pub async fn renewal_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let parent = contract::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    if let Some(live) = crate::start::live_successor(&state.db, id).await? {
        return Ok(Redirect::to(&item_link(live.id)).into_response());
    }
    form_page(&state, &viewer, Some(&parent), &defaults(&state, me.id, Some(&parent)), &[], StatusCode::OK).await
}

pub async fn create_new(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    create(&state, &viewer, &me, None, pairs).await
}

pub async fn create_renewal(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let parent = contract::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    create(&state, &viewer, &me, Some(&parent), pairs).await
}

/// Starts the work the form describes: one transaction, or the form again with its errors.
async fn create(
    state: &AppState,
    viewer: &Viewer,
    me: &accounts::CurrentUser,
    parent: Option<&contract::Model>,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let (start, mut errors) = read(state, &pairs);
    let now = Utc::now();
    if errors.is_empty() {
        let txn = platform::db::begin_write(&state.db).await?;
        let mail = crate::emails::Mailing::of(state);
        let started = match parent {
            Some(p) => crate::start::renewal(&txn, &mail, Some(me), p.id, &start, now).await,
            None => crate::start::new_work(&txn, &mail, Some(me), &start, now).await,
        };
        match started {
            Ok(work) => {
                txn.commit().await?;
                let who = match work.assignee_id {
                    Some(a) if a == me.id => "you".to_owned(),
                    Some(a) => accounts::users::current_user(&state.db, a).await?.map_or_else(String::new, |u| u.email),
                    None => String::new(),
                };
                viewer
                    .set_flash(accounts::Flash::success(format!("Started “{}”, assigned to {who}.", start.description)))
                    .await?;
                return Ok(Redirect::to(&item_link(work.id)).into_response());
            }
            Err(e) => errors.extend(form_errors(e)?),
        }
    }
    form_page(state, viewer, parent, &pairs, &errors, StatusCode::BAD_REQUEST).await
}

/// "Remove from Conductor only": the contract leaves All contracts (it stays on Scout).
pub async fn set_aside(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let txn = platform::db::begin_write(&state.db).await?;
    let c = crate::set_aside::set_aside(&txn, Some(&me), id, Utc::now()).await?;
    txn.commit().await?;
    let name = c.description.unwrap_or_else(|| format!("Contract {id}"));
    viewer
        .set_flash(accounts::Flash::success(format!(
            "Removed “{name}” from Conductor; it stays on Scout. Restore it from Set aside."
        )))
        .await?;
    Ok(Redirect::to("/conductor/?tab=all").into_response())
}

pub async fn restore(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let txn = platform::db::begin_write(&state.db).await?;
    let c = crate::set_aside::restore(&txn, Some(&me), id).await?;
    txn.commit().await?;
    let name = c.description.unwrap_or_else(|| format!("Contract {id}"));
    viewer.set_flash(accounts::Flash::success(format!("“{name}” is back in All contracts."))).await?;
    Ok(Redirect::to("/conductor/?tab=aside").into_response())
}
