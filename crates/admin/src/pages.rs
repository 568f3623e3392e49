//! The generic back-office pages over every declared [`AdminResource`]: the permission check,
//! paging, search, confirmation before delete, and an audit entry in the same transaction as
//! each change.

use accounts::{Action, CurrentUser, Flash, Resource, SignedIn, Viewer, authorize, can, page, page_with_status};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use platform::http::{AppError, AppState};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use crate::audit::{self, Change, Entry};
use crate::resource::{AdminError, AdminResource, FieldErrors, Values};
use crate::resources;

pub const PER_PAGE: u64 = 50;

impl From<AdminError> for AppError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Db(e) => e.into(),
            AdminError::Denied(d) => d.into(),
            AdminError::Files(e) => e.into(),
            AdminError::Refused(message) => AppError::BadRequest(message),
        }
    }
}

fn find(state: &AppState, slug: &str) -> Result<&'static dyn AdminResource, AppError> {
    resources::find(state, slug).ok_or(AppError::NotFound)
}

fn allow(me: &CurrentUser, action: Action, res: &dyn AdminResource) -> Result<(), AppError> {
    Ok(authorize(Some(me), action, Resource::Admin(res.area()))?)
}

pub async fn index(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
) -> Result<Response, AppError> {
    authorize(Some(&me), Action::View, Resource::AdminHome)?;
    let sections: Vec<_> = resources::all(&state)
        .filter(|r| can(Some(&me), Action::View, Resource::Admin(r.area())))
        .map(|r| context! { slug => r.slug(), title => r.title() })
        .collect();
    let audit = can(Some(&me), Action::View, Resource::Admin(accounts::AdminArea::AuditLog));
    let import_data = can(Some(&me), Action::Create, Resource::Admin(accounts::AdminArea::General));
    Ok(page(&state, &viewer, "admin/index.html", context! { sections, audit, import_data })?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<String>,
}

/// Page numbers start at 1; anything unparsable is page 1.
fn page_number(raw: Option<&str>) -> u64 {
    raw.and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1 && *p <= 1_000_000).unwrap_or(1)
}

/// The pager's links keep `params` (the search, the filters) that are not empty.
fn pages_context(page: u64, total: u64, params: &[(&str, &str)]) -> minijinja::Value {
    let last = total.div_ceil(PER_PAGE).max(1);
    let link = |p: u64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
            s.append_pair(name, value);
        }
        s.append_pair("page", &p.to_string());
        format!("?{}", s.finish())
    };
    context! {
        current => page, last, total,
        previous => (page > 1).then(|| link(page - 1)),
        next => (page < last).then(|| link(page + 1)),
    }
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::View, res)?;
    let search: String = q.q.trim().chars().take(200).collect();
    let page_no = page_number(q.page.as_deref());
    let txn = state.db.begin().await?;
    let (rows, total) = res.list(&txn, &state.config.site, &search, (page_no - 1) * PER_PAGE, PER_PAGE).await?;
    txn.commit().await?;
    let last = total.div_ceil(PER_PAGE).max(1);
    if page_no > last {
        // Past the end (a stale link after deletions): the last page instead.
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !search.is_empty() {
            query.append_pair("q", &search);
        }
        query.append_pair("page", &last.to_string());
        return Ok(Redirect::to(&format!("/admin/{}/?{}", res.slug(), query.finish())).into_response());
    }
    let ctx = context! {
        slug => res.slug(), title => res.title(), noun => res.noun(), columns => Serde(res.columns()),
        pages => pages_context(page_no, total, &[("q", &search)]), rows => Serde(rows), q => search,
        can_create => can(Some(&me), Action::Create, Resource::Admin(res.area())),
        create_elsewhere => res.created_elsewhere(),
    };
    Ok(page(&state, &viewer, "admin/list.html", ctx)?.into_response())
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    me: &CurrentUser,
    res: &dyn AdminResource,
    id: Option<i32>,
    values: &Values,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let txn = state.db.begin().await?;
    let mut fields = res.fields(&txn, me).await?;
    txn.commit().await?;
    fields.retain(|f| id.is_some() || !f.edit_only);
    let heading = match id {
        Some(_) => format!("Edit {} {}", res.noun(), res.label(values)),
        None => format!("New {}", res.noun()),
    };
    let action = match id {
        Some(id) => format!("/admin/{}/{id}/edit", res.slug()),
        None => format!("/admin/{}/new", res.slug()),
    };
    let ctx = context! {
        slug => res.slug(), title => res.title(), heading, action, id,
        fields => Serde(fields), values => Serde(values), errors => Serde(&errors.0),
    };
    page_with_status(state, viewer, status, "admin/form.html", ctx)
}

pub async fn new_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::Create, res)?;
    if let Some((href, _)) = res.created_elsewhere() {
        return Ok(Redirect::to(href).into_response());
    }
    form_page(&state, &viewer, &me, res, None, &Values::new(), &FieldErrors::default(), StatusCode::OK).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::Edit, res)?;
    let txn = state.db.begin().await?;
    let values = res.load(&txn, &state.config.site, id).await?.ok_or(AppError::NotFound)?;
    txn.commit().await?;
    form_page(&state, &viewer, &me, res, Some(id), &values, &FieldErrors::default(), StatusCode::OK).await
}

