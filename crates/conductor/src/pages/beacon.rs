//! "Post to Beacon" (`post` is the service): `/conductor/items/{id}/beacon`, Beacon's
//! opportunity fields for a work item at a stage that posts opportunities (403 otherwise, on
//! both methods). The first save drafts the item's opportunity, later ones update it; it awaits
//! approval in Beacon like any staff draft. A refused form comes back (400) with what was typed.

use accounts::{CurrentUser, ServiceError, SignedIn, Viewer, page_with_status};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use beacon::lifecycle::Draft;
use chrono::Utc;
use minijinja::context;
use model::entities::{opportunity, opportunity_category, opportunity_required_document};
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{conductor_only, item_link, item_or_404};
use crate::post;
use crate::store::Item;

pub fn routes(routes: Routes) -> Routes {
    routes.get("/conductor/items/{id}/beacon", form).post("/conductor/items/{id}/beacon", save)
}

type Values = Vec<(String, String)>;

/// The item, if `me` may post it now (403 otherwise; 404 for no item).
async fn postable(state: &AppState, me: &CurrentUser, id: i32) -> Result<Item, AppError> {
    conductor_only(me)?;
    let item = item_or_404(&state.db, id).await?;
    if !post::may_post(&item) {
        return Err(accounts::Denied::Forbidden.into());
    }
    Ok(item)
}

/// The draft the form describes, read as Beacon's staff form reads it.
fn draft_of(state: &AppState, values: &Values, errors: &mut Values) -> Draft {
    beacon::read_draft(
        |name| super::field(values, name),
        |name| values.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.trim().parse().ok()).collect(),
        state.config.site.display_timezone,
        errors,
    )
}

/// Form values for the item's opportunity, or for a first post.
async fn values_of(state: &AppState, item: &Item) -> Result<Values, AppError> {
    let db = &state.db;
    let Some(o) = post::posted(db, &item.work).await? else {
        let d = post::defaults(db, &item.work).await?;
        let mut v = vec![("title".to_owned(), d.title), ("description".to_owned(), d.description)];
        v.extend(d.department_id.map(|id| ("department".to_owned(), id.to_string())));
        v.extend(d.contract_type_id.map(|id| ("contract_type".to_owned(), id.to_string())));
        v.push(("planned_publish".to_owned(), state.config.site.today().to_string()));
        return Ok(v);
    };
    let tz = state.config.site.display_timezone;
    let end = o.planned_submission_end.with_timezone(&tz);
    let mut v = vec![
        ("title".to_owned(), o.title.clone()),
        ("description".to_owned(), o.description.clone()),
        ("department".to_owned(), o.department_id.to_string()),
        ("contract_type".to_owned(), o.contract_type_id.to_string()),
        ("planned_publish".to_owned(), o.planned_publish.to_string()),
        ("planned_submission_start".to_owned(), o.planned_submission_start.to_string()),
        ("planned_submission_end".to_owned(), end.date_naive().to_string()),
        ("planned_submission_end_time".to_owned(), end.format("%H:%M").to_string()),
    ];
    if let Some(contact) = o.contact_id
        && let Some(user) = model::entities::user::Entity::find_by_id(contact).one(db).await?
    {
        v.push(("contact".to_owned(), user.email));
    }
    let categories = opportunity_category::Entity::find()
        .filter(opportunity_category::Column::OpportunityId.eq(o.id))
        .all(db)
        .await?;
    v.extend(categories.into_iter().map(|c| ("category".to_owned(), c.category_id.to_string())));
    let documents = opportunity_required_document::Entity::find()
        .filter(opportunity_required_document::Column::OpportunityId.eq(o.id))
        .all(db)
        .await?;
    v.extend(documents.into_iter().map(|d| ("required_document".to_owned(), d.required_document_id.to_string())));
    Ok(v)
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    item: &Item,
    values: &Values,
    errors: &Values,
    status: StatusCode,
) -> Result<Response, AppError> {
    let text = |name: &str| super::typed(values, name);
    let ids = |name: &str| -> Vec<i32> {
        values.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let existing = post::posted(&state.db, &item.work).await?;
    let title = model::entities::contract::Entity::find_by_id(item.work.contract_id)
        .one(&state.db)
        .await?
        .and_then(|c| c.description)
        .unwrap_or_else(|| format!("Item #{}", item.work.id));
    let ctx = context! {
        item => context! { id => item.work.id, title, link => item_link(item.work.id) },
        existing => existing.as_ref().map(|o: &opportunity::Model| context! {
            id => o.id, title => &o.title, public => o.is_public,
        }),
        v => context! {
            title => text("title"), description => text("description"), department => text("department"),
            contract_type => text("contract_type"), planned_publish => text("planned_publish"),
            planned_submission_start => text("planned_submission_start"),
            planned_submission_end => text("planned_submission_end"),
            planned_submission_end_time => text("planned_submission_end_time"),
            categories => ids("category"), required_documents => ids("required_document"),
            contact => text("contact"),
        },
        errors => errors.clone(),
        choices => beacon::form_choices(state).await?,
    };
    page_with_status(state, viewer, status, "conductor/beacon.html", ctx)
}

pub async fn form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let item = postable(&state, &me, id).await?;
    let values = values_of(&state, &item).await?;
    form_page(&state, &viewer, &item, &values, &Vec::new(), StatusCode::OK).await
}

pub async fn save(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(values): Form<Values>,
) -> Result<Response, AppError> {
    let item = postable(&state, &me, id).await?;
    let mut errors = Values::new();
    let draft = draft_of(&state, &values, &mut errors);
    if !errors.is_empty() {
        return form_page(&state, &viewer, &item, &values, &errors, StatusCode::BAD_REQUEST).await;
    }
    let links = beacon::links::VendorLinks::new(&state.secret, state.config.site.app_url.clone());
    let mail = beacon::notify::Mailing { templates: &state.templates, config: &state.config, links: &links };
    let txn = platform::db::begin_write(&state.db).await?;
    let posted = match post::post(&txn, Some(&me), id, &draft, &mail, Utc::now()).await {
        Ok(posted) => posted,
        Err(ServiceError::Invalid(problems)) => {
            txn.rollback().await?;
            let errors: Values = problems.into_iter().map(|(f, m)| (f.to_owned(), m)).collect();
            return form_page(&state, &viewer, &item, &values, &errors, StatusCode::BAD_REQUEST).await;
        }
        Err(e) => {
            txn.rollback().await?;
            return Err(e.into());
        }
    };
    let o = &posted.opportunity;
    let action = if posted.created { "create" } else { "update" };
    let details = [("Posted from Conductor", item_link(id))];
    admin::audit::record_action(&txn, Some(me.id), action, "opportunities", o.id, &o.title, &details).await?;
    txn.commit().await?;
    let staff_page = format!("/beacon/admin/{}", o.id);
    let said = if posted.created {
        format!("Created the Beacon opportunity “{}”: it awaits approval on its Beacon page, {staff_page}", o.title)
    } else {
        format!("Updated the Beacon opportunity “{}” (its Beacon page: {staff_page})", o.title)
    };
    viewer.set_flash(accounts::Flash::success(said)).await?;
    Ok(Redirect::to(&item_link(id)).into_response())
}
