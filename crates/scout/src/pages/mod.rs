//! Scout's pages: the search home, results (or, with an empty search box, every contract,
//! soonest expiration first), a contract, a company, a department's contracts, and the forms to
//! follow a contract and keep private notes. Feedback's pages are in `feedback.rs`.
//!
//! Lists of contracts share one partial (`scout/_contract_rows.html`): status, companies
//! linked to their pages, and for a viewer who may follow contracts a Follow or Stop following
//! button per row that comes back to the list. Descriptions and company names are shown in
//! title case when stored in capitals (`crate::display`).

mod feedback;

pub use feedback::{feedback_form, send_feedback, send_site_feedback, site_feedback_form};

use accounts::{Action, Resource, Viewer, can, page, page_with_status};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{contract, contract_follower, contract_type, department, user};
use platform::http::{AppError, AppState};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use accounts::ServiceError;

use crate::contracts::{self, ResultRow, Status};
use crate::freshness;
use crate::renewals;
use crate::search::{self, Field, Hit, Request};

fn today(state: &AppState) -> NaiveDate {
    state.config.site.today()
}

type Choices = (Vec<(i32, String)>, Vec<(i32, String)>);

/// The contract types and departments the search form offers, kept by the process under the
/// contracts data version (which their changes raise).
async fn choices(state: &AppState) -> Result<Choices, AppError> {
    let bytes = |c: &Choices| c.0.iter().chain(&c.1).map(|(_, name)| name.len() + 32).sum();
    let kept = platform::freshness::shared(state, freshness::DATA, "scout:choices", bytes, || async {
        let types = contract_type::Entity::find().order_by_asc(contract_type::Column::Name).all(&state.db).await?;
        let departments = accounts::users::departments(&state.db).await?;
        Ok((types.into_iter().map(|t| (t.id, t.name)).collect(), departments))
    })
    .await?;
    Ok((*kept).clone())
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
#[derive(Debug, Default, Clone, Serialize)]
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
    // Boxed: the cache's future around the page's is large.
    let html = Box::pin(public_page(&state, &viewer, &what, || results_page(&state, &viewer, &form))).await?;
    match html {
        Some(html) => Ok(Html(html).into_response()),
        // Past the last page (a stale link): show the last one.
        None => {
            let found = find(&state, &form).await?;
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

/// Whether the form lists contracts rather than searching them (the search box is empty).
fn browsing(form: &SearchForm) -> bool {
    form.q.trim().is_empty()
}

/// The form's page of results: a search, or with an empty search box the list of contracts.
async fn find(state: &AppState, form: &SearchForm) -> Result<search::Results, AppError> {
    let req = request_of(form, today(state));
    Ok(if browsing(form) { search::browse(&state.db, &req).await? } else { search::find(state, &req).await? })
}

/// "3 contracts", "3 COSTARS contracts of the Department of Public Works": what a list holds.
fn listed(total: u64, contract_type: Option<&str>, department: Option<&str>) -> String {
    let mut text = format!("{total} ");
    if let Some(t) = contract_type {
        text.push_str(t);
        text.push(' ');
    }
    text.push_str(if total == 1 { "contract" } else { "contracts" });
    if let Some(d) = department {
        text.push_str(" of ");
        text.push_str(&the_department(d));
    }
    text
}

/// A department's name as the object of "of": "the Department of Public Works", "the Ethics
/// Board", but "Innovation and Performance".
fn the_department(name: &str) -> String {
    const BODIES: [&str; 10] = [
        "Department",
        "Office",
        "Bureau",
        "Commission",
        "Board",
        "Council",
        "City",
        "Citizen",
        "Controller",
        "Division",
    ];
    let first = name.split_whitespace().next().unwrap_or("");
    let last = name.split_whitespace().last().unwrap_or("");
    if BODIES.contains(&first) || BODIES.contains(&last) { format!("the {name}") } else { name.to_owned() }
}

/// Whether `viewer` may follow contracts (any signed-in user, as the policy says).
fn may_follow(viewer: &Viewer) -> bool {
    viewer.user.is_some() && can(viewer.user.as_ref(), Action::Follow, Resource::Contract)
}

/// Rows for contracts `ids`, in that order, as `viewer` sees them today.
async fn rows_of(
    state: &AppState,
    viewer: &Viewer,
    ids: impl IntoIterator<Item = i32>,
) -> Result<Vec<ResultRow>, AppError> {
    let hits = ids.into_iter().map(|contract_id| Hit { contract_id, found_in: "", snippet: String::new() }).collect();
    Ok(contracts::result_rows(state, hits, viewer.user.as_ref(), today(state)).await?)
}

/// The results page, or `None` when the page asked for is past the last.
async fn results_page(state: &AppState, viewer: &Viewer, form: &SearchForm) -> Result<Option<String>, AppError> {
    let found = find(state, form).await?;
    if found.page > found.pages {
        return Ok(None);
    }
    let mut rows = contracts::result_rows(state, found.hits, viewer.user.as_ref(), today(state)).await?;
    for row in &mut rows {
        row.snippet = crate::display::title_case_passage(&row.snippet);
    }
    let (types, departments) = choices(state).await?;
    let name_of = |list: &[(i32, String)], id: Option<i32>| {
        id.and_then(|id| list.iter().find(|(i, _)| *i == id).map(|(_, name)| name.clone()))
    };
    let browse = browsing(form);
    let heading = if browse {
        listed(
            found.total,
            name_of(&types, form.contract_type).as_deref(),
            name_of(&departments, form.department).as_deref(),
        )
    } else {
        format!("{} {} found", found.total, if found.total == 1 { "contract" } else { "contracts" })
    };
    let fields: Vec<_> = Field::ALL.iter().map(|f| (f.name(), f.label())).collect();
    let previous = (found.page > 1).then(|| form.link(found.page - 1));
    let next = (found.page < found.pages).then(|| form.link(found.page + 1));
    let with_expired =
        (!form.expired && found.total == 0).then(|| SearchForm { expired: true, page: 1, ..form.clone() }.link(1));
    let tell_us = feedback::link(&form.q);
    let ctx = context! {
        form => Serde(&form), rows => Serde(rows), total => found.total, page_no => found.page, pages => found.pages,
        previous, next, with_expired, types, departments, fields, heading, browse, tell_us,
        may_follow => may_follow(viewer), here => form.link(found.page),
    };
    Ok(Some(page(state, viewer, "scout/results.html", ctx)?.0))
}

pub async fn contract_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let html = public_page(&state, &viewer, &format!("page:contract:{id}"), || async {
        let Some(detail) = viewers_detail(&state, &viewer, id).await? else {
            return Ok(None);
        };
        let ctx = contract_context(&state, &viewer, detail).await?;
        Ok(Some(page(&state, &viewer, "scout/contract.html", ctx)?.0))
    })
    .await?;
    Ok(Html(html.ok_or(AppError::NotFound)?).into_response())
}

/// What a contract's page shows the same to everyone: the contract and its term history (None
/// when it is not visible). Signed-in pages are not cached, so each process keeps this part
/// under the contracts data version (the terms are in it: see [`renewals`]), read once per
/// change and day instead of ten queries per page.
type PublicPart = Option<(contracts::Detail, Vec<renewals::Term>)>;

async fn public_part(state: &AppState, id: i32) -> Result<std::sync::Arc<PublicPart>, AppError> {
    let day = today(state);
    let what = format!("scout:contract:{id}@{day}");
    let bytes = |part: &PublicPart| part.as_ref().map_or(64, |(d, terms)| d.bytes() + terms.len() * 128);
    Ok(platform::freshness::shared(state, freshness::DATA, &what, bytes, || async {
        let Some(detail) = contracts::detail(&state.db, id, None, day).await? else { return Ok(None) };
        let terms = renewals::term_history(&state.db, id, &state.config.site).await?;
        Ok(Some((detail, terms)))
    })
    .await?)
}

/// Contract `id`'s detail as `viewer` sees it (with their follow and notes), and its terms.
async fn viewers_detail(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
) -> Result<Option<(contracts::Detail, Vec<renewals::Term>)>, AppError> {
    // Boxed: making the part (ten queries) is a large future for every caller's.
    let Some((detail, terms)) = Box::pin(public_part(state, id)).await?.as_ref().clone() else { return Ok(None) };
    let mut detail = detail;
    if let Some(user) = &viewer.user {
        (detail.following, detail.notes) = contracts::viewers_part(&state.db, id, user).await?;
    }
    Ok(Some((detail, terms)))
}

/// A contract page's context: the contract, its term history, and for a conductor-level viewer
/// Conductor's work on it (only signed-in pages have it, and they are never cached).
async fn contract_context(
    state: &AppState,
    viewer: &Viewer,
    (detail, terms): (contracts::Detail, Vec<renewals::Term>),
) -> Result<minijinja::Value, AppError> {
    let id = detail.contract.id;
    let conductor = match &viewer.user {
        Some(user) if user.is_conductor_level() => {
            Some(renewals::conductor_view_kept(state, id, chrono::Utc::now()).await?).filter(|v| !v.is_empty())
        }
        _ => None,
    };
    Ok(context! {
        c => Serde(detail), signed_in => viewer.user.is_some(), terms => Serde(terms),
        conductor => Serde(conductor),
    })
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
        let mut rows = rows_of(&state, &viewer, found.contracts.iter().map(|c| c.id)).await?;
        sort_by_expiration(&mut rows);
        let ctx = context! {
            c => Serde(&found), rows => Serde(rows), may_follow => may_follow(&viewer), here => format!("/scout/companies/{id}"),
        };
        Ok(Some(page(&state, &viewer, "scout/company.html", ctx)?.0))
    })
    .await?;
    Ok(Html(html.ok_or(AppError::NotFound)?).into_response())
}