/// Creates (`id` None) or updates a record, with its audit entry, in one transaction.
async fn save(
    state: &AppState,
    viewer: &Viewer,
    me: &CurrentUser,
    res: &dyn AdminResource,
    id: Option<i32>,
    input: Values,
) -> Result<Response, AppError> {
    let action = if id.is_some() { Action::Edit } else { Action::Create };
    allow(me, action, res)?;
    let txn = platform::db::begin_write(&state.db).await?;
    let before = match id {
        Some(id) => Some(res.load(&txn, &state.config.site, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    match res.save_revealing(&txn, &state.config.site, me, id, before.as_ref(), &input).await? {
        Ok((saved, reveal)) => {
            let after = res.load(&txn, &state.config.site, saved).await?;
            let label = after.as_ref().map_or_else(String::new, |v| res.label(v));
            let change = if id.is_some() { Change::Update } else { Change::Create };
            let entry = Entry {
                change,
                resource: res.slug(),
                record_id: saved,
                label: label.clone(),
                before: before.as_ref(),
                after: after.as_ref(),
            };
            audit::record(&txn, me.id, entry).await?;
            // Any back-office record may show on a cached public page (a department's name, a
            // company's contact, an opportunity): they are all looked up afresh.
            platform::freshness::bump_all(&txn).await?;
            txn.commit().await?;
            let message = match id {
                Some(_) => format!("Saved {} “{label}”.", res.noun()),
                None => format!("Added {} “{label}”.", res.noun()),
            };
            if let Some(reveal) = reveal {
                // Shown on this answer only (a POST's, never cached), not through the session.
                let ctx = context! {
                    message, reveal => Serde(reveal), slug => res.slug(), title => res.title(), id => saved,
                };
                return page_with_status(state, viewer, StatusCode::OK, "admin/revealed.html", ctx);
            }
            viewer.set_flash(Flash::success(message)).await?;
            Ok(Redirect::to(&format!("/admin/{}/?saved={saved}", res.slug())).into_response())
        }
        Err(errors) => {
            txn.rollback().await?;
            form_page(state, viewer, me, res, id, &input, &errors, StatusCode::BAD_REQUEST).await
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::Create, res)?;
    if let Some((href, _)) = res.created_elsewhere() {
        return Err(AppError::BadRequest(format!("{} are not created here: use {href}.", res.title())));
    }
    submit(&state, &viewer, &me, res, None, request).await
}

pub async fn update(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i32)>,
    request: Request,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::Edit, res)?;
    submit(&state, &viewer, &me, res, Some(id), request).await
}

/// Reads the submitted form (with its uploads, see [`crate::uploads`]) and saves it. Files
/// uploaded for a save that does not happen are deleted again.
async fn submit(
    state: &AppState,
    viewer: &Viewer,
    me: &CurrentUser,
    res: &dyn AdminResource,
    id: Option<i32>,
    request: Request,
) -> Result<Response, AppError> {
    let txn = state.db.begin().await?;
    let fields = res.fields(&txn, me).await?;
    txn.commit().await?;
    let mut submitted = crate::uploads::read(state, res.slug(), &fields, request).await?;
    if !submitted.errors.is_empty() {
        submitted.form.discard().await;
        return form_page(state, viewer, me, res, id, &submitted.values, &submitted.errors, StatusCode::BAD_REQUEST)
            .await;
    }
    let result = save(state, viewer, me, res, id, submitted.values.clone()).await;
    if result.as_ref().is_ok_and(|r| r.status().is_redirection()) {
        submitted.form.keep();
    } else {
        submitted.form.discard().await;
    }
    result
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::Delete, res)?;
    let txn = state.db.begin().await?;
    let values = res.load(&txn, &state.config.site, id).await?.ok_or(AppError::NotFound)?;
    txn.commit().await?;
    let ctx =
        context! { slug => res.slug(), title => res.title(), noun => res.noun(), id, label => res.label(&values) };
    Ok(page(&state, &viewer, "admin/delete.html", ctx)?.into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    let res = find(&state, &slug)?;
    allow(&me, Action::Delete, res)?;
    let txn = platform::db::begin_write(&state.db).await?;
    let before = res.load(&txn, &state.config.site, id).await?.ok_or(AppError::NotFound)?;
    res.delete(&txn, &me, id).await?;
    let label = res.label(&before);
    let entry = Entry {
        change: Change::Delete,
        resource: res.slug(),
        record_id: id,
        label: label.clone(),
        before: Some(&before),
        after: None,
    };
    audit::record(&txn, me.id, entry).await?;
    platform::freshness::bump_all(&txn).await?;
    txn.commit().await?;
    viewer.set_flash(Flash::success(format!("Deleted {} “{label}”.", res.noun()))).await?;
    Ok(Redirect::to(&format!("/admin/{}/?deleted=1", res.slug())).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub resource: String,
    #[serde(default)]
    pub user: String,
    pub page: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    authorize(Some(&me), Action::View, Resource::Admin(accounts::AdminArea::AuditLog))?;
    let page_no = page_number(q.page.as_deref());
    let resource: String = q.resource.trim().chars().take(100).collect();
    let user = q.user.trim().parse::<i32>().ok();
    let filter = audit::Filter { resource: (!resource.is_empty()).then(|| resource.clone()), actor: user };
    let txn = state.db.begin().await?;
    let (rows, total) = audit::page(&txn, &filter, (page_no - 1) * PER_PAGE, PER_PAGE).await?;
    let (resources, people) = audit::filter_choices(&txn).await?;
    txn.commit().await?;
    let entries = audit::show(&state, &me, rows).await?;
    let resources: Vec<_> = resources.iter().map(|r| (r.clone(), audit::title_of(&state, r))).collect();
    let user_param = user.map(|u| u.to_string()).unwrap_or_default();
    let ctx = context! {
        entries => Serde(entries),
        pages => pages_context(page_no, total, &[("resource", &resource), ("user", &user_param)]),
        resources, people, resource, user => user_param,
        filtered => filter.resource.is_some() || filter.actor.is_some(),
    };
    Ok(page(&state, &viewer, "admin/audit.html", ctx)?.into_response())
}
