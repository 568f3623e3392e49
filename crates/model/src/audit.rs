//! Writing one entry of the audit log (`audit_log`), for the crates that cannot reach the
//! back-office's API: `admin::audit` (`record`, `record_action`) is what wings call; accounts,
//! which the back-office depends on, writes its users' own changes (their profile) here.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::entities::audit_log;
use crate::stamp::Stamp;

/// One entry, as stored.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who; None for the system.
    pub actor: Option<i32>,
    /// `create`, `update`, `delete`, or another word (`approve`).
    pub action: &'a str,
    /// The kind of record, named like its back-office table (`users`).
    pub resource: &'a str,
    pub record_id: i32,
    /// The record's label at the time.
    pub summary: &'a str,
    /// The values before, as JSON (field → values), for updates and deletes.
    pub before: Option<String>,
    /// The values after (field → values), or an action's facts (`[[name, value], …]`).
    pub after: Option<String>,
}

/// Writes `entry` with the caller's connection or transaction: the change and its entry commit
/// together.
pub async fn write(db: &impl ConnectionTrait, entry: Entry<'_>) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        actor_id: Set(entry.actor),
        action: Set(entry.action.to_owned()),
        resource: Set(entry.resource.to_owned()),
        record_id: Set(entry.record_id.to_string()),
        summary: Set(entry.summary.to_owned()),
        before: Set(entry.before),
        after: Set(entry.after),
        ..Stamp::created(entry.actor, Utc::now())
    }
    .insert(db)
    .await?;
    Ok(())
}
