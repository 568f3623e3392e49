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
/// Changed by its author or an approver.
pub const UPDATED: &str = "beacon.opportunity.updated";
/// Approved (published at once, or on its date).
pub const APPROVED: &str = "beacon.opportunity.approved";

pub(super) async fn announce(db: &impl ConnectionTrait, kind: &'static str, id: i32) -> Result<(), DbErr> {
    let audience = match kind {
        PUBLISHED | ARCHIVED => Audience::Public,
        _ => Audience::Staff,
    };
    record(db, NewEvent::new(kind, i64::from(id), audience)).await
}
