//! A vendor's own subscriptions in the API, for a vendor's app: read and set the categories it
//! hears about, the opportunities it follows and the newsletter, with the signature of its
//! manage link (`/beacon/vendors/{id}/manage?sig=…`, in every email Beacon sends it) instead
//! of a password, exactly as the manage page.
//!
//! Invariants:
//! - The signature is the manage link's: good for this vendor and this purpose only. A
//!   malformed one is a 400 naming `sig`; a wrong one, or a vendor that does not exist, is a
//!   404, as the page answers (nothing says whether the vendor exists).
//! - A `PUT` sets exactly what it sends, and subscribes a vendor that had unsubscribed, as
//!   saving the page does (`signup::save_subscriptions`). Unlike the page's form, it refuses
//!   what it cannot do (an unknown category, an opportunity not followed) with 422 naming it.
//! - The address carries a credential, so answers are never cached and logs redact it.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use model::entities::{category, opportunity, vendor, vendor_category, vendor_opportunity};
use platform::http::api::{ApiError, PathId};
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::links::Purpose;

#[derive(OpenApi)]
#[openapi(paths(get_subscriptions, put_subscriptions), components(schemas(Subscriptions, SubscriptionsBody, Named)))]
pub struct ApiDoc;

/// The manage link's signature.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Sig {
    /// The `sig` of the vendor's manage link (64 hexadecimal digits).
    #[param(pattern = "^[0-9a-f]{64}$", example = "5f2c0e8b1d7a4c3e9b6f0a2d8c4e1b7f3a9d5c0e2b8f4a6d1c7e3b9f5a0d2c8e")]
    sig: String,
}

/// Something by id and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    pub id: i32,
    pub name: String,
}

/// What a vendor hears about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subscriptions {
    pub email: String,
    pub business_name: String,
    /// False once the vendor unsubscribed from everything: nothing is sent until it saves its
    /// subscriptions again.
    pub subscribed: bool,
    /// False until the address is confirmed (the link in the first email).
    pub confirmed: bool,
    /// New opportunities in these categories are sent to the vendor.
    pub categories: Vec<Named>,
    /// The opportunities it follows (changes and deadlines are sent).
    pub opportunities: Vec<Named>,
    pub newsletter: bool,
}

/// What to set. Every list is the whole of it: a category left out is no longer heard about.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionsBody {
    /// Category ids (see the sign-up page's list).
    pub categories: Vec<i32>,
    /// Opportunities to keep following, from those followed now; following a new one is done
    /// from its page.
    pub opportunities: Vec<i32>,
    pub newsletter: bool,
}

/// The vendor the link's signature names.
async fn vendor_of(state: &AppState, id: i32, sig: &str) -> Result<vendor::Model, AppError> {
    let well_formed = sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(AppError::BadRequest("`sig` must be the 64 hexadecimal digits of the manage link's sig.".into()));
    }
    if !crate::vendors::links(state).verify(Purpose::Manage, id, sig) {
        return Err(AppError::NotFound);
    }
    vendor::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)
}

async fn current(db: &impl ConnectionTrait, v: vendor::Model) -> Result<Subscriptions, DbErr> {
    let categories = vendor_category::Entity::find()
        .filter(vendor_category::Column::VendorId.eq(v.id))
        .find_also_related(category::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, c)| c)
        .map(|c| Named { id: c.id, name: c.display_name() })
        .collect();
    let opportunities = followed(db, v.id).await?.into_iter().map(|o| Named { id: o.id, name: o.title }).collect();
    Ok(Subscriptions {
        email: v.email,
        business_name: v.business_name,
        subscribed: v.unsubscribed_at.is_none(),
        confirmed: v.confirmed_at.is_some(),
        categories,
        opportunities,
        newsletter: v.newsletter,
    })
}

async fn followed(db: &impl ConnectionTrait, vendor_id: i32) -> Result<Vec<opportunity::Model>, DbErr> {
    Ok(vendor_opportunity::Entity::find()
        .filter(vendor_opportunity::Column::VendorId.eq(vendor_id))
        .find_also_related(opportunity::Entity)
        .order_by_asc(vendor_opportunity::Column::OpportunityId)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, o)| o)
        .collect())
}

/// A vendor's subscriptions.
#[utoipa::path(
    get,
    path = "/api/v1/vendors/{id}/subscriptions",
    tag = "beacon",
    params(("id" = i32, Path, description = "The vendor's id, from its manage link", minimum = 1, maximum = 2147483647), Sig),
    responses(
        (status = 200, description = "What the vendor hears about", body = Subscriptions),
        (status = 400, description = "The id or the sig cannot be read", body = ApiError),
        (status = 404, description = "No vendor, or a sig that is not its manage link's", body = ApiError),
    )
)]
pub async fn get_subscriptions(
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(q): Query<Sig>,
) -> Result<Response, AppError> {
    let v = vendor_of(&state, id, &q.sig).await?;
    Ok(Json(current(&state.db, v).await?).into_response())
}

/// Sets a vendor's subscriptions, as its manage page does; subscribes it again if it had
/// unsubscribed.
#[utoipa::path(
    put,
    path = "/api/v1/vendors/{id}/subscriptions",
    tag = "beacon",
    params(("id" = i32, Path, description = "The vendor's id, from its manage link", minimum = 1, maximum = 2147483647), Sig),
    request_body = SubscriptionsBody,
    responses(
        (status = 200, description = "Saved; what the vendor hears about now", body = Subscriptions),
        (status = 400, description = "The id or the sig cannot be read, or the body is not valid JSON", body = ApiError),
        (status = 404, description = "No vendor, or a sig that is not its manage link's", body = ApiError),
        (status = 415, description = "The body is not JSON", body = ApiError),
        (status = 422, description = "Not of the body's shape, or an unknown category or an opportunity not followed; the message names them", body = ApiError),
    )
)]
pub async fn put_subscriptions(
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(q): Query<Sig>,
    Json(body): Json<SubscriptionsBody>,
) -> Result<Response, AppError> {
    vendor_of(&state, id, &q.sig).await?;
    let txn = platform::db::begin_write(&state.db).await?;
    let known: Vec<i32> = category::Entity::find()
        .filter(category::Column::Id.is_in(body.categories.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let following: Vec<i32> = followed(&txn, id).await?.into_iter().map(|o| o.id).collect();
    let mut problems = Vec::new();
    let unknown: Vec<String> = body.categories.iter().filter(|c| !known.contains(c)).map(i32::to_string).collect();
    if !unknown.is_empty() {
        problems.push(format!("`categories`: there is no category {}.", unknown.join(", ")));
    }
    let new: Vec<String> = body.opportunities.iter().filter(|o| !following.contains(o)).map(i32::to_string).collect();
    if !new.is_empty() {
        problems.push(format!(
            "`opportunities`: {} not followed now; follow an opportunity from its page.",
            new.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join(" ")));
    }
    let chosen = crate::signup::Subscriptions {
        categories: body.categories,
        opportunities: body.opportunities,
        newsletter: body.newsletter,
    };
    let v = crate::signup::save_subscriptions(&txn, id, &chosen, Utc::now()).await?;
    let now = current(&txn, v).await?;
    txn.commit().await?;
    Ok(Json(now).into_response())
}
