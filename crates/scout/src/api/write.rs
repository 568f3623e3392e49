//! Contract writes for a city's own systems (scope `contracts:write`): read, put and archive a
//! contract by its controller number, the financial system's id for it.
//!
//! Invariants:
//! - The caller acts as its user: writing contracts is the back-office's contracts table, so
//!   the user must be allowed to edit it (`accounts::policy`, `Admin(General)`); the scope only
//!   narrows that.
//! - A controller number names at most one contract here. Where several carry it (an import
//!   of renewals, an edit in the back-office), every write is 409 naming them, and nothing is
//!   guessed.
//! - A `PUT` carries the whole contract. One that equals what is stored writes nothing: no row,
//!   no version raised, no audit entry; so pushing the same data again is harmless.
//! - The `ETag` is the digest of the stored representation ([`StoredContract`]). `If-Match` and
//!   `If-None-Match: *` are checked inside the write's transaction, after the number's lock, so
//!   two systems cannot overwrite each other unseen. The names of the companies and contract
//!   type it may add are locked too ([`crate::import::store::lock_names`]), so pushes at the
//!   same moment add a new company once instead of failing on its unique name.
//! - Each write is one transaction: the contract, its companies, details and line items, the
//!   search index, the `contracts` data version and the audit entry, which names the client
//!   (`model::audit::acting_through`).

use accounts::api::bearer::MissingScope;
use accounts::api::{ApiCaller, Scope};
use accounts::{Action, AdminArea, Denied, Resource, authorize};
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use model::Stamp;
use model::entities::{company, contract, contract_company, contract_property, contract_type, department, line_item};
use platform::http::api::{ApiError, check_preconditions, etag_of_json, private_json_with_etag};
use platform::http::{AppError, AppState};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::{LineItem, Property};
use crate::import::store::{Actor, Store};

/// The OpenAPI description of these endpoints.
#[derive(OpenApi)]
#[openapi(
    paths(get_by_controller, put_by_controller, archive_by_controller),
    components(schemas(ContractBody, StoredContract, ApiError))
)]
pub struct ApiDoc;

/// The path's controller number, as documented: no control characters, no spaces at either
/// end (the `pattern`; [`number`] checks the same).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Read by utoipa for the document only.
struct NumberPath {
    /// The controller number (the financial system's id for the contract).
    #[param(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u0020\\u007f-\\u009f]([^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u009f])?$"
    )]
    number: String,
}

/// The longest controller number accepted.
const MAX_NUMBER_CHARS: usize = 100;

/// A contract as a city's system sends it: everything Scout shows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    /// What the contract is for; required.
    #[schema(example = "Road salt, winter 2027", min_length = 1)]
    pub description: String,
    /// The last day the contract is valid.
    #[serde(default)]
    pub expiration: Option<NaiveDate>,
    /// The contract type, by name; a name not known yet adds the type (as an import does).
    #[serde(default)]
    pub contract_type: Option<String>,
    /// The department, by name; it must exist.
    #[serde(default)]
    pub department: Option<String>,
    /// The contract document on another site: an http or https address.
    #[serde(default)]
    pub contract_url: Option<String>,
    /// Whether Scout shows the contract (default true).
    #[serde(default = "shown")]
    #[schema(example = true)]
    pub visible: bool,
    /// The suppliers, by name; names not known yet add companies. Order does not matter.
    #[serde(default)]
    pub companies: Vec<String>,
    /// Details, in order ("Spec Number": "6525").
    #[serde(default)]
    pub properties: Vec<Property>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
}

fn shown() -> bool {
    true
}

/// A contract as stored, with its `ETag` in the header.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredContract {
    pub id: i32,
    pub controller_number: String,
    /// Archived contracts are kept but not offered in searches by default.
    pub archived: bool,
    /// This contract in the API, read-only and public.
    pub url: String,
    /// This contract's page on the site.
    pub html_url: String,
    /// The contract as a `PUT` sends it: change it and send it back.
    pub contract: ContractBody,
}

