//! The renewal calendar (issue 16): the expirations of contracts Conductor manages and the
//! target dates of work's current stages, as a month's agenda for conductor-level users and as
//! an iCalendar feed at a per-user secret link, since calendar programs cannot sign in.
//!
//! Invariants: a link is `/conductor/calendar/{user}.{epoch}.{signature}/renewals.ics`, the
//! signature an HMAC of the user and the epoch under a key derived from the app secret; it works
//! while the epoch is the user's (`conductor_calendars`; "Get a new link" raises it, ending every
//! earlier link) and while the user is active and conductor-level (checked on every fetch). A
//! link that does not work is a 404, whatever the reason.

use std::collections::BTreeMap;

use accounts::CurrentUser;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use model::entities::{conductor_calendar, contract, contract_type};
use platform::config::Secret;
use platform::secrets::{derive_key, hmac_sha256, verify_hex};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

/// What a day of the calendar holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A managed contract expires.
    Expires,
    /// Work's current stage reaches its target.
    Target,
}

/// One entry of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub day: NaiveDate,
    pub kind: Kind,
    /// "Road salt expires" / "Review due: Road salt 2027".
    pub title: String,
    /// Its page (a path on this site).
    pub path: String,
    /// Stable across fetches, for calendar programs.
    pub uid: String,
}

#[derive(Debug, FromQueryResult)]
struct Target {
    id: i32,
    description: Option<String>,
    stage: Option<String>,
    target_days: Option<i32>,
    stage_entered_at: Option<DateTime<Utc>>,
}

/// The calendar's entries from `from` to `to` (inclusive), by day, expirations first.
pub async fn entries(db: &impl ConnectionTrait, from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<Vec<Entry>, DbErr> {
    let managed: Vec<i32> = contract_type::Entity::find()
        .filter(contract_type::Column::ManagedByConductor.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut found = Vec::new();
    let expiring = contract::Entity::find()
        .filter(contract::Column::ContractTypeId.is_in(managed))
        .filter(contract::Column::IsVisible.eq(true))
        .filter(contract::Column::IsArchived.eq(false))
        .filter(contract::Column::ExpirationDate.between(from, to))
        .order_by_asc(contract::Column::ExpirationDate)
        .order_by_asc(contract::Column::Id)
        .all(db)
        .await?;
    for c in expiring {
        let Some(day) = c.expiration_date else { continue };
        let name = c.description.unwrap_or_else(|| format!("Contract {}", c.id));
        found.push(Entry {
            day,
            kind: Kind::Expires,
            title: format!("{name} expires"),
            path: format!("/scout/contracts/{}", c.id),
            uid: format!("expires-{}-{day}", c.id),
        });
    }
    // The work in progress is bounded by the staff doing it: its targets are computed here.
    let sql = "SELECT w.id, c.description, s.name AS stage, s.target_days, w.stage_entered_at \
               FROM work_items w JOIN contracts c ON c.id = w.contract_id \
               JOIN stages s ON s.id = w.current_stage_id \
               WHERE w.status = 'in_progress' AND s.target_days IS NOT NULL ORDER BY w.id";
    let rows =
        Target::find_by_statement(platform::db::stmt(db.get_database_backend(), sql, Vec::new())).all(db).await?;
    for r in rows {
        let (Some(entered), Some(days)) = (r.stage_entered_at, r.target_days) else { continue };
        let day = (entered + Duration::days(i64::from(days))).with_timezone(&tz).date_naive();
        if day < from || day > to {
            continue;
        }
        let stage = r.stage.unwrap_or_default();
        found.push(Entry {
            day,
            kind: Kind::Target,
            title: format!("{stage} due: {}", r.description.unwrap_or_else(|| format!("Item #{}", r.id))),
            path: crate::pages::item_link(r.id),
            uid: format!("target-{}-{day}", r.id),
        });
    }
    found.sort_by(|a, b| a.day.cmp(&b.day).then(a.kind.eq(&Kind::Target).cmp(&b.kind.eq(&Kind::Target))));
    Ok(found)
}

/// `entries` grouped by day.
pub fn by_day(entries: Vec<Entry>) -> BTreeMap<NaiveDate, Vec<Entry>> {
    let mut days: BTreeMap<NaiveDate, Vec<Entry>> = BTreeMap::new();
    for e in entries {
        days.entry(e.day).or_default().push(e);
    }
    days
}

fn key(secret: &Secret) -> Vec<u8> {
    derive_key(secret, "procure/conductor/calendar")
}

fn message(user: i32, epoch: i32) -> String {
    format!("calendar:{user}:{epoch}")
}

async fn epoch_of(db: &impl ConnectionTrait, user: i32) -> Result<i32, DbErr> {
    Ok(conductor_calendar::Entity::find_by_id(user).one(db).await?.map_or(0, |c| c.epoch))
}

/// The path of `user`'s calendar feed as it stands.
pub async fn feed_path(db: &impl ConnectionTrait, secret: &Secret, user: i32) -> Result<String, DbErr> {
    let epoch = epoch_of(db, user).await?;
    let signature = hex::encode(hmac_sha256(&key(secret), message(user, epoch).as_bytes()));
    Ok(format!("/conductor/calendar/{user}.{epoch}.{signature}/renewals.ics"))
}

/// Ends `user`'s calendar links: the next one is signed with a new epoch.
pub async fn rotate(db: &impl ConnectionTrait, user: &CurrentUser, now: DateTime<Utc>) -> Result<(), DbErr> {
    conductor_calendar::Entity::insert(conductor_calendar::ActiveModel {
        user_id: Set(user.id),
        epoch: Set(1),
        rotated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(conductor_calendar::Column::UserId)
            // Qualified: in the update, an unqualified name would be ambiguous on PostgreSQL.
            .value(
                conductor_calendar::Column::Epoch,
                Expr::col((conductor_calendar::Entity, conductor_calendar::Column::Epoch)).add(1),
            )
            .value(conductor_calendar::Column::RotatedAt, now)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The user a feed token stands for, if it works now: signed for their current epoch, and
/// they are active and conductor-level.
pub async fn holder(db: &impl ConnectionTrait, secret: &Secret, token: &str) -> Result<Option<CurrentUser>, DbErr> {
    let mut parts = token.splitn(3, '.');
    let (Some(user), Some(epoch), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (Ok(user), Ok(epoch)) = (user.parse::<i32>(), epoch.parse::<i32>()) else { return Ok(None) };
    if !verify_hex(&key(secret), message(user, epoch).as_bytes(), signature) || epoch_of(db, user).await? != epoch {
        return Ok(None);
    }
    Ok(accounts::users::current_user(db, user).await?.filter(CurrentUser::is_conductor_level))
}
