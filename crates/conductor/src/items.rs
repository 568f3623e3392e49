//! What a user does to work items from the index: reassign (one or many), remove from
//! Conductor, restore, kill. Each change of status is a guarded update on the statuses its
//! transition starts from (`workflow::status`), logged and announced, in the caller's
//! transaction. A reassignment emails the new assignee (`emails::assigned`), unless they took
//! the work themselves.

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::StampUpdate;
use model::entities::{contract, work_item};
use platform::events::{self, Audience, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::activity::Activity;
use crate::emails::{self, Mailing};
use crate::store;
use crate::workflow::status::{KILL, REMOVE, RESTORE, StatusTransition};

/// Recorded when an item's assignee or status changes (conductor-level users hear it).
pub const CHANGED_EVENT: &str = "conductor.item.changed";

/// What a user is told when the chosen assignee may not do Conductor's work.
pub const NOT_ASSIGNABLE: &str = "That user does not have the right permissions to be assigned a contract.";

/// The suffix a killed item's contract gets, once.
const ARCHIVED_SUFFIX: &str = " [Archived]";

/// Assigns every item of `ids` that is in progress to `assignee_id`; returns how many changed
/// (an item already theirs is left alone).
pub async fn reassign(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    user: Option<&CurrentUser>,
    ids: &[i32],
    assignee_id: i32,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let assignee = accounts::users::current_user(db, assignee_id)
        .await?
        .filter(CurrentUser::is_conductor_level)
        .ok_or_else(|| ServiceError::invalid("assignee", NOT_ASSIGNABLE))?;
    let mut changed = 0;
    for &id in ids {
        let Some(item) = work_item::Entity::find_by_id(id).one(db).await? else { continue };
        if item.status != work_item::IN_PROGRESS || item.assignee_id == Some(assignee.id) {
            continue;
        }
        let previous = match item.assignee_id {
            Some(p) => accounts::users::current_user(db, p).await?.map(|u| u.email),
            None => None,
        };
        let done = work_item::Entity::update_many()
            .col_expr(work_item::Column::AssigneeId, Expr::value(assignee.id))
            .stamped(Some(user.id), now)
            .filter(work_item::Column::Id.eq(id))
            .filter(work_item::Column::Status.eq(work_item::IN_PROGRESS))
            .exec(db)
            .await?;
        if done.rows_affected == 1 {
            let activity = Activity::Assigned { assignee: assignee.email.clone(), previous };
            store::log(db, id, None, &activity, Some(user), now).await?;
            announce(db, id).await?;
            emails::assigned(db, mail, user, &assignee, &item).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

async fn announce(db: &impl ConnectionTrait, id: i32) -> Result<(), ServiceError> {
    events::record(db, NewEvent::new(CHANGED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(())
}

/// Moves item `id` along `transition`, or says it cannot.
async fn change_status(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    transition: StatusTransition,
    now: DateTime<Utc>,
) -> Result<work_item::Model, ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let item = work_item::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let done = work_item::Entity::update_many()
        .col_expr(work_item::Column::Status, Expr::value(transition.to.as_str()))
        .stamped(Some(user.id), now)
        .filter(work_item::Column::Id.eq(id))
        .filter(work_item::Column::Status.is_in(transition.guard()))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::Conflict(format!(
            "This work cannot be {} now: it is {}. Reload the page to see it.",
            past(transition.name),
            item.status.replace('_', " ")
        )));
    }
    let activity = match transition.name {
        "remove" => Activity::Removed,
        "restore" => Activity::Restored,
        _ => Activity::Killed,
    };
    store::log(db, id, None, &activity, Some(user), now).await?;
    announce(db, id).await?;
    Ok(item)
}

fn past(name: &str) -> &'static str {
    match name {
        "remove" => "removed",
        "restore" => "restored",
        "kill" => "removed from use",
        _ => "changed",
    }
}

/// Takes item `id` out of Conductor's lists; its contract stays on Scout. Undone by
/// [`restore`].
pub async fn remove(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    change_status(db, user, id, REMOVE, now).await.map(|_| ())
}

pub async fn restore(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    change_status(db, user, id, RESTORE, now).await.map(|_| ())
}

/// Ends item `id`: its successor contract is archived, hidden and marked " [Archived]" (once),
/// and its parent is free to be started again.
pub async fn kill(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let item = change_status(db, user, id, KILL, now).await?;
    let actor = user.map(|u| u.id);
    if let Some(successor) = contract::Entity::find_by_id(item.contract_id).one(db).await? {
        let description = successor.description.clone().unwrap_or_default();
        let mut active: contract::ActiveModel = successor.into();
        active.is_archived = Set(true);
        active.is_visible = Set(false);
        if !description.ends_with(ARCHIVED_SUFFIX) {
            active.description = Set(Some(format!("{description}{ARCHIVED_SUFFIX}")));
        }
        model::Stamp::stamp(&mut active, actor, now);
        active.update(db).await?;
    }
    Ok(())
}
