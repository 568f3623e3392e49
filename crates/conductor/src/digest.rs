//! Each assignee's weekly digest (issue 16): on Monday at 07:00 in the site's time zone, one
//! email per user with work in progress: their items, those past their stage's target first
//! (longest over first), then the rest by the renewed contract's expiry, and the contracts their
//! work renews that expire in the next 120 days.
//!
//! Invariant: one digest per week (its Monday) and recipient: a `conductor_digests` row is
//! inserted in the transaction that queues the email, and an existing row means it went.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use model::entities::{conductor_digest, user, work_item};
use platform::jobs::{Job, JobContext};
use platform::mail::EmailTemplate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};

use crate::emails::Mailing;

/// How far ahead the digest looks for expirations.
pub const EXPIRING_DAYS: i64 = 120;

/// When the digest goes out on Mondays, in the site's time zone.
pub fn sent_at() -> NaiveTime {
    NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default()
}

/// The weekly job (scheduled on Mondays; run on another day, it sends that week's digests).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WeeklyDigest {}

impl Job for WeeklyDigest {
    const NAME: &'static str = "conductor.weekly_digest";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let config = &ctx.env.config;
        let mail = Mailing { templates: ctx.env.templates()?, config };
        let today = config.site.today();
        let sent = send(&ctx.env.db, &mail, today, Utc::now()).await?;
        tracing::info!(sent, %today, "weekly digests queued");
        Ok(())
    }
}

/// One piece of work in the digest.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub description: String,
    pub stage: String,
    pub days: i64,
    pub target_days: Option<i32>,
    /// Days past the target, when past it.
    pub over: Option<i64>,
    /// The renewed contract's expiry in words.
    pub expires: Option<String>,
    pub link: String,
}

/// The digest email.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    /// The week's Monday in words.
    pub week: String,
    pub overdue: Vec<Line>,
    pub on_track: Vec<Line>,
    /// Work whose renewed contract expires in the next [`EXPIRING_DAYS`], soonest first.
    pub expiring: Vec<Line>,
    /// The recipient's own list in Conductor.
    pub link: String,
}

impl EmailTemplate for Digest {
    const TEMPLATE: &'static str = "conductor/emails/digest";
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i32,
    description: Option<String>,
    stage: Option<String>,
    target_days: Option<i32>,
    stage_entered_at: Option<DateTime<Utc>>,
    renews_expiration: Option<NaiveDate>,
}

/// The Monday of `day`'s week.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Queues this week's digest for every user with work in progress who has not had it; returns
/// how many. Each recipient's digest commits on its own, so a rerun sends only the rest.
pub async fn send(
    db: &DatabaseConnection,
    mail: &Mailing<'_>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let week = week_of(today);
    let holders: Vec<i32> = work_item::Entity::find()
        .select_only()
        .column(work_item::Column::AssigneeId)
        .filter(work_item::Column::Status.eq(work_item::IN_PROGRESS))
        .filter(work_item::Column::AssigneeId.is_not_null())
        .distinct()
        .into_tuple::<Option<i32>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let sql = "SELECT w.id, c.description, s.name AS stage, s.target_days, w.stage_entered_at, w.renews_expiration \
               FROM work_items w JOIN contracts c ON c.id = w.contract_id \
               LEFT JOIN stages s ON s.id = w.current_stage_id \
               WHERE w.status = 'in_progress' AND w.assignee_id = $1 ORDER BY w.id";
    let mut sent = 0;
    for holder in holders {
        let Some(u) = user::Entity::find_by_id(holder).filter(user::Column::Active.eq(true)).one(db).await? else {
            continue;
        };
        let rows = Row::find_by_statement(platform::db::stmt(db.get_database_backend(), sql, vec![holder.into()]))
            .all(db)
            .await?;
        let mut lines = Vec::new();
        for r in rows {
            let days = r.stage_entered_at.map_or(0, |at| (now - at).num_days().max(0));
            let over = r.target_days.map(|t| days - i64::from(t)).filter(|o| *o > 0);
            let line = Line {
                description: r.description.unwrap_or_else(|| format!("Item #{}", r.id)),
                stage: r.stage.unwrap_or_default(),
                days,
                target_days: r.target_days,
                over,
                expires: r.renews_expiration.map(|d| d.format("%B %-d, %Y").to_string()),
                link: mail.link(&crate::pages::item_link(r.id))?,
            };
            lines.push((line, r.renews_expiration));
        }
        let mut expiring: Vec<(Line, NaiveDate)> = lines
            .iter()
            .filter_map(|(l, e)| e.filter(|d| *d <= today + Duration::days(EXPIRING_DAYS)).map(|d| (l.clone(), d)))
            .collect();
        expiring.sort_by_key(|(_, d)| *d);
        // Past target first, longest over first; then by the renewed contract's expiry.
        lines.sort_by(|(a, ae), (b, be)| {
            b.over.cmp(&a.over).then_with(|| ae.is_none().cmp(&be.is_none())).then_with(|| ae.cmp(be))
        });
        let (overdue, on_track): (Vec<Line>, Vec<Line>) =
            lines.into_iter().map(|(l, _)| l).partition(|l| l.over.is_some());
        let digest = Digest {
            week: week.format("%B %-d, %Y").to_string(),
            overdue,
            on_track,
            expiring: expiring.into_iter().map(|(l, _)| l).collect(),
            link: mail.link("/conductor/?who=mine")?,
        };
        let txn = platform::db::begin_write(db).await?;
        let inserted = conductor_digest::Entity::insert(conductor_digest::ActiveModel {
            week: Set(week),
            user_id: Set(holder),
            sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([conductor_digest::Column::Week, conductor_digest::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        // Another run got here first: its email is already queued.
        if inserted == 1 {
            mail.queue(&txn, &digest, vec![u.email.clone()], Vec::new(), None, Vec::new()).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_named_by_its_monday() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
        assert_eq!(week_of(day("2026-12-07")), day("2026-12-07"), "a Monday");
        assert_eq!(week_of(day("2026-12-13")), day("2026-12-07"), "its Sunday");
        assert_eq!(week_of(day("2026-12-06")), day("2026-11-30"), "the Sunday before");
    }
}
