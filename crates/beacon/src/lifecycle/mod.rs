//! An opportunity's life: a staff member drafts it, a conductor-level user approves it (makes it
//! public), it is published (shown, with `published_at` set) on its planned publish date, by
//! the approval itself when that date has come or by the nightly `beacon.publish_due` job
//! otherwise, bids open and close, and it may be archived (hidden everywhere public).
//!
//! Every change checks [`accounts::policy`] here, in the service, whatever a form posted: the
//! original let any staff member publish by posting `save_type=publish`.
//!
//! The state machine is visible in [`stages`]: the stored stages, and the transition table whose
//! `from` stages are the guard of each transition's `UPDATE … WHERE`. [`drafts`] holds what staff
//! write (create, edit, documents, back-office corrections), [`publishing`] the transitions
//! (approve, publish, archive) and [`queries`] the read side (public lists, who sees what).
//! Services take the caller's connection or transaction; the caller commits.

mod drafts;
pub mod events;
mod publishing;
mod queries;
pub mod stages;

use accounts::{Action, CurrentUser, Resource, ServiceError};
use chrono::{DateTime, Utc};
use model::entities::opportunity;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

pub use drafts::{
    Draft, MAX_DESCRIPTION_WORDS, add_document, correct, correction_problems, create, create_from, update,
};
pub use publishing::{approve, archive, publish_due};
pub use queries::{Listing, made_from, next_deadline, public_list, visible};
pub use stages::{Stage, Status};

/// A moment as people in the city read it: "Friday, January 8, 2027 at 2:00 PM EST".
pub fn local_time(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%A, %B %-d, %Y at %-I:%M %p %Z").to_string()
}

/// The `data_versions` row Beacon's cached public pages are keyed by: every change to an
/// opportunity raises it in the same transaction ([`platform::freshness`]).
pub const DATA: &str = "opportunities";

pub(crate) async fn changed(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    platform::freshness::bump(db, DATA).await
}

pub(crate) fn facts(o: &opportunity::Model, user: Option<&CurrentUser>) -> Resource {
    let own = user.is_some_and(|u| o.created_by == Some(u.id) || o.contact_id == Some(u.id));
    Resource::Opportunity { public: o.is_public, own }
}

pub(crate) async fn find(db: &impl ConnectionTrait, id: i32) -> Result<opportunity::Model, ServiceError> {
    opportunity::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)
}

/// Whether `user` may edit opportunity `o` (for showing the form and its buttons).
pub fn may(user: Option<&CurrentUser>, action: Action, o: &opportunity::Model) -> bool {
    accounts::can(user, action, facts(o, user))
}
