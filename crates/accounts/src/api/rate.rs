//! Each token's rate limit (`API_RATE_LIMIT`): fixed windows counted in `api_rate_windows`, one
//! row per token and window, raised by a single upsert, so every web process counts the same
//! requests and two at once are both counted. Headers as the IETF draft "RateLimit header
//! fields for HTTP" writes them.

use axum::http::{HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};
use platform::config::RateLimit;
use sea_orm::{ConnectionTrait, DbErr};

/// A token's requests in the current window, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub requests: u32,
    /// Seconds until the window ends.
    pub reset: u64,
}

/// The window `now` falls in, and the seconds left in it.
fn window(limit: RateLimit, now: DateTime<Utc>) -> (i64, u64) {
    let length = i64::try_from(limit.window.as_secs().max(1)).unwrap_or(i64::MAX);
    let seconds = now.timestamp();
    let number = seconds.div_euclid(length);
    let left = length - seconds.rem_euclid(length);
    (number, u64::try_from(left).unwrap_or(1))
}

/// Counts one request of token `token_id`.
pub async fn hit(
    db: &impl ConnectionTrait,
    token_id: i32,
    limit: RateLimit,
    now: DateTime<Utc>,
) -> Result<Count, DbErr> {
    let (number, reset) = window(limit, now);
    let sql = "INSERT INTO api_rate_windows (token_id, window_number, requests) VALUES ($1, $2, 1) \
               ON CONFLICT (token_id, window_number) DO UPDATE SET requests = api_rate_windows.requests + 1 \
               RETURNING requests";
    let row = db
        .query_one_raw(platform::db::stmt(db.get_database_backend(), sql, vec![token_id.into(), number.into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the rate window's count".into()))?;
    let requests: i32 = row.try_get_by_index(0)?;
    Ok(Count { requests: u32::try_from(requests).unwrap_or(u32::MAX), reset })
}

/// Deletes windows that ended before `now` (nightly).
pub async fn purge(db: &impl ConnectionTrait, limit: RateLimit, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let (number, _) = window(limit, now);
    let sql = "DELETE FROM api_rate_windows WHERE window_number < $1";
    Ok(db.execute_raw(platform::db::stmt(db.get_database_backend(), sql, vec![number.into()])).await?.rows_affected())
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`.
pub fn headers(headers: &mut HeaderMap, limit: RateLimit, count: &Count) {
    let remaining = limit.requests.saturating_sub(count.requests);
    headers.insert("ratelimit-limit", HeaderValue::from(limit.requests));
    headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(count.reset));
    if let Ok(policy) = HeaderValue::from_str(&format!("{};w={}", limit.requests, limit.window.as_secs())) {
        headers.insert("ratelimit-policy", policy);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn windows_are_aligned_and_say_how_long_is_left() {
        let limit = RateLimit { requests: 30, window: Duration::from_secs(60) };
        let at = |s| Utc.timestamp_opt(s, 0).single().expect("moment");
        assert_eq!(window(limit, at(120)), (2, 60));
        assert_eq!(window(limit, at(179)), (2, 1));
        assert_eq!(window(limit, at(180)), (3, 60));
    }
}
