//! Posting a work item to Beacon (research/conductor.md §4.8, acceptance 21), in the caller's
//! transaction.
//!
//! Allowed only while the item is in progress at a stage that posts opportunities: checked
//! here, whatever a form posted (the original only hid the tab). A work item has one
//! opportunity, made from its successor contract (`created_from`): the first post drafts it,
//! every later one updates it. Both go through Beacon's own services (`beacon::lifecycle`), so
//! Beacon's checks, its contact rule (a city email: an existing user, or a new staff user at an
//! accepted domain; blank is the author) and its approval apply: the draft is not public until
//! a conductor-level user approves it in Beacon, which also announces it to vendors on its
//! publish date. (The original made it public at once, and vendors heard of it only if the
//! nightly job ran on that date.)
//!
//! Of two posts at once, the guarded touch of the item makes the second wait for the first and
//! then find its opportunity, so an item never gets two.

use accounts::{Action, CurrentUser, Denied, Resource, ServiceError, authorize};
use beacon::lifecycle::{self, Draft};
use chrono::{DateTime, Utc};
use model::StampUpdate;
use model::entities::{contract, contract_type, opportunity, work_item};
use platform::events::{self, Audience, NewEvent};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::activity::Activity;
use crate::store::{self, Item};

/// Recorded with every post (conductor-level users hear it).
pub const POSTED_EVENT: &str = "conductor.item.posted";

/// What a post did.
#[derive(Debug, Clone)]
pub struct Posted {
    pub opportunity: opportunity::Model,
    /// Drafted now (else updated).
    pub created: bool,
}

/// Whether `item` may be posted to Beacon now: in progress, at a stage that posts
/// opportunities.
pub fn may_post(item: &Item) -> bool {
    if item.work.status != work_item::IN_PROGRESS {
        return false;
    }
    let Some(current) = item.work.current_stage_id else { return false };
    item.stages.iter().any(|s| s.id == current && s.post_opportunities)
}

/// The opportunity already made from `item`'s successor, if any.
pub async fn posted(db: &impl ConnectionTrait, item: &work_item::Model) -> Result<Option<opportunity::Model>, DbErr> {
    lifecycle::made_from(db, item.contract_id).await
}

/// The form's starting values for an item never posted: its description as title and text,
/// its department, and its contract's type when Beacon takes that type; dates left to the user.
pub async fn defaults(db: &impl ConnectionTrait, item: &work_item::Model) -> Result<Draft, DbErr> {
    let successor = contract::Entity::find_by_id(item.contract_id).one(db).await?;
    let description = successor.as_ref().and_then(|c| c.description.clone()).unwrap_or_default();
    let contract_type_id = match successor.and_then(|c| c.contract_type_id) {
        Some(id) => {
            contract_type::Entity::find_by_id(id).one(db).await?.filter(|t| t.allow_opportunities).map(|t| t.id)
        }
        None => None,
    };
    Ok(Draft {
        title: description.clone(),
        description,
        department_id: item.department_id,
        contract_type_id,
        ..Draft::default()
    })
}

/// Posts item `id` to Beacon as `draft`: drafts its opportunity (queueing Beacon's "sent for
/// approval" emails through `mail`) or updates the one it has; logs `beacon_post`.
pub async fn post(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    draft: &Draft,
    mail: &beacon::notify::Mailing<'_>,
    now: DateTime<Utc>,
) -> Result<Posted, ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if !may_post(&item) {
        return Err(Denied::Forbidden.into());
    }
    // Still at this stage, and the row is ours until the commit: a second post waits here.
    item.guarded(db, work_item::Entity::update_many().stamped(Some(user.id), now)).await?;
    let (opportunity, created) = match posted(db, &item.work).await? {
        Some(existing) => (lifecycle::update(db, Some(user), existing.id, draft, now).await?, false),
        None => {
            let made = lifecycle::create_from(db, Some(user), draft, item.work.contract_id, now).await?;
            beacon::notify::sent_for_approval(db, mail, &made)
                .await
                .map_err(|e| DbErr::Custom(format!("queueing the approval emails: {e:#}")))?;
            (made, true)
        }
    };
    let row = item.progress().current.and_then(|i| item.row_id(i));
    let activity = Activity::BeaconPost { opportunity_id: opportunity.id, title: opportunity.title.clone(), created };
    store::log(db, id, row, &activity, Some(user), now).await?;
    events::record(db, NewEvent::new(POSTED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(Posted { opportunity, created })
}
