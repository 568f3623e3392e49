//! Scout's pages: the search home, results, a contract, a company, a department's contracts,
//! and the forms to follow a contract and keep private notes.

use accounts::{Viewer, page, page_with_status};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{contract, contract_follower, contract_type, department, user};
use platform::http::{AppError, AppState};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use accounts::ServiceError;

use crate::contracts;
use crate::freshness;
use crate::search::{self, Field, Request};

fn today(state: &AppState) -> NaiveDate {
    state.config.site.today()
}

async fn choices(state: &AppState) -> Result<(Vec<(i32, String)>, Vec<(i32, String)>), AppError> {
    let types = contract_type::Entity::find().order_by_asc(contract_type::Column::Name).all(&state.db).await?;
    let departments = department::Entity::find().order_by_asc(department::Column::Name).all(&state.db).await?;
    Ok((
        types.into_iter().map(|t| (t.id, t.name)).collect(),
        departments
            .into_iter()
            .filter(|d| d.name != accounts::users::NEW_USER_DEPARTMENT)
            .map(|d| (d.id, d.name))
            .collect(),
    ))
}

/// `make`'s page, cached for anonymous visitors under `what` at the current data version (see
/// [`freshness`]): their pages are all alike. A signed-in viewer's page has their own parts
/// (notes, following), so it is made afresh. `None` (no such page) is never cached.
async fn public_page<F, Fut>(state: &AppState, viewer: &Viewer, what: &str, make: F) -> Result<Option<String>, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, AppError>>,
{
    // Today is part of the key: statuses and the expired filter change at midnight.
    accounts::public_page(state, viewer, freshness::DATA, &format!("{what}@{}", today(state)), make).await
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let (types, departments) = choices(&state).await?;
    let fields: Vec<_> = Field::ALL.iter().map(|f| (f.name(), f.label())).collect();
    let ctx = context! { types, departments, fields, form => Serde(SearchForm::default()) };
    Ok(page(&state, &viewer, "scout/home.html", ctx)?.into_response())
}

/// The search form as submitted (GET, so a search is a link that can be shared).
#[derive(Debug, Default, Serialize)]
pub struct SearchForm {
    pub q: String,
    pub fields: Vec<String>,
    pub contract_type: Option<i32>,
    pub department: Option<i32>,
    pub expired: bool,
    pub archived: bool,
    pub page: u64,
}

impl SearchForm {
    fn from_pairs(pairs: &[(String, String)]) -> SearchForm {
        let mut form = SearchForm { page: 1, ..SearchForm::default() };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => form.q = v.chars().take(10_000).collect(),
                "fields" if Field::parse(v).is_some() => form.fields.push(v.clone()),
                "type" => form.contract_type = v.parse().ok(),
                "department" => form.department = v.parse().ok(),
                "expired" => form.expired = !v.is_empty(),
                "archived" => form.archived = !v.is_empty(),
                "page" => form.page = v.parse::<u64>().ok().filter(|p| (1..=100_000).contains(p)).unwrap_or(1),
                _ => {}
            }
        }
        form
    }

    /// This search's URL at `page`.
    fn link(&self, page: u64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("q", &self.q);
        for f in &self.fields {
            s.append_pair("fields", f);
        }
        if let Some(t) = self.contract_type {
            s.append_pair("type", &t.to_string());
        }
        if let Some(d) = self.department {
            s.append_pair("department", &d.to_string());
        }
        if self.expired {
            s.append_pair("expired", "on");
        }
        if self.archived {
            s.append_pair("archived", "on");
        }
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        format!("/scout/search?{}", s.finish())
    }
}

pub async fn results(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = SearchForm::from_pairs(&pairs);
    let what = format!("page:{}", form.link(form.page));
    let html = public_page(&state, &viewer, &what, || results_page(&state, &viewer, &form)).await?;
    match html {
        Some(html) => Ok(Html(html).into_response()),
        // Past the last page (a stale link): show the last one.
        None => {
            let found = search::search(&state.db, &request_of(&form, today(&state))).await?;
            Ok(Redirect::to(&form.link(found.pages)).into_response())
        }
    }
}

