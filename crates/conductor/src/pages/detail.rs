//! One work item `/conductor/items/{id}`: its flow's stages with the time each took against
//! its target, the activity stream (filterable, newest first), and every change a user makes to
//! it: completing the current stage, going back to an earlier one, moving the start, switching
//! flow, extending the renewed contract, notes, details, removing, restoring and killing.
//!
//! Each change is a POST that runs one service in one transaction. A refused form renders the
//! page again (400, the form's values kept, the errors summarised at the top); a colleague's
//! change in between (the services' guarded updates) renders it with that message (409), so
//! nothing is half-done and nobody's input is lost.

use accounts::{Action, CurrentUser, Resource, ServiceError, SignedIn, Viewer, page_with_status};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::context;
use minijinja::value::Serde;
use model::entities::{contract, flow, opportunity, work_item, work_item_activity, work_item_file};
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::{Pairs, conductor_only, field, form_errors, item_link, item_or_404, local_input, local_words, parse_local};
use crate::activity::{Activity, Filter};
use crate::colours::{Tone, days_tone, expiry_tone};
use crate::metadata::SPEC_NUMBER;
use crate::workflow::machine::State as FlowState;

pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/conductor/items/{id}", detail)
        .post("/conductor/items/{id}/stage/complete", complete)
        .post("/conductor/items/{id}/stage/revert", revert)
        .post("/conductor/items/{id}/start-time", move_start)
        .post("/conductor/items/{id}/flow", switch_flow)
        .post("/conductor/items/{id}/extend", extend)
        .post("/conductor/items/{id}/notes", add_note)
        .post("/conductor/items/{id}/notes/{entry}/delete", delete_note)
        .post("/conductor/items/{id}/details", details)
        .post("/conductor/items/{id}/remove", remove)
        .post("/conductor/items/{id}/restore", restore)
        .post("/conductor/items/{id}/kill", kill)
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    /// The stream's filter (`notes`, `emails`, …); anything else shows everything.
    #[serde(default)]
    show: Option<String>,
}

/// One stage of the item's flow, as the rail shows it.
#[derive(Debug, Serialize)]
struct StageLine {
    position: usize,
    name: String,
    target_days: Option<i32>,
    /// done, current or future.
    state: &'static str,
    entered: Option<String>,
    exited: Option<String>,
    took: Option<String>,
    pace: Tone,
    /// For the revert form: the earliest time it may be entered again.
    min: Option<String>,
}

/// A file kept with the item.
#[derive(Debug, Serialize)]
struct FileLine {
    id: i64,
    name: String,
    size: i64,
}

/// One entry of the activity stream.
#[derive(Debug, Serialize)]
struct Entry {
    id: i64,
    label: String,
    filter: Option<Filter>,
    lines: Vec<String>,
    note: Option<String>,
    who: String,
    when: String,
    deleted: bool,
    may_delete: bool,
    superseded: bool,
    opportunity_id: Option<i32>,
}

/// "Took 3.5 days" / "Took 5 hours" for a stay of `seconds`.
fn took(seconds: i64) -> String {
    if seconds < 86_400 {
        let hours = seconds / 3_600;
        if hours == 1 { "1 hour".to_owned() } else { format!("{hours} hours") }
    } else {
        #[allow(clippy::cast_precision_loss)] // days of a human workflow
        let days = (seconds as f64 / 8_640.0).round() / 10.0;
        if (days - 1.0).abs() < f64::EPSILON { "1 day".to_owned() } else { format!("{days} days") }
    }
}

fn who(e: &work_item_activity::Model) -> String {
    e.taken_by_name.clone().unwrap_or_else(|| if e.taken_by.is_some() { "a user".into() } else { "former user".into() })
}

