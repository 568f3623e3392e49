//! Moving a work item to another flow, and extending the contract it renews, in the caller's
//! transaction.
//!
//! A flow switch keeps the history: the old flow's stage rows and their log entries are marked
//! superseded (the original deleted them), the new flow's rows are made, and its first stage
//! is entered now. An extension writes the parent's new expiration and its term history in one
//! step, so the expiration is never empty meanwhile (the original cleared it first, and an
//! abandoned form dropped the contract from Scout).

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, NaiveDate, Utc};
use model::entities::{contract, contract_term, flow, work_item, work_item_activity, work_item_stage};
use model::{Stamp, StampUpdate};
use platform::events::{self, Audience, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::activity::Activity;
use crate::store::{self, CHANGED_MEANWHILE};
use crate::transitions::MOVED_EVENT;

/// The reason an extension made in Conductor is recorded with.
pub const EXTENDED_IN_CONDUCTOR: &str = "Extended in Conductor";

/// The flows item `id` may switch to: the active ones other than its own, by name.
pub async fn switchable(db: &impl ConnectionTrait, item: &work_item::Model) -> Result<Vec<flow::Model>, ServiceError> {
    Ok(flow::Entity::find()
        .filter(flow::Column::IsArchived.eq(false))
        .filter(flow::Column::Id.ne(item.flow_id))
        .order_by_asc(flow::Column::Name)
        .all(db)
        .await?)
}

/// Moves item `id` to flow `flow_id` (active, not its own): the first stage is entered now.
pub async fn switch(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    flow_id: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if item.work.status != work_item::IN_PROGRESS {
        return Err(ServiceError::Conflict("This work is no longer in progress.".into()));
    }
    let old = flow::Entity::find_by_id(item.work.flow_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let Some(new) = switchable(db, &item.work).await?.into_iter().find(|f| f.id == flow_id) else {
        return Err(ServiceError::invalid("flow", "Choose another active flow."));
    };
    let stages = store::stages_of(db, new.id).await?;
    let Some(first) = stages.first() else {
        return Err(ServiceError::invalid("flow", "That flow has no stages: choose another."));
    };
    let update = work_item::Entity::update_many()
        .col_expr(work_item::Column::FlowId, Expr::value(new.id))
        .col_expr(work_item::Column::CurrentStageId, Expr::value(first.id))
        .stamped(Some(user.id), now);
    item.guarded(db, update).await?;
    // The old flow's rows and what was logged on them stay, superseded.
    let old_rows: Vec<i64> = item.rows.iter().map(|r| r.id).collect();
    work_item_stage::Entity::update_many()
        .col_expr(work_item_stage::Column::SupersededAt, Expr::value(now))
        .stamped(Some(user.id), now)
        .filter(work_item_stage::Column::Id.is_in(old_rows.clone()))
        .exec(db)
        .await?;
    work_item_activity::Entity::update_many()
        .col_expr(work_item_activity::Column::SupersededAt, Expr::value(now))
        .stamped(Some(user.id), now)
        .filter(work_item_activity::Column::WorkItemStageId.is_in(old_rows))
        .filter(work_item_activity::Column::SupersededAt.is_null())
        .exec(db)
        .await?;
    let first_row = store::enter_flow(db, id, new.id, &stages, now, user, now).await?;
    let switched = Activity::FlowSwitch { from_flow: old.name.clone(), to_flow: new.name.clone() };
    store::log(db, id, first_row, &switched, Some(user), now).await?;
    store::log(db, id, first_row, &Activity::Entered { stage: first.name.clone(), at: now }, Some(user), now).await?;
    events::record(db, NewEvent::new(MOVED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(())
}

/// Extends the contract item `id` renews to `expiration` (later than its current one): the
/// new date, its term history and the log entry in the caller's transaction; the item keeps
/// its stage and assignee.
pub async fn extend(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    expiration: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    let Some(parent_id) = item.work.parent_id else {
        return Err(ServiceError::invalid("expiration", "New work renews no contract, so there is nothing to extend."));
    };
    let parent = contract::Entity::find_by_id(parent_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let previous = parent.expiration_date;
    if previous.is_some_and(|p| expiration <= p) {
        return Err(ServiceError::invalid("expiration", "Choose a date after the contract's current expiration."));
    }
    let done = contract::Entity::update_many()
        .col_expr(contract::Column::ExpirationDate, Expr::value(expiration))
        .stamped(Some(user.id), now)
        .filter(contract::Column::Id.eq(parent_id))
        .filter(match previous {
            Some(p) => contract::Column::ExpirationDate.eq(p),
            None => contract::Column::ExpirationDate.is_null(),
        })
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
    }
    contract_term::ActiveModel {
        contract_id: Set(parent_id),
        expiration_date: Set(expiration),
        previous_expiration: Set(previous),
        reason: Set(EXTENDED_IN_CONDUCTOR.into()),
        ..Stamp::created(Some(user.id), now)
    }
    .insert(db)
    .await?;
    let current = item.progress().current;
    let row = current.and_then(|i| item.row_id(i));
    store::log(db, id, row, &Activity::Extension { previous_expiration: previous, expiration }, Some(user), now)
        .await?;
    // Scout shows the new expiration at once.
    scout::freshness::bump(db).await?;
    events::record(db, NewEvent::new(MOVED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(())
}
