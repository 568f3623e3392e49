//! Vendors' own pages. Vendors have no passwords: their pages are reached by signed links from
//! their emails (manage, unsubscribe, confirm, follow), and a vendor without an email at hand
//! asks for its link by address (`/beacon/manage`). Unsubscribing works without signing in,
//! takes effect at once, and answers the one-click POST of RFC 8058 that mail programs send.
//! Sign-up and "follow this opportunity" are here too; their rules are in `signup.rs`.

use accounts::throttle::ClientIp;
use accounts::{Viewer, page};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use minijinja::context;
use model::Stamp;
use model::entities::vendor;
use platform::http::{AppError, AppState};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::Deserialize;

use crate::links::{Purpose, VendorLinks};

#[derive(Debug, Deserialize)]
pub struct Signed {
    #[serde(default)]
    sig: String,
}

/// Vendors' signed links, under a key derived from the secret the app read at start-up.
pub(crate) fn links(state: &AppState) -> VendorLinks {
    VendorLinks::new(&state.secret, state.config.site.app_url.clone())
}

/// The vendor a signed link names; a bad signature reads as "no such page".
async fn signed_vendor(state: &AppState, id: i32, sig: &str, purpose: Purpose) -> Result<vendor::Model, AppError> {
    if !links(state).verify(purpose, id, sig) {
        return Err(AppError::NotFound);
    }
    vendor::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)
}

pub async fn unsubscribe_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let v = signed_vendor(&state, id, &q.sig, Purpose::Unsubscribe).await?;
    let action = format!("/beacon/vendors/{id}/unsubscribe?sig={}", q.sig);
    let ctx = context! { email => v.email, done => v.unsubscribed_at.is_some(), action };
    Ok(page(&state, &viewer, "beacon/unsubscribe.html", ctx)?.into_response())
}

pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let v = signed_vendor(&state, id, &q.sig, Purpose::Unsubscribe).await?;
    let email = v.email.clone();
    if v.unsubscribed_at.is_none() {
        let now = Utc::now();
        let mut active: vendor::ActiveModel = v.into();
        active.unsubscribed_at = Set(Some(now));
        active.stamp(None, now);
        active.update(&state.db).await?;
        tracing::info!(vendor = id, "vendor unsubscribed");
    }
    Ok(page(&state, &viewer, "beacon/unsubscribe.html", context! { email, done => true, action => "" })?
        .into_response())
}

/// The opportunities a vendor follows, for the manage page.
#[derive(Debug, serde::Serialize)]
struct Followed {
    id: i32,
    name: String,
}

async fn followed(state: &AppState, vendor_id: i32) -> Result<Vec<Followed>, AppError> {
    use model::entities::{opportunity, vendor_opportunity};
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(vendor_opportunity::Entity::find()
        .filter(vendor_opportunity::Column::VendorId.eq(vendor_id))
        .find_also_related(opportunity::Entity)
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|(_, o)| o)
        .map(|o| Followed { id: o.id, name: o.title })
        .collect())
}

async fn chosen_categories(state: &AppState, vendor_id: i32) -> Result<Vec<i32>, AppError> {
    use model::entities::vendor_category;
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(vendor_category::Entity::find()
        .filter(vendor_category::Column::VendorId.eq(vendor_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|vc| vc.category_id)
        .collect())
}

pub async fn manage_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let v = signed_vendor(&state, id, &q.sig, Purpose::Manage).await?;
    manage_view(&state, &viewer, v, &q.sig, false).await
}

/// The manage page: every category (grouped as on sign-up, the vendor's own ticked), the
/// opportunities it follows, the newsletter; and, for a vendor that unsubscribed, the way back.
async fn manage_view(
    state: &AppState,
    viewer: &Viewer,
    v: vendor::Model,
    sig: &str,
    saved: bool,
) -> Result<Response, AppError> {
    let categories = chosen_categories(state, v.id).await?;
    let opportunities = followed(state, v.id).await?;
    let out = links(state).unsubscribe(v.id);
    let ctx = context! {
        v => minijinja::value::Serde(&v), groups => minijinja::value::Serde(category_groups(state).await?),
        categories, opportunities => minijinja::value::Serde(opportunities), saved,
        action => format!("/beacon/vendors/{}/manage?sig={sig}", v.id),
        unsubscribe => format!("{}?{}", out.path(), out.query().unwrap_or_default()),
    };
    Ok(page(state, viewer, "beacon/manage.html", ctx)?.into_response())
}

