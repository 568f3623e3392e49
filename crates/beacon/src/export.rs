//! The vendor list for staff, as CSV or TSV (the original exported TSV), with the original's
//! columns, and as JSON for a city's systems (`GET /api/v1/vendors`, a token with
//! `vendors:read` or a staff session). Cells that a spreadsheet would run as a formula (`=`, `+`,
//! `-`, `@` first) are prefixed with `'`: vendors type their own business names. The JSON keeps
//! the text as typed.

use accounts::api::Scope;
use accounts::api::bearer::TokenOrSession;
use accounts::{Action, Resource, SignedIn, authorize};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use model::entities::{category, opportunity, vendor, vendor_category, vendor_opportunity};
use platform::http::api::ApiError;
use platform::http::{AppError, AppState};
use sea_orm::{EntityTrait, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::{OpenApi, ToSchema};

/// The OpenAPI description of the JSON list.
#[derive(OpenApi)]
#[openapi(paths(vendors_json), components(schemas(Vendor, ApiError)))]
pub struct ApiDoc;

/// One vendor signed up for Beacon's notices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vendor {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub business_name: String,
    pub email: String,
    pub phone_number: Option<String>,
    pub minority_owned: bool,
    pub woman_owned: bool,
    pub veteran_owned: bool,
    pub disadvantaged_owned: bool,
    /// The categories the vendor follows, by name.
    pub categories: Vec<String>,
    /// The opportunities the vendor follows, by title.
    pub opportunities: Vec<String>,
}

const COLUMNS: [&str; 11] = [
    "first_name",
    "last_name",
    "business_name",
    "email",
    "phone_number",
    "minority_owned",
    "woman_owned",
    "veteran_owned",
    "disadvantaged_owned",
    "categories",
    "opportunities",
];

use platform::text::spreadsheet_safe as cell;

/// Every vendor, by business name; for staff who may draft opportunities (as the page).
async fn vendors(state: &AppState, me: &accounts::CurrentUser) -> Result<Vec<Vendor>, AppError> {
    authorize(Some(me), Action::Create, Resource::Opportunity { public: false, own: true })?;
    let db = &state.db;
    let names: HashMap<i32, String> =
        category::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.display_name())).collect();
    let titles: HashMap<i32, String> =
        opportunity::Entity::find().all(db).await?.into_iter().map(|o| (o.id, o.title)).collect();
    let mut categories: HashMap<i32, Vec<String>> = HashMap::new();
    for vc in vendor_category::Entity::find().all(db).await? {
        categories.entry(vc.vendor_id).or_default().extend(names.get(&vc.category_id).cloned());
    }
    let mut opportunities: HashMap<i32, Vec<String>> = HashMap::new();
    for vo in vendor_opportunity::Entity::find().all(db).await? {
        opportunities.entry(vo.vendor_id).or_default().extend(titles.get(&vo.opportunity_id).cloned());
    }
    let all = vendor::Entity::find().order_by_asc(vendor::Column::BusinessName).all(db).await?;
    Ok(all
        .into_iter()
        .map(|v| Vendor {
            categories: categories.remove(&v.id).unwrap_or_default(),
            opportunities: opportunities.remove(&v.id).unwrap_or_default(),
            first_name: v.first_name,
            last_name: v.last_name,
            business_name: v.business_name,
            email: v.email,
            phone_number: v.phone_number,
            minority_owned: v.minority_owned,
            woman_owned: v.woman_owned,
            veteran_owned: v.veteran_owned,
            disadvantaged_owned: v.disadvantaged_owned,
        })
        .collect())
}

async fn export(state: &AppState, me: &accounts::CurrentUser, delimiter: u8) -> Result<Vec<u8>, AppError> {
    let mut out = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.into());
    out.write_record(COLUMNS).map_err(fail)?;
    for v in vendors(state, me).await? {
        let yes = |b: bool| if b { "true" } else { "false" }.to_owned();
        let record = [
            v.first_name.unwrap_or_default(),
            v.last_name.unwrap_or_default(),
            v.business_name,
            v.email,
            v.phone_number.unwrap_or_default(),
            yes(v.minority_owned),
            yes(v.woman_owned),
            yes(v.veteran_owned),
            yes(v.disadvantaged_owned),
            v.categories.join("; "),
            v.opportunities.join("; "),
        ];
        out.write_record(record.iter().map(|c| cell(c).into_owned())).map_err(fail)?;
    }
    out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("writing the export: {e}")))
}

/// The export as a download of `kind` (`csv` or `tsv`).
async fn download(state: &AppState, me: &accounts::CurrentUser, kind: &str) -> Result<Response, AppError> {
    let (delimiter, content_type) = match kind {
        "tsv" => (b'\t', "text/tab-separated-values; charset=utf-8"),
        _ => (b',', "text/csv; charset=utf-8"),
    };
    let body = export(state, me, delimiter).await?;
    let disposition = format!("attachment; filename=\"vendors.{kind}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

pub async fn csv(State(state): State<AppState>, SignedIn(me): SignedIn) -> Result<Response, AppError> {
    download(&state, &me, "csv").await
}

pub async fn tsv(State(state): State<AppState>, SignedIn(me): SignedIn) -> Result<Response, AppError> {
    download(&state, &me, "tsv").await
}

/// Every vendor signed up for notices, with what they follow.
#[utoipa::path(
    get,
    path = "/api/v1/vendors",
    tag = "beacon",
    security((), ("bearer" = ["vendors:read"]), ("oauth2" = ["vendors:read"])),
    responses(
        (status = 200, description = "Every vendor, by business name (staff signed in, or a token with vendors:read)", body = [Vendor]),
        (status = 401, description = "Neither signed in nor a token", body = ApiError),
        (status = 403, description = "Not staff, or the token lacks vendors:read", body = ApiError),
        (status = 429, description = "The token's rate limit is used up; see Retry-After", body = ApiError),
    )
)]
pub async fn vendors_json(State(state): State<AppState>, caller: TokenOrSession) -> Result<Response, AppError> {
    let me = match caller.require(Scope::VendorsRead) {
        Ok(me) => me,
        Err(missing) => return Ok(missing.into_response()),
    };
    Ok(Json(vendors(&state, me).await?).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("-1+1"), "'-1+1");
        assert_eq!(super::cell("Keystone Paving"), "Keystone Paving");
    }
}
