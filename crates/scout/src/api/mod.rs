//! Scout's JSON API (`/api/v1`): contract search with the web search's query language and
//! filters, a contract, a company. The OpenAPI document is generated from the annotations here
//! ([`ApiDoc`]); the test in `tests/api.rs` walks it and checks every answer against it.
//!
//! The API is strict where the web form is forgiving: a parameter it cannot read is a 400 that
//! names it, so a client learns of its mistake instead of getting unfiltered results.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use platform::http::api::{ApiError, PathId, json_with_etag};
use platform::http::{AppError, AppState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub mod write;

use crate::contracts::{self, Status};
use crate::freshness;
use crate::search::{self, Field, PER_PAGE, Request};

/// The OpenAPI description of these endpoints (merged into `/api/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(search_contracts, contract_detail, company_detail),
    components(schemas(ApiError)),
    tags((name = "scout", description = "City contracts: what the city buys, from whom, until when."))
)]
pub struct ApiDoc;

/// The search parameters, as documented (they are read by hand: `fields` repeats).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read by utoipa for the document only.
struct SearchParams {
    /// Words to find, AND-ed; `OR` between words, `"quoted phrases"`, `-word` to exclude. An
    /// exact controller number is listed first. Empty finds nothing. At most 1,000 characters
    /// (the search reads the first 500).
    #[param(max_length = 1000, example = "road salt")]
    q: Option<String>,
    /// Where to look (repeat the parameter for several); everywhere when absent.
    #[param(inline)]
    fields: Option<Vec<SearchField>>,
    /// Only contracts of this contract type (its id).
    r#type: Option<i32>,
    /// Only contracts of this department (its id).
    department: Option<i32>,
    /// Include contracts whose expiration date has passed.
    expired: Option<bool>,
    /// Include archived contracts.
    archived: Option<bool>,
    /// The page, from 1; 50 results per page.
    #[param(minimum = 1, maximum = 100000)]
    page: Option<u64>,
}

/// A field the search can be limited to.
#[allow(dead_code)] // Named in the document; requests are parsed into `search::Field`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum SearchField {
    Company,
    Description,
    LineItem,
    Property,
    Controller,
}

/// One contract, briefly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractSummary {
    pub id: i32,
    /// The controller (financial) number.
    pub controller_number: Option<String>,
    pub description: Option<String>,
    /// The last day the contract is valid.
    pub expiration: Option<NaiveDate>,
    /// This contract in the API.
    pub url: String,
    /// This contract's page on the site.
    pub html_url: String,
}

