//! The figures of a flow's metrics, as pure functions of its stage rows (`research/conductor.md`
//! §6, with the original's wrong bucket bounds and dropped unassigned work put right):
//! - the average days per stage over completed rows: each row's days rounded to 0.1 first,
//!   then their mean, rounded to 0.1; 0 for a stage nothing has completed;
//! - the distribution of completed rows per stage by whole days, longest first;
//! - the work in progress per stage by days in it, in buckets with true bounds (< 1, 1–7,
//!   7–15, 15–30, ≥ 30 days), and how much of it is past the stage's target.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub const DAY_SECONDS: f64 = 86_400.0;

/// A stage of the flow, in flow order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub id: i32,
    pub name: String,
    pub target_days: Option<i32>,
}

/// One current (not superseded) row the work has entered: completed when it has an exit.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub work_item_id: i32,
    pub contract_id: i32,
    pub stage_id: i32,
    pub entered: DateTime<Utc>,
    pub exited: Option<DateTime<Utc>>,
    /// Whether the work is in progress (only such open rows are work in progress).
    pub in_progress: bool,
}

impl Passage {
    /// Seconds spent in the stage: to its exit, or to `now` while open; never negative.
    pub fn seconds(&self, now: DateTime<Utc>) -> i64 {
        (self.exited.unwrap_or(now) - self.entered).num_seconds().max(0)
    }
}

/// How long open work has been in its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Bucket {
    UnderOne,
    OneToSeven,
    SevenToFifteen,
    FifteenToThirty,
    ThirtyOrMore,
}

impl Bucket {
    pub const ALL: [Bucket; 5] =
        [Bucket::UnderOne, Bucket::OneToSeven, Bucket::SevenToFifteen, Bucket::FifteenToThirty, Bucket::ThirtyOrMore];

    /// The bucket of `seconds`: lower bounds inclusive, upper exclusive.
    pub fn of(seconds: i64) -> Bucket {
        let days = seconds as f64 / DAY_SECONDS;
        match days {
            d if d < 1.0 => Bucket::UnderOne,
            d if d < 7.0 => Bucket::OneToSeven,
            d if d < 15.0 => Bucket::SevenToFifteen,
            d if d < 30.0 => Bucket::FifteenToThirty,
            _ => Bucket::ThirtyOrMore,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::UnderOne => "Under 1 day",
            Bucket::OneToSeven => "1 to 7 days",
            Bucket::SevenToFifteen => "7 to 15 days",
            Bucket::FifteenToThirty => "15 to 30 days",
            Bucket::ThirtyOrMore => "30 days or more",
        }
    }
}

/// One completed passage in a stage's distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Took {
    pub work_item_id: i32,
    pub contract_id: i32,
    /// Days, to 0.1.
    pub days: f64,
}

/// A stage's completed passages: the same until the work moves again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completed {
    /// Their mean days (see the module header).
    pub average_days: f64,
    /// Longest first.
    pub took: Vec<Took>,
}

impl Completed {
    /// (whole days, how many passages took them), fewest days first, every day from 0 to the
    /// longest included (a distribution shows its gaps).
    pub fn by_whole_days(&self) -> Vec<(i64, usize)> {
        let whole = |t: &Took| t.days.floor() as i64;
        let longest = self.took.iter().map(whole).max().unwrap_or(-1);
        let mut counts = vec![0usize; usize::try_from(longest + 1).unwrap_or(0)];
        for t in &self.took {
            if let Some(n) = usize::try_from(whole(t)).ok().and_then(|d| counts.get_mut(d)) {
                *n += 1;
            }
        }
        counts.into_iter().enumerate().map(|(d, n)| (i64::try_from(d).unwrap_or(i64::MAX), n)).collect()
    }
}

/// A stage's work in progress at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Open {
    /// Per [`Bucket::ALL`].
    pub by_bucket: [usize; 5],
    /// Of that, the work past the stage's target days.
    pub over_target: usize,
}

impl Open {
    pub fn total(&self) -> usize {
        self.by_bucket.iter().sum()
    }
}

/// `x` rounded to 0.1.
pub fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Each of `stages`' completed passages among `passages`, in `stages`' order.
pub fn completed(stages: &[Stage], passages: &[Passage]) -> Vec<Completed> {
    stages
        .iter()
        .map(|stage| {
            let mut took: Vec<Took> = passages
                .iter()
                .filter(|p| p.stage_id == stage.id)
                .filter_map(|p| {
                    let exited = p.exited?;
                    Some(Took {
                        work_item_id: p.work_item_id,
                        contract_id: p.contract_id,
                        days: tenths(p.seconds(exited) as f64 / DAY_SECONDS),
                    })
                })
                .collect();
            took.sort_by(|a, b| b.days.total_cmp(&a.days).then(a.work_item_id.cmp(&b.work_item_id)));
            let average_days = if took.is_empty() {
                0.0
            } else {
                tenths(took.iter().map(|t| t.days).sum::<f64>() / took.len() as f64)
            };
            Completed { average_days, took }
        })
        .collect()
}

