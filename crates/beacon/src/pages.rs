//! Beacon's public pages: current opportunities (open and upcoming), closed ones, and one
//! opportunity with its status, categories, what to submit, how to bid and its timeline.

use accounts::{Viewer, page};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{
    category, contract_type, department, opportunity_category, opportunity_document, opportunity_required_document,
    required_document, user,
};
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::lifecycle::{self, Listing, Status};

/// A moment in the display time zone.
fn local(state: &AppState, at: DateTime<Utc>) -> String {
    lifecycle::local_time(at, state.config.site.display_timezone)
}

#[derive(Debug, Serialize)]
struct Row {
    id: i32,
    title: String,
    status: Status,
    label: &'static str,
    opens: String,
    closes: String,
}

/// `make`'s page, cached for anonymous visitors (their pages are all alike) under `what` and
/// what every public Beacon page depends on: the opportunities' data version (raised by every
/// change, and by every back-office save), today (bids open by the day) and the next deadline
/// (when an opportunity moves from open to closed). So a cached page is never out of date.
/// Signed-in viewers may see drafts and their own parts: their pages are made afresh.
async fn public_page<F, Fut>(
    state: &AppState,
    viewer: &Viewer,
    what: &str,
    now: DateTime<Utc>,
    make: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<axum::response::Html<String>, AppError>>,
{
    if viewer.user.is_some() {
        return Ok(make().await?.into_response());
    }
    let next_deadline = lifecycle::next_deadline(&state.db, now).await?.map(|t| t.timestamp());
    let today = now.with_timezone(&state.config.site.display_timezone).date_naive();
    let what = format!("{what}@{today}~{}", next_deadline.unwrap_or_default());
    let page = platform::freshness::cached(state, lifecycle::DATA, &what, || async {
        Ok::<_, AppError>(Some(make().await?.0))
    })
    .await?;
    Ok(axum::response::Html(page.unwrap_or_default()).into_response())
}

async fn list(state: &AppState, viewer: &Viewer, listing: Listing) -> Result<Response, AppError> {
    // One moment for the key and the page, so a page is never filed under a key of before a
    // deadline it already shows as passed.
    let now = Utc::now();
    public_page(state, viewer, &format!("{listing:?}"), now, || make_list(state, viewer, listing, now)).await
}

async fn make_list(
    state: &AppState,
    viewer: &Viewer,
    listing: Listing,
    now: DateTime<Utc>,
) -> Result<axum::response::Html<String>, AppError> {
    let today = now.with_timezone(&state.config.site.display_timezone).date_naive();
    let rows: Vec<Row> = lifecycle::public_list(&state.db, listing, now)
        .await?
        .into_iter()
        .map(|o| Row {
            id: o.id,
            status: Status::of(&o, now, today),
            label: Status::of(&o, now, today).label(),
            opens: o.planned_submission_start.format("%B %-d, %Y").to_string(),
            closes: local(state, o.planned_submission_end),
            title: o.title,
        })
        .collect();
    let ctx = context! { rows => Serde(rows), closed => listing == Listing::Closed };
    page(state, viewer, "beacon/opportunities.html", ctx)
}

pub async fn current(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    list(&state, &viewer, Listing::Current).await
}

pub async fn closed(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    list(&state, &viewer, Listing::Closed).await
}

pub async fn opportunity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    public_page(&state, &viewer, &format!("opportunity:{id}"), now, || make_opportunity(&state, &viewer, id, now)).await
}

async fn make_opportunity(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    now: DateTime<Utc>,
) -> Result<axum::response::Html<String>, AppError> {
    let today = now.with_timezone(&state.config.site.display_timezone).date_naive();
    let o = lifecycle::visible(&state.db, viewer.user.as_ref(), id, now, today).await?.ok_or(AppError::NotFound)?;
    let db = &state.db;
    let department = department::Entity::find_by_id(o.department_id).one(db).await?.map(|d| d.name);
    let kind = contract_type::Entity::find_by_id(o.contract_type_id).one(db).await?;
    let contact = match o.contact_id {
        Some(c) => user::Entity::find_by_id(c).one(db).await?.map(|u| u.email),
        None => None,
    };
    // Signed-in pages are never cached (see `public_page`), so the link can depend on the viewer.
    let may_edit = viewer.user.as_ref().is_some_and(|me| lifecycle::may(Some(me), accounts::Action::Edit, &o));
    let categories: Vec<String> = opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(o.id))
        .find_also_related(category::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, c)| c.and_then(|c| c.category_friendly_name.or(c.subcategory).or(c.category)))
        .collect();
    let documents: Vec<required_document::Model> = opportunity_required_document::Entity::find()
        .filter(opportunity_required_document::Column::OpportunityId.eq(o.id))
        .find_also_related(required_document::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, d)| d)
        .collect();
    let files = opportunity_document::Entity::find()
        .filter(opportunity_document::Column::OpportunityId.eq(o.id))
        .order_by_asc(opportunity_document::Column::Id)
        .all(db)
        .await?;
    let ctx = context! {
        files => Serde(files),
        paragraphs => o.description.replace("\r\n", "\n").split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect::<Vec<_>>(),
        o => Serde(&o),
        status => Serde(Status::of(&o, now, today)),
        status_label => Status::of(&o, now, today).label(),
        department,
        how_to_bid => kind.and_then(|k| k.opportunity_response_instructions),
        contact,
        may_edit,
        categories,
        documents => Serde(documents),
        publish => o.planned_publish.format("%B %-d, %Y").to_string(),
        opens => o.planned_submission_start.format("%B %-d, %Y").to_string(),
        closes => local(state, o.planned_submission_end),
    };
    page(state, viewer, "beacon/opportunity.html", ctx)
}

/// `GET /beacon/vendors`: for businesses that would sell to the city: what it buys, how to hear
/// of its opportunities, certification, and whom to ask.
pub async fn vendor_information(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let now = Utc::now();
    public_page(&state, &viewer, "vendor-information", now, || async {
        let groups: Vec<String> =
            crate::vendors::category_groups(&state).await?.into_iter().map(|g| g.name().to_owned()).collect();
        let types: Vec<(String, Option<String>)> = contract_type::Entity::find()
            .filter(contract_type::Column::AllowOpportunities.eq(true))
            .order_by_asc(contract_type::Column::Name)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.name, t.opportunity_response_instructions))
            .collect();
        page(&state, &viewer, "beacon/vendors.html", context! { groups, types })
    })
    .await
}
