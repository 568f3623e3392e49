//! Writing one entry of the audit log (`audit_log`), for the crates that cannot reach the
//! back-office's API: `admin::audit` (`record`, `record_action`) is what wings call; accounts,
//! which the back-office depends on, writes its users' own changes (their profile) here.
//!
//! Invariant: an entry written while a request runs under [`acting_through`] (the API's bearer
//! middleware wraps every request with a token) names that credential in `via`, whichever
//! service wrote it; nothing else sets `via`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::entities::audit_log;
use crate::stamp::Stamp;

tokio::task_local! {
    /// The credential the current request acts through (see [`acting_through`]).
    static VIA: String;
}

/// Runs `work` with every audit entry it writes marked as made through `via` (an API client, a
/// personal token). A task-local rather than a parameter: services deep below the API write
/// their own entries, and none of them can forget to pass it.
pub async fn acting_through<F: std::future::Future>(via: String, work: F) -> F::Output {
    VIA.scope(via, work).await
}

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
        via: Set(VIA.try_with(Clone::clone).ok()),
        ..Stamp::created(entry.actor, Utc::now())
    }
    .insert(db)
    .await?;
    Ok(())
}