fn request_of(form: &SearchForm, today: NaiveDate) -> Request {
    Request {
        q: form.q.clone(),
        fields: form.fields.iter().filter_map(|f| Field::parse(f)).collect(),
        contract_type: form.contract_type,
        department: form.department,
        include_expired: form.expired,
        include_archived: form.archived,
        page: form.page,
        today: Some(today),
    }
}

/// The results page, or `None` when the page asked for is past the last.
async fn results_page(state: &AppState, viewer: &Viewer, form: &SearchForm) -> Result<Option<String>, AppError> {
    let found = search::search(&state.db, &request_of(form, today(state))).await?;
    if found.page > found.pages {
        return Ok(None);
    }
    let rows = contracts::result_rows(&state.db, found.hits).await?;
    let (types, departments) = choices(state).await?;
    let fields: Vec<_> = Field::ALL.iter().map(|f| (f.name(), f.label())).collect();
    let previous = (found.page > 1).then(|| form.link(found.page - 1));
    let next = (found.page < found.pages).then(|| form.link(found.page + 1));
    let with_expired = (!form.expired && found.total == 0 && !form.q.trim().is_empty()).then(|| {
        SearchForm { expired: true, page: 1, q: form.q.clone(), fields: form.fields.clone(), ..SearchForm::default() }
            .link(1)
    });
    let ctx = context! {
        form => Serde(&form), rows => Serde(rows), total => found.total, page_no => found.page, pages => found.pages,
        previous, next, with_expired, types, departments, fields,
    };
    Ok(Some(page(state, viewer, "scout/results.html", ctx)?.0))
}

pub async fn contract_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let html = public_page(&state, &viewer, &format!("page:contract:{id}"), || async {
        let Some(detail) = contracts::detail(&state.db, id, viewer.user.as_ref(), today(&state)).await? else {
            return Ok(None);
        };
        let ctx = context! { c => Serde(detail), signed_in => viewer.user.is_some() };
        Ok(Some(page(&state, &viewer, "scout/contract.html", ctx)?.0))
    })
    .await?;
    Ok(Html(html.ok_or(AppError::NotFound)?).into_response())
}

/// `GET /scout/contracts/{id}/document`: the uploaded contract document, through a
/// short-lived signed link (presigned on S3), so the storage itself is never public.
pub async fn document(State(state): State<AppState>, Path(id): Path<i32>) -> Result<Response, AppError> {
    let c = contract::Entity::find_by_id(id)
        .filter(contract::Column::IsVisible.eq(true))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    platform::files::signed_redirect(&state, c.document_id.ok_or(AppError::NotFound)?).await
}

pub async fn company_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let html = public_page(&state, &viewer, &format!("page:company:{id}"), || async {
        let Some(found) = contracts::company(&state.db, id).await? else { return Ok(None) };
        Ok(Some(page(&state, &viewer, "scout/company.html", context! { c => Serde(found) })?.0))
    })
    .await?;
    Ok(Html(html.ok_or(AppError::NotFound)?).into_response())
}

/// Contracts followed by the department's users, most followed first.
pub async fn department_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let dept = department::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let rows: Vec<(i32, i64)> = contract_follower::Entity::find()
        .select_only()
        .column(contract_follower::Column::ContractId)
        .column_as(
            Expr::expr(Func::count(Expr::col((contract_follower::Entity, contract_follower::Column::UserId)))),
            "followers",
        )
        .inner_join(user::Entity)
        .filter(user::Column::DepartmentId.eq(dept.id))
        .group_by(contract_follower::Column::ContractId)
        .order_by_desc(Expr::expr(Func::count(Expr::col((
            contract_follower::Entity,
            contract_follower::Column::UserId,
        )))))
        .limit(200)
        .into_tuple()
        .all(&state.db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|(id, _)| *id).collect();
    let mut by_id: std::collections::HashMap<i32, contract::Model> = contract::Entity::find()
        .filter(contract::Column::Id.is_in(ids))
        .filter(contract::Column::IsVisible.eq(true))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let contracts: Vec<_> = rows
        .into_iter()
        .filter_map(|(id, n)| {
            by_id.remove(&id).map(|c| context! { c => Serde(contracts::Summary::from(c)), followers => n })
        })
        .collect();
    Ok(page(&state, &viewer, "scout/department.html", context! { name => dept.name, contracts })?.into_response())
}

