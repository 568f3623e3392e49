//! Telling vendors: one email per recipient (never a shared To or CC list), and each message to
//! each recipient at most once. A `deliveries` row (message, recipient) is inserted in the same
//! transaction as the email is queued, so a fan-out that is stopped halfway and run again — a
//! worker killed, a job retried, publishing by hand and by the scheduler — queues only what is
//! still missing.
//!
//! Only confirmed vendors who have not unsubscribed hear anything. Every email carries the
//! vendor's signed links to manage subscriptions and to unsubscribe in one click (RFC 8058).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use model::entities::{department, opportunity};
use platform::db::stmt;
use platform::jobs::{self, Job, JobContext, JobSettings};
use platform::mail::{Email, EmailTemplate, SendEmail, Sender, Unsubscribe};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Value};
use serde::{Deserialize, Serialize};

use crate::emails::{self, BulkEmail, ToVendor, VendorFooter};
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
        let links = job_links(ctx)?;
        let db = &ctx.env.db;
        let queued = announce(db, &Mailing::of(ctx, &links)?, self.opportunity_id).await?;
        tracing::info!(opportunity = self.opportunity_id, queued, "new opportunity announced");
        if queued > 0
            && let Some(o) = opportunity::Entity::find_by_id(self.opportunity_id).one(db).await?
        {
            let details = [("Vendors emailed", admin::audit::number(queued))];
            admin::audit::record_action(db, None, "announce", "opportunities", o.id, &o.title, &details).await?;
        }
        Ok(())
    }
}

/// A vendor to write to.
struct Recipient {
    vendor_id: i32,
    email: String,
    first_name: Option<String>,
}

/// Who hears of a vendor mailing (always only confirmed vendors who have not unsubscribed).
#[derive(Debug, Clone, Copy)]
pub enum Audience {
    /// Vendors of any of the opportunity's categories, and its followers.
    Interested(i32),
    /// The opportunity's followers.
    Followers(i32),
    /// Vendors who asked for the newsletter.
    Newsletter,
}

impl Audience {
    /// The condition on vendor `v`, whose parameter (if any) is `$2`.
    fn condition(self) -> (&'static str, Option<i32>) {
        match self {
            Audience::Interested(id) => (
                "(EXISTS (SELECT 1 FROM vendor_categories vc JOIN opportunity_categories oc ON oc.category_id = vc.category_id \
                          WHERE vc.vendor_id = v.id AND oc.opportunity_id = $2) \
                  OR EXISTS (SELECT 1 FROM vendor_opportunities vo WHERE vo.vendor_id = v.id AND vo.opportunity_id = $2))",
                Some(id),
            ),
            Audience::Followers(id) => (
                "EXISTS (SELECT 1 FROM vendor_opportunities vo WHERE vo.vendor_id = v.id AND vo.opportunity_id = $2)",
                Some(id),
            ),
            Audience::Newsletter => ("v.newsletter = TRUE", None),
        }
    }
}

/// How many vendors `audience` is now: who would hear of a mailing to it.
pub async fn audience_size(db: &impl ConnectionTrait, audience: Audience) -> Result<u64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let (condition, id) = audience.condition();
    let sql = format!(
        "SELECT COUNT(*) FROM vendors v WHERE v.confirmed_at IS NOT NULL AND v.unsubscribed_at IS NULL AND {}",
        condition.replace("$2", "$1")
    );
    let row = db.query_one_raw(stmt(backend, &sql, id.map(Value::from).into_iter().collect())).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Up to `limit` of the audience that has not yet had message `key`, once each.
