//! The read side: the public lists, the next moment they change by themselves, and one
//! opportunity as a given user may see it.

use accounts::{Action, CurrentUser, Resource};
use chrono::{DateTime, NaiveDate, Utc};
use model::entities::opportunity;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::facts;
use super::stages::Status;

/// Which public list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Open now, or published and opening later; soonest deadline first.
    Current,
    /// Bids closed; most recently closed first.
    Closed,
}

/// The published, unarchived opportunities of a public list.
pub async fn public_list(
    db: &impl ConnectionTrait,
    listing: Listing,
    now: DateTime<Utc>,
) -> Result<Vec<opportunity::Model>, DbErr> {
    let query = opportunity::Entity::find()
        .filter(opportunity::Column::IsPublic.eq(true))
        .filter(opportunity::Column::IsArchived.eq(false))
        .filter(opportunity::Column::PublishedAt.is_not_null());
    match listing {
        Listing::Current => {
            query
                .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
                .order_by_asc(opportunity::Column::PlannedSubmissionEnd)
                .all(db)
                .await
        }
        Listing::Closed => {
            query
                .filter(opportunity::Column::PlannedSubmissionEnd.lte(now))
                .order_by_desc(opportunity::Column::PlannedSubmissionEnd)
                .all(db)
                .await
        }
    }
}

/// The next moment a published opportunity closes: when the public lists next change by
/// themselves.
pub async fn next_deadline(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::QuerySelect;
    opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::PlannedSubmissionEnd)
        .filter(opportunity::Column::IsPublic.eq(true))
        .filter(opportunity::Column::IsArchived.eq(false))
        .filter(opportunity::Column::PublishedAt.is_not_null())
        .filter(opportunity::Column::PlannedSubmissionEnd.gt(now))
        .order_by_asc(opportunity::Column::PlannedSubmissionEnd)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await
}

/// One opportunity as `user` may see it: published ones for everybody, drafts and scheduled
/// ones for those the policy lets view them; archived ones for conductor-level users only.
pub async fn visible(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Option<opportunity::Model>, DbErr> {
    let Some(o) = opportunity::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let shown_publicly = Status::of(&o, now, today).is_public();
    let allowed = if shown_publicly {
        true
    } else {
        let facts = Resource::Opportunity {
            public: false,
            own: matches!(facts(&o, user), Resource::Opportunity { own: true, .. }),
        };
        let facts = if o.is_archived { Resource::Opportunity { public: false, own: false } } else { facts };
        accounts::can(user, Action::View, facts)
    };
    Ok(allowed.then_some(o))
}

/// The opportunity made from contract `contract_id` (see [`super::create_from`]), the first one
/// if there were ever several; archived ones count.
pub async fn made_from(db: &impl ConnectionTrait, contract_id: i32) -> Result<Option<opportunity::Model>, DbErr> {
    opportunity::Entity::find()
        .filter(opportunity::Column::CreatedFromId.eq(contract_id))
        .order_by_asc(opportunity::Column::Id)
        .one(db)
        .await
}