/// Saves the manage form: exactly the ticked categories and the kept opportunities, the
/// newsletter as ticked; a vendor that had unsubscribed is subscribed again.
pub async fn manage(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(q): Query<Signed>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    signed_vendor(&state, id, &q.sig, Purpose::Manage).await?;
    let ids = |name: &str| -> Vec<i32> {
        pairs.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let chosen = crate::signup::Subscriptions {
        categories: ids("category"),
        opportunities: ids("opportunity"),
        newsletter: pairs.iter().any(|(k, _)| k == "newsletter"),
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let v = crate::signup::save_subscriptions(&txn, id, &chosen, Utc::now()).await?;
    txn.commit().await?;
    manage_view(&state, &viewer, v, &q.sig, true).await
}

/// `GET /beacon/manage`: "Email me a link to manage my subscription".
pub async fn manage_link_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let ctx = context! { email => "", error => None::<String>, sent => false };
    Ok(page(&state, &viewer, "beacon/manage_link.html", ctx)?.into_response())
}

/// `POST /beacon/manage`: the same answer whether or not the address is a vendor's.
pub async fn manage_link(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let typed = pairs.iter().find(|(k, _)| k == "email").map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let links = links(&state);
    let txn = platform::db::begin_write(&state.db).await?;
    let outcome = crate::signup::manage_link(&txn, &mailing(&state, &links), &typed, &client, Utc::now()).await?;
    txn.commit().await?;
    let (status, ctx) = match outcome {
        Ok(()) => {
            let email = platform::mail::address(&typed).unwrap_or(typed);
            (axum::http::StatusCode::OK, context! { email, error => None::<String>, sent => true })
        }
        Err(error) => (axum::http::StatusCode::BAD_REQUEST, context! { email => typed, error, sent => false }),
    };
    accounts::page_with_status(&state, &viewer, status, "beacon/manage_link.html", ctx)
}

pub(crate) fn mailing<'a>(state: &'a AppState, links: &'a VendorLinks) -> crate::notify::Mailing<'a> {
    crate::notify::Mailing { templates: &state.templates, config: &state.config, links }
}

/// The categories for the sign-up form: each parent category with its subcategories.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Group {
    name: String,
    choices: Vec<(i32, String)>,
}

impl Group {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

pub(crate) async fn category_groups(state: &AppState) -> Result<Vec<Group>, AppError> {
    use model::entities::category;
    use sea_orm::QueryOrder;
    let all = category::Entity::find()
        .order_by_asc(category::Column::Category)
        .order_by_asc(category::Column::Subcategory)
        .all(&state.db)
        .await?;
    let mut groups: Vec<Group> = Vec::new();
    for c in all {
        let parent = c.category.clone().unwrap_or_else(|| "Other".into());
        let name = c.category_friendly_name.or(c.subcategory).unwrap_or(c.nigp_codes);
        match groups.last_mut() {
            Some(g) if g.name == parent => g.choices.push((c.id, name)),
            _ => groups.push(Group { name: parent, choices: vec![(c.id, name)] }),
        }
    }
    Ok(groups)
}

fn form_of(pairs: &[(String, String)]) -> crate::signup::SignUp {
    let text = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let flag = |name: &str| pairs.iter().any(|(k, v)| k == name && !v.is_empty());
    crate::signup::SignUp {
        business_name: text("business_name"),
        email: text("email"),
        first_name: text("first_name"),
        last_name: text("last_name"),
        phone_number: text("phone_number"),
        fax_number: text("fax_number"),
        woman_owned: flag("woman_owned"),
        minority_owned: flag("minority_owned"),
        veteran_owned: flag("veteran_owned"),
        disadvantaged_owned: flag("disadvantaged_owned"),
        newsletter: flag("newsletter"),
        categories: pairs.iter().filter(|(k, _)| k == "category").filter_map(|(_, v)| v.parse().ok()).collect(),
    }
}

async fn sign_up_view(
    state: &AppState,
    viewer: &Viewer,
    pairs: &[(String, String)],
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let form = form_of(pairs);
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    let ctx = context! {
        groups => minijinja::value::Serde(category_groups(state).await?),
        errors => errors, fresh => pairs.is_empty(),
        v => context! {
            business_name => form.business_name, email => form.email, first_name => form.first_name,
            last_name => form.last_name, phone_number => form.phone_number, fax_number => form.fax_number,
            woman_owned => form.woman_owned, minority_owned => form.minority_owned, veteran_owned => form.veteran_owned,
            disadvantaged_owned => form.disadvantaged_owned, newsletter => form.newsletter, categories => form.categories,
        },
    };
    accounts::page_with_status(state, viewer, status, "beacon/sign_up.html", ctx)
}

pub async fn sign_up_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    sign_up_view(&state, &viewer, &[], Vec::new()).await
}

