//! Telling vendors: one email per recipient (never a shared To or CC list), and each message to
//! each recipient at most once. A `deliveries` row (message, recipient) is inserted in the same
//! transaction as the email is queued, so a fan-out that is stopped halfway and run again — a
//! worker killed, a job retried, publishing by hand and by the scheduler — queues only what is
//! still missing.
//!
//! Only confirmed vendors who have not unsubscribed hear anything. Every email carries the
//! vendor's signed links to manage subscriptions and to unsubscribe in one click (RFC 8058).

use chrono::{DateTime, Utc};
use minijinja::context;
use model::entities::{department, opportunity};
use platform::jobs::{self, Job, JobContext, JobSettings};
use platform::mail::{Email, SendEmail, Sender, Unsubscribe};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement, TransactionTrait, Value};
use serde::{Deserialize, Serialize};

use crate::links::VendorLinks;

/// Recipients handled per transaction.
const BATCH: usize = 250;

/// The message key of a new opportunity's announcement.
pub fn new_opportunity_key(opportunity_id: i32) -> String {
    format!("beacon.new_opportunity:{opportunity_id}")
}

/// Announces a newly published opportunity to the vendors of its categories and its followers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewOpportunity {
    pub opportunity_id: i32,
}

impl Job for NewOpportunity {
    const NAME: &'static str = "beacon.new_opportunity";

    fn settings() -> JobSettings {
        JobSettings { retries: 10, ..JobSettings::default() }
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let secret = platform::secrets::app_secret(&ctx.env.config)?;
        let links = VendorLinks::new(&secret, ctx.env.config.site.app_url.clone());
        let queued = announce(&ctx.env.db, ctx.env.templates()?, &ctx.env.config, &links, self.opportunity_id).await?;
        tracing::info!(opportunity = self.opportunity_id, queued, "new opportunity announced");
        Ok(())
    }
}

/// A vendor to write to.
struct Recipient {
    vendor_id: i32,
    email: String,
    first_name: Option<String>,
}

/// The confirmed, subscribed vendors who should hear of opportunity `id` under message `key`
/// and have not yet: those of any of its categories and those following it, once each.
async fn pending(db: &impl ConnectionTrait, id: i32, key: &str, limit: usize) -> anyhow::Result<Vec<Recipient>> {
    let backend = db.get_database_backend();
    let (p1, p2) = if backend == DbBackend::Postgres { ("$1", "$2") } else { ("?1", "?2") };
    let sql = format!(
        "SELECT v.id, v.email, v.first_name FROM vendors v \
         WHERE v.confirmed_at IS NOT NULL AND v.unsubscribed_at IS NULL \
           AND (EXISTS (SELECT 1 FROM vendor_categories vc JOIN opportunity_categories oc ON oc.category_id = vc.category_id \
                        WHERE vc.vendor_id = v.id AND oc.opportunity_id = {p1}) \
                OR EXISTS (SELECT 1 FROM vendor_opportunities vo WHERE vo.vendor_id = v.id AND vo.opportunity_id = {p1})) \
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message = {p2} AND d.recipient = v.email) \
         ORDER BY v.id LIMIT {limit}"
    );
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [Value::from(id), key.into()])).await?;
    rows.iter()
        .map(|r| {
            Ok(Recipient {
                vendor_id: r.try_get_by_index(0)?,
                email: r.try_get_by_index(1)?,
                first_name: r.try_get_by_index(2)?,
            })
        })
        .collect()
}

async fn still_subscribed(db: &impl ConnectionTrait, vendor_id: i32) -> Result<bool, sea_orm::DbErr> {
    Ok(model::entities::vendor::Entity::find_by_id(vendor_id)
        .one(db)
        .await?
        .is_some_and(|v| v.confirmed_at.is_some() && v.unsubscribed_at.is_none()))
}