/// The trimmed text, or `None` when empty.
fn text(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Checks a body and puts it in the stored form: text trimmed, empty text as absent, companies
/// sorted without repeats, repeated details once. Every problem is named at once.
fn normalise(body: ContractBody) -> Result<ContractBody, AppError> {
    let mut problems = Vec::new();
    // No database keeps a NUL inside text (PostgreSQL refuses it): say so, rather than fail.
    let mut texts: Vec<&str> = vec![&body.description];
    texts.extend([&body.contract_type, &body.department, &body.contract_url].into_iter().flatten().map(String::as_str));
    texts.extend(body.companies.iter().map(String::as_str));
    texts.extend(body.properties.iter().flat_map(|p| [p.key.as_str(), p.value.as_str()]));
    for item in &body.line_items {
        texts.push(&item.description);
        texts.extend(
            [&item.manufacturer, &item.model_number, &item.unit_of_measure, &item.company_name]
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
    }
    if texts.iter().any(|t| t.contains('\0')) {
        problems.push("Text must not contain NUL characters (\\u0000).".to_owned());
    }
    let description = body.description.trim().to_owned();
    if description.is_empty() {
        problems.push("`description` must not be empty.".to_owned());
    }
    let contract_url = text(body.contract_url.as_deref());
    if let Some(href) = &contract_url
        && !url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        problems.push("`contract_url` must be an http or https address.".to_owned());
    }
    let mut companies: Vec<String> = body.companies.iter().filter_map(|c| text(Some(c))).collect();
    if companies.len() != body.companies.len() {
        problems.push("`companies` must not contain empty names.".to_owned());
    }
    companies.sort();
    companies.dedup();
    let mut properties: Vec<Property> = Vec::new();
    for p in body.properties {
        let Some(key) = text(Some(&p.key)) else {
            problems.push("Every property needs a `key`.".to_owned());
            continue;
        };
        let value = p.value.trim().to_owned();
        if !properties.iter().any(|q| q.key == key && q.value == value) {
            properties.push(Property { key, value });
        }
    }
    let mut line_items = Vec::new();
    for (n, item) in body.line_items.into_iter().enumerate() {
        let Some(description) = text(Some(&item.description)) else {
            problems.push(format!("`line_items[{n}].description` must not be empty."));
            continue;
        };
        let numbers = [item.quantity, item.unit_cost, item.total_cost];
        if numbers.iter().flatten().any(|x| !x.is_finite() || *x < 0.0) {
            problems.push(format!("`line_items[{n}]`: quantities and costs must be numbers of 0 or more."));
        }
        if item.percentage && item.unit_cost.is_some_and(|p| p > 100.0) {
            problems.push(format!("`line_items[{n}].unit_cost` is a percent discount, so at most 100."));
        }
        line_items.push(LineItem {
            description,
            manufacturer: text(item.manufacturer.as_deref()),
            model_number: text(item.model_number.as_deref()),
            quantity: item.quantity,
            unit_of_measure: text(item.unit_of_measure.as_deref()),
            unit_cost: item.unit_cost,
            total_cost: item.total_cost,
            percentage: item.percentage,
            company_name: text(item.company_name.as_deref()),
        });
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join(" ")));
    }
    Ok(ContractBody {
        description,
        expiration: body.expiration,
        contract_type: text(body.contract_type.as_deref()),
        department: text(body.department.as_deref()),
        contract_url,
        visible: body.visible,
        companies,
        properties,
        line_items,
    })
}

/// The controller number of the path, checked.
fn number(raw: &str) -> Result<String, AppError> {
    let blank = |c: char| c <= ' ' || c == '\x7f';
    let number = raw.trim_matches(blank);
    if number.is_empty()
        || number.chars().count() > MAX_NUMBER_CHARS
        || number != raw
        || raw.chars().any(char::is_control)
    {
        return Err(AppError::BadRequest(format!(
            "`number` must be a controller number of 1 to {MAX_NUMBER_CHARS} characters, without spaces around it \
             or control characters."
        )));
    }
    Ok(number.to_owned())
}

/// Why a caller may not write contracts.
enum Refused {
    Scope(MissingScope),
    Policy(Denied),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Scope(missing) => missing.into_response(),
            Refused::Policy(denied) => AppError::from(denied).into_response(),
        }
    }
}

