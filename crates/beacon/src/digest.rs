//! The biweekly digest: on the 1st and the 15th, newsletter subscribers get one email listing
//! the opportunities published since the previous digest that are still open.
//!
//! Each digest is an edition (its day) with the moment it covers up to, stored in
//! `beacon_digests` before any email is queued. The next edition starts where it ended, so an
//! opportunity is in exactly one digest whoever published it (the original's nightly job never
//! set `published_at`, so what it published missed the digest). A rerun of the same edition (a
//! retried job, a run after a crash, one started by hand) keeps its window and, through the
//! deliveries record, queues only the emails still missing.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use model::entities::opportunity;
use platform::db::stmt;
use platform::jobs::{Job, JobContext, JobSettings};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::emails;
use crate::notify::{Audience, Mailing, fan_out};

/// The days of the month a digest goes out.
pub const DAYS: [u32; 2] = [1, 15];

/// The edition `today` belongs to: the latest 1st or 15th on or before it, so a digest retried
/// the next day still finishes the edition it began.
pub fn edition_for(today: NaiveDate) -> NaiveDate {
    let day = if today.day() >= DAYS[1] { DAYS[1] } else { DAYS[0] };
    today.with_day(day).unwrap_or(today)
}

/// The message key of edition `edition`.
pub fn key(edition: NaiveDate) -> String {
    format!("beacon.digest:{edition}")
}

/// Sends the digest of the current edition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Digest {}

impl Job for Digest {
    const NAME: &'static str = "beacon.digest";

    fn settings() -> JobSettings {
        JobSettings { retries: 10, ..JobSettings::default() }
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let links = crate::notify::job_links(ctx)?;
        let edition = edition_for(ctx.env.config.site.today());
        let queued = send(&ctx.env.db, &Mailing::of(ctx, &links)?, edition, Utc::now()).await?;
        tracing::info!(%edition, queued, "digest queued");
        Ok(())
    }
}

/// The window of `edition`: (after, until]. Creates the edition, ending `now`, if it is new.
async fn window(
    db: &DatabaseConnection,
    edition: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<(Option<DateTime<Utc>>, DateTime<Utc>)> {
    let backend = db.get_database_backend();
    let insert = "INSERT INTO beacon_digests (edition, covers_until) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    db.execute_raw(stmt(backend, insert, vec![edition.into(), now.into()])).await?;
    let until = "SELECT covers_until FROM beacon_digests WHERE edition = $1";
    let row = db.query_one_raw(stmt(backend, until, vec![edition.into()])).await?;
    let until: DateTime<Utc> = row.ok_or_else(|| anyhow::anyhow!("digest {edition} vanished"))?.try_get_by_index(0)?;
    let after = "SELECT MAX(covers_until) FROM beacon_digests WHERE edition < $1";
    let after: Option<DateTime<Utc>> = match db.query_one_raw(stmt(backend, after, vec![edition.into()])).await? {
        Some(r) => r.try_get_by_index(0)?,
        None => None,
    };
    Ok((after, until))
}

/// Queues edition `edition` of the digest to every newsletter subscriber who has not had it;
/// returns how many emails. Nothing new since the previous digest: no email.
pub async fn send(
    db: &DatabaseConnection,
    mail: &Mailing<'_>,
    edition: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let (after, until) = window(db, edition, now).await?;
    let mut query = opportunity::Entity::find()
        .filter(opportunity::Column::IsPublic.eq(true))
        .filter(opportunity::Column::IsArchived.eq(false))
        .filter(opportunity::Column::PublishedAt.lte(until))
        .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
        .order_by_asc(opportunity::Column::PlannedSubmissionEnd)
        .order_by_asc(opportunity::Column::Id);
    if let Some(after) = after {
        query = query.filter(opportunity::Column::PublishedAt.gt(after));
    }
    let found = query.all(db).await?;
    if found.is_empty() {
        return Ok(0);
    }
    let mut listed = Vec::with_capacity(found.len());
    for o in &found {
        listed.push(crate::notify::summary(db, mail.config, o).await?);
    }
    let date = edition.format("%B %-d, %Y").to_string();
    let message = emails::Digest { opportunities: listed, count: found.len(), date };
    fan_out(db, mail, &key(edition), Audience::Newsletter, &message).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn an_edition_is_the_latest_first_or_fifteenth() {
        assert_eq!(edition_for(day("2026-12-01")), day("2026-12-01"));
        assert_eq!(edition_for(day("2026-12-02")), day("2026-12-01"), "a retry the next day finishes the 1st");
        assert_eq!(edition_for(day("2026-12-14")), day("2026-12-01"));
        assert_eq!(edition_for(day("2026-12-15")), day("2026-12-15"));
        assert_eq!(edition_for(day("2027-02-28")), day("2027-02-15"));
        assert_eq!(key(day("2026-12-15")), "beacon.digest:2026-12-15");
    }
}
