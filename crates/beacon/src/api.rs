//! Beacon's JSON API: the public opportunities (filtered by status, category, department) and
//! one opportunity. Drafts, approved-but-unpublished and archived opportunities never appear.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use model::entities::{
    category, contract_type, department, opportunity, opportunity_category, opportunity_document,
    opportunity_required_document, required_document,
};
use platform::http::api::{ApiError, PathId, json_with_etag};
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::lifecycle::{self, Listing, Status};

#[derive(OpenApi)]
#[openapi(
    paths(list_opportunities, opportunity_detail),
    components(schemas(ApiError)),
    tags((name = "beacon", description = "Bid opportunities: what the city is buying now, and how to bid."))
)]
pub struct ApiDoc;

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read by utoipa for the document only.
struct ListParams {
    /// `current` (open and upcoming; the default), `open`, `upcoming` or `closed`.
    #[param(pattern = "^(current|open|upcoming|closed)$")]
    status: Option<String>,
    /// Only opportunities listed under this category (its id).
    category: Option<i32>,
    /// Only this department's opportunities (its id).
    department: Option<i32>,
}

/// Where a public opportunity stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityStatus {
    /// Published; bids not accepted yet.
    Upcoming,
    Open,
    Closed,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpportunitySummary {
    pub id: i32,
    pub title: String,
    pub status: OpportunityStatus,
    pub department: Option<String>,
    /// The first day bids are accepted.
    pub submission_start: NaiveDate,
    /// The moment bids close (UTC).
    pub submission_end: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// This opportunity in the API.
    pub url: String,
    /// Its page on the site.
    pub html_url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpportunityList {
    pub total: u64,
    pub results: Vec<OpportunitySummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    pub name: String,
    /// Where to download it (a redirect to a short-lived link).
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Opportunity {
    #[serde(flatten)]
    pub summary: OpportunitySummary,
    pub description: String,
    pub contract_type: Option<String>,
    /// How to bid, as the contract type's instructions say.
    pub how_to_bid: Option<String>,
    pub categories: Vec<Named>,
    /// What bidders must submit.
    pub required_documents: Vec<Named>,
    pub documents: Vec<Document>,
}

fn status_of(s: Status) -> Option<OpportunityStatus> {
    match s {
        Status::Upcoming => Some(OpportunityStatus::Upcoming),
        Status::Open => Some(OpportunityStatus::Open),
        Status::Closed => Some(OpportunityStatus::Closed),
        _ => None,
    }
}

async fn summary(
    state: &AppState,
    o: &opportunity::Model,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Option<OpportunitySummary>, AppError> {
    let Some(status) = status_of(Status::of(o, now, today)) else { return Ok(None) };
    let department = department::Entity::find_by_id(o.department_id).one(&state.db).await?.map(|d| d.name);
    Ok(Some(OpportunitySummary {
        id: o.id,
        title: o.title.clone(),
        status,
        department,
        submission_start: o.planned_submission_start,
        submission_end: o.planned_submission_end,
        published_at: o.published_at,
        url: format!("/api/v1/opportunities/{}", o.id),
        html_url: format!("/beacon/opportunities/{}", o.id),
    }))
}

/// List public opportunities.
#[utoipa::path(
    get,
    path = "/api/v1/opportunities",
    tag = "beacon",
    params(ListParams),
    responses(
        (status = 200, description = "Public opportunities: current ones by deadline, closed ones latest first", body = OpportunityList),
        (status = 400, description = "A parameter could not be read; the message names it", body = ApiError),
    )
)]
pub async fn list_opportunities(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let bad = |name: &str, what: &str| AppError::BadRequest(format!("`{name}` must be {what}."));
    let (mut listing, mut only) = (Listing::Current, None);
    let (mut category_id, mut department_id) = (None, None);
    for (k, v) in &pairs {
        match k.as_str() {
            "status" => match v.as_str() {
                "current" => (listing, only) = (Listing::Current, None),
                "open" => (listing, only) = (Listing::Current, Some(Status::Open)),
                "upcoming" => (listing, only) = (Listing::Current, Some(Status::Upcoming)),
                "closed" => (listing, only) = (Listing::Closed, None),
                _ => return Err(bad("status", "one of current, open, upcoming, closed")),
            },
            "category" => category_id = Some(v.parse::<i32>().map_err(|_| bad("category", "a category id"))?),
            "department" => department_id = Some(v.parse::<i32>().map_err(|_| bad("department", "a department id"))?),
            other => return Err(AppError::BadRequest(format!("Unknown parameter `{other}`."))),
        }
    }
    let now = Utc::now();
    let today = state.config.site.today();
    let listed: Vec<i32> = match category_id {
        Some(c) => opportunity_category::Entity::find()
            .filter(opportunity_category::Column::CategoryId.eq(c))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|oc| oc.opportunity_id)
            .collect(),
        None => Vec::new(),
    };
    let mut results = Vec::new();
    for o in lifecycle::public_list(&state.db, listing, now).await? {
        if category_id.is_some() && !listed.contains(&o.id) {
            continue;
        }
        if department_id.is_some_and(|d| d != o.department_id) {
            continue;
        }
        if only.is_some_and(|s| s != Status::of(&o, now, today)) {
            continue;
        }
        if let Some(s) = summary(&state, &o, now, today).await? {
            results.push(s);
        }
    }
    let body = OpportunityList { total: results.len() as u64, results };
    Ok(axum::Json(body).into_response())
}

/// One public opportunity, with what to submit and its documents.
#[utoipa::path(
    get,
    path = "/api/v1/opportunities/{id}",
    tag = "beacon",
    params(("id" = i32, Path, description = "The opportunity's id", minimum = 1)),
    responses(
        (status = 200, description = "The opportunity", body = Opportunity,
            headers(("ETag" = String, description = "Send it back in If-None-Match to revalidate"))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "The id is not a whole number from 1 to 2147483647", body = ApiError),
        (status = 404, description = "No public opportunity with this id", body = ApiError),
    )
)]
pub async fn opportunity_detail(
    State(state): State<AppState>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let today = state.config.site.today();
    // The public's view: what an anonymous visitor may see.
    let o = lifecycle::visible(&state.db, None, id, now, today).await?.ok_or(AppError::NotFound)?;
    let summary = summary(&state, &o, now, today).await?.ok_or(AppError::NotFound)?;
    let db = &state.db;
    let kind = contract_type::Entity::find_by_id(o.contract_type_id).one(db).await?;
    let categories = opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(id))
        .find_also_related(category::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, c)| c)
        .map(|c| Named { id: c.id, name: c.display_name() })
        .collect();
    let required_documents = opportunity_required_document::Entity::find()
        .filter(opportunity_required_document::Column::OpportunityId.eq(id))
        .find_also_related(required_document::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, d)| d)
        .map(|d| Named { id: d.id, name: d.display_name })
        .collect();
    let documents = opportunity_document::Entity::find()
        .filter(opportunity_document::Column::OpportunityId.eq(id))
        .order_by_asc(opportunity_document::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| Document { url: format!("/beacon/opportunities/{id}/documents/{}", d.id), name: d.name })
        .collect();
    let body = Opportunity {
        summary,
        description: o.description,
        contract_type: kind.as_ref().map(|k| k.name.clone()),
        how_to_bid: kind.and_then(|k| k.opportunity_response_instructions),
        categories,
        required_documents,
        documents,
    };
    let json = serde_json::to_string(&body).map_err(|e| AppError::Internal(e.into()))?;
    json_with_etag(&headers, json)
}
