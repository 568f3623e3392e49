//! Feeds for readers and calendars: an Atom feed of the current opportunities (all, or one
//! category's) and an iCalendar feed of their deadlines. The opportunities page announces both
//! with `<link rel="alternate">`, so feed readers and calendar apps find them. Stored text passes
//! through each format's own rule on the way out, so no title can break a feed.

use atom_syndication::{Entry, Feed, Link, Text};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use model::entities::opportunity_category;
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::lifecycle::{self, Listing};

/// Text for Atom: only what XML 1.0 can carry (stored text may predate `platform::text`'s rule).
fn xml_safe(s: &str) -> String {
    platform::text::xml_safe(s).into_owned()
}

/// Text for an iCalendar property: no controls, and every line break a LF, which the calendar
/// writer escapes (a bare CR would end the content line and start one of the text's making).
fn calendar_text(s: &str) -> String {
    platform::text::line_endings(&platform::text::strip_controls(s)).into_owned()
}

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    category: Option<i32>,
}

fn fixed(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.fixed_offset()
}

fn absolute(state: &AppState, path: &str) -> Result<String, AppError> {
    Ok(state.config.site.app_url.join(path).map_err(|e| AppError::Internal(e.into()))?.to_string())
}

/// `GET /beacon/feeds/opportunities.atom[?category=ID]`.
pub async fn atom(State(state): State<AppState>, Query(q): Query<FeedQuery>) -> Result<Response, AppError> {
    let now = Utc::now();
    let mut current = lifecycle::public_list(&state.db, Listing::Current, now).await?;
    if let Some(c) = q.category {
        let listed: Vec<i32> = opportunity_category::Entity::find()
            .filter(opportunity_category::Column::CategoryId.eq(c))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|oc| oc.opportunity_id)
            .collect();
        current.retain(|o| listed.contains(&o.id));
    }
    let tz = state.config.site.display_timezone;
    let mut entries = Vec::new();
    for o in &current {
        let page = absolute(&state, &format!("/beacon/opportunities/{}", o.id))?;
        let closes = o.planned_submission_end.with_timezone(&tz).format("%B %-d, %Y at %-I:%M %p %Z");
        entries.push(Entry {
            id: page.clone(),
            title: Text::plain(xml_safe(&o.title)),
            updated: fixed(o.updated_at.max(o.published_at.unwrap_or(o.updated_at))),
            published: o.published_at.map(fixed),
            links: vec![Link {
                href: page,
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Link::default()
            }],
            summary: Some(Text::plain(format!("Bids close {closes}. {}", xml_safe(&o.description)))),
            ..Entry::default()
        });
    }
    let title = match q.category {
        Some(c) => match model::entities::category::Entity::find_by_id(c).one(&state.db).await? {
            Some(cat) => format!("Bid opportunities: {}", xml_safe(&cat.display_name())),
            None => return Err(AppError::NotFound),
        },
        None => "Bid opportunities".to_owned(),
    };
    let self_path = match q.category {
        Some(c) => format!("/beacon/feeds/opportunities.atom?category={c}"),
        None => "/beacon/feeds/opportunities.atom".to_owned(),
    };
    let feed = Feed {
        id: absolute(&state, &self_path)?,
        title: Text::plain(title),
        updated: fixed(entries.iter().map(|e| e.updated.with_timezone(&Utc)).max().unwrap_or(now)),
        links: vec![
            Link { href: absolute(&state, &self_path)?, rel: "self".into(), ..Link::default() },
            Link { href: absolute(&state, "/beacon/")?, rel: "alternate".into(), ..Link::default() },
        ],
        entries,
        ..Feed::default()
    };
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], feed.to_string()).into_response())
}

/// `GET /beacon/feeds/deadlines.ics`: one event per current opportunity, at its deadline.
pub async fn ical(State(state): State<AppState>) -> Result<Response, AppError> {
    let now = Utc::now();
    let host = state.config.site.host().to_owned();
    let mut calendar = Calendar::new();
    calendar.name("Bid deadlines");
    for o in lifecycle::public_list(&state.db, Listing::Current, now).await? {
        let page = absolute(&state, &format!("/beacon/opportunities/{}", o.id))?;
        let title = calendar_text(&o.title);
        let description = calendar_text(&o.description);
        calendar.push(
            Event::new()
                .uid(&format!("opportunity-{}@{host}", o.id))
                .summary(&format!("Bids due: {title}"))
                .description(&format!("{description}\n\n{page}"))
                .url(&page)
                .starts(o.planned_submission_end)
                .ends(o.planned_submission_end)
                .timestamp(now)
                .done(),
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], calendar.done().to_string()).into_response())
}