async fn pending(
    db: &impl ConnectionTrait,
    audience: Audience,
    key: &str,
    limit: usize,
) -> anyhow::Result<Vec<Recipient>> {
    let backend = db.get_database_backend();
    let (condition, id) = audience.condition();
    let sql = format!(
        "SELECT v.id, v.email, v.first_name FROM vendors v \
         WHERE v.confirmed_at IS NOT NULL AND v.unsubscribed_at IS NULL AND {condition} \
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message = $1 AND d.recipient = v.email) \
         ORDER BY v.id LIMIT {limit}"
    );
    let mut values = vec![Value::from(key)];
    values.extend(id.map(Value::from));
    let rows = db.query_all_raw(stmt(backend, &sql, values)).await?;
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

/// Which of `vendor_ids` are still confirmed and subscribed.
async fn still_subscribed(
    db: &impl ConnectionTrait,
    vendor_ids: impl IntoIterator<Item = i32>,
) -> Result<HashSet<i32>, sea_orm::DbErr> {
    use model::entities::vendor;
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let ids: Vec<i32> = vendor::Entity::find()
        .select_only()
        .column(vendor::Column::Id)
        .filter(vendor::Column::Id.is_in(vendor_ids))
        .filter(vendor::Column::ConfirmedAt.is_not_null())
        .filter(vendor::Column::UnsubscribedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Records (message, recipient); false if it was already recorded (sent before).
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    key: &str,
    recipient: &str,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let sql = "INSERT INTO deliveries (message, recipient, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    let values = vec![key.into(), recipient.into(), now.into()];
    let done = db.execute_raw(stmt(db.get_database_backend(), sql, values)).await?;
    Ok(done.rows_affected() == 1)
}

/// Queues message `key` (`message`, with each recipient's first name and [`VendorFooter`]: a
/// [`ToVendor`]) to everyone in `audience` who has not had it; returns how many emails it
/// queued. Each carries one-click unsubscribe headers.
pub async fn fan_out<M: BulkEmail>(
    db: &DatabaseConnection,
    mail: &Mailing<'_>,
    key: &str,
    audience: Audience,
    message: &M,
) -> anyhow::Result<u64> {
    let mut queued = 0;
    loop {
        let batch = pending(db, audience, key, BATCH).await?;
        if batch.is_empty() {
            return Ok(queued);
        }
        let txn = platform::db::begin_write(db).await?;
        let now = Utc::now();
        // Re-checked in the transaction: an unsubscribe since the selection wins.
        let subscribed = still_subscribed(&txn, batch.iter().map(|r| r.vendor_id)).await?;
        for r in batch {
            if !subscribed.contains(&r.vendor_id) || !record(&txn, key, &r.email, now).await? {
                continue;
            }
            let footer = VendorFooter::new(mail.links, r.vendor_id);
            let unsubscribe = Unsubscribe { url: footer.unsubscribe.clone(), mailto: None };
            let copy = ToVendor { message, first_name: r.first_name, footer };
            let mut email =
                Email::compose(mail.templates, &copy, Sender::Beacon, vec![r.email], mail.config.site.host())?;
            email.unsubscribe = Some(unsubscribe);
            jobs::enqueue(&txn, &SendEmail(email)).await?;
            queued += 1;
        }
        txn.commit().await?;
    }
}

/// An opportunity as the emails about it show it.
pub(crate) async fn summary(
    db: &impl ConnectionTrait,
    config: &platform::Config,
    o: &opportunity::Model,
) -> anyhow::Result<emails::Opportunity> {
    let department = department::Entity::find_by_id(o.department_id).one(db).await?.map(|d| d.name);
    let link = config.site.app_url.join(&format!("/beacon/opportunities/{}", o.id))?.into();
    let closes = crate::lifecycle::local_time(o.planned_submission_end, config.site.display_timezone);
    Ok(emails::Opportunity { title: o.title.clone(), department, closes, link })
}

/// Whether `o` is out in public, open or not.
fn is_published(o: &opportunity::Model) -> bool {
    o.is_public && !o.is_archived && o.published_at.is_some()
}

/// Queues the announcement of opportunity `id` to everyone who should have it and does not;
/// returns how many emails it queued. Does nothing for an opportunity that is not published.
pub async fn announce(db: &DatabaseConnection, mail: &Mailing<'_>, id: i32) -> anyhow::Result<u64> {
    let Some(o) = opportunity::Entity::find_by_id(id).one(db).await? else { return Ok(0) };
    if !is_published(&o) {
        return Ok(0);
    }
    let message = emails::NewOpportunity { opportunity: summary(db, mail.config, &o).await? };
    fan_out(db, mail, &new_opportunity_key(id), Audience::Interested(id), &message).await
}

/// What the site needs to send Beacon's emails.
pub struct Mailing<'a> {
    pub templates: &'a platform::templates::Templates,
    pub config: &'a platform::Config,
    pub links: &'a VendorLinks,
}

/// The vendor links a job signs with.
pub(crate) fn job_links(ctx: &JobContext) -> anyhow::Result<VendorLinks> {
    let secret = platform::secrets::app_secret(&ctx.env.config)?;
    Ok(VendorLinks::new(&secret, ctx.env.config.site.app_url.clone()))
}

impl<'a> Mailing<'a> {
    /// A job's mailing.
    pub fn of(ctx: &'a JobContext, links: &'a VendorLinks) -> anyhow::Result<Mailing<'a>> {
        Ok(Mailing { templates: ctx.env.templates()?, config: &ctx.env.config, links })
    }

    /// Queues `message` to `to`, once per `key` and recipient.
    pub(crate) async fn once(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        message: &impl EmailTemplate,
        to: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        if !record(db, key, to, now).await? {
            return Ok(false);
        }
        let email =
            Email::compose(self.templates, message, Sender::Beacon, vec![to.to_owned()], self.config.site.host())?;
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
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    o: &opportunity::Model,
) -> anyhow::Result<()> {
    let link: String = mail.config.site.app_url.join(&format!("/beacon/admin/{}", o.id))?.into();
    let now = Utc::now();
    if let Some(author) = email_of(db, o.created_by).await? {
        let message = emails::SentForApproval { title: o.title.clone(), link: link.clone() };
        mail.once(db, &format!("beacon.sent_for_approval:{}", o.id), &message, &author, now).await?;
    }
    let message = emails::NeedsReview { title: o.title.clone(), link };
    for reviewer in accounts::users::emails_with_roles(db, &["conductor", "admin", "superadmin"]).await? {
        mail.once(db, &format!("beacon.needs_review:{}", o.id), &message, &reviewer, now).await?;
    }
    Ok(())
}

/// An approved opportunity: its author hears (once).
pub async fn approved(db: &impl ConnectionTrait, mail: &Mailing<'_>, o: &opportunity::Model) -> anyhow::Result<()> {
    let Some(author) = email_of(db, o.created_by).await? else { return Ok(()) };
    let link = mail.config.site.app_url.join(&format!("/beacon/opportunities/{}", o.id))?.into();
    let publish = o.planned_publish.format("%B %-d, %Y").to_string();
    let message = emails::Approved { title: o.title.clone(), link, publish, published: o.published_at.is_some() };
    mail.once(db, &format!("beacon.approved:{}", o.id), &message, &author, Utc::now()).await?;
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
        let links = job_links(ctx)?;
        let queued = remind(&ctx.env.db, &Mailing::of(ctx, &links)?, ctx.env.config.site.today()).await?;
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
        let message = emails::Reminder { days, opportunity: summary(db, mail.config, &o).await? };
        queued += fan_out(db, mail, &key, Audience::Followers(o.id), &message).await?;
    }
    Ok(queued)
}

