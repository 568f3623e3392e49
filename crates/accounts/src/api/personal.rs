//! Personal access tokens on the profile page: a staff member makes one for a script or a
//! dashboard (a name, its scopes, 30, 90 or 365 days), sees it once, and later sees when each
//! was last used and revokes it.
//!
//! Invariants:
//! - Only the token's SHA-256 is stored; its value is in the one answer to the form that made
//!   it (a POST, so never cached) and nowhere else: not in the session, a flash or a log.
//! - A user has at most [`MAX_LIVE`] live tokens; making and revoking are checked by the policy
//!   (`Resource::OwnApiToken`) and written with their audit entry in one transaction.

use chrono::{Duration, Utc};
use platform::config::SiteConfig;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

use super::scopes::{Scope, Scopes};
use super::tokens::{self, Issued};
use crate::policy::{Action, Resource, authorize, can};
use crate::service::ServiceError;
use crate::viewer::CurrentUser;

/// How long a personal token may live, in days: the form's choices.
pub const LIFETIMES: [i64; 3] = [30, 90, 365];
/// The most live personal tokens one user may have.
pub const MAX_LIVE: usize = 20;
/// The longest name.
const MAX_NAME_CHARS: usize = 100;

/// One of the user's tokens, as the profile lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: i32,
    pub name: String,
    pub scopes: String,
    /// "Expires Mar 5, 2027", "Expired Mar 5, 2027" or "Revoked Mar 5, 2027".
    pub state: String,
    pub live: bool,
    /// "Mar 4, 2027, 9:12 AM EST", or "Never".
    pub last_used: String,
}

/// A scope as the form offers it.
#[derive(Debug, Clone, Serialize)]
pub struct Offered {
    pub name: &'static str,
    pub what: &'static str,
}

/// What the profile shows of tokens: `None` for a user who may not have any.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub tokens: Vec<Listed>,
    pub scopes: Vec<Offered>,
    pub lifetimes: Vec<i64>,
    pub at_most: bool,
}

fn what(scope: Scope) -> &'static str {
    match scope {
        Scope::ContractsWrite => "Create, change and archive contracts (admins)",
        Scope::OpportunitiesWrite => "Create and change opportunity drafts",
        Scope::VendorsRead => "Read the vendor list",
        Scope::ConductorRead => "Read Conductor's figures (conductor-level users)",
    }
}

fn day(at: chrono::DateTime<Utc>, site: &SiteConfig) -> String {
    at.with_timezone(&site.display_timezone).format("%b %-d, %Y").to_string()
}

/// The user's personal tokens, newest first, with what the form offers.
pub async fn shown(db: &impl ConnectionTrait, site: &SiteConfig, me: &CurrentUser) -> Result<Option<Shown>, DbErr> {
    if !can(Some(me), Action::View, Resource::OwnApiToken) {
        return Ok(None);
    }
    let now = Utc::now();
    let rows = tokens::personal(db, me.id).await?;
    let live = rows.iter().filter(|t| t.revoked_at.is_none() && t.expires_at > now).count();
    let tokens = rows
        .into_iter()
        .map(|t| {
            let (state, live) = match t.revoked_at {
                Some(at) => (format!("Revoked {}", day(at, site)), false),
                None if t.expires_at <= now => (format!("Expired {}", day(t.expires_at, site)), false),
                None => (format!("Expires {}", day(t.expires_at, site)), true),
            };
            let last_used = t.last_used_at.map_or_else(
                || "Never".to_owned(),
                |at| at.with_timezone(&site.display_timezone).format("%b %-d, %Y, %-I:%M %p %Z").to_string(),
            );
            let scopes = if t.scopes.is_empty() { "None".to_owned() } else { t.scopes };
            Listed { id: t.id, name: t.name, scopes, state, live, last_used }
        })
        .collect();
    let scopes = Scope::ALL.into_iter().map(|s| Offered { name: s.name(), what: what(s) }).collect();
    Ok(Some(Shown { tokens, scopes, lifetimes: LIFETIMES.to_vec(), at_most: live >= MAX_LIVE }))
}

/// The form, as posted: `name`, `days`, and `scope` once per ticked box.
pub fn read_form(pairs: &[(String, String)]) -> (String, String, Vec<String>) {
    let one = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let scopes = pairs.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.clone()).collect();
    (one("name"), one("days"), scopes)
}

/// Makes a personal token for `me`, in the caller's write transaction, with its audit entry.
pub async fn create(
    db: &impl ConnectionTrait,
    me: &CurrentUser,
    name: &str,
    days: &str,
    scope_names: &[String],
) -> Result<Issued, ServiceError> {
    authorize(Some(me), Action::Create, Resource::OwnApiToken)?;
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        problems.push((
            "token_name",
            format!("Name the token (up to {MAX_NAME_CHARS} characters), e.g. \"Budget dashboard\"."),
        ));
    }
    let days = days.parse::<i64>().ok().filter(|d| LIFETIMES.contains(d));
    if days.is_none() {
        problems.push(("token_days", "Choose how long the token lasts.".to_owned()));
    }
    let scopes = match Scopes::parse(&scope_names.join(" ")) {
        Ok(s) if s == Scopes::default() => {
            problems.push(("token_scopes", "Choose at least one thing the token may do.".to_owned()));
            s
        }
        Ok(s) => s,
        Err(_) => {
            problems.push(("token_scopes", "Choose from the scopes listed.".to_owned()));
            Scopes::default()
        }
    };
    let now = Utc::now();
    let live =
        tokens::personal(db, me.id).await?.iter().filter(|t| t.revoked_at.is_none() && t.expires_at > now).count();
    if live >= MAX_LIVE {
        problems
            .push(("token_name", format!("You have {MAX_LIVE} live tokens, the most there may be; revoke one first.")));
    }
    let (false, Some(days)) = (!problems.is_empty(), days) else { return Err(ServiceError::Invalid(problems)) };
    let issued = tokens::issue_personal(db, me, name, scopes, now + Duration::days(days))
        .await
        .map_err(|e| ServiceError::Db(DbErr::Custom(format!("making a token: {e}"))))?;
    let details =
        serde_json::to_string(&[("Scopes", scopes.to_string()), ("Lasts", format!("{days} days"))]).unwrap_or_default();
    let entry = model::audit::Entry {
        actor: Some(me.id),
        action: "create_token",
        resource: "api_tokens",
        record_id: issued.id,
        summary: name,
        before: None,
        after: Some(details),
    };
    model::audit::write(db, entry).await?;
    Ok(issued)
}

/// Revokes `me`'s token `id`; `Ok(None)` when it is not theirs or already ended.
pub async fn revoke(db: &impl ConnectionTrait, me: &CurrentUser, id: i32) -> Result<Option<String>, ServiceError> {
    authorize(Some(me), Action::Delete, Resource::OwnApiToken)?;
    let Some(token) = tokens::personal(db, me.id).await?.into_iter().find(|t| t.id == id) else { return Ok(None) };
    if !tokens::revoke_personal(db, me.id, id).await? {
        return Ok(None);
    }
    let entry = model::audit::Entry {
        actor: Some(me.id),
        action: "revoke_token",
        resource: "api_tokens",
        record_id: id,
        summary: &token.name,
        before: None,
        after: None,
    };
    model::audit::write(db, entry).await?;
    Ok(Some(format!("The token “{}” is revoked; it no longer works.", token.name)))
}
