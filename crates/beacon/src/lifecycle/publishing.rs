//! The transitions of [`super::stages::TRANSITIONS`]: approve, publish (by the approval or the
//! nightly job, once the date has come) and archive, each a guarded `UPDATE … WHERE` on the
//! stages it may start from, so a transition happens once whoever gets there first.

use accounts::{Action, CurrentUser, Denied, ServiceError, authorize};
use chrono::{DateTime, NaiveDate, Utc};
use model::StampUpdate;
use model::entities::opportunity;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::events;
use super::stages::{APPROVE, ARCHIVE, PUBLISH};
use super::{changed, facts, find};

/// [`APPROVE`]: approves an opportunity (conductor-level only). If its publish date has come it is published
/// at once; otherwise the nightly job publishes it on that date.
pub async fn approve(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<opportunity::Model, ServiceError> {
    let existing = find(db, id).await?;
    authorize(user, Action::Publish, facts(&existing, user))?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    if existing.planned_submission_end <= now {
        return Err(ServiceError::Invalid(vec![(
            "planned_submission_end",
            "Bids have already closed: move the deadline before approving.".into(),
        )]));
    }
    // Approving what is already approved (or published) changes nothing but may publish it.
    opportunity::Entity::update_many()
        .col_expr(opportunity::Column::IsPublic, Expr::value(true))
        .stamped(Some(user.id), now)
        .filter(opportunity::Column::Id.eq(id))
        .filter(APPROVE.guard())
        .exec(db)
        .await?;
    changed(db).await?;
    events::announce(db, events::APPROVED, id, false).await?;
    publish_if_due(db, id, now, today).await?;
    find(db, id).await
}

/// [`ARCHIVE`]: archives an opportunity (conductor-level only): it leaves every public list and page.
pub async fn archive(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let existing = find(db, id).await?;
    authorize(user, Action::Publish, facts(&existing, user))?;
    // Archiving what is already archived changes nothing.
    opportunity::Entity::update_many()
        .col_expr(opportunity::Column::IsArchived, Expr::value(true))
        .stamped(user.map(|u| u.id), now)
        .filter(opportunity::Column::Id.eq(id))
        .filter(ARCHIVE.guard())
        .exec(db)
        .await?;
    changed(db).await?;
    events::announce(db, events::ARCHIVED, id, true).await?;
    Ok(())
}

/// [`PUBLISH`]: publishes opportunity `id` if it is approved (not yet published, not archived)
/// and its date has come, and queues its announcement to vendors in the same transaction. The conditional
/// UPDATE makes it happen once, whoever gets there first (an approval or the nightly job).
/// Returns whether this call published it.
async fn publish_if_due(
    db: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<bool, DbErr> {
    let done = opportunity::Entity::update_many()
        .col_expr(opportunity::Column::PublishedAt, Expr::value(now))
        .filter(opportunity::Column::Id.eq(id))
        .filter(PUBLISH.guard())
        .filter(opportunity::Column::PlannedPublish.lte(today))
        .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
        .exec(db)
        .await?;
    let published = done.rows_affected == 1;
    if published {
        changed(db).await?;
        events::announce(db, events::PUBLISHED, id, true).await?;
        platform::jobs::enqueue(db, &crate::notify::NewOpportunity { opportunity_id: id })
            .await
            .map_err(|e| DbErr::Custom(format!("queueing the announcement: {e}")))?;
    }
    Ok(published)
}

/// The nightly job's work: publishes every approved opportunity whose date has come. Returns
/// the ids it published.
pub async fn publish_due(db: &DatabaseConnection, now: DateTime<Utc>, today: NaiveDate) -> Result<Vec<i32>, DbErr> {
    let due = opportunity::Entity::find()
        .filter(PUBLISH.guard())
        .filter(opportunity::Column::PlannedPublish.lte(today))
        .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
        .order_by_asc(opportunity::Column::Id)
        .all(db)
        .await?;
    let mut published = Vec::new();
    for o in due {
        let txn = platform::db::begin_write(db).await?;
        if publish_if_due(&txn, o.id, now, today).await? {
            published.push(o.id);
        }
        txn.commit().await?;
    }
    Ok(published)
}
