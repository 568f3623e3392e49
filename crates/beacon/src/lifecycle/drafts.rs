//! What staff write: a draft and its edits, its documents, and the back-office's corrections.
//! Each checks the policy and validates here, whatever a form posted.

use accounts::{Action, CurrentUser, Denied, Resource, ServiceError, authorize};
use chrono::{DateTime, NaiveDate, Utc};
use model::Stamp;
use model::StampUpdate;
use model::entities::{
    category, contract_type, department, opportunity, opportunity_category, opportunity_required_document,
    required_document,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::{changed, facts, find};

/// The most words a description may have (as the original).
pub const MAX_DESCRIPTION_WORDS: usize = 500;

/// What a staff member fills in.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub title: String,
    pub description: String,
    pub department_id: Option<i32>,
    pub contract_type_id: Option<i32>,
    /// The email of the city employee vendors write to: an existing user, or one at an accepted
    /// domain (who becomes a staff user). None: the author for a new draft, unchanged on an edit.
    pub contact: Option<String>,
    pub planned_publish: Option<NaiveDate>,
    pub planned_submission_start: Option<NaiveDate>,
    pub planned_submission_end: Option<DateTime<Utc>>,
    pub categories: Vec<i32>,
    pub required_documents: Vec<i32>,
    /// The display time zone the dates were entered in (UTC when absent).
    pub timezone: Option<chrono_tz::Tz>,
}

/// Checks a draft; `now` is for "bids must close in the future".
async fn validate(db: &impl ConnectionTrait, d: &Draft, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    if d.title.trim().is_empty() {
        errors.push(("title", "Give the opportunity a title.".into()));
    }
    let words = d.description.split_whitespace().count();
    if words == 0 {
        errors.push(("description", "Describe the opportunity.".into()));
    } else if words > MAX_DESCRIPTION_WORDS {
        errors.push(("description", format!("Keep the description to {MAX_DESCRIPTION_WORDS} words; it has {words}.")));
    }
    if let Some(contact) = d.contact.as_deref().filter(|c| !c.trim().is_empty()) {
        match platform::mail::address(contact) {
            Err(_) => errors.push(("contact", "Enter the contact's email address, like name@pittsburghpa.gov.".into())),
            Ok(email) => {
                let known = accounts::users::find_by_email(db, &email).await?.is_some();
                if !known && !accounts::users::domain_is_accepted(db, &email).await? {
                    errors
                        .push(("contact", "The contact must be a city employee: use their city email address.".into()));
                }
            }
        }
    }
    match d.department_id {
        Some(id) if department::Entity::find_by_id(id).one(db).await?.is_some() => {}
        _ => errors.push(("department", "Choose the department.".into())),
    }
    match d.contract_type_id {
        Some(id) => match contract_type::Entity::find_by_id(id).one(db).await? {
            Some(t) if t.allow_opportunities => {}
            Some(t) => errors.push(("contract_type", format!("{} contracts are not bid through Beacon.", t.name))),
            None => errors.push(("contract_type", "Choose the contract type.".into())),
        },
        None => errors.push(("contract_type", "Choose the contract type.".into())),
    }
    let (Some(publish), Some(start), Some(end)) =
        (d.planned_publish, d.planned_submission_start, d.planned_submission_end)
    else {
        errors.push(("dates", "Give the publish date, the day bids open and the moment they close.".into()));
        return Err(ServiceError::Invalid(errors));
    };
    if end <= now {
        errors.push(("planned_submission_end", "Bids must close in the future.".into()));
    }
    if start < publish {
        errors.push(("planned_submission_start", "Bids cannot open before the opportunity is published.".into()));
    }
    // The closing day as the city reads it, not the UTC date.
    let closes_on = end.with_timezone(&d.timezone.unwrap_or(chrono_tz::UTC)).date_naive();
    if closes_on < start {
        errors.push(("planned_submission_end", "Bids must close after they open.".into()));
    }
    let known = category::Entity::find().filter(category::Column::Id.is_in(d.categories.clone())).all(db).await?;
    if known.len() != dedup(&d.categories).len() {
        errors.push(("categories", "One of the chosen categories no longer exists.".into()));
    }
    let docs = required_document::Entity::find()
        .filter(required_document::Column::Id.is_in(d.required_documents.clone()))
        .all(db)
        .await?;
    if docs.len() != dedup(&d.required_documents).len() {
        errors.push(("required_documents", "One of the chosen bid documents no longer exists.".into()));
    }
    if errors.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(errors)) }
}

