//! The stage transitions a user makes on a work item's page, in the caller's transaction:
//! complete the current stage, go back to an earlier one, move the start. Each reads the item,
//! asks the state machine (`workflow::machine`), writes the result under the guard
//! (`store::Item::save`), logs it and records its event.

use accounts::{Action, CurrentUser, ServiceError, authorize};
use chrono::{DateTime, Utc};
use platform::events::{self, Audience, NewEvent};
use sea_orm::ConnectionTrait;

use crate::activity::Activity;
use crate::store::{self, Item};
use crate::workflow::machine::{Progress, State};

/// Recorded with every change of stage (conductor-level users hear it).
pub const MOVED_EVENT: &str = "conductor.item.moved";

async fn item_for(db: &impl ConnectionTrait, user: Option<&CurrentUser>, id: i32) -> Result<Item, ServiceError> {
    authorize(user, Action::Edit, accounts::Resource::WorkItem)?;
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if item.work.status != model::entities::work_item::IN_PROGRESS {
        return Err(ServiceError::Conflict("This work is no longer in progress.".into()));
    }
    Ok(item)
}

fn refused(field: &'static str) -> impl Fn(crate::workflow::machine::Refusal) -> ServiceError {
    move |refusal| ServiceError::invalid(field, refusal.to_string())
}

async fn announce(db: &impl ConnectionTrait, item: &Item) -> Result<(), ServiceError> {
    events::record(db, NewEvent::new(MOVED_EVENT, i64::from(item.work.id), Audience::Conductor)).await?;
    Ok(())
}

/// Completes the current stage at `at`: logs `exited`, and `entered` on the next stage (or the
/// flow is finished, and the completion wizard is next). Returns the new state.
pub async fn complete(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<State, ServiceError> {
    let item = item_for(db, user, id).await?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let before = item.progress();
    let next = before.complete(at, now).map_err(refused("at"))?;
    item.save(db, &next, user, now).await?;
    let i = before.current.unwrap_or(0);
    let exited = next.stages[i].exited.unwrap_or(at);
    store::log(db, id, item.row_id(i), &Activity::Exited { stage: item.stage_name(i), at: exited }, Some(user), exited)
        .await?;
    if let State::AtStage(j) = next.state() {
        let entered = next.stages[j].entered.unwrap_or(exited);
        let activity = Activity::Entered { stage: item.stage_name(j), at: entered };
        store::log(db, id, item.row_id(j), &activity, Some(user), entered).await?;
    }
    announce(db, &item).await?;
    Ok(next.state())
}

/// Goes back to the stage at `position`, entered again at `at`: one `reversion` entry on it.
/// The log's entries of the stages left behind stay (the history is kept).
pub async fn revert(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    position: usize,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<State, ServiceError> {
    let item = item_for(db, user, id).await?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let next = item.progress().revert(position, at, now).map_err(refused("at"))?;
    item.save(db, &next, user, now).await?;
    let entered = next.stages[position].entered.unwrap_or(at);
    let activity = Activity::Reversion { stage: item.stage_name(position), at: entered };
    store::log(db, id, item.row_id(position), &activity, Some(user), entered).await?;
    announce(db, &item).await?;
    Ok(next.state())
}

/// Moves the start (the first stage's entry) to `at`, while the first stage is current. Only
/// that time moves; the flow and the stage stay.
pub async fn move_start(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let item = item_for(db, user, id).await?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let next: Progress = item.progress().move_start(at, now).map_err(refused("start"))?;
    item.save(db, &next, user, now).await?;
    let entered = next.stages[0].entered.unwrap_or(at);
    store::log(
        db,
        id,
        item.row_id(0),
        &Activity::Entered { stage: item.stage_name(0), at: entered },
        Some(user),
        entered,
    )
    .await?;
    announce(db, &item).await?;
    Ok(())
}