pub async fn sign_up(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = form_of(&pairs);
    let errors = crate::signup::problems(&state.db, &form).await?;
    if !errors.is_empty() {
        return sign_up_view(&state, &viewer, &pairs, errors).await;
    }
    let links = links(&state);
    let txn = platform::db::begin_write(&state.db).await?;
    // Over the limit nothing is done, and the page is the same.
    crate::signup::sign_up(&txn, &mailing(&state, &links), &form, &client, Utc::now()).await?;
    txn.commit().await?;
    let email = platform::mail::address(&form.email).unwrap_or_default();
    Ok(page(&state, &viewer, "beacon/check_email.html", context! { email, follow => None::<String> })?.into_response())
}

pub async fn confirm_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let v = signed_vendor(&state, id, &q.sig, Purpose::Confirm).await?;
    let ctx = context! {
        business => v.business_name, done => v.confirmed_at.is_some(),
        action => format!("/beacon/vendors/{id}/confirm?sig={}", q.sig),
    };
    Ok(page(&state, &viewer, "beacon/confirm.html", ctx)?.into_response())
}

pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(q): Query<Signed>,
) -> Result<Response, AppError> {
    let v = signed_vendor(&state, id, &q.sig, Purpose::Confirm).await?;
    let links = links(&state);
    let txn = platform::db::begin_write(&state.db).await?;
    crate::signup::confirm(&txn, &mailing(&state, &links), id, Utc::now()).await?;
    txn.commit().await?;
    let ctx = context! { business => v.business_name, done => true, action => "" };
    Ok(page(&state, &viewer, "beacon/confirm.html", ctx)?.into_response())
}

/// The public opportunity `id`, or 404: only what the public may see can be followed.
async fn followable(state: &AppState, id: i32) -> Result<model::entities::opportunity::Model, AppError> {
    let now = Utc::now();
    crate::lifecycle::visible(&state.db, None, id, now, state.config.site.today()).await?.ok_or(AppError::NotFound)
}

/// The follow form on a page of its own (where a refused request shows its errors).
async fn follow_form(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    pairs: &[(String, String)],
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    let o = followable(state, id).await?;
    let text = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    let ctx = context! {
        o => context! { id => o.id, title => o.title }, errors,
        v => context! { email => text("email"), business_name => text("business_name") },
    };
    accounts::page_with_status(state, viewer, status, "beacon/follow_form.html", ctx)
}

/// `GET /beacon/opportunities/{id}/follow`: the form alone.
pub async fn follow_form_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    follow_form(&state, &viewer, id, &[], Vec::new()).await
}

/// `POST /beacon/opportunities/{id}/follow`: "follow this opportunity" by email address; a form
/// error shows the form again with it.
pub async fn follow_request(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Path(id): Path<i32>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let text = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let o = followable(&state, id).await?;
    let links = links(&state);
    let txn = platform::db::begin_write(&state.db).await?;
    let (email, business) = (text("email"), text("business_name"));
    let outcome =
        crate::signup::follow(&txn, &mailing(&state, &links), id, &email, &business, &client, Utc::now()).await?;
    txn.commit().await?;
    match outcome {
        Ok(()) => {
            let email = platform::mail::address(&email).unwrap_or_default();
            let ctx = context! { email, follow => o.title };
            Ok(page(&state, &viewer, "beacon/check_email.html", ctx)?.into_response())
        }
        Err(errors) => follow_form(&state, &viewer, id, &pairs, errors).await,
    }
}

/// The signed follow link mailed to an existing vendor: a page with a button (GET), then the
/// follow itself (POST).
pub async fn follow_link_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, opportunity_id)): Path<(i32, i32)>,
    Query(q): Query<Signed>,
    method: axum::http::Method,
) -> Result<Response, AppError> {
    if !links(&state).verify_follow(id, opportunity_id, &q.sig) {
        return Err(AppError::NotFound);
    }
    let v = vendor::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let o = crate::lifecycle::visible(&state.db, None, opportunity_id, now, state.config.site.today())
        .await?
        .ok_or(AppError::NotFound)?;
    let done = method == axum::http::Method::POST;
    if done {
        let txn = platform::db::begin_write(&state.db).await?;
        crate::signup::add_follow(&txn, v.id, o.id).await?;
        txn.commit().await?;
    }
    let ctx = context! {
        business => v.business_name, title => o.title, done,
        action => format!("/beacon/vendors/{id}/follow/{opportunity_id}?sig={}", q.sig),
    };
    Ok(page(&state, &viewer, "beacon/follow.html", ctx)?.into_response())
}
