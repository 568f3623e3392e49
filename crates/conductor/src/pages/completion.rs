//! The completion wizard's pages (`completion` is the service): `/conductor/items/{id}/finish/`
//! `contract`, `companies` and `contacts`, each a form that re-renders with its errors (400)
//! or saves the draft and goes on (303); the last one finishes the work in one transaction and
//! shows `/conductor/items/{id}/finished`. No JavaScript: "Add more rows" and "Add a contact"
//! are submit buttons that re-render the form with room for more. Step 1's "Revert to the last
//! stage" reopens the flow's last stage (`transitions::revert`).
//!
//! A finished item's wizard pages lead to its success page (a double submit lands there too).

use accounts::{CurrentUser, ServiceError, SignedIn, Viewer, page_with_status};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{company, contract};
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{conductor_only, item_link, item_or_404, typed};
use crate::completion::{
    self, CompanyRow, ContactRow, ContractStep, Holder, Problems, ServiceOr, Wizard, check_companies_in,
    check_contacts, check_details, contact_order,
};
use crate::store::Item;
use crate::transitions;
use crate::workflow::machine;

pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/conductor/items/{id}/finish/contract", contract_form)
        .post("/conductor/items/{id}/finish/contract", contract_save)
        .get("/conductor/items/{id}/finish/companies", companies_form)
        .post("/conductor/items/{id}/finish/companies", companies_save)
        .get("/conductor/items/{id}/finish/contacts", contacts_form)
        .post("/conductor/items/{id}/finish/contacts", contacts_save)
        .post("/conductor/items/{id}/finish/revert", revert)
        .get("/conductor/items/{id}/finished", finished)
}

/// Step 1's address: where a finished flow leads.
pub fn wizard_link(id: i32) -> String {
    format!("/conductor/items/{id}/finish/contract")
}

fn step_link(id: i32, step: &str) -> String {
    format!("/conductor/items/{id}/finish/{step}")
}

fn finished_link(id: i32) -> String {
    format!("/conductor/items/{id}/finished")
}

/// Company rows step 2 offers (and adds with "Add more rows").
const ROWS: usize = 4;
/// The most company rows or contacts a form may ask for.
const MOST: usize = 200;

/// The wizard for item `id`, or where the browser should go instead: a completed item's
/// success page. 404 and 409 as the service says.
async fn opened(state: &AppState, me: &CurrentUser, id: i32) -> Result<Result<(Item, Wizard), Response>, AppError> {
    match completion::open(&state.db, Some(me), id).await {
        Ok(open) => Ok(Ok(open)),
        Err(ServiceError::Conflict(m)) if m == completion::ALREADY_COMPLETED => {
            Ok(Err(Redirect::to(&finished_link(id)).into_response()))
        }
        Err(e) => Err(e.into()),
    }
}

fn count(pairs: &[(String, String)], name: &str) -> usize {
    typed(pairs, name).trim().parse::<usize>().unwrap_or(0).min(MOST)
}

async fn title_of(state: &AppState, item: &Item) -> Result<String, AppError> {
    let c = contract::Entity::find_by_id(item.work.contract_id).one(&state.db).await?;
    Ok(c.and_then(|c| c.description).unwrap_or_else(|| format!("Item #{}", item.work.id)))
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    viewer: &Viewer,
    item: &Item,
    template: &str,
    step: u8,
    errors: &Problems,
    status: StatusCode,
    ctx: minijinja::Value,
) -> Result<Response, AppError> {
    let last_stage = item.stages.last().map(|s| s.name.clone()).unwrap_or_default();
    let ctx = context! {
        item => context! { id => item.work.id, title => title_of(state, item).await?, link => item_link(item.work.id) },
        step, last_stage, errors => errors.clone(),
        ..ctx
    };
    page_with_status(state, viewer, status, template, ctx)
}

// Step 1

async fn contract_page(
    state: &AppState,
    viewer: &Viewer,
    item: &Item,
    v: &ContractStep,
    errors: &Problems,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ctx = context! { v => Serde(v) };
    render(state, viewer, item, "conductor/finish_contract.html", 1, errors, status, ctx).await
}

pub async fn contract_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let (item, wizard) = match opened(&state, &me, id).await? {
        Ok(open) => open,
        Err(elsewhere) => return Ok(elsewhere),
    };
    contract_page(&state, &viewer, &item, &wizard.contract, &Vec::new(), StatusCode::OK).await
}

