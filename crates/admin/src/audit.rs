//! The log of back-office changes: who changed what, with the record before and after.

use chrono::Utc;
use model::Stamp;
use model::entities::{audit_log, user};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, Set};
use serde::Serialize;

use crate::resource::Values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Delete => "delete",
        }
    }
}

/// What was changed, for [`record`].
pub struct Entry<'a> {
    pub change: Change,
    pub resource: &'a str,
    pub record_id: i32,
    pub label: String,
    pub before: Option<&'a Values>,
    pub after: Option<&'a Values>,
}

/// Writes one entry, in the caller's transaction: the change and its record commit together.
pub async fn record(db: &impl ConnectionTrait, actor: i32, entry: Entry<'_>) -> Result<(), DbErr> {
    let json = |v: Option<&Values>| v.map(|v| serde_json::to_string(v).unwrap_or_default());
    let now = Utc::now();
    audit_log::ActiveModel {
        actor_id: Set(Some(actor)),
        action: Set(entry.change.name().to_owned()),
        resource: Set(entry.resource.to_owned()),
        record_id: Set(entry.record_id.to_string()),
        summary: Set(entry.label),
        before: Set(json(entry.before)),
        after: Set(json(entry.after)),
        ..Stamp::created(Some(actor), now)
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One entry as the audit page shows it: changed fields only, for updates.
#[derive(Debug, Serialize)]
pub struct Shown {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub resource: String,
    pub record_id: String,
    pub summary: String,
    pub changes: Vec<(String, String, String)>,
}

fn parse(raw: Option<&str>) -> Values {
    raw.and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default()
}

/// Field → (before, after) for every field that differs.
pub fn differences(before: &Values, after: &Values) -> Vec<(String, String, String)> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let b = before.get(k).map(|v| v.join(", ")).unwrap_or_default();
            let a = after.get(k).map(|v| v.join(", ")).unwrap_or_default();
            (a != b).then(|| (k.clone(), b, a))
        })
        .collect()
}

/// A page of the log, newest first, and the total.
pub async fn page(db: &impl ConnectionTrait, offset: u64, limit: u64) -> Result<(Vec<Shown>, u64), DbErr> {
    let total = audit_log::Entity::find().count(db).await?;
    let rows = audit_log::Entity::find()
        .find_also_related(user::Entity)
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let shown = rows
        .into_iter()
        .map(|(entry, actor)| Shown {
            at: entry.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            actor: actor.map_or_else(|| "(deleted user)".to_owned(), |u| u.email),
            changes: differences(&parse(entry.before.as_deref()), &parse(entry.after.as_deref())),
            action: entry.action,
            resource: entry.resource,
            record_id: entry.record_id,
            summary: entry.summary,
        })
        .collect();
    Ok((shown, total))
}