/// The caller may write contracts: the scope, then the policy, as for the back-office's page.
fn may_write(caller: &ApiCaller) -> Result<(), Refused> {
    caller.require(Scope::ContractsWrite).map_err(Refused::Scope)?;
    authorize(Some(&caller.user), Action::Edit, Resource::Admin(AdminArea::General)).map_err(Refused::Policy)
}

/// The one contract with this controller number; 409 when several have it.
async fn find(db: &impl ConnectionTrait, number: &str) -> Result<Option<contract::Model>, AppError> {
    let mut found = contract::Entity::find()
        .filter(contract::Column::FinancialId.eq(number))
        .order_by_asc(contract::Column::Id)
        .all(db)
        .await?;
    if found.len() > 1 {
        let ids: Vec<String> = found.iter().map(|c| c.id.to_string()).collect();
        return Err(AppError::Conflict(format!(
            "Several contracts have the controller number {number} (ids {}); the API cannot tell which to \
             change. Give all but one another number in the back-office, then try again.",
            ids.join(", ")
        )));
    }
    Ok(found.pop())
}

/// The contract as stored, in the form a `PUT` sends it.
async fn stored(db: &impl ConnectionTrait, c: &contract::Model, number: &str) -> Result<StoredContract, DbErr> {
    let contract_type = match c.contract_type_id {
        Some(id) => contract_type::Entity::find_by_id(id).one(db).await?.map(|t| t.name),
        None => None,
    };
    let department = match c.department_id {
        Some(id) => department::Entity::find_by_id(id).one(db).await?.map(|d| d.name),
        None => None,
    };
    let mut companies: Vec<String> = contract_company::Entity::find()
        .filter(contract_company::Column::ContractId.eq(c.id))
        .find_also_related(company::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, company)| company.map(|c| c.name))
        .collect();
    companies.sort();
    let properties = contract_property::Entity::find()
        .filter(contract_property::Column::ContractId.eq(c.id))
        .order_by_asc(contract_property::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| Property { key: p.key, value: p.value.unwrap_or_default() })
        .collect();
    let line_items = line_item::Entity::find()
        .filter(line_item::Column::ContractId.eq(c.id))
        .order_by_asc(line_item::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(LineItem::from)
        .collect();
    Ok(StoredContract {
        id: c.id,
        controller_number: number.to_owned(),
        archived: c.is_archived,
        url: format!("/api/v1/contracts/{}", c.id),
        html_url: format!("/scout/contracts/{}", c.id),
        contract: ContractBody {
            description: c.description.clone().unwrap_or_default(),
            expiration: c.expiration_date,
            contract_type,
            department,
            contract_url: c.contract_href.clone(),
            visible: c.is_visible,
            companies,
            properties,
            line_items,
        },
    })
}

fn answer(status: StatusCode, contract: &StoredContract) -> Result<Response, AppError> {
    private_json_with_etag(status, contract, None)
}

fn tag_of(contract: &StoredContract) -> Result<String, AppError> {
    etag_of_json(contract)
}

/// A contract by its controller number, as a `PUT` would send it, with the `ETag` to send back
/// in `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/contracts/by-controller/{number}",
    tag = "scout",
    params(NumberPath),
    security(("bearer" = ["contracts:write"]), ("oauth2" = ["contracts:write"])),
    responses(
        (status = 200, description = "The contract", body = StoredContract,
            headers(("ETag" = String, description = "Send it in If-Match with the next change"))),
        (status = 400, description = "The number cannot be read", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks contracts:write, or its user may not edit contracts", body = ApiError),
        (status = 404, description = "No contract has this controller number", body = ApiError),
        (status = 409, description = "Several contracts have this controller number", body = ApiError),
    )
)]
pub async fn get_by_controller(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
) -> Result<Response, Response> {
    may_write(&caller).map_err(IntoResponse::into_response)?;
    let number = number(&raw).map_err(IntoResponse::into_response)?;
    let read = async {
        let found = find(&state.db, &number).await?.ok_or(AppError::NotFound)?;
        let contract = stored(&state.db, &found, &number).await?;
        answer(StatusCode::OK, &contract)
    };
    read.await.map_err(IntoResponse::into_response)
}

