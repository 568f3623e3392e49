//! How urgent a date looks on Conductor's lists (research/conductor.md §3.1, acceptance 37):
//! a contract expiring within 60 days is red, within 120 yellow; a stage taking longer than its
//! target days is red, past three quarters of it yellow, and a stage without a target is yellow
//! after 7 days and red after 14. Words go with every colour on the pages, so colour is never
//! the only signal.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// Days before expiry at which a contract turns red, and yellow.
pub const EXPIRY_RED_DAYS: i64 = 60;
pub const EXPIRY_YELLOW_DAYS: i64 = 120;
/// Days in a stage without a target at which it turns yellow, and red.
pub const UNTARGETED_YELLOW_DAYS: i64 = 7;
pub const UNTARGETED_RED_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Calm,
    Soon,
    Urgent,
}

/// The tone of an expiration date seen on `today`.
pub fn expiry_tone(expiration: Option<NaiveDate>, today: NaiveDate) -> Tone {
    match expiration.map(|e| (e - today).num_days()) {
        Some(days) if days < EXPIRY_RED_DAYS => Tone::Urgent,
        Some(days) if days < EXPIRY_YELLOW_DAYS => Tone::Soon,
        _ => Tone::Calm,
    }
}

/// The tone of a stage entered at `entered`, against its `target` days, at `now`.
pub fn days_tone(entered: Option<DateTime<Utc>>, target: Option<i32>, now: DateTime<Utc>) -> Tone {
    let Some(entered) = entered else { return Tone::Calm };
    let hours = (now - entered).num_hours();
    match target {
        Some(t) if t > 0 => {
            let target_hours = i64::from(t) * 24;
            if hours > target_hours {
                Tone::Urgent
            } else if hours * 4 > target_hours * 3 {
                Tone::Soon
            } else {
                Tone::Calm
            }
        }
        _ if hours > UNTARGETED_RED_DAYS * 24 => Tone::Urgent,
        _ if hours > UNTARGETED_YELLOW_DAYS * 24 => Tone::Soon,
        _ => Tone::Calm,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn expiry_turns_yellow_under_120_days_and_red_under_60() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).expect("date");
        let tone = |days| expiry_tone(Some(today + Duration::days(days)), today);
        assert_eq!(
            [tone(-1), tone(59), tone(60), tone(119), tone(120)],
            [Tone::Urgent, Tone::Urgent, Tone::Soon, Tone::Soon, Tone::Calm]
        );
        assert_eq!(expiry_tone(None, today), Tone::Calm);
    }

    #[test]
    fn a_stage_turns_yellow_past_7_days_and_red_past_14_or_against_its_target() {
        let now = Utc::now();
        let ago = |days: i64, hours: i64| Some(now - Duration::days(days) - Duration::hours(hours));
        assert_eq!(days_tone(ago(7, 0), None, now), Tone::Calm);
        assert_eq!(days_tone(ago(7, 1), None, now), Tone::Soon);
        assert_eq!(days_tone(ago(14, 1), None, now), Tone::Urgent);
        assert_eq!(days_tone(ago(2, 0), Some(4), now), Tone::Calm);
        assert_eq!(days_tone(ago(3, 1), Some(4), now), Tone::Soon);
        assert_eq!(days_tone(ago(4, 1), Some(4), now), Tone::Urgent);
        assert_eq!(days_tone(None, Some(4), now), Tone::Calm);
    }
}
