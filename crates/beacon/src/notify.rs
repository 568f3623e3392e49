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
    let closes = o
        .planned_submission_end
        .with_timezone(&config.site.display_timezone)
        .format("%A, %B %-d, %Y at %-I:%M %p %Z")
        .to_string();
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
            if !record(&txn, &key, &r.email, now).await? {
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