/// Running contracts first, soonest expiration first (undated last), then the others (expired,
/// replaced, archived), most recently ended first.
fn sort_by_expiration(rows: &mut [ResultRow]) {
    rows.sort_by_key(|r| {
        let running = matches!(r.status, Status::Active | Status::Expiring);
        let day = r.contract.expiration.map_or(i32::MAX, |d| d.num_days_from_ce());
        (!running, if running { day } else { -day }, r.contract.id)
    });
}

/// Contracts followed by the department's users, most followed first.
pub async fn department_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let dept = department::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let followed: Vec<(i32, i64)> = contract_follower::Entity::find()
        .select_only()
        .column(contract_follower::Column::ContractId)
        .column_as(
            Expr::expr(Func::count(Expr::col((contract_follower::Entity, contract_follower::Column::UserId)))),
            "followers",
        )
        .inner_join(user::Entity)
        .inner_join(contract::Entity)
        .filter(user::Column::DepartmentId.eq(dept.id))
        .filter(contract::Column::IsVisible.eq(true))
        .group_by(contract_follower::Column::ContractId)
        .order_by_desc(Expr::expr(Func::count(Expr::col((
            contract_follower::Entity,
            contract_follower::Column::UserId,
        )))))
        .order_by_asc(contract_follower::Column::ContractId)
        .limit(200)
        .into_tuple()
        .all(&state.db)
        .await?;
    let rows = rows_of(&state, &viewer, followed.iter().map(|(id, _)| *id)).await?;
    let counts: std::collections::HashMap<i32, i64> = followed.into_iter().collect();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|r| {
            let followers = counts.get(&r.contract.id).copied().unwrap_or(0);
            context! { followers, ..minijinja::Value::from(Serde(&r)) }
        })
        .collect();
    let ctx = context! {
        name => dept.name, rows, may_follow => may_follow(&viewer), here => format!("/scout/departments/{id}"),
        browse => SearchForm { department: Some(id), ..SearchForm::default() }.link(1),
    };
    Ok(page(&state, &viewer, "scout/department.html", ctx)?.into_response())
}