fn dedup(ids: &[i32]) -> Vec<i32> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The user the draft names as contact (checked by [`validate`]); a city employee new to
/// Procure becomes a staff user, as one who signs in for the first time would.
async fn contact_of(db: &impl ConnectionTrait, d: &Draft) -> Result<Option<i32>, DbErr> {
    let Some(Ok(email)) = d.contact.as_deref().filter(|c| !c.trim().is_empty()).map(platform::mail::address) else {
        return Ok(None);
    };
    Ok(Some(accounts::users::find_or_sign_up_staff(db, &email).await?.0.id))
}

/// Writes the draft's fields and its category and bid-document lists onto `active`'s record.
async fn write(
    db: &impl ConnectionTrait,
    mut active: opportunity::ActiveModel,
    d: &Draft,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<opportunity::Model, DbErr> {
    active.title = Set(d.title.trim().to_owned());
    active.description = Set(d.description.trim().to_owned());
    active.department_id = Set(d.department_id.unwrap_or_default());
    active.contract_type_id = Set(d.contract_type_id.unwrap_or_default());
    // A new draft's contact is its author unless another is named; an edit keeps the contact.
    match contact_of(db, d).await? {
        Some(contact) => active.contact_id = Set(Some(contact)),
        None if active.contact_id.is_not_set() => active.contact_id = Set(Some(user.id)),
        None => {}
    }
    active.planned_publish = Set(d.planned_publish.unwrap_or_default());
    active.planned_submission_start = Set(d.planned_submission_start.unwrap_or_default());
    active.planned_submission_end = Set(d.planned_submission_end.unwrap_or(now));
    active.stamp(Some(user.id), now);
    let saved = active.save(db).await?;
    let saved: opportunity::Model = sea_orm::TryIntoModel::try_into_model(saved)?;
    opportunity_category::Entity::delete_many()
        .filter(opportunity_category::Column::OpportunityId.eq(saved.id))
        .exec(db)
        .await?;
    for category_id in dedup(&d.categories) {
        opportunity_category::ActiveModel { opportunity_id: Set(saved.id), category_id: Set(category_id) }
            .insert(db)
            .await?;
    }
    opportunity_required_document::Entity::delete_many()
        .filter(opportunity_required_document::Column::OpportunityId.eq(saved.id))
        .exec(db)
        .await?;
    for document_id in dedup(&d.required_documents) {
        opportunity_required_document::ActiveModel {
            opportunity_id: Set(saved.id),
            required_document_id: Set(document_id),
        }
        .insert(db)
        .await?;
    }
    changed(db).await?;
    Ok(saved)
}

/// A new draft by `user` (staff or conductor-level). It is not public until approved.
pub async fn create(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    d: &Draft,
    now: DateTime<Utc>,
) -> Result<opportunity::Model, ServiceError> {
    new_draft(db, user, d, None, now).await
}

/// A new draft made from contract `contract_id` (Conductor's post to Beacon, which renews it):
/// [`create`] with the contract remembered as `created_from`, under the same rules (the same
/// checks and contact rule; not public until approved).
pub async fn create_from(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    d: &Draft,
    contract_id: i32,
    now: DateTime<Utc>,
) -> Result<opportunity::Model, ServiceError> {
    new_draft(db, user, d, Some(contract_id), now).await
}

async fn new_draft(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    d: &Draft,
    created_from: Option<i32>,
    now: DateTime<Utc>,
) -> Result<opportunity::Model, ServiceError> {
    authorize(user, Action::Create, Resource::Opportunity { public: false, own: true })?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    validate(db, d, now).await?;
    let active = opportunity::ActiveModel {
        is_public: Set(false),
        is_archived: Set(false),
        published_at: Set(None),
        created_from_id: Set(created_from),
        ..Default::default()
    };
    let saved = write(db, active, d, user, now).await?;
    super::events::announce(db, super::events::DRAFTED, saved.id, false).await?;
    Ok(saved)
}

/// Changes an opportunity: its author or contact while it is a draft, conductor-level users
/// always. Being public is not something a form sets: see [`approve`].
pub async fn update(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    d: &Draft,
    now: DateTime<Utc>,
) -> Result<opportunity::Model, ServiceError> {
    let existing = find(db, id).await?;
    authorize(user, Action::Edit, facts(&existing, user))?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    validate(db, d, now).await?;
    // Approval may have happened since the check: only conductor-level users edit public ones.
    // The guarded UPDATE also takes the row lock, so an approval waits for this edit.
    let mut guard =
        opportunity::Entity::update_many().stamped(Some(user.id), now).filter(opportunity::Column::Id.eq(id));
    if !user.is_conductor_level() {
        guard = guard.filter(opportunity::Column::IsPublic.eq(false));
    }
    if guard.exec(db).await?.rows_affected != 1 {
        return Err(Denied::Forbidden.into());
    }
    let current = find(db, id).await?;
    let saved = write(db, current.into(), d, user, now).await?;
    super::events::announce(db, super::events::UPDATED, saved.id, saved.is_public).await?;
    Ok(saved)
}

/// Attaches stored file `file_id` to opportunity `id` as `name`. Added to an opportunity that
/// is published and still open, it is an addendum: its followers are told (a job queued in the
/// same transaction).
pub async fn add_document(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    name: &str,
    file_id: i64,
    now: DateTime<Utc>,
) -> Result<model::entities::opportunity_document::Model, ServiceError> {
    let existing = find(db, id).await?;
    authorize(user, Action::Edit, facts(&existing, user))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid(vec![("document_name", "Give the document a title.".into())]));
    }
    let doc = model::entities::opportunity_document::ActiveModel {
        opportunity_id: Set(id),
        name: Set(name.to_owned()),
        file_id: Set(file_id),
        ..Stamp::created(user.map(|u| u.id), now)
    }
    .insert(db)
    .await?;
    changed(db).await?;
    if existing.published_at.is_some() && existing.planned_submission_end > now {
        let addendum = crate::notify::Addendum { opportunity_id: id, document_id: doc.id };
        platform::jobs::enqueue(db, &addendum)
            .await
            .map_err(|e| DbErr::Custom(format!("queueing the addendum notice: {e}")))?;
    }
    Ok(doc)
}

