//! Starting work: on a contract (its renewal) or on new work, in the caller's transaction.
//!
//! Rules (research/conductor.md §3.2, with Procure's corrections): a description, an active
//! flow with stages, an assignee who is an active conductor-level user and a start time not in
//! the future are required, and nothing is written until all are valid. A contract has at most
//! one live successor: starting it again returns the one there is (a double submit makes
//! nothing twice). New work is always a new item, never another's. The successor is a new,
//! invisible contract row that keeps the parent's type; its description and department are the
//! form's. The assignee is emailed (`emails::assigned`) unless they started it themselves.

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::Stamp;
use model::entities::{contract, flow, stage, work_item};
use platform::events::{self, Audience, NewEvent};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::activity::Activity;
use crate::emails::{self, Mailing};
use crate::store;
use crate::workflow::machine::Progress;

/// Recorded when work starts (conductor-level users hear it).
pub const STARTED_EVENT: &str = "conductor.item.started";

/// The start form.
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub description: String,
    pub flow_id: Option<i32>,
    pub assignee_id: Option<i32>,
    pub department_id: Option<i32>,
    /// When work began (the display zone's date-time the user chose, in UTC).
    pub at: Option<DateTime<Utc>>,
}

/// Starts the renewal of contract `parent_id`, or returns its live successor if it has one.
pub async fn renewal(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    user: Option<&CurrentUser>,
    parent_id: i32,
    form: &Start,
    now: DateTime<Utc>,
) -> Result<work_item::Model, ServiceError> {
    authorize(user, Action::Create, Resource::WorkItem)?;
    let parent = contract::Entity::find_by_id(parent_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    if let Some(live) = live_successor(db, parent_id).await? {
        return Ok(live);
    }
    begin(db, mail, user, Some(&parent), form, now).await
}

/// Starts new work (no contract renewed).
pub async fn new_work(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    user: Option<&CurrentUser>,
    form: &Start,
    now: DateTime<Utc>,
) -> Result<work_item::Model, ServiceError> {
    authorize(user, Action::Create, Resource::WorkItem)?;
    begin(db, mail, user, None, form, now).await
}

/// The work item renewing `parent_id` that is not killed, if any.
pub async fn live_successor(
    db: &impl ConnectionTrait,
    parent_id: i32,
) -> Result<Option<work_item::Model>, ServiceError> {
    Ok(work_item::Entity::find()
        .filter(work_item::Column::ParentId.eq(parent_id))
        .filter(work_item::Column::Status.ne(work_item::KILLED))
        .one(db)
        .await?)
}

/// The checked form: the flow's stages in order, the assignee, the start time.
struct Checked {
    flow: flow::Model,
    stages: Vec<stage::Model>,
    assignee: CurrentUser,
    at: DateTime<Utc>,
    description: String,
}

async fn check(db: &impl ConnectionTrait, form: &Start, now: DateTime<Utc>) -> Result<Checked, ServiceError> {
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let description = form.description.trim().to_owned();
    if description.is_empty() {
        problems.push(("description", "Describe the work.".into()));
    }
    let flow = match form.flow_id {
        None => None,
        Some(id) => flow::Entity::find_by_id(id).one(db).await?.filter(|f| !f.is_archived),
    };
    if flow.is_none() {
        problems.push(("flow", "Choose a flow.".into()));
    }
    let mut stages = Vec::new();
    if let Some(f) = &flow {
        stages = store::stages_of(db, f.id).await?;
        if stages.is_empty() {
            problems.push(("flow", "That flow has no stages: choose another.".into()));
        }
    }
    let assignee = match form.assignee_id {
        None => None,
        Some(id) => accounts::users::current_user(db, id).await?.filter(CurrentUser::is_conductor_level),
    };
    if assignee.is_none() {
        problems.push(("assignee", "Choose who does the work (a conductor, admin or superadmin).".into()));
    }
    let at = form.at.unwrap_or(now);
    if at > now {
        problems.push(("start", "Invalid date (in future)".into()));
    }
    match (flow, assignee) {
        (Some(flow), Some(assignee)) if problems.is_empty() => Ok(Checked { flow, stages, assignee, at, description }),
        _ => Err(ServiceError::Invalid(problems)),
    }
}

async fn begin(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    user: Option<&CurrentUser>,
    parent: Option<&contract::Model>,
    form: &Start,
    now: DateTime<Utc>,
) -> Result<work_item::Model, ServiceError> {
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let c = check(db, form, now).await?;
    let successor = contract::ActiveModel {
        description: Set(Some(c.description.clone())),
        contract_type_id: Set(parent.and_then(|p| p.contract_type_id)),
        department_id: Set(form.department_id),
        parent_id: Set(parent.map(|p| p.id)),
        is_archived: Set(false),
        is_visible: Set(false),
        financial_id: Set(None),
        expiration_date: Set(None),
        contract_href: Set(None),
        document_id: Set(None),
        ..Stamp::created(Some(user.id), now)
    }
    .insert(db)
    .await?;
    let progress = Progress::new(&c.stages.iter().map(|s| s.id).collect::<Vec<_>>())
        .start(c.at, now)
        .map_err(|refusal| ServiceError::invalid("start", refusal.to_string()))?;
    let work = work_item::ActiveModel {
        contract_id: Set(successor.id),
        parent_id: Set(parent.map(|p| p.id)),
        flow_id: Set(c.flow.id),
        current_stage_id: Set(progress.current_stage()),
        assignee_id: Set(Some(c.assignee.id)),
        department_id: Set(form.department_id),
        status: Set(work_item::IN_PROGRESS.to_owned()),
        wizard: Set(None),
        ..Stamp::created(Some(user.id), now)
    }
    .insert(db)
    .await?;
    // As the state machine stored it (to the microsecond).
    let entered = progress.stages.first().and_then(|s| s.entered).unwrap_or(c.at);
    let first_row = store::enter_flow(db, work.id, c.flow.id, &c.stages, entered, user, now).await?;
    store::log(db, work.id, first_row, &Activity::Started { flow: c.flow.name.clone() }, Some(user), now).await?;
    let assigned = Activity::Assigned { assignee: c.assignee.email.clone(), previous: None };
    store::log(db, work.id, first_row, &assigned, Some(user), now).await?;
    let first = c.stages.first().map(|s| s.name.clone()).unwrap_or_default();
    store::log(db, work.id, first_row, &Activity::Entered { stage: first, at: entered }, Some(user), entered).await?;
    events::record(db, NewEvent::new(STARTED_EVENT, i64::from(work.id), Audience::Conductor)).await?;
    emails::assigned(db, mail, user, &c.assignee, &work).await?;
    Ok(work)
}