pub async fn follow(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i32>) -> Result<Response, AppError> {
    set_following(state, viewer, id, true).await
}

pub async fn unfollow(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    set_following(state, viewer, id, false).await
}

async fn set_following(state: AppState, viewer: Viewer, id: i32, on: bool) -> Result<Response, AppError> {
    if viewer.user.is_none() {
        return Ok(Redirect::to(&accounts::viewer::sign_in_url(&format!("/scout/contracts/{id}"))).into_response());
    }
    contracts::set_following(&state.db, viewer.user.as_ref(), id, on).await?;
    Ok(Redirect::to(&format!("/scout/contracts/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub note: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    if viewer.user.is_none() {
        return Ok(Redirect::to(&accounts::viewer::sign_in_url(&format!("/scout/contracts/{id}"))).into_response());
    }
    match contracts::add_note(&state.db, viewer.user.as_ref(), id, &form.note).await {
        Ok(()) => Ok(Redirect::to(&format!("/scout/contracts/{id}#notes")).into_response()),
        Err(invalid @ ServiceError::Invalid(_)) => {
            let message = invalid.to_string();
            let detail = contracts::detail(&state.db, id, viewer.user.as_ref(), today(&state))
                .await?
                .ok_or(AppError::NotFound)?;
            let ctx = context! { c => Serde(detail), signed_in => true, note_error => message, note => form.note };
            page_with_status(&state, &viewer, StatusCode::BAD_REQUEST, "scout/contract.html", ctx)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    if viewer.user.is_none() {
        return Ok(Redirect::to(&accounts::viewer::sign_in_url("/scout/")).into_response());
    }
    let contract = contracts::delete_note(&state.db, viewer.user.as_ref(), id).await?;
    Ok(Redirect::to(&format!("/scout/contracts/{contract}#notes")).into_response())
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FeedbackForm {
    #[serde(default)]
    pub sender: String,
    #[serde(default)]
    pub message: String,
}

async fn visible_contract(state: &AppState, id: i32) -> Result<contract::Model, AppError> {
    contract::Entity::find_by_id(id)
        .filter(contract::Column::IsVisible.eq(true))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn feedback_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let c = visible_contract(&state, id).await?;
    let form = FeedbackForm {
        sender: viewer.user.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
        message: String::new(),
    };
    let ctx = context! { id, description => c.description, form => Serde(form), problems => Vec::<(String, String)>::new(), sent => false, error => None::<String> };
    Ok(page(&state, &viewer, "scout/feedback.html", ctx)?.into_response())
}

pub async fn send_feedback(
    State(state): State<AppState>,
    viewer: Viewer,
    accounts::throttle::ClientIp(client): accounts::throttle::ClientIp,
    Path(id): Path<i32>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, AppError> {
    let c = visible_contract(&state, id).await?;
    let show = |status, problems: Vec<(&'static str, &'static str)>, sent: bool| {
        let ctx = context! { id, description => c.description.clone(), form => Serde(&form), problems, sent, error => None::<String> };
        page_with_status(&state, &viewer, status, "scout/feedback.html", ctx)
    };
    let problems = crate::feedback::problems(&form.sender, &form.message);
    if !problems.is_empty() {
        return show(StatusCode::BAD_REQUEST, problems, false);
    }
    let txn = platform::db::begin_write(&state.db).await?;
    let contract = (c.id, c.description.clone());
    // Over the limit nothing is sent, and the page is the same.
    crate::feedback::send(&txn, &state.templates, &state.config, contract, (&form.sender, &client), &form.message)
        .await
        .map_err(AppError::Internal)?;
    txn.commit().await?;
    show(StatusCode::OK, Vec::new(), true)
}