fn entry_lines(a: &Activity, tz: chrono_tz::Tz) -> Vec<String> {
    match a {
        Activity::UpdateEmail { to, cc, attachments, .. } => {
            let mut lines = vec![format!("To: {}", to.join("; "))];
            if !cc.is_empty() {
                lines.push(format!("Cc: {}", cc.join("; ")));
            }
            if !attachments.is_empty() {
                lines.push(format!("Attached: {}", attachments.join(", ")));
            }
            lines
        }
        Activity::Metadata { changes } => changes
            .iter()
            .map(|(name, value)| match value {
                Some(v) => format!("{name}: {v}"),
                None => format!("{name}: cleared"),
            })
            .collect(),
        Activity::Extension { previous_expiration, .. } => {
            previous_expiration.map(|p| vec![format!("It expired {}.", p.format("%B %-d, %Y"))]).unwrap_or_default()
        }
        Activity::Entered { at, .. } | Activity::Exited { at, .. } | Activity::Reversion { at, .. } => {
            vec![format!("At {}", local_words(tz, *at))]
        }
        Activity::Assigned { previous: Some(p), .. } => vec![format!("Before: {p}")],
        _ => Vec::new(),
    }
}

/// What the page shows besides the item: errors, the values of a refused form.
#[derive(Default)]
struct Shown {
    errors: Vec<(String, String)>,
    values: Vec<(String, String)>,
    filter: Option<String>,
}

/// The request a page answers: who asks, about which item.
struct On<'a> {
    state: &'a AppState,
    viewer: &'a Viewer,
    me: &'a CurrentUser,
    id: i32,
}