impl From<contracts::Summary> for ContractSummary {
    fn from(c: contracts::Summary) -> ContractSummary {
        ContractSummary {
            url: format!("/api/v1/contracts/{}", c.id),
            html_url: format!("/scout/contracts/{}", c.id),
            id: c.id,
            controller_number: c.financial_id,
            description: c.description,
            expiration: c.expiration,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyRef {
    pub id: i32,
    pub name: String,
    /// This company in the API.
    pub url: String,
}

impl From<contracts::CompanyRef> for CompanyRef {
    fn from(c: contracts::CompanyRef) -> CompanyRef {
        CompanyRef { url: format!("/api/v1/companies/{}", c.id), id: c.id, name: c.name }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResult {
    pub contract: ContractSummary,
    pub companies: Vec<CompanyRef>,
    /// Where the search matched: "controller number", "company name", "description",
    /// "line item", "contract property", or "several fields".
    pub found_in: String,
    /// A passage of that field, HTML-escaped, with the matched words in `<mark>`; may be empty.
    pub snippet: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchPage {
    /// Contracts found in all.
    pub total: u64,
    pub page: u64,
    /// Pages in all (at least 1).
    pub pages: u64,
    pub per_page: u64,
    pub results: Vec<SearchResult>,
    /// The next page's URL, if there is one.
    pub next: Option<String>,
    /// The previous page's URL, if there is one.
    pub previous: Option<String>,
}

/// Where a contract stands today.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Active,
    /// Expires within 30 days.
    Expiring,
    Expired,
    Archived,
    /// Renewed: see `successors`.
    Replaced,
}

impl From<Status> for ContractStatus {
    fn from(s: Status) -> ContractStatus {
        match s {
            Status::Active => ContractStatus::Active,
            Status::Expiring => ContractStatus::Expiring,
            Status::Expired => ContractStatus::Expired,
            Status::Archived => ContractStatus::Archived,
            Status::Replaced => ContractStatus::Replaced,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub description: String,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model_number: Option<String>,
    #[serde(default)]
    pub quantity: Option<f64>,
    #[serde(default)]
    pub unit_of_measure: Option<String>,
    /// Dollars per unit, or a percent discount when `percentage` is true.
    #[serde(default)]
    pub unit_cost: Option<f64>,
    #[serde(default)]
    pub total_cost: Option<f64>,
    /// `unit_cost` is a percent discount rather than a price (default false).
    #[serde(default)]
    pub percentage: bool,
    /// The supplier, when the contract has several.
    #[serde(default)]
    pub company_name: Option<String>,
}

impl From<model::entities::line_item::Model> for LineItem {
    fn from(i: model::entities::line_item::Model) -> LineItem {
        LineItem {
            description: i.description,
            manufacturer: i.manufacturer,
            model_number: i.model_number,
            quantity: i.quantity,
            unit_of_measure: i.unit_of_measure,
            unit_cost: i.unit_cost,
            total_cost: i.total_cost,
            percentage: i.percentage,
            company_name: i.company_name,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    #[serde(flatten)]
    pub summary: ContractSummary,
    pub status: ContractStatus,
    pub contract_type: Option<String>,
    pub department: Option<String>,
    /// The contract document on another site, if it is there.
    pub contract_url: Option<String>,
    /// The uploaded contract document, if there is one.
    pub document_url: Option<String>,
    /// The contract this one renews.
    pub parent: Option<ContractSummary>,
    /// The contracts that renew this one.
    pub successors: Vec<ContractSummary>,
    pub companies: Vec<CompanyRef>,
    pub properties: Vec<Property>,
    pub line_items: Vec<LineItem>,
    /// Users following the contract.
    pub followers: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub addr1: Option<String>,
    pub addr2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub phone_number: Option<String>,
    pub fax_number: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Company {
    pub id: i32,
    pub name: String,
    /// This company's page on the site.
    pub html_url: String,
    pub contacts: Vec<Contact>,
    /// The company's contracts shown in Scout.
    pub contracts: Vec<ContractSummary>,
}

/// The longest `q` accepted, in characters (the document's `maxLength`).
const MAX_QUERY_CHARS: usize = 1_000;

/// Reads the search parameters, strictly.
fn request(pairs: &[(String, String)], today: NaiveDate) -> Result<(Request, Vec<(String, String)>), AppError> {
    let bad = |name: &str, what: &str| AppError::BadRequest(format!("`{name}` must be {what}."));
    let flag = |name: &str, v: &str| match v {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(bad(name, "true or false")),
    };
    let mut req = Request { page: 1, today: Some(today), ..Request::default() };
    let mut kept = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            // Characters, as JSON Schema's maxLength counts them, not bytes.
            "q" if v.chars().count() > MAX_QUERY_CHARS => return Err(bad("q", "at most 1,000 characters")),
            "q" => req.q = v.clone(),
            "fields" => req.fields.push(
                Field::parse(v)
                    .ok_or_else(|| bad("fields", "one of company, description, line_item, property, controller"))?,
            ),
            "type" => req.contract_type = Some(v.parse().map_err(|_| bad("type", "a contract type id"))?),
            "department" => req.department = Some(v.parse().map_err(|_| bad("department", "a department id"))?),
            "expired" => req.include_expired = flag("expired", v)?,
            "archived" => req.include_archived = flag("archived", v)?,
            "page" => {
                req.page = v
                    .parse::<u64>()
                    .ok()
                    .filter(|p| (1..=100_000).contains(p))
                    .ok_or_else(|| bad("page", "a whole number from 1 to 100000"))?;
                continue;
            }
            other => return Err(AppError::BadRequest(format!("Unknown parameter `{other}`."))),
        }
        kept.push((k.clone(), v.clone()));
    }
    Ok((req, kept))
}

fn page_link(kept: &[(String, String)], page: u64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in kept {
        s.append_pair(k, v);
    }
    s.append_pair("page", &page.to_string());
    format!("/api/v1/contracts?{}", s.finish())
}

/// Search contracts.
#[utoipa::path(
    get,
    path = "/api/v1/contracts",
    tag = "scout",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of contracts, best match first", body = SearchPage),
        (status = 400, description = "A parameter could not be read; the message names it", body = ApiError),
    )
)]
pub async fn search_contracts(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (req, kept) = request(&pairs, state.config.site.today())?;
    let what = format!("api:{}", page_link(&kept, req.page));
    let body = cached(&state, &what, || search_body(&state, &req, &kept)).await?.ok_or(AppError::NotFound)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `make`'s body, cached under `what` at the current data version and date (see
/// [`crate::freshness`]); `None` (nothing there) is not cached.
async fn cached<F, Fut>(state: &AppState, what: &str, make: F) -> Result<Option<String>, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, AppError>>,
{
    platform::freshness::cached(state, freshness::DATA, &format!("{what}@{}", state.config.site.today()), make).await
}

fn to_json<T: Serialize>(value: &T) -> Result<Option<String>, AppError> {
    serde_json::to_string(value).map(Some).map_err(|e| AppError::Internal(e.into()))
}

async fn search_body(state: &AppState, req: &Request, kept: &[(String, String)]) -> Result<Option<String>, AppError> {
    let found = search::find(state, req).await?;
    let results = contracts::result_rows(state, found.hits, None, state.config.site.today())
        .await?
        .into_iter()
        .map(|r| SearchResult {
            contract: r.contract.into(),
            companies: r.companies.into_iter().map(CompanyRef::from).collect(),
            found_in: r.found_in.to_owned(),
            snippet: r.snippet,
        })
        .collect();
    let body = SearchPage {
        total: found.total,
        page: found.page,
        pages: found.pages,
        per_page: PER_PAGE,
        results,
        next: (found.page < found.pages).then(|| page_link(kept, found.page + 1)),
        previous: (found.page > 1).then(|| page_link(kept, (found.page - 1).min(found.pages))),
    };
    to_json(&body)
}

/// One contract, with its companies, details and line items.
#[utoipa::path(
    get,
    path = "/api/v1/contracts/{id}",
    tag = "scout",
    params(("id" = i32, Path, description = "The contract's id", minimum = 1)),
    responses(
        (status = 200, description = "The contract", body = Contract,
            headers(("ETag" = String, description = "Send it back in If-None-Match to revalidate"))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "The id is not a whole number from 1 to 2147483647", body = ApiError),
        (status = 404, description = "No contract with this id is shown in Scout", body = ApiError),
    )
)]
pub async fn contract_detail(
    State(state): State<AppState>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let body = cached(&state, &format!("api:contract:{id}"), || contract_body(&state, id)).await?;
    json_with_etag(&headers, body.ok_or(AppError::NotFound)?)
}

async fn contract_body(state: &AppState, id: i32) -> Result<Option<String>, AppError> {
    let Some(d) = contracts::detail(&state.db, id, None, state.config.site.today()).await? else { return Ok(None) };
    let body = Contract {
        document_url: d.document.is_some().then(|| format!("/scout/contracts/{id}/document")),
        summary: d.contract.into(),
        status: d.status.into(),
        contract_type: d.contract_type,
        department: d.department,
        contract_url: d.href,
        parent: d.parent.map(ContractSummary::from),
        successors: d.successors.into_iter().map(ContractSummary::from).collect(),
        companies: d.companies.into_iter().map(CompanyRef::from).collect(),
        properties: d.properties.into_iter().map(|(key, value)| Property { key, value }).collect(),
        line_items: d.line_items.into_iter().map(|l| LineItem::from(l.item)).collect(),
        followers: d.followers,
    };
    to_json(&body)
}

/// One company, with its contacts and contracts.
#[utoipa::path(
    get,
    path = "/api/v1/companies/{id}",
    tag = "scout",
    params(("id" = i32, Path, description = "The company's id", minimum = 1)),
    responses(
        (status = 200, description = "The company", body = Company,
            headers(("ETag" = String, description = "Send it back in If-None-Match to revalidate"))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "The id is not a whole number from 1 to 2147483647", body = ApiError),
        (status = 404, description = "No company with this id", body = ApiError),
    )
)]
pub async fn company_detail(
    State(state): State<AppState>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let body = cached(&state, &format!("api:company:{id}"), || company_body(&state, id)).await?;
    json_with_etag(&headers, body.ok_or(AppError::NotFound)?)
}

async fn company_body(state: &AppState, id: i32) -> Result<Option<String>, AppError> {
    let Some(found) = contracts::company(&state.db, id).await? else { return Ok(None) };
    let body = Company {
        html_url: format!("/scout/companies/{}", found.company.id),
        id: found.company.id,
        name: found.company.name,
        contacts: found
            .contacts
            .into_iter()
            .map(|c| Contact {
                first_name: c.first_name,
                last_name: c.last_name,
                addr1: c.addr1,
                addr2: c.addr2,
                city: c.city,
                state: c.state,
                zip_code: c.zip_code,
                phone_number: c.phone_number,
                fax_number: c.fax_number,
                email: c.email,
            })
            .collect(),
        contracts: found.contracts.into_iter().map(ContractSummary::from).collect(),
    };
    to_json(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    #[test]
    fn parameters_are_read_strictly_and_named_when_wrong() {
        let (req, kept) =
            request(&pairs(&[("q", "salt"), ("fields", "company"), ("expired", "true"), ("page", "2")]), today())
                .expect("valid");
        assert_eq!(
            (req.q.as_str(), req.fields.as_slice(), req.include_expired, req.page),
            ("salt", &[Field::Company][..], true, 2)
        );
        assert_eq!(page_link(&kept, 3), "/api/v1/contracts?q=salt&fields=company&expired=true&page=3");
        let wide = "é".repeat(MAX_QUERY_CHARS);
        assert!(request(&pairs(&[("q", &wide)]), today()).is_ok(), "1,000 two-byte characters are 1,000, not 2,000");
        for (bad, named) in [
            (("page", "0"), "`page`"),
            (("page", "x"), "`page`"),
            (("fields", "price"), "`fields`"),
            (("expired", "yes"), "`expired`"),
            (("type", "x"), "`type`"),
            (("sort", "date"), "`sort`"),
            (("q", &"x".repeat(1_001)), "`q`"),
        ] {
            match request(&pairs(&[bad]), today()) {
                Err(AppError::BadRequest(m)) => assert!(m.contains(named), "{m}"),
                other => panic!("{bad:?} was accepted: {:?}", other.map(|r| r.0)),
            }
        }
    }
}