/// Creates or replaces the contract with this controller number: its description, dates,
/// companies, details and line items. Idempotent: sending the same contract again changes
/// nothing. Found by Scout's search as soon as the answer arrives.
#[utoipa::path(
    put,
    path = "/api/v1/contracts/by-controller/{number}",
    tag = "scout",
    params(
        NumberPath,
        ("If-Match" = Option<String>, Header, description = "Change only if the contract is still this ETag"),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only; 412 if it exists"),
    ),
    request_body = ContractBody,
    security(("bearer" = ["contracts:write"]), ("oauth2" = ["contracts:write"])),
    responses(
        (status = 200, description = "Changed, or already so (nothing written)", body = StoredContract,
            headers(("ETag" = String, description = "The contract's version now"))),
        (status = 201, description = "Created", body = StoredContract,
            headers(("ETag" = String, description = "The contract's version"),
                ("Location" = String, description = "Where to read it"))),
        (status = 400, description = "The number cannot be read, or the body is not valid JSON", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks contracts:write, or its user may not edit contracts", body = ApiError),
        (status = 409, description = "Several contracts have this controller number", body = ApiError),
        (status = 412, description = "If-Match names another version, or If-None-Match: * and it exists", body = ApiError),
        (status = 415, description = "The body is not JSON", body = ApiError),
        (status = 422, description = "The JSON does not have the contract's shape, or cannot be used as it is (an unknown department, a negative price); the message names each problem", body = ApiError),
    )
)]
pub async fn put_by_controller(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    request: Request,
) -> Result<Response, Response> {
    may_write(&caller).map_err(IntoResponse::into_response)?;
    // The body is read after the permission: a refused caller learns nothing from it.
    let headers = request.headers().clone();
    let Json(body) = Json::<ContractBody>::from_request(request, &state).await.map_err(IntoResponse::into_response)?;
    put(&state, &caller, &raw, &headers, body).await.map_err(IntoResponse::into_response)
}

async fn put(
    state: &AppState,
    caller: &ApiCaller,
    raw: &str,
    headers: &HeaderMap,
    body: ContractBody,
) -> Result<Response, AppError> {
    let number = number(raw)?;
    let body = normalise(body)?;
    let txn = platform::db::begin_write(&state.db).await?;
    platform::db::lock_key(&txn, &format!("contract:{number}")).await?;
    let existing = find(&txn, &number).await?;
    let before = match &existing {
        Some(c) => Some(stored(&txn, c, &number).await?),
        None => None,
    };
    check_preconditions(headers, before.as_ref().map(tag_of).transpose()?.as_deref())?;
    if let Some(before) = before.filter(|b| b.contract == body) {
        txn.commit().await?;
        return answer(StatusCode::OK, &before);
    }
    // Only a push that writes may add names; so far this transaction has only read.
    let companies = body.companies.iter().map(String::as_str);
    crate::import::store::lock_names(&txn, companies, body.contract_type.as_deref()).await?;
    let department_id = match &body.department {
        Some(name) => Some(
            department::Entity::find()
                .filter(department::Column::Name.eq(name.as_str()))
                .one(&txn)
                .await?
                .ok_or_else(|| {
                    AppError::Unprocessable(format!("`department`: there is no department named {name:?}."))
                })?
                .id,
        ),
        None => None,
    };
    let actor = caller.user.id;
    let mut store = Store::write(Actor(Some(actor)));
    let contract_type_id = match &body.contract_type {
        Some(name) => Some(store.contract_type(&txn, name).await?),
        None => None,
    };
    let resource = crate::admin::contracts::Contracts;
    let old_values = match &existing {
        Some(c) => admin::resource::AdminResource::load(&resource, &txn, &state.config.site, c.id).await?,
        None => None,
    };
    let now = Utc::now();
    let mut row = match existing.clone() {
        Some(c) => c.into(),
        None => contract::ActiveModel {
            financial_id: Set(Some(number.clone())),
            document_id: Set(None),
            is_archived: Set(false),
            parent_id: Set(None),
            ..Stamp::created(Some(actor), now)
        },
    };
    row.description = Set(Some(body.description.clone()));
    row.expiration_date = Set(body.expiration);
    row.contract_href = Set(body.contract_url.clone());
    row.contract_type_id = Set(contract_type_id);
    row.department_id = Set(department_id);
    row.is_visible = Set(body.visible);
    row.stamp(Some(actor), now);
    let saved = row.save(&txn).await?.try_into_model()?;
    let id = saved.id;
    replace_children(&txn, &mut store, id, &body, actor).await?;
    crate::search::reindex(&txn, id).await?;
    crate::freshness::bump(&txn).await?;
    let new_values = admin::resource::AdminResource::load(&resource, &txn, &state.config.site, id).await?;
    let change = if existing.is_some() { admin::audit::Change::Update } else { admin::audit::Change::Create };
    let entry = admin::audit::Entry {
        change,
        resource: "contracts",
        record_id: id,
        label: body.description.chars().take(80).collect(),
        before: old_values.as_ref(),
        after: new_values.as_ref(),
    };
    admin::audit::record(&txn, actor, entry).await?;
    let after = stored(&txn, &saved, &number).await?;
    txn.commit().await?;
    match existing {
        Some(_) => answer(StatusCode::OK, &after),
        None => {
            let location = format!("/api/v1/contracts/by-controller/{}", urlencoding(&number));
            private_json_with_etag(StatusCode::CREATED, &after, Some(&location))
        }
    }
}

