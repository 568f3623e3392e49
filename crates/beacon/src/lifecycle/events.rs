//! The events Beacon's lifecycle records (`platform::events`), in the transaction of the
//! change, for the live pages: the public list hears what is published or archived, staff
//! lists hear drafts, edits and approvals. Payloads carry the id only: a page fetches what
//! its viewer may see, so an event never tells anyone more than the page would.

use platform::events::{Audience, NewEvent, record};
use sea_orm::{ConnectionTrait, DbErr};

/// Published (by an approval, or the nightly job on its date): it is on the public list now.
pub const PUBLISHED: &str = "beacon.opportunity.published";
/// Archived: off every public list.
pub const ARCHIVED: &str = "beacon.opportunity.archived";
/// A new draft, awaiting approval.
pub const DRAFTED: &str = "beacon.opportunity.drafted";
/// Changed by its author, an approver or the back-office (public when the opportunity is).
pub const UPDATED: &str = "beacon.opportunity.updated";
/// Deleted in the back-office.
pub const DELETED: &str = "beacon.opportunity.deleted";
/// Approved (published at once, or on its date).
pub const APPROVED: &str = "beacon.opportunity.approved";

/// Records `kind` for opportunity `id`: the public hears of what changes public pages (a
/// publication, an archive, a deletion, a change to an opportunity that is public), staff of
/// the rest.
pub async fn announce(db: &impl ConnectionTrait, kind: &'static str, id: i32, public: bool) -> Result<(), DbErr> {
    let audience = match kind {
        PUBLISHED | ARCHIVED | DELETED => Audience::Public,
        _ if public => Audience::Public,
        _ => Audience::Staff,
    };
    record(db, NewEvent::new(kind, i64::from(id), audience)).await
}