/// Each of `stages`' work in progress among `passages` at `now`, in `stages`' order.
pub fn open(stages: &[Stage], passages: &[Passage], now: DateTime<Utc>) -> Vec<Open> {
    stages
        .iter()
        .map(|stage| {
            let mut open = Open { by_bucket: [0; 5], over_target: 0 };
            for p in passages.iter().filter(|p| p.stage_id == stage.id && p.exited.is_none() && p.in_progress) {
                let seconds = p.seconds(now);
                open.by_bucket[Bucket::of(seconds) as usize] += 1;
                if stage.target_days.is_some_and(|t| seconds as f64 > f64::from(t) * DAY_SECONDS) {
                    open.over_target += 1;
                }
            }
            open
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(days: f64) -> DateTime<Utc> {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("date").with_timezone(&Utc);
        start + Duration::seconds((days * DAY_SECONDS) as i64)
    }

    fn passage(item: i32, stage: i32, entered: f64, exited: Option<f64>) -> Passage {
        Passage {
            work_item_id: item,
            contract_id: item + 100,
            stage_id: stage,
            entered: at(entered),
            exited: exited.map(at),
            in_progress: true,
        }
    }

    fn stages() -> Vec<Stage> {
        vec![
            Stage { id: 1, name: "Draft".into(), target_days: Some(7) },
            Stage { id: 2, name: "Review".into(), target_days: None },
        ]
    }

    #[test]
    fn the_average_is_of_days_each_rounded_first() {
        let passages = [passage(1, 1, 0.0, Some(1.0)), passage(2, 1, 0.0, Some(2.0))];
        let f = completed(&stages(), &passages);
        assert_eq!(f[0].average_days, 1.5);
        assert_eq!(f[0].took.len(), 2);
        assert_eq!(f[1].average_days, 0.0, "nothing completed the second stage");
        // 1.04 and 1.06 days round to 1.0 and 1.1 first: the mean is 1.05, shown as 1.1.
        let passages = [passage(1, 1, 0.0, Some(1.04)), passage(2, 1, 0.0, Some(1.06))];
        assert_eq!(completed(&stages(), &passages)[0].average_days, 1.1);
    }

    #[test]
    fn buckets_have_true_bounds() {
        let day = DAY_SECONDS as i64;
        assert_eq!(Bucket::of(0), Bucket::UnderOne);
        assert_eq!(Bucket::of(day - 1), Bucket::UnderOne);
        assert_eq!(Bucket::of(day), Bucket::OneToSeven);
        assert_eq!(Bucket::of(7 * day - 1), Bucket::OneToSeven);
        assert_eq!(Bucket::of(7 * day + day / 2), Bucket::SevenToFifteen, "7.5 days");
        assert_eq!(Bucket::of(15 * day), Bucket::FifteenToThirty);
        assert_eq!(Bucket::of(30 * day), Bucket::ThirtyOrMore);
    }

    #[test]
    fn open_work_is_counted_by_bucket_and_against_the_target() {
        let mut removed = passage(4, 1, 0.0, None);
        removed.in_progress = false;
        let passages = [
            passage(1, 1, 2.5, None), // 7.5 days at day 10
            passage(2, 1, 9.5, None), // half a day
            passage(3, 2, 0.0, None), // 10 days, no target
            removed,
        ];
        let f = open(&stages(), &passages, at(10.0));
        assert_eq!(f[0].by_bucket, [1, 0, 1, 0, 0]);
        assert_eq!(f[0].over_target, 1, "7.5 days is past a 7-day target");
        assert_eq!(f[1].by_bucket, [0, 0, 1, 0, 0]);
        assert_eq!(f[1].over_target, 0, "no target, never over");
        assert_eq!(f[0].total(), 2, "work taken out of Conductor is not in progress");
    }

    #[test]
    fn the_distribution_is_longest_first_by_whole_days_with_gaps() {
        let passages = [passage(1, 1, 0.0, Some(0.5)), passage(2, 1, 0.0, Some(3.2)), passage(3, 1, 0.0, Some(3.9))];
        let f = &completed(&stages(), &passages)[0];
        let order: Vec<i32> = f.took.iter().map(|t| t.work_item_id).collect();
        assert_eq!(order, [3, 2, 1]);
        assert_eq!(f.by_whole_days(), [(0, 1), (1, 0), (2, 0), (3, 2)]);
        assert!(completed(&stages(), &[])[0].by_whole_days().is_empty());
    }
}
