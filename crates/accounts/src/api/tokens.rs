//! Bearer tokens: made, found, used and revoked. A token is a prefix that says what it is
//! (`pcat_` a client's access token, `pcpt_` a personal token, so a leaked one is recognised by
//! secret scanners and people) and 32 random bytes; the database keeps only its SHA-256.
//!
//! Invariants:
//! - A token is good while it is unexpired, unrevoked, and what it acts for still stands: a
//!   personal token's user is active (deleting the user deletes their tokens); a client's
//!   token's client is active and has an active owner.
//! - What a token may do is its scopes, within its client's scopes as they are now (narrowing a
//!   client narrows its live tokens), and within the permissions of the user it acts for.
//! - `last_used_at` is written at most once a minute per token, not on every request.

use chrono::{DateTime, Duration, Utc};
use model::Stamp;
use model::entities::{api_client, api_token};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    Set,
};

use super::scopes::Scopes;
use crate::links::random_token;
use crate::viewer::CurrentUser;

pub const CLIENT_PREFIX: &str = "pcat_";
pub const PERSONAL_PREFIX: &str = "pcpt_";
/// A token longer than this is not one of ours (and is not hashed).
const MAX_LEN: usize = 100;
/// How often `last_used_at` is written, at most.
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Expired and revoked tokens are kept this long (for the profile page's list), then purged.
pub const KEPT_AFTER_END: Duration = Duration::days(30);

/// What kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Client,
    Personal,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Personal => "personal",
        }
    }
}

/// The SHA-256 of a token, as stored (as sign-in links' are).
pub fn digest(token: &str) -> String {
    crate::links::digest(token)
}

/// A token just made: the only time its value is known.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: i32,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub scopes: Scopes,
}

/// Makes and stores a token.
#[allow(clippy::too_many_arguments)] // Each is one column of the row.
async fn issue(
    db: &impl ConnectionTrait,
    kind: Kind,
    name: &str,
    client: Option<i32>,
    user: Option<i32>,
    scopes: Scopes,
    expires_at: DateTime<Utc>,
    actor: Option<i32>,
) -> anyhow::Result<Issued> {
    let prefix = if kind == Kind::Client { CLIENT_PREFIX } else { PERSONAL_PREFIX };
    let token = format!("{prefix}{}", random_token()?);
    let now = Utc::now();
    let row = api_token::ActiveModel {
        token_hash: Set(digest(&token)),
        kind: Set(kind.name().to_owned()),
        name: Set(name.to_owned()),
        client_id: Set(client),
        user_id: Set(user),
        scopes: Set(scopes.to_string()),
        expires_at: Set(expires_at),
        ..Stamp::created(actor, now)
    }
    .insert(db)
    .await?;
    Ok(Issued { id: row.id, token, expires_at, scopes })
}

/// A client's access token, from the client-credentials grant.
pub async fn issue_for_client(
    db: &impl ConnectionTrait,
    client: &api_client::Model,
    scopes: Scopes,
    lifetime: Duration,
) -> anyhow::Result<Issued> {
    let expires_at = Utc::now() + lifetime;
    issue(db, Kind::Client, &client.name, Some(client.id), None, scopes, expires_at, None).await
}

/// A personal token for `user` (made by themselves on their profile).
pub async fn issue_personal(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    name: &str,
    scopes: Scopes,
    expires_at: DateTime<Utc>,
) -> anyhow::Result<Issued> {
    issue(db, Kind::Personal, name, None, Some(user.id), scopes, expires_at, Some(user.id)).await
}

/// Who a good token acts for, and what it may do.
#[derive(Debug, Clone)]
pub struct Found {
    pub token: api_token::Model,
    /// The user whose permissions decide: a personal token's user, or the client's owner.
    pub user_id: i32,
    /// The token's scopes, within its client's current ones.
    pub scopes: Scopes,
    /// The client it was issued to (its name is the name the audit log shows).
    pub client: Option<api_client::Model>,
}

/// Why a bearer token is refused (the answer does not say which, only that it is not good).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Expired,
    Revoked,
    /// Its client is inactive or ownerless.
    ClientGone,
}

/// Looks a presented token up; `Err` says why it is not good. The caller still checks that the
/// user it acts for is active.
pub async fn find(db: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> Result<Result<Found, Refused>, DbErr> {
    let ours = token.len() <= MAX_LEN && (token.starts_with(CLIENT_PREFIX) || token.starts_with(PERSONAL_PREFIX));
    if !ours {
        return Ok(Err(Refused::Unknown));
    }
    let Some(row) = api_token::Entity::find().filter(api_token::Column::TokenHash.eq(digest(token))).one(db).await?
    else {
        return Ok(Err(Refused::Unknown));
    };
    if row.revoked_at.is_some() {
        return Ok(Err(Refused::Revoked));
    }
    if row.expires_at <= now {
        return Ok(Err(Refused::Expired));
    }
    let scopes = Scopes::stored(&row.scopes);
    let found = match (row.client_id, row.user_id) {
        (Some(client_id), _) => {
            let client = api_client::Entity::find_by_id(client_id).one(db).await?;
            match client {
                Some(c) if c.is_active && c.owner_id.is_some() => Found {
                    user_id: c.owner_id.unwrap_or_default(),
                    scopes: scopes.within(Scopes::stored(&c.scopes)),
                    client: Some(c),
                    token: row,
                },
                _ => return Ok(Err(Refused::ClientGone)),
            }
        }
        (None, Some(user_id)) => Found { user_id, scopes, client: None, token: row },
        (None, None) => return Ok(Err(Refused::Unknown)),
    };
    Ok(Ok(found))
}

/// Records that token `found` was used at `now`, unless it was within the last minute.
pub async fn touch(db: &impl ConnectionTrait, found: &api_token::Model, now: DateTime<Utc>) -> Result<(), DbErr> {
    if found.last_used_at.is_some_and(|at| now - at < TOUCH_EVERY) {
        return Ok(());
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(found.id))
        .exec(db)
        .await?;
    Ok(())
}

/// `user`'s personal tokens, newest first, including ended ones still kept.
pub async fn personal(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::Kind.eq(Kind::Personal.name()))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// Revokes `user`'s own personal token `id`; false when they have no such live token.
pub async fn revoke_personal(db: &impl ConnectionTrait, user_id: i32, id: i32) -> Result<bool, DbErr> {
    let mine = Condition::all().add(api_token::Column::Id.eq(id)).add(api_token::Column::UserId.eq(user_id));
    Ok(revoke(db, mine, Some(user_id)).await? == 1)
}

/// Revokes every live token of client `client` (its secret was rotated, it was deactivated or
/// given another owner), as `actor`; how many.
pub async fn revoke_client(db: &impl ConnectionTrait, client: i32, actor: Option<i32>) -> Result<u64, DbErr> {
    revoke(db, Condition::all().add(api_token::Column::ClientId.eq(client)), actor).await
}

/// Revokes the live tokens `which` picks, as `actor`.
async fn revoke(db: &impl ConnectionTrait, which: Condition, actor: Option<i32>) -> Result<u64, DbErr> {
    let now = Utc::now();
    let done = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .col_expr(api_token::Column::UpdatedAt, Expr::value(now))
        .col_expr(api_token::Column::UpdatedBy, Expr::value(actor))
        .filter(which)
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Deletes tokens that ended (expired or revoked) more than [`KEPT_AFTER_END`] ago.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let before = now - KEPT_AFTER_END;
    let done = api_token::Entity::delete_many()
        .filter(api_token::Column::ExpiresAt.lt(before).or(api_token::Column::RevokedAt.lt(before)))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