/// The message key of the notice that document `document_id` was added.
pub fn addendum_key(document_id: i32) -> String {
    format!("beacon.addendum:{document_id}")
}

/// Tells an opportunity's followers that a document was added after it was published (an
/// addendum), once per document and follower. Queued with the document, in its transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Addendum {
    pub opportunity_id: i32,
    pub document_id: i32,
}

impl Job for Addendum {
    const NAME: &'static str = "beacon.addendum";

    fn settings() -> JobSettings {
        JobSettings { retries: 10, ..JobSettings::default() }
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let links = job_links(ctx)?;
        let queued = addendum(&ctx.env.db, &Mailing::of(ctx, &links)?, self.opportunity_id, self.document_id).await?;
        tracing::info!(opportunity = self.opportunity_id, document = self.document_id, queued, "addendum announced");
        Ok(())
    }
}

/// Queues the addendum notice for `document_id`; nothing if the document is gone meanwhile or
/// the opportunity is no longer public, or closed (nobody can bid any more).
pub async fn addendum(db: &DatabaseConnection, mail: &Mailing<'_>, id: i32, document_id: i32) -> anyhow::Result<u64> {
    use model::entities::opportunity_document;
    let Some(o) = opportunity::Entity::find_by_id(id).one(db).await? else { return Ok(0) };
    let document = opportunity_document::Entity::find_by_id(document_id).one(db).await?;
    let Some(document) = document.filter(|d| d.opportunity_id == id) else { return Ok(0) };
    if !is_published(&o) || o.planned_submission_end <= Utc::now() {
        return Ok(0);
    }
    let message = emails::Addendum { document: document.name, opportunity: summary(db, mail.config, &o).await? };
    fan_out(db, mail, &addendum_key(document_id), Audience::Followers(id), &message).await
}
