//! Conductor's pages under `/conductor/`, for conductor-level users only. Every page checks
//! that first ([`conductor_only`]); every change is a POST (CSRF-checked by the platform) that
//! calls one service in one transaction and redirects with a flash message.
//!
//! - `index.rs`: "In progress" and "All contracts", sorted, searched and paged on the server;
//!   bulk reassignment.
//! - `start.rs`: starting work on a contract or on new work; moving the start.
//! - `detail.rs`: one work item: its stages, activity, notes, details and every transition.
//! - `beacon.rs`: posting the work to Beacon (from a stage that may), as a draft that goes
//!   through Beacon's approval.
//! - `email.rs`: the update email with its attachments, and the files kept with an item.
//! - `calendar.rs`: the renewal calendar's month and its feed at a per-user secret link.
//! - `costars.rs`: COSTARS award lists through the admin's import at Conductor's own desk, and
//!   each COSTARS contract's PDF.
//! - `metrics.rs`: each flow's figures as charts and tables, the exports and the flow's data.
//! - `completion.rs`: the completion wizard after the last stage (contract, companies,
//!   contacts; the draft kept server-side) and its success page.
//!
//! Each module adds its own routes in [`routes`].

pub mod beacon;
pub mod calendar;
pub mod completion;
pub mod costars;
pub mod detail;
pub mod email;
pub mod index;
pub mod metrics;
pub mod start;

use accounts::{Action, CurrentUser, Resource};
use platform::http::{AppError, Routes};

use crate::store;

/// Every page module's routes.
pub fn routes(routes: Routes) -> Routes {
    let routes = index::routes(routes);
    let routes = start::routes(routes);
    let routes = beacon::routes(routes);
    let routes = completion::routes(routes);
    let routes = email::routes(routes);
    let routes = metrics::routes(routes);
    let routes = costars::routes(routes);
    let routes = calendar::routes(routes);
    detail::routes(routes)
}

/// Conductor's pages are for conductor-level users only (403 for other signed-in users; the
/// `SignedIn` extractor already sent anonymous visitors to sign in).
pub fn conductor_only(me: &CurrentUser) -> Result<(), AppError> {
    Ok(accounts::authorize(Some(me), Action::View, Resource::WorkItem)?)
}

/// The work item `id` with its flow's rows and stages, or 404.
pub async fn item_or_404(db: &impl sea_orm::ConnectionTrait, id: i32) -> Result<store::Item, AppError> {
    store::load(db, id).await?.ok_or(AppError::NotFound)
}

/// A work item's page.
pub fn item_link(id: i32) -> String {
    format!("/conductor/items/{id}")
}

/// A form as its handler reads it: every (name, value) pair, repeated names kept.
pub type Pairs = axum::Form<Vec<(String, String)>>;

/// The first value of `name` in a form, trimmed; empty when absent.
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

/// The first value of `name` as typed (what a refused form shows again); empty when absent.
pub fn typed(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// A `datetime-local` field's value ("2026-12-06T09:30", in the display time zone) as UTC;
/// `Ok(None)` when blank.
pub fn parse_local(tz: chrono_tz::Tz, raw: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, &'static str> {
    use chrono::TimeZone as _;
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "Enter a date and time, e.g. 2026-12-06 09:30.")?;
    let local =
        tz.from_local_datetime(&naive).earliest().ok_or("That time does not exist that day (the clocks change).")?;
    Ok(Some(local.with_timezone(&chrono::Utc)))
}

/// `at` as a `datetime-local` field's value in the display time zone.
pub fn local_input(tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// `at` in words in the display time zone ("Dec 6, 2026, 9:30 AM").
pub fn local_words(tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&tz).format("%b %-d, %Y, %-I:%M %p").to_string()
}

/// A service's refusal of a form, as the form's errors (field, message); other errors pass.
pub fn form_errors(e: accounts::ServiceError) -> Result<Vec<(String, String)>, AppError> {
    match e {
        accounts::ServiceError::Invalid(problems) => {
            Ok(problems.into_iter().map(|(field, message)| (field.to_owned(), message)).collect())
        }
        other => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_reads_in_the_display_zone_and_blanks_are_none() {
        let tz = chrono_tz::America::New_York;
        let at = parse_local(tz, "2026-12-06T09:30").expect("reads").expect("given");
        assert_eq!(at.to_rfc3339(), "2026-12-06T14:30:00+00:00");
        assert_eq!(local_input(tz, at), "2026-12-06T09:30");
        assert_eq!(parse_local(tz, "  "), Ok(None));
        assert!(parse_local(tz, "yesterday").is_err());
        // 2:30 AM does not exist on the day clocks spring forward.
        assert!(parse_local(tz, "2027-03-14T02:30").is_err());
    }
}