async fn render(on: &On<'_>, shown: Shown, status: StatusCode) -> Result<Response, AppError> {
    let (state, viewer, me, id) = (on.state, on.viewer, on.me, on.id);
    let db = &state.db;
    let tz = state.config.site.display_timezone;
    let now = Utc::now();
    let today = state.config.site.today();
    let item = item_or_404(db, id).await?;
    let work = &item.work;
    let successor = contract::Entity::find_by_id(work.contract_id).one(db).await?.ok_or(AppError::NotFound)?;
    let parent = match work.parent_id {
        Some(p) => contract::Entity::find_by_id(p).one(db).await?,
        None => None,
    };
    let spec_of = |contract_id: i32| async move {
        Ok::<_, AppError>(
            model::entities::contract_property::Entity::find()
                .filter(model::entities::contract_property::Column::ContractId.eq(contract_id))
                .all(db)
                .await?
                .into_iter()
                .find(|p| p.key.eq_ignore_ascii_case(SPEC_NUMBER))
                .and_then(|p| p.value),
        )
    };
    let own_spec = spec_of(successor.id).await?;
    let parent_spec = match &parent {
        Some(p) => spec_of(p.id).await?,
        None => None,
    };
    let flow = flow::Entity::find_by_id(work.flow_id).one(db).await?;
    let assignee = match work.assignee_id {
        Some(a) => model::entities::user::Entity::find_by_id(a).one(db).await?.map(|u| u.email),
        None => None,
    };
    let progress = item.progress();
    let flow_state = progress.state();
    let current = match flow_state {
        FlowState::AtStage(i) => Some(i),
        _ => None,
    };
    let stages: Vec<StageLine> = item
        .stages
        .iter()
        .zip(&progress.stages)
        .enumerate()
        .map(|(i, (stage, times))| {
            let state = match (times.entered, times.exited) {
                (Some(_), Some(_)) => "done",
                (Some(_), None) => "current",
                _ => "future",
            };
            let seconds = times.entered.map(|e| (times.exited.unwrap_or(now) - e).num_seconds().max(0));
            StageLine {
                position: i,
                name: stage.name.clone(),
                target_days: stage.target_days,
                state,
                entered: times.entered.map(|t| local_words(tz, t)),
                exited: times.exited.map(|t| local_words(tz, t)),
                took: seconds.map(took),
                pace: if state == "current" { days_tone(times.entered, stage.target_days, now) } else { Tone::Calm },
                min: times.entered.map(|t| local_input(tz, t)),
            }
        })
        .collect();
    let current_stage = current.and_then(|i| item.stages.get(i));
    let entries = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(id))
        .order_by_desc(work_item_activity::Column::TakenAt)
        .order_by_desc(work_item_activity::Column::Id)
        .all(db)
        .await?;
    let wanted = shown.filter.as_deref();
    let stream: Vec<Entry> = entries
        .iter()
        .filter_map(|e| {
            let activity = Activity::read(&e.kind, &e.detail);
            let filter = activity.as_ref().map(Activity::filter);
            let filter_name =
                filter.and_then(|f| serde_json::to_value(f).ok()).and_then(|v| v.as_str().map(str::to_owned));
            if wanted.is_some_and(|w| filter_name.as_deref() != Some(w)) {
                return None;
            }
            let note = match &activity {
                Some(Activity::Note { text }) => Some(text.clone()),
                Some(Activity::UpdateEmail { body, .. }) => Some(body.clone()),
                _ => None,
            };
            let own = e.taken_by == Some(me.id);
            Some(Entry {
                id: e.id,
                label: activity.as_ref().map_or_else(|| "An entry of an earlier version".to_owned(), Activity::label),
                lines: activity.as_ref().map(|a| entry_lines(a, tz)).unwrap_or_default(),
                note: if e.deleted_at.is_some() { None } else { note },
                who: who(e),
                when: local_words(tz, e.taken_at),
                deleted: e.deleted_at.is_some(),
                may_delete: e.deleted_at.is_none()
                    && accounts::can(
                        Some(me),
                        Action::Delete,
                        Resource::WorkItemEntry { note: e.kind == work_item_activity::NOTE, own },
                    ),
                superseded: e.superseded_at.is_some(),
                opportunity_id: match &activity {
                    Some(Activity::BeaconPost { opportunity_id, .. }) => Some(*opportunity_id),
                    _ => None,
                },
                filter,
            })
        })
        .collect();
    let switchable: Vec<(i32, String)> =
        crate::flows::switchable(db, work).await?.into_iter().map(|f| (f.id, f.name)).collect();
    let departments = accounts::users::departments(db).await?;
    let dept =
        work.department_id.and_then(|d| departments.iter().find(|(id, _)| *id == d)).map(|(_, name)| name.clone());
    let opportunity = opportunity::Entity::find()
        .filter(opportunity::Column::CreatedFromId.eq(work.contract_id))
        .one(db)
        .await?
        .map(|o| context! { id => o.id, title => o.title });
    let files = stored_files(db, id).await?;
    let v = |name: &str| field(&shown.values, name);
    let in_progress = work.status == work_item::IN_PROGRESS;
    let ctx = context! {
        item => context! {
            id, status => &work.status, in_progress,
            description => successor.description.clone().unwrap_or_default(),
            contract_id => successor.id,
            controller_number => successor.financial_id.clone(),
            spec => own_spec.clone().or(parent_spec.clone()),
            inherited => own_spec.is_none() && parent_spec.is_some(),
            own_spec,
            flow => flow.map(|f| f.name),
            department => dept,
            assignee,
            finished => flow_state == FlowState::Finished,
            current_stage_id => work.current_stage_id,
        },
        parent => parent.as_ref().map(|p| context! {
            id => p.id,
            description => p.description.clone().unwrap_or_default(),
            expires => p.expiration_date.map(|d| d.format("%B %-d, %Y").to_string()),
            expiry => Serde(expiry_tone(p.expiration_date, today)),
            expiration_input => p.expiration_date.map(|d| d.to_string()),
        }),
        stages => Serde(stages),
        current => current_stage.map(|s| context! {
            id => s.id,
            position => current,
            name => &s.name,
            post_opportunities => s.post_opportunities,
        }),
        now_input => local_input(tz, now),
        stream => Serde(stream),
        show => wanted,
        switchable, departments, opportunity,
        files => Serde(files),
        errors => shown.errors,
        v => context! { note => v("note"), controller_number => v("controller_number"),
                        spec_number => v("spec_number"), expiration => v("expiration") },
        timezone => tz.name(),
    };
    Ok(page_with_status(state, viewer, status, "conductor/detail.html", ctx)?.into_response())
}

/// The files kept with the item (update emails' attachments), oldest first.
async fn stored_files(db: &impl sea_orm::ConnectionTrait, id: i32) -> Result<Vec<FileLine>, AppError> {
    let links = work_item_file::Entity::find()
        .filter(work_item_file::Column::WorkItemId.eq(id))
        .order_by_asc(work_item_file::Column::Id)
        .all(db)
        .await?;
    let mut files = Vec::with_capacity(links.len());
    for link in links {
        if let Some(f) = platform::files::find(db, link.file_id).await? {
            files.push(FileLine { id: f.id, name: f.filename, size: f.size });
        }
    }
    Ok(files)
}

