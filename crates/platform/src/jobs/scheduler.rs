//! Periodic jobs: each has a time of day in `DISPLAY_TIMEZONE` (the original's nightly jobs
//! start at 07:00) and the days it runs. A run is a *slot* `(name, date)`; the slot's row in
//! `job_status` is inserted with `ON CONFLICT DO NOTHING`, and only the process whose insert
//! succeeded enqueues the job, in the same transaction. So a slot runs once however many
//! schedulers are running, after a restart, or when `procure enqueue-job` is called for it too.
//!
//! A scheduler that was down at the slot's time enqueues it when it comes back, the same day.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use tokio_util::sync::CancellationToken;

use super::queue::{self, JobsError, stmt};
use super::{Job, Registry};

/// Which days a periodic job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Days {
    Every,
    /// Days of the month, e.g. the biweekly digest on the 1st and 15th.
    OfMonth(Vec<u32>),
    /// One day of the week, e.g. Conductor's weekly digest on Mondays.
    OfWeek(chrono::Weekday),
}

#[derive(Debug, Clone)]
pub struct Periodic {
    /// The slot name in `job_status`, e.g. `scout.expiring_contracts`.
    pub name: &'static str,
    pub job: &'static str,
    pub payload: serde_json::Value,
    pub at: NaiveTime,
    pub days: Days,
}

impl Periodic {
    /// `job` every day at `at` (local time).
    pub fn daily<J: Job>(name: &'static str, job: &J, at: NaiveTime) -> Self {
        Periodic { name, job: J::NAME, payload: serde_json::to_value(job).unwrap_or_default(), at, days: Days::Every }
    }

    /// `job` on the given days of the month at `at` (local time).
    pub fn monthly_on<J: Job>(name: &'static str, job: &J, days: &[u32], at: NaiveTime) -> Self {
        Periodic { days: Days::OfMonth(days.to_vec()), ..Self::daily(name, job, at) }
    }

    /// `job` every `weekday` at `at` (local time).
    pub fn weekly_on<J: Job>(name: &'static str, job: &J, weekday: chrono::Weekday, at: NaiveTime) -> Self {
        Periodic { days: Days::OfWeek(weekday), ..Self::daily(name, job, at) }
    }

    pub fn runs_on(&self, date: NaiveDate) -> bool {
        match &self.days {
            Days::Every => true,
            Days::OfMonth(days) => days.contains(&date.day()),
            Days::OfWeek(weekday) => date.weekday() == *weekday,
        }
    }
}

/// The periodic jobs of this build.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    entries: Vec<Periodic>,
}

impl Schedule {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, periodic: Periodic) -> &mut Self {
        self.entries.push(periodic);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Periodic> {
        self.entries.iter().find(|p| p.name == name)
    }

    pub fn entries(&self) -> &[Periodic] {
        &self.entries
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("{0} is scheduled but no worker job is registered under {1}")]
    Unregistered(&'static str, &'static str),
    #[error(transparent)]
    Jobs(#[from] JobsError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Takes the `(name, date)` slot and enqueues its job, or returns `None` when another process
/// already has.
pub async fn claim_slot(
    db: &DatabaseConnection,
    registry: &Registry,
    periodic: &Periodic,
    date: NaiveDate,
) -> Result<Option<i64>, ScheduleError> {
    let settings = registry.settings(periodic.job).ok_or(ScheduleError::Unregistered(periodic.name, periodic.job))?;
    let txn = crate::db::begin_write(db).await?;
    let backend = txn.get_database_backend();
    let inserted = txn
        .query_one_raw(stmt(
            backend,
            "INSERT INTO job_status (name, date, status) VALUES ($1, $2, 'new') \
             ON CONFLICT (name, date) DO NOTHING RETURNING id",
            vec![periodic.name.into(), date.into()],
        ))
        .await?;
    let Some(row) = inserted else {
        txn.rollback().await?;
        return Ok(None);
    };
    let slot: i32 = row.try_get("", "id")?;
    let job_id = queue::enqueue_for_slot(&txn, periodic.job, &periodic.payload, settings, slot).await?;
    txn.commit().await?;
    Ok(Some(job_id))
}

/// Enqueues every slot that is due at `now` and not yet taken. Returns the slots it took.
pub async fn run_due(
    db: &DatabaseConnection,
    registry: &Registry,
    schedule: &Schedule,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, NaiveDate, i64)>, ScheduleError> {
    let local = now.with_timezone(&tz);
    let (today, time) = (local.date_naive(), local.time());
    let mut taken = Vec::new();
    for periodic in &schedule.entries {
        if periodic.runs_on(today)
            && time >= periodic.at
            && let Some(job_id) = claim_slot(db, registry, periodic, today).await?
        {
            tracing::info!(slot = periodic.name, date = %today, job_id, "scheduled run enqueued");
            taken.push((periodic.name, today, job_id));
        }
    }
    Ok(taken)
}

/// The `procure scheduler` loop: checks for due slots every `tick` until shutdown.
pub async fn run(
    db: DatabaseConnection,
    registry: Registry,
    schedule: Schedule,
    tz: Tz,
    tick: Duration,
    shutdown: CancellationToken,
) {
    for p in schedule.entries() {
        tracing::info!(slot = p.name, job = p.job, at = %p.at, days = ?p.days, timezone = %tz, "scheduled");
    }
    while !shutdown.is_cancelled() {
        if let Err(e) = run_due(&db, &registry, &schedule, tz, Utc::now()).await {
            tracing::error!(error = %e, "cannot enqueue scheduled jobs; will try again");
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(tick) => {}
        }
    }
    tracing::info!("scheduler stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::NoopJob;

    #[test]
    fn days_of_month() {
        let at = NaiveTime::from_hms_opt(7, 0, 0).expect("time");
        let p = Periodic::monthly_on("digest", &NoopJob {}, &[1, 15], at);
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).expect("date");
        assert!(p.runs_on(d(1)) && p.runs_on(d(15)));
        assert!(!p.runs_on(d(2)));
        assert!(Periodic::daily("n", &NoopJob {}, at).runs_on(d(2)));
    }

    #[test]
    fn a_day_of_the_week() {
        let at = NaiveTime::from_hms_opt(7, 0, 0).expect("time");
        let p = Periodic::weekly_on("weekly", &NoopJob {}, chrono::Weekday::Mon, at);
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).expect("date");
        assert!(p.runs_on(d(7)) && p.runs_on(d(14)), "Mondays");
        assert!((8..=13).all(|day| !p.runs_on(d(day))), "no other day");
    }
}