/// Records (message, recipient); false if it was already recorded (sent before).
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    key: &str,
    recipient: &str,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO deliveries (message, recipient, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        }
        _ => "INSERT INTO deliveries (message, recipient, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    };
    let done = db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [key.into(), recipient.into(), now.into()]))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues the announcement of opportunity `id` to everyone who should have it and does not;
/// returns how many emails it queued. Does nothing for an opportunity that is not published.
pub async fn announce(
    db: &DatabaseConnection,
    templates: &platform::templates::Templates,
    config: &platform::Config,
    links: &VendorLinks,
    id: i32,
) -> anyhow::Result<u64> {
    let Some(o) = opportunity::Entity::find_by_id(id).one(db).await? else { return Ok(0) };
    if !o.is_public || o.is_archived || o.published_at.is_none() {
        return Ok(0);
    }
    let department = department::Entity::find_by_id(o.department_id).one(db).await?.map(|d| d.name);
    let page = config.site.app_url.join(&format!("/beacon/opportunities/{id}"))?;
    let closes = crate::lifecycle::local_time(o.planned_submission_end, config.site.display_timezone);
    let key = new_opportunity_key(id);
    let mut queued = 0;
    loop {
        let batch = pending(db, id, &key, BATCH).await?;
        if batch.is_empty() {
            return Ok(queued);
        }
        let txn = db.begin().await?;
        let now = Utc::now();
        for r in batch {
            // Re-checked in the transaction: an unsubscribe since the selection wins.
            if !still_subscribed(&txn, r.vendor_id).await? || !record(&txn, &key, &r.email, now).await? {
                continue;
            }
            let ctx = context! {
                first_name => r.first_name, title => &o.title, department => &department, closes => &closes,
                link => page.as_str(), manage => links.manage(r.vendor_id).as_str(),
                unsubscribe => links.unsubscribe(r.vendor_id).as_str(),
            };
            let mut email = Email::render(
                templates,
                "beacon/emails/new_opportunity",
                ctx,
                Sender::Beacon,
                vec![r.email.clone()],
                config.site.host(),
            )?;
            email.unsubscribe = Some(Unsubscribe { url: links.unsubscribe(r.vendor_id).to_string(), mailto: None });
            jobs::enqueue(&txn, &SendEmail(email)).await?;
            queued += 1;
        }
        txn.commit().await?;
    }
}

/// What the site needs to send Beacon's emails.
pub struct Mailing<'a> {
    pub templates: &'a platform::templates::Templates,
    pub config: &'a platform::Config,
    pub links: &'a VendorLinks,
}

impl Mailing<'_> {
    /// Queues `template` to `to`, once per `key` and recipient.
    pub(crate) async fn once(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        template: &str,
        to: &str,
        ctx: minijinja::Value,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        if !record(db, key, to, now).await? {
            return Ok(false);
        }
        let email =
            Email::render(self.templates, template, ctx, Sender::Beacon, vec![to.to_owned()], self.config.site.host())?;
        jobs::enqueue(db, &SendEmail(email)).await?;
        Ok(true)
    }
}

async fn email_of(db: &impl ConnectionTrait, user_id: Option<i32>) -> Result<Option<String>, sea_orm::DbErr> {
    match user_id {
        Some(id) => Ok(model::entities::user::Entity::find_by_id(id).one(db).await?.map(|u| u.email)),
        None => Ok(None),
    }
}