pub async fn detail(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let shown = Shown { filter: query.show.filter(|s| !s.is_empty()), ..Shown::default() };
    render(&On { state: &state, viewer: &viewer, me: &me, id }, shown, StatusCode::OK).await
}

/// Commits what a service did and goes back to the page with `said`; or, refused, renders the
/// page again with why (the transaction is dropped, so nothing is kept).
async fn finish<T>(
    on: &On<'_>,
    txn: platform::db::WriteTxn,
    result: Result<T, ServiceError>,
    said: impl FnOnce(&T) -> String,
    values: Vec<(String, String)>,
) -> Result<Response, AppError> {
    match result {
        Ok(done) => {
            txn.commit().await?;
            on.viewer.set_flash(accounts::Flash::success(said(&done))).await?;
            Ok(Redirect::to(&item_link(on.id)).into_response())
        }
        Err(ServiceError::Conflict(message)) => {
            drop(txn);
            let shown = Shown { errors: vec![(String::new(), message)], values, filter: None };
            render(on, shown, StatusCode::CONFLICT).await
        }
        Err(e) => {
            drop(txn);
            let errors = form_errors(e)?;
            render(on, Shown { errors, values, filter: None }, StatusCode::BAD_REQUEST).await
        }
    }
}

/// A refused form field before any service ran.
async fn refuse(on: &On<'_>, field: &str, message: &str, values: Vec<(String, String)>) -> Result<Response, AppError> {
    let shown = Shown { errors: vec![(field.to_owned(), message.to_owned())], values, filter: None };
    render(on, shown, StatusCode::BAD_REQUEST).await
}

/// Whether the item is still at the stage the page showed (the form's `stage`, when it says):
/// a button that named a stage must not act on the next one because a colleague moved the
/// work meanwhile. The services' guards cover two requests reading the same state at once;
/// this covers the one that reads after the other committed.
async fn still_at(
    txn: &DatabaseTransaction,
    id: i32,
    pairs: &[(String, String)],
) -> Result<Result<(), ServiceError>, AppError> {
    let Ok(shown) = field(pairs, "stage").parse::<i32>() else { return Ok(Ok(())) };
    let now_at = work_item::Entity::find_by_id(id).one(txn).await?.and_then(|w| w.current_stage_id);
    Ok(if now_at == Some(shown) {
        Ok(())
    } else {
        Err(ServiceError::Conflict(crate::store::CHANGED_MEANWHILE.to_owned()))
    })
}

/// A time field (display zone), `now` when blank.
fn time_field(state: &AppState, pairs: &[(String, String)], name: &str) -> Result<DateTime<Utc>, &'static str> {
    Ok(parse_local(state.config.site.display_timezone, &field(pairs, name))?.unwrap_or_else(Utc::now))
}

