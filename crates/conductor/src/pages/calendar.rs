//! The renewal calendar: a month's agenda (`/conductor/calendar?month=2026-12`) with the
//! user's secret feed link and "Get a new link", and the feed itself
//! (`/conductor/calendar/{token}/renewals.ics`, no sign-in: the token is the key).

use accounts::{Flash, SignedIn, Viewer, page, page_with_status};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use minijinja::context;
use minijinja::value::Serde;
use platform::http::{AppError, AppState, Routes};
use serde::Deserialize;

use super::conductor_only;
use crate::calendar;

pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/conductor/calendar", month)
        .post("/conductor/calendar/rotate", rotate)
        .get("/conductor/calendar/{token}/renewals.ics", feed)
}

#[derive(Debug, Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// The first day of the month `raw` names ("2026-12"), or of `today`'s when blank.
fn month_of(raw: Option<&str>, today: NaiveDate) -> Option<NaiveDate> {
    match raw.map(str::trim).filter(|m| !m.is_empty()) {
        None => today.with_day(1),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok(),
    }
}

/// The first day of the month after `first`'s.
fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 { (first.year() + 1, 1) } else { (first.year(), first.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)
}

async fn month(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let tz = state.config.site.display_timezone;
    let today = state.config.site.today();
    let feed = state.config.site.app_url.join(&calendar::feed_path(&state.db, &state.secret, me.id).await?);
    let feed = feed.map(String::from).map_err(|e| AppError::Internal(e.into()))?;
    let Some(first) = month_of(q.month.as_deref(), today) else {
        let ctx = context! { error => "Choose a month as YYYY-MM, e.g. 2026-12.", feed, month => None::<String> };
        return Ok(
            page_with_status(&state, &viewer, StatusCode::BAD_REQUEST, "conductor/calendar.html", ctx)?.into_response()
        );
    };
    let next = next_month(first);
    let previous = (first - Duration::days(1)).with_day(1).unwrap_or(first);
    let entries = calendar::entries(&state.db, first, next - Duration::days(1), tz).await?;
    let count = entries.len();
    let days: Vec<_> = calendar::by_day(entries)
        .into_iter()
        .map(|(day, entries)| {
            context! {
                id => day.format("%Y-%m-%d").to_string(),
                words => day.format("%A, %B %-d").to_string(),
                today => day == today,
                entries => Serde(entries),
            }
        })
        .collect();
    let ctx = context! {
        month => first.format("%B %Y").to_string(),
        previous => previous.format("%Y-%m").to_string(), previous_words => previous.format("%B %Y").to_string(),
        next => next.format("%Y-%m").to_string(), next_words => next.format("%B %Y").to_string(),
        days, count, feed, error => None::<String>,
    };
    Ok(page(&state, &viewer, "conductor/calendar.html", ctx)?.into_response())
}

/// "Get a new link": every earlier link to the user's feed stops working.
async fn rotate(State(state): State<AppState>, SignedIn(me): SignedIn, viewer: Viewer) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let txn = platform::db::begin_write(&state.db).await?;
    calendar::rotate(&txn, &me, Utc::now()).await?;
    admin::audit::record_action(&txn, Some(me.id), "rotate_calendar", "users", me.id, &me.email, &[]).await?;
    txn.commit().await?;
    let said = "Your calendar has a new link, and the old one no longer works: subscribe again with the link below.";
    viewer.set_flash(Flash::success(said)).await?;
    Ok(Redirect::to("/conductor/calendar").into_response())
}

/// Text for an iCalendar property: no controls (line breaks included).
fn calendar_text(s: &str) -> String {
    platform::text::strip_controls(s).into_owned()
}

/// The feed: from 30 days ago to a year ahead, each entry an all-day event.
async fn feed(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let Some(_user) = calendar::holder(&state.db, &state.secret, &token).await? else {
        return Err(AppError::NotFound);
    };
    let tz = state.config.site.display_timezone;
    let today = state.config.site.today();
    let now = Utc::now();
    let host = state.config.site.host().to_owned();
    let entries = calendar::entries(&state.db, today - Duration::days(30), today + Duration::days(365), tz).await?;
    let mut out = Calendar::new();
    out.name("Renewals");
    for e in entries {
        let link =
            state.config.site.app_url.join(&e.path).map(String::from).map_err(|e| AppError::Internal(e.into()))?;
        out.push(
            Event::new()
                .uid(&format!("{}@{host}", e.uid))
                .summary(&calendar_text(&e.title))
                .description(&link)
                .url(&link)
                .all_day(e.day)
                .timestamp(now)
                .done(),
        );
    }
    let headers = [
        (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
        // Someone's own: never kept by a shared cache.
        (header::CACHE_CONTROL, platform::http::caching::PRIVATE),
    ];
    Ok((headers, out.done().to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_as_year_and_month() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
        assert_eq!(month_of(None, day("2026-12-06")), Some(day("2026-12-01")));
        assert_eq!(month_of(Some("2027-02"), day("2026-12-06")), Some(day("2027-02-01")));
        assert_eq!(month_of(Some("2027-13"), day("2026-12-06")), None);
        assert_eq!(month_of(Some("soon"), day("2026-12-06")), None);
        assert_eq!(next_month(day("2026-12-01")), day("2027-01-01"));
    }
}
