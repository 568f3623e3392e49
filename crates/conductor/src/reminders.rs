//! Lead-time reminders (issue 16; the original had none, peers do): nightly, for each contract of
//! a type Conductor manages that expires on one of its type's reminder days (`reminder_days`,
//! or its lead time `lead_time_days`, before the expiry), whose renewal is not started or is
//! behind its stage's target, an email to whoever holds it: the renewal's assignee, else the
//! conductor-level users of its department, else every conductor-level user (so no reminder
//! falls between desks).
//!
//! Invariant: each reminder goes once per contract, day and recipient: a `conductor_reminders`
//! row is inserted in the transaction that queues the email, and an existing row means it went.
//! A renewal on track, taken out of Conductor, or finished sends nothing; so does a contract set
//! aside.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use model::entities::{
    conductor_reminder, conductor_set_aside, contract, contract_type, stage, user, work_item, work_item_stage,
};
use platform::jobs::{Job, JobContext};
use platform::mail::EmailTemplate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::emails::Mailing;

/// The nightly job.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LeadTimeReminders {}

impl Job for LeadTimeReminders {
    const NAME: &'static str = "conductor.lead_time_reminders";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let config = &ctx.env.config;
        let mail = Mailing { templates: ctx.env.templates()?, config };
        let today = config.site.today();
        let sent = send(&ctx.env.db, &mail, today, Utc::now()).await?;
        tracing::info!(sent, %today, "lead-time reminders queued");
        Ok(())
    }
}

/// The reminder: why the contract needs its renewal looked at, and where to do it.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    pub description: String,
    /// The expiry in words ("March 6, 2027").
    pub expires: String,
    pub days_left: i64,
    /// Where the renewal stands: None when not started, else its stage and how long it has
    /// been there against the stage's target.
    pub behind: Option<Behind>,
    /// Where to start the renewal, or its page.
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Behind {
    pub stage: String,
    pub days: i64,
    pub target_days: i32,
}

impl EmailTemplate for Reminder {
    const TEMPLATE: &'static str = "conductor/emails/reminder";
}

/// The whole days a type's `reminder_days` names (1 to 3,650; anything else is ignored).
pub fn reminder_days(raw: &str) -> BTreeSet<i64> {
    raw.split(',').filter_map(|d| d.trim().parse::<i64>().ok()).filter(|d| (1..=3650).contains(d)).collect()
}

/// Who a reminder goes to: (id, email).
type Recipient = (i32, String);

/// The active conductor-level users of `department`, else every active conductor-level user.
async fn desk_of(db: &impl ConnectionTrait, department: Option<i32>) -> Result<Vec<Recipient>, DbErr> {
    let mut found = match department {
        Some(_) => crate::people::conductor_level(db, department).await?,
        None => Vec::new(),
    };
    if found.is_empty() {
        found = crate::people::conductor_level(db, None).await?;
    }
    Ok(found.into_iter().map(|a| (a.id, a.email)).collect())
}

