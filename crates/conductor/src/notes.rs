//! Notes on a work item: added by any conductor-level user on the current stage, deleted only
//! by their author or an admin, and then marked deleted rather than erased. No other entry of
//! the log can be deleted (acceptance 17).

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::StampUpdate;
use model::entities::{work_item, work_item_activity};
use platform::events::{self, Audience, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::activity::Activity;
use crate::store;

/// Recorded when a note is added or deleted (conductor-level users hear it).
pub const NOTED_EVENT: &str = "conductor.item.noted";
/// The longest note kept.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// Adds `text` as a note on item `id`'s current stage.
pub async fn add(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    authorize(user, Action::Create, Resource::WorkItemEntry { note: true, own: true })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid("note", "Note cannot be blank."));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(ServiceError::invalid("note", format!("A note holds at most {MAX_NOTE_CHARS} characters.")));
    }
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if item.work.status != work_item::IN_PROGRESS {
        return Err(ServiceError::Conflict("This work is no longer in progress.".into()));
    }
    let row = item.progress().current.and_then(|i| item.row_id(i));
    store::log(db, id, row, &Activity::Note { text: text.to_owned() }, user, now).await?;
    events::record(db, NewEvent::new(NOTED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(())
}

/// Deletes note `entry` of item `id`: its author or an admin only; anything else in the log is
/// refused. The entry is marked deleted, by whom and when.
pub async fn delete(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    entry: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let found = work_item_activity::Entity::find_by_id(entry)
        .filter(work_item_activity::Column::WorkItemId.eq(id))
        .filter(work_item_activity::Column::DeletedAt.is_null())
        .one(db)
        .await?;
    let Some(found) = found else {
        authorize(user, Action::View, Resource::WorkItem)?;
        return Err(ServiceError::NotFound);
    };
    let note = found.kind == work_item_activity::NOTE;
    let own = user.is_some_and(|u| found.taken_by == Some(u.id));
    authorize(user, Action::Delete, Resource::WorkItemEntry { note, own })?;
    let actor = user.map(|u| u.id);
    let done = work_item_activity::Entity::update_many()
        .col_expr(work_item_activity::Column::DeletedAt, Expr::value(now))
        .col_expr(work_item_activity::Column::DeletedBy, Expr::value(actor))
        .stamped(actor, now)
        .filter(work_item_activity::Column::Id.eq(entry))
        .filter(work_item_activity::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::NotFound);
    }
    events::record(db, NewEvent::new(NOTED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(())
}