pub async fn complete(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let at = match time_field(&state, &pairs, "at") {
        Ok(at) => at,
        Err(m) => return refuse(&on, "at", m, pairs).await,
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = match still_at(&txn, id, &pairs).await? {
        Ok(()) => crate::transitions::complete(&txn, Some(&me), id, at, Utc::now()).await,
        Err(meanwhile) => Err(meanwhile),
    };
    if let Ok(FlowState::Finished) = result {
        txn.commit().await?;
        viewer
            .set_flash(accounts::Flash::success("Every stage is complete: record the new contract to finish."))
            .await?;
        return Ok(Redirect::to(&format!("/conductor/items/{id}/finish/contract")).into_response());
    }
    finish(&on, txn, result, |_| "Stage completed.".to_owned(), pairs).await
}

pub async fn revert(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let Ok(position) = field(&pairs, "position").parse::<usize>() else {
        return refuse(&on, "position", "Choose the stage to go back to.", pairs).await;
    };
    let at = match time_field(&state, &pairs, "at") {
        Ok(at) => at,
        Err(m) => return refuse(&on, "at", m, pairs).await,
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = match still_at(&txn, id, &pairs).await? {
        Ok(()) => crate::transitions::revert(&txn, Some(&me), id, position, at, Utc::now()).await,
        Err(meanwhile) => Err(meanwhile),
    };
    finish(&on, txn, result, |_| "Went back to an earlier stage.".to_owned(), pairs).await
}

pub async fn move_start(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let at = match parse_local(state.config.site.display_timezone, &field(&pairs, "start")) {
        Ok(Some(at)) => at,
        Ok(None) => return refuse(&on, "start", "Enter when work began.", pairs).await,
        Err(m) => return refuse(&on, "start", m, pairs).await,
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::transitions::move_start(&txn, Some(&me), id, at, Utc::now()).await;
    finish(&on, txn, result, |_| "Changed when work began.".to_owned(), pairs).await
}

pub async fn switch_flow(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let Ok(flow_id) = field(&pairs, "flow").parse::<i32>() else {
        return refuse(&on, "flow", "Choose another active flow.", pairs).await;
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::flows::switch(&txn, Some(&me), id, flow_id, Utc::now()).await;
    let said = |_: &()| "Moved to the new flow; its first stage starts now.".to_owned();
    finish(&on, txn, result, said, pairs).await
}

pub async fn extend(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let Ok(expiration) = NaiveDate::parse_from_str(&field(&pairs, "expiration"), "%Y-%m-%d") else {
        return refuse(&on, "expiration", "Enter the new expiration date.", pairs).await;
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::flows::extend(&txn, Some(&me), id, expiration, Utc::now()).await;
    let said = move |_: &()| format!("Extended the current contract to {}.", expiration.format("%B %-d, %Y"));
    finish(&on, txn, result, said, pairs).await
}

pub async fn add_note(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::notes::add(&txn, Some(&me), id, &field(&pairs, "note"), Utc::now()).await;
    finish(&on, txn, result, |_| "Note added.".to_owned(), pairs).await
}

pub async fn delete_note(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path((id, entry)): Path<(i32, i64)>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::notes::delete(&txn, Some(&me), id, entry, Utc::now()).await;
    if let Err(ServiceError::Denied(d)) = result {
        return Err(d.into());
    }
    finish(&on, txn, result, |_| "Note deleted.".to_owned(), Vec::new()).await
}

pub async fn details(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
    axum::Form(pairs): Pairs,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let given = |name: &str| Some(field(&pairs, name)).filter(|v| !v.is_empty());
    let details = crate::metadata::Details {
        controller_number: given("controller_number"),
        spec_number: given("spec_number"),
        department_id: given("department").and_then(|d| d.parse().ok()),
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::metadata::update(&txn, Some(&me), id, &details, Utc::now()).await;
    finish(&on, txn, result, |_| "Details saved.".to_owned(), pairs).await
}

pub async fn remove(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::items::remove(&txn, Some(&me), id, Utc::now()).await;
    let said = |_: &()| "Removed from Conductor; the contract stays on Scout. Restore it from Set aside.".to_owned();
    finish(&on, txn, result, said, Vec::new()).await
}

pub async fn restore(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::items::restore(&txn, Some(&me), id, Utc::now()).await;
    finish(&on, txn, result, |_| "Restored to Conductor.".to_owned(), Vec::new()).await
}

pub async fn kill(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let on = On { state: &state, viewer: &viewer, me: &me, id };
    let txn = platform::db::begin_write(&state.db).await?;
    let result = crate::items::kill(&txn, Some(&me), id, Utc::now()).await;
    let said = |_: &()| {
        "Removed from use: the new contract is archived, and the current one is back in All contracts.".to_owned()
    };
    finish(&on, txn, result, said, Vec::new()).await
}

#[cfg(test)]
mod tests {
    use super::took;

    #[test]
    fn a_stay_reads_in_hours_under_a_day_and_in_tenths_of_days_after() {
        assert_eq!(took(59), "0 hours");
        assert_eq!(took(3_600), "1 hour");
        assert_eq!(took(5 * 3_600 + 59), "5 hours");
        assert_eq!(took(86_400), "1 day");
        assert_eq!(took(86_400 * 3 + 43_200), "3.5 days");
    }
}