pub async fn contract_save(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let (item, mut wizard) = match opened(&state, &me, id).await? {
        Ok(open) => open,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let step = ContractStep {
        description: typed(&pairs, "description"),
        expiration: typed(&pairs, "expiration"),
        spec_number: typed(&pairs, "spec_number"),
        link: typed(&pairs, "link"),
    };
    if let Err(problems) = check_details(&step) {
        return contract_page(&state, &viewer, &item, &step, &problems, StatusCode::BAD_REQUEST).await;
    }
    wizard.contract = step;
    wizard.contract_done = true;
    let txn = platform::db::begin_write(&state.db).await?;
    completion::save(&txn, Some(&me), id, &wizard, Utc::now()).await?;
    txn.commit().await?;
    Ok(Redirect::to(&step_link(id, "companies")).into_response())
}

/// "Revert to the last stage": the flow's last stage is current again, entered now.
pub async fn revert(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let item = item_or_404(&state.db, id).await?;
    // Only from the wizard: a finished flow, still in progress.
    if item.work.status != model::entities::work_item::IN_PROGRESS
        || item.progress().state() != machine::State::Finished
    {
        return Err(AppError::Conflict(completion::NOT_FINISHED.into()));
    }
    let Some(last) = item.rows.len().checked_sub(1) else { return Err(AppError::NotFound) };
    let now = Utc::now();
    let txn = platform::db::begin_write(&state.db).await?;
    transitions::revert(&txn, Some(&me), id, last, now, now).await?;
    txn.commit().await?;
    let stage = item.stage_name(last);
    viewer.set_flash(accounts::Flash::success(format!("Reopened “{stage}”: it is the current stage again."))).await?;
    Ok(Redirect::to(&item_link(id)).into_response())
}

// Step 2

#[derive(Debug, Serialize)]
struct RowView {
    i: usize,
    company_id: Option<i32>,
    new_name: String,
    controller_number: String,
}

async fn companies_page(
    state: &AppState,
    viewer: &Viewer,
    item: &Item,
    rows: &[CompanyRow],
    shown: usize,
    errors: &Problems,
    status: StatusCode,
) -> Result<Response, AppError> {
    let shown = shown.max(rows.len()).clamp(1, MOST);
    let views: Vec<RowView> = (0..shown)
        .map(|i| {
            let r = rows.get(i).cloned().unwrap_or_default();
            RowView { i, company_id: r.company_id, new_name: r.new_name, controller_number: r.controller_number }
        })
        .collect();
    let choices: Vec<(i32, String)> = company::Entity::find()
        .order_by_asc(company::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let ctx = context! { rows => Serde(&views), count => shown, choices };
    render(state, viewer, item, "conductor/finish_companies.html", 2, errors, status, ctx).await
}

/// The rows the form posted.
fn company_rows(pairs: &[(String, String)]) -> Vec<CompanyRow> {
    (0..count(pairs, "rows"))
        .map(|i| CompanyRow {
            company_id: typed(pairs, &completion::company_field(i, "company_id")).trim().parse().ok(),
            new_name: typed(pairs, &completion::company_field(i, "new_name")),
            controller_number: typed(pairs, &completion::company_field(i, "controller_number")),
        })
        .collect()
}

pub async fn companies_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let (item, wizard) = match opened(&state, &me, id).await? {
        Ok(open) => open,
        Err(elsewhere) => return Ok(elsewhere),
    };
    if !wizard.contract_done {
        return Ok(Redirect::to(&step_link(id, "contract")).into_response());
    }
    let shown = wizard.companies.len().max(ROWS);
    companies_page(&state, &viewer, &item, &wizard.companies, shown, &Vec::new(), StatusCode::OK).await
}

pub async fn companies_save(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let (item, mut wizard) = match opened(&state, &me, id).await? {
        Ok(open) => open,
        Err(elsewhere) => return Ok(elsewhere),
    };
    if !wizard.contract_done {
        return Ok(Redirect::to(&step_link(id, "contract")).into_response());
    }
    let rows = company_rows(&pairs);
    if pairs.iter().any(|(k, _)| k == "add_rows") {
        let shown = rows.len() + ROWS;
        return companies_page(&state, &viewer, &item, &rows, shown, &Vec::new(), StatusCode::OK).await;
    }
    let holdings = match check_companies_in(&state.db, &rows).await {
        Ok(h) => h,
        Err(ServiceOr::Problems(problems)) => {
            return companies_page(&state, &viewer, &item, &rows, rows.len(), &problems, StatusCode::BAD_REQUEST).await;
        }
        Err(ServiceOr::Service(e)) => return Err(e.into()),
    };
    let contacts = completion::contacts_for(&state.db, &wizard, &holdings).await?;
    wizard.companies = rows.into_iter().filter(|r| !r.is_blank()).collect();
    wizard.companies_done = true;
    wizard.contacts = contacts;
    let txn = platform::db::begin_write(&state.db).await?;
    completion::save(&txn, Some(&me), id, &wizard, Utc::now()).await?;
    txn.commit().await?;
    Ok(Redirect::to(&step_link(id, "contacts")).into_response())
}

// Step 3

#[derive(Debug, Serialize)]
struct CompanyContacts {
    c: usize,
    name: String,
    controller_number: String,
    contacts: Vec<(usize, ContactRow)>,
}

#[allow(clippy::too_many_arguments)]
async fn contacts_page(
    state: &AppState,
    viewer: &Viewer,
    item: &Item,
    wizard: &Wizard,
    contacts: &[Vec<ContactRow>],
    errors: &Problems,
    status: StatusCode,
) -> Result<Response, AppError> {
    let holdings = match check_companies_in(&state.db, &wizard.companies).await {
        Ok(h) => h,
        Err(ServiceOr::Service(e)) => return Err(e.into()),
        Err(ServiceOr::Problems(_)) => Vec::new(),
    };
    let ids: Vec<i32> = holdings
        .iter()
        .filter_map(|h| match h.holder {
            Holder::Existing(id) => Some(id),
            Holder::New(_) => None,
        })
        .collect();
    let names = company::Entity::find().filter(company::Column::Id.is_in(ids)).all(&state.db).await?;
    let listed: Vec<CompanyContacts> = contact_order(&holdings)
        .into_iter()
        .map(|c| {
            let h = &holdings[c];
            let name = match &h.holder {
                Holder::Existing(id) => names.iter().find(|n| n.id == *id).map(|n| n.name.clone()).unwrap_or_default(),
                Holder::New(name) => name.clone(),
            };
            let rows =
                contacts.get(c).cloned().filter(|r| !r.is_empty()).unwrap_or_else(|| vec![ContactRow::default()]);
            CompanyContacts {
                c,
                name,
                controller_number: h.controller.clone(),
                contacts: rows.into_iter().enumerate().collect(),
            }
        })
        .collect();
    let ctx = context! { companies => Serde(&listed), fields => ContactRow::FIELDS };
    render(state, viewer, item, "conductor/finish_contacts.html", 3, errors, status, ctx).await
}

/// The contacts the form posted, per company.
fn contact_rows(pairs: &[(String, String)], companies: usize) -> Vec<Vec<ContactRow>> {
    (0..companies)
        .map(|c| {
            (0..count(pairs, &format!("contacts-{c}")))
                .map(|k| {
                    let mut row = ContactRow::default();
                    for field in ContactRow::FIELDS {
                        if let Some(slot) = row.field_mut(field) {
                            *slot = typed(pairs, &completion::contact_field(c, k, field));
                        }
                    }
                    row
                })
                .collect()
        })
        .collect()
}

pub async fn contacts_form(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let (item, wizard) = match opened(&state, &me, id).await? {
        Ok(open) => open,
        Err(elsewhere) => return Ok(elsewhere),
    };
    if !wizard.contract_done || !wizard.companies_done {
        return Ok(Redirect::to(&step_link(id, "companies")).into_response());
    }
    contacts_page(&state, &viewer, &item, &wizard, &wizard.contacts, &Vec::new(), StatusCode::OK).await
}

pub async fn contacts_save(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let (item, mut wizard) = match opened(&state, &me, id).await? {
        Ok(open) => open,
        Err(elsewhere) => return Ok(elsewhere),
    };
    if !wizard.contract_done || !wizard.companies_done {
        return Ok(Redirect::to(&step_link(id, "companies")).into_response());
    }
    let mut contacts = contact_rows(&pairs, wizard.contacts.len());
    if let Some(c) = typed(&pairs, "add_contact").trim().parse::<usize>().ok().filter(|c| *c < contacts.len()) {
        if contacts[c].len() < MOST {
            contacts[c].push(ContactRow::default());
        }
        return contacts_page(&state, &viewer, &item, &wizard, &contacts, &Vec::new(), StatusCode::OK).await;
    }
    let problems = check_contacts(&contacts);
    if !problems.is_empty() {
        return contacts_page(&state, &viewer, &item, &wizard, &contacts, &problems, StatusCode::BAD_REQUEST).await;
    }
    wizard.contacts = contacts;
    let outbox = crate::emails::Mailing::of(&state);
    let now = Utc::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let done = async {
        completion::save(&txn, Some(&me), id, &wizard, now).await?;
        completion::finish(&txn, Some(&me), id, &outbox, now).await
    };
    match done.await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to(&finished_link(id)).into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            // Someone (or a double submit) finished it meanwhile: show what it made.
            if completion::successors(&state.db, Some(&me), id).await?.is_some() {
                return Ok(Redirect::to(&finished_link(id)).into_response());
            }
            Err(e.into())
        }
    }
}

// Done

#[derive(Debug, Serialize)]
struct Card {
    id: i32,
    description: String,
    controller_number: Option<String>,
    expiration: Option<String>,
    link: String,
}

pub async fn finished(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let Some(made) = completion::successors(&state.db, Some(&me), id).await? else {
        return Ok(Redirect::to(&wizard_link(id)).into_response());
    };
    let cards: Vec<Card> = made
        .into_iter()
        .map(|c| Card {
            id: c.id,
            description: c.description.unwrap_or_default(),
            controller_number: c.financial_id,
            expiration: c.expiration_date.map(|d| d.format("%B %-d, %Y").to_string()),
            link: format!("/scout/contracts/{}", c.id),
        })
        .collect();
    let ctx = context! { id, cards => Serde(&cards), link => item_link(id) };
    page_with_status(&state, &viewer, StatusCode::OK, "conductor/finish_done.html", ctx)
}