/// Where a contract's renewal stands, if it needs a reminder: (the recipients, behind or not
/// started, the link's path).
async fn needing(
    db: &impl ConnectionTrait,
    c: &contract::Model,
    now: DateTime<Utc>,
) -> Result<Option<(Vec<Recipient>, Option<Behind>, String)>, DbErr> {
    let work = work_item::Entity::find()
        .filter(work_item::Column::ParentId.eq(c.id))
        .filter(work_item::Column::Status.ne(work_item::KILLED))
        .one(db)
        .await?;
    let Some(work) = work else {
        if conductor_set_aside::Entity::find_by_id(c.id).one(db).await?.is_some() {
            return Ok(None);
        }
        let path = format!("/conductor/contracts/{}/start", c.id);
        return Ok(Some((desk_of(db, c.department_id).await?, None, path)));
    };
    if work.status != work_item::IN_PROGRESS {
        return Ok(None);
    }
    let Some(stage_id) = work.current_stage_id else { return Ok(None) };
    let Some(current) = stage::Entity::find_by_id(stage_id).one(db).await? else { return Ok(None) };
    let Some(target) = current.target_days else { return Ok(None) };
    let entered = work_item_stage::Entity::find()
        .filter(work_item_stage::Column::WorkItemId.eq(work.id))
        .filter(work_item_stage::Column::FlowId.eq(work.flow_id))
        .filter(work_item_stage::Column::StageId.eq(stage_id))
        .filter(work_item_stage::Column::SupersededAt.is_null())
        .one(db)
        .await?
        .and_then(|row| row.entered_at);
    let Some(entered) = entered else { return Ok(None) };
    if now - entered <= Duration::days(i64::from(target)) {
        return Ok(None); // on track
    }
    let assignee = match work.assignee_id {
        Some(id) => user::Entity::find_by_id(id)
            .filter(user::Column::Active.eq(true))
            .one(db)
            .await?
            .map(|u| vec![(u.id, u.email)]),
        None => None,
    };
    let recipients = match assignee {
        Some(one) => one,
        None => desk_of(db, work.department_id).await?,
    };
    let behind = Behind { stage: current.name, days: (now - entered).num_days(), target_days: target };
    Ok(Some((recipients, Some(behind), format!("/conductor/items/{}", work.id))))
}

/// Queues every reminder due on `today`; returns how many. Each contract's reminders commit
/// together, so a rerun after a failure sends only what was not sent.
pub async fn send(
    db: &DatabaseConnection,
    mail: &Mailing<'_>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let types =
        contract_type::Entity::find().filter(contract_type::Column::ManagedByConductor.eq(true)).all(db).await?;
    let mut sent = 0;
    for t in types {
        let mut days = reminder_days(&t.reminder_days);
        days.insert(i64::from(t.lead_time_days));
        let dates: Vec<NaiveDate> = days.iter().map(|d| today + Duration::days(*d)).collect();
        let due = contract::Entity::find()
            .filter(contract::Column::ContractTypeId.eq(t.id))
            .filter(contract::Column::IsVisible.eq(true))
            .filter(contract::Column::IsArchived.eq(false))
            .filter(contract::Column::ExpirationDate.is_in(dates))
            .order_by_asc(contract::Column::Id)
            .all(db)
            .await?;
        for c in due {
            let Some(expires) = c.expiration_date else { continue };
            let Some((recipients, behind, path)) = needing(db, &c, now).await? else { continue };
            let reminder = Reminder {
                description: c.description.clone().unwrap_or_else(|| format!("Contract {}", c.id)),
                expires: expires.format("%B %-d, %Y").to_string(),
                days_left: (expires - today).num_days(),
                behind,
                link: mail.link(&path)?,
            };
            let txn = platform::db::begin_write(db).await?;
            for (user_id, email) in recipients {
                let inserted = conductor_reminder::Entity::insert(conductor_reminder::ActiveModel {
                    contract_id: Set(c.id),
                    day: Set(today),
                    user_id: Set(user_id),
                    sent_at: Set(now),
                })
                .on_conflict(
                    OnConflict::columns([
                        conductor_reminder::Column::ContractId,
                        conductor_reminder::Column::Day,
                        conductor_reminder::Column::UserId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
                // Another run got here first: its email is already queued.
                if inserted == 1 {
                    mail.queue(&txn, &reminder, vec![email], Vec::new(), None, Vec::new()).await?;
                    sent += 1;
                }
            }
            txn.commit().await?;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_days_read_whole_days_and_ignore_the_rest() {
        assert_eq!(reminder_days("90, 60,30,7,1").into_iter().collect::<Vec<_>>(), [1, 7, 30, 60, 90]);
        assert!(reminder_days("soon, -3, 0, 99999").is_empty());
        assert_eq!(reminder_days("30,30").len(), 1);
    }
}