/// A Follow or Stop following button: where to come back to (a Scout page), if not the contract.
#[derive(Debug, Default, Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    pub next: Option<String>,
}

pub async fn follow(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<FollowForm>,
) -> Result<Response, AppError> {
    set_following(state, viewer, id, true, form).await
}

pub async fn unfollow(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<FollowForm>,
) -> Result<Response, AppError> {
    set_following(state, viewer, id, false, form).await
}

/// Where a follow button sends the viewer back to: the Scout page it was on, at the contract's
/// row, or the contract's page.
fn back_from_following(id: i32, next: Option<&str>) -> String {
    match accounts::viewer::safe_next(next) {
        Some(next) if next.starts_with("/scout/") && !next.contains('#') => format!("{next}#contract-{id}"),
        _ => format!("/scout/contracts/{id}"),
    }
}

async fn set_following(
    state: AppState,
    viewer: Viewer,
    id: i32,
    on: bool,
    form: FollowForm,
) -> Result<Response, AppError> {
    let back = back_from_following(id, form.next.as_deref());
    if viewer.user.is_none() {
        return Ok(Redirect::to(&accounts::viewer::sign_in_url(&back)).into_response());
    }
    let txn = platform::db::begin_write(&state.db).await?;
    contracts::set_following(&txn, viewer.user.as_ref(), id, on).await?;
    txn.commit().await?;
    Ok(Redirect::to(&back).into_response())
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
            let detail = viewers_detail(&state, &viewer, id).await?.ok_or(AppError::NotFound)?;
            let ctx = context! { note_error => message, note => form.note, ..contract_context(&state, &viewer, detail).await? };
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