/// A new draft: its author hears it went for approval, each conductor-level user that it needs
/// review (once per opportunity each).
pub async fn sent_for_approval(
    db: &DatabaseConnection,
    mail: &Mailing<'_>,
    o: &opportunity::Model,
) -> anyhow::Result<()> {
    let link = mail.config.site.app_url.join(&format!("/beacon/admin/{}", o.id))?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let ctx = || context! { title => &o.title, link => link.as_str() };
    if let Some(author) = email_of(&txn, o.created_by).await? {
        mail.once(
            &txn,
            &format!("beacon.sent_for_approval:{}", o.id),
            "beacon/emails/sent_for_approval",
            &author,
            ctx(),
            now,
        )
        .await?;
    }
    for reviewer in accounts::users::emails_with_roles(&txn, &["conductor", "admin", "superadmin"]).await? {
        mail.once(&txn, &format!("beacon.needs_review:{}", o.id), "beacon/emails/needs_review", &reviewer, ctx(), now)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// An approved opportunity: its author hears (once).
pub async fn approved(db: &DatabaseConnection, mail: &Mailing<'_>, o: &opportunity::Model) -> anyhow::Result<()> {
    let Some(author) = email_of(db, o.created_by).await? else { return Ok(()) };
    let link = mail.config.site.app_url.join(&format!("/beacon/opportunities/{}", o.id))?;
    let publish = o.planned_publish.format("%B %-d, %Y").to_string();
    let ctx = context! { title => &o.title, link => link.as_str(), publish, published => o.published_at.is_some() };
    let txn = db.begin().await?;
    mail.once(&txn, &format!("beacon.approved:{}", o.id), "beacon/emails/approved", &author, ctx, Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Days before a deadline that followers are reminded (the original never reminded anyone).
pub const REMINDER_DAYS: [i64; 2] = [5, 1];

/// Nightly: reminds the followers of each published opportunity whose bids close in 5 days or
/// in 1 day (display time zone), once per opportunity, reminder and follower.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeadlineReminders {}

impl Job for DeadlineReminders {
    const NAME: &'static str = "beacon.deadline_reminders";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let secret = platform::secrets::app_secret(&ctx.env.config)?;
        let links = VendorLinks::new(&secret, ctx.env.config.site.app_url.clone());
        let mail = Mailing { templates: ctx.env.templates()?, config: &ctx.env.config, links: &links };
        let queued = remind(&ctx.env.db, &mail, ctx.env.config.site.today()).await?;
        tracing::info!(queued, "deadline reminders queued");
        Ok(())
    }
}

/// Queues the reminders due on `today`; returns how many.
pub async fn remind(db: &DatabaseConnection, mail: &Mailing<'_>, today: chrono::NaiveDate) -> anyhow::Result<u64> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let tz = mail.config.site.display_timezone;
    let now = Utc::now();
    let current = opportunity::Entity::find()
        .filter(opportunity::Column::IsPublic.eq(true))
        .filter(opportunity::Column::IsArchived.eq(false))
        .filter(opportunity::Column::PublishedAt.is_not_null())
        .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
        .all(db)
        .await?;
    let mut queued = 0;
    for o in current {
        let closes_on = o.planned_submission_end.with_timezone(&tz).date_naive();
        let Some(days) = REMINDER_DAYS.into_iter().find(|d| closes_on == today + chrono::Duration::days(*d)) else {
            continue;
        };
        let key = format!("beacon.reminder_{days}:{}", o.id);
        let backend = db.get_database_backend();
        let p1 = if backend == DbBackend::Postgres { "$1" } else { "?" };
        let sql = format!(
            "SELECT v.id, v.email FROM vendors v JOIN vendor_opportunities vo ON vo.vendor_id = v.id \
             WHERE vo.opportunity_id = {p1} AND v.confirmed_at IS NOT NULL AND v.unsubscribed_at IS NULL ORDER BY v.id"
        );
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [Value::from(o.id)])).await?;
        let page = mail.config.site.app_url.join(&format!("/beacon/opportunities/{}", o.id))?;
        let closes = crate::lifecycle::local_time(o.planned_submission_end, tz);
        let txn = db.begin().await?;
        for row in rows {
            let vendor_id: i32 = row.try_get_by_index(0)?;
            let email: String = row.try_get_by_index(1)?;
            if !still_subscribed(&txn, vendor_id).await? {
                continue;
            }
            let ctx = context! {
                title => &o.title, closes => &closes, days, link => page.as_str(),
                manage => mail.links.manage(vendor_id).as_str(), unsubscribe => mail.links.unsubscribe(vendor_id).as_str(),
            };
            if mail.once(&txn, &key, "beacon/emails/reminder", &email, ctx, now).await? {
                queued += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(queued)
}