/// What is wrong with correcting `existing` to `d` with contact `contact_id` (see [`correct`]),
/// per field: [`validate`]'s rules, except that a closing moment left as it was may lie in the
/// past (so a closed opportunity's typo can still be fixed), and the contact must be an active
/// user.
pub async fn correction_problems(
    db: &impl ConnectionTrait,
    existing: &opportunity::Model,
    d: &Draft,
    contact_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, DbErr> {
    // The contact is `contact_id`; an emailed contact would sign someone up.
    let d = Draft { contact: None, ..d.clone() };
    let checked_at =
        if d.planned_submission_end == Some(existing.planned_submission_end) { DateTime::<Utc>::MIN_UTC } else { now };
    let mut errors = match validate(db, &d, checked_at).await {
        Ok(()) => Vec::new(),
        Err(ServiceError::Invalid(errors)) => errors,
        Err(ServiceError::Db(e)) => return Err(e),
        Err(e) => return Err(DbErr::Custom(format!("validating a correction: {e}"))),
    };
    let contact = match contact_id {
        Some(contact) => {
            model::entities::user::Entity::find_by_id(contact)
                .filter(model::entities::user::Column::Active.eq(true))
                .one(db)
                .await?
        }
        None => None,
    };
    if contact.is_none() {
        errors.push(("contact", "Choose the contact vendors write to from the active users.".into()));
    }
    Ok(errors)
}

/// A back-office correction of opportunity `id` (`/admin/opportunities/`) by a conductor-level
/// user, in the caller's transaction: the draft's fields, its contact (an active user, chosen
/// from a list rather than typed, so nobody is signed up here) and whether it is archived,
/// checked by [`correction_problems`]. Whether it is public and when it was published are never
/// touched: making it public is [`approve`]'s work, which also announces it to vendors.
#[allow(clippy::too_many_arguments)]
pub async fn correct(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    id: i32,
    d: &Draft,
    contact_id: Option<i32>,
    archived: bool,
    now: DateTime<Utc>,
) -> Result<opportunity::Model, ServiceError> {
    let existing = find(db, id).await?;
    authorize(Some(user), Action::Edit, facts(&existing, Some(user)))?;
    if archived != existing.is_archived {
        authorize(Some(user), Action::Publish, facts(&existing, Some(user)))?;
    }
    let errors = correction_problems(db, &existing, d, contact_id, now).await?;
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut active: opportunity::ActiveModel = existing.into();
    active.contact_id = Set(contact_id);
    active.is_archived = Set(archived);
    // `write` keeps the contact set here, since the draft names none.
    let saved = write(db, active, &Draft { contact: None, ..d.clone() }, user, now).await?;
    let kind = if archived { super::events::ARCHIVED } else { super::events::UPDATED };
    super::events::announce(db, kind, saved.id, saved.is_public).await?;
    Ok(saved)
}