/// A path segment, percent-encoded.
fn urlencoding(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Replaces the contract's companies, details and line items with the body's.
async fn replace_children(
    txn: &impl ConnectionTrait,
    store: &mut Store,
    id: i32,
    body: &ContractBody,
    actor: i32,
) -> Result<(), DbErr> {
    contract_company::Entity::delete_many().filter(contract_company::Column::ContractId.eq(id)).exec(txn).await?;
    for name in &body.companies {
        let (company_id, _) = store.company(txn, name).await?;
        store.link(txn, id, company_id).await?;
    }
    contract_property::Entity::delete_many().filter(contract_property::Column::ContractId.eq(id)).exec(txn).await?;
    for p in &body.properties {
        store.property(txn, id, &p.key, Some(&p.value)).await?;
    }
    line_item::Entity::delete_many().filter(line_item::Column::ContractId.eq(id)).exec(txn).await?;
    let now = Utc::now();
    for item in &body.line_items {
        line_item::ActiveModel {
            contract_id: Set(id),
            description: Set(item.description.clone()),
            manufacturer: Set(item.manufacturer.clone()),
            model_number: Set(item.model_number.clone()),
            quantity: Set(item.quantity),
            unit_of_measure: Set(item.unit_of_measure.clone()),
            unit_cost: Set(item.unit_cost),
            total_cost: Set(item.total_cost),
            percentage: Set(item.percentage),
            company_name: Set(item.company_name.clone()),
            company_id: Set(None),
            ..Stamp::created(Some(actor), now)
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Archives the contract with this controller number: it stays, but searches leave it out
/// unless asked. Archiving an archived contract changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/contracts/by-controller/{number}/archive",
    tag = "scout",
    params(
        NumberPath,
        ("If-Match" = Option<String>, Header, description = "Archive only if the contract is still this ETag"),
    ),
    security(("bearer" = ["contracts:write"]), ("oauth2" = ["contracts:write"])),
    responses(
        (status = 200, description = "Archived (or it already was)", body = StoredContract,
            headers(("ETag" = String, description = "The contract's version now"))),
        (status = 400, description = "The number cannot be read", body = ApiError),
        (status = 401, description = "No access token, or one that is not good", body = ApiError),
        (status = 403, description = "The token lacks contracts:write, or its user may not edit contracts", body = ApiError),
        (status = 404, description = "No contract has this controller number", body = ApiError),
        (status = 409, description = "Several contracts have this controller number", body = ApiError),
        (status = 412, description = "If-Match names another version", body = ApiError),
    )
)]
pub async fn archive_by_controller(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    may_write(&caller).map_err(IntoResponse::into_response)?;
    archive(&state, &caller, &raw, &headers).await.map_err(IntoResponse::into_response)
}

async fn archive(state: &AppState, caller: &ApiCaller, raw: &str, headers: &HeaderMap) -> Result<Response, AppError> {
    let number = number(raw)?;
    let txn = platform::db::begin_write(&state.db).await?;
    platform::db::lock_key(&txn, &format!("contract:{number}")).await?;
    let found = find(&txn, &number).await?.ok_or(AppError::NotFound)?;
    let before = stored(&txn, &found, &number).await?;
    check_preconditions(headers, Some(&tag_of(&before)?))?;
    if found.is_archived {
        txn.commit().await?;
        return answer(StatusCode::OK, &before);
    }
    let actor = caller.user.id;
    let mut row: contract::ActiveModel = found.clone().into();
    row.is_archived = Set(true);
    row.stamp(Some(actor), Utc::now());
    let saved = row.update(&txn).await?;
    crate::freshness::bump(&txn).await?;
    let label: String = found.description.clone().unwrap_or_default().chars().take(80).collect();
    let details = [("Controller number", number.clone())];
    admin::audit::record_action(&txn, Some(actor), "archive", "contracts", found.id, &label, &details).await?;
    let after = stored(&txn, &saved, &number).await?;
    txn.commit().await?;
    answer(StatusCode::OK, &after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> Result<ContractBody, serde_json::Error> {
        serde_json::from_value(json)
    }

    #[test]
    fn a_body_is_stored_in_one_form_whatever_its_spacing_and_order() {
        let messy = body(serde_json::json!({
            "description": "  Road salt ",
            "companies": ["Salt Co", " Acme ", "Salt Co"],
            "properties": [{"key": "Spec Number", "value": "6525"}, {"key": "Spec Number", "value": "6525 "}],
            "line_items": [{"description": " Rock salt ", "unit_cost": 61.25, "percentage": false}],
            "contract_type": "",
        }))
        .expect("parses");
        let clean = normalise(messy).expect("valid");
        assert_eq!(clean.description, "Road salt");
        assert_eq!(clean.companies, ["Acme", "Salt Co"]);
        assert_eq!(clean.properties.len(), 1);
        assert_eq!(clean.line_items[0].description, "Rock salt");
        assert_eq!(clean.contract_type, None);
        assert!(clean.visible, "shown unless said otherwise");
        assert_eq!(normalise(clean.clone()).expect("valid"), clean, "normalising is idempotent");
    }

    #[test]
    fn every_problem_of_a_body_is_named() {
        assert!(body(serde_json::json!({"description": "x", "price": 3})).is_err(), "unknown fields are refused");
        let bad = body(serde_json::json!({
            "description": " ",
            "contract_url": "ftp://example.org/c.pdf",
            "companies": [""],
            "line_items": [{"description": "Salt", "unit_cost": -1.0, "percentage": false},
                           {"description": "Discount", "unit_cost": 120.0, "percentage": true}],
        }))
        .expect("parses");
        match normalise(bad) {
            Err(AppError::Unprocessable(m)) => {
                for named in
                    ["`description`", "`contract_url`", "`companies`", "`line_items[0]`", "`line_items[1].unit_cost`"]
                {
                    assert!(m.contains(named), "{named} in {m}");
                }
            }
            other => panic!("accepted: {other:?}"),
        }
    }

    #[test]
    fn controller_numbers_are_read_as_given() {
        assert_eq!(number("43573").ok().as_deref(), Some("43573"));
        assert_eq!(number("BP-2027/1").ok().as_deref(), Some("BP-2027/1"));
        assert_eq!(number("Café №7").ok().as_deref(), Some("Café №7"));
        for bad in ["", " 1", "1 ", "1\t", "a\u{0}b", "a\u{85}b", &"9".repeat(MAX_NUMBER_CHARS + 1)] {
            assert!(number(bad).is_err(), "{bad:?}");
        }
        assert_eq!(urlencoding("BP 2027/1"), "BP%202027%2F1");
    }
}
