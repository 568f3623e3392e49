//! One-time sign-in links.
//!
//! A link carries 32 random bytes (base64url); the database keeps only their SHA-256, so a copy
//! of the database cannot sign anyone in. A link works once, for 15 minutes, and, when a browser
//! asked for it, only in that browser: the request leaves a random nonce in that browser's
//! session and the link row keeps the nonce's hash.
//!
//! A link names the address it was mailed to, and the user it was for if there was one. Asking
//! creates nobody: a link for a new address at an accepted domain has no user, and
//! [`resolve`] creates the staff user when the link is first used (so made-up addresses create
//! nothing). A link for a user signs in only that user, and only while the user still has the
//! address it was mailed to: once an address changes, links sent to the old one are worthless.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use model::Stamp;
use model::StampUpdate;
use model::entities::sign_in_token;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::users;
use crate::viewer::CurrentUser;

pub const LIFETIME: Duration = Duration::minutes(15);

/// Why a link does not sign anyone in; each gets its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Never issued, mistyped, or tampered with.
    Unknown,
    Used,
    Expired,
    /// Requested from another browser.
    OtherBrowser,
}

/// A link that may be used: for which address (and user, if there was one when it was asked
/// for), and where to go afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub email: String,
    pub user_id: Option<i32>,
    pub next: Option<String>,
}

/// 32 random bytes, base64url: for tokens and browser nonces.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// `n` random bytes as hex (e.g. the left part of a Message-ID made before its message).
pub fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}

pub(crate) fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` could be one of ours (43 base64url characters); anything else is refused
/// before the database is asked.
fn well_formed(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Issues a link for `email` (bare, lower-cased) and, if it has one, its user; returns the
/// token to put in the email.
pub async fn issue(
    db: &impl ConnectionTrait,
    email: &str,
    user_id: Option<i32>,
    browser_nonce: Option<&str>,
    next: Option<&str>,
) -> anyhow::Result<String> {
    let token = random_token()?;
    let now = Utc::now();
    sign_in_token::ActiveModel {
        user_id: Set(user_id),
        email: Set(email.to_owned()),
        token_hash: Set(digest(&token)),
        browser_hash: Set(browser_nonce.map(digest)),
        next_path: Set(next.map(str::to_owned)),
        expires_at: Set(now + LIFETIME),
        used_at: Set(None),
        ..Stamp::created(None, now)
    }
    .insert(db)
    .await?;
    Ok(token)
}

async fn find(db: &impl ConnectionTrait, token: &str) -> Result<Option<sign_in_token::Model>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    sign_in_token::Entity::find().filter(sign_in_token::Column::TokenHash.eq(digest(token))).one(db).await
}

fn judge(row: Option<&sign_in_token::Model>, browser_nonce: Option<&str>) -> Result<Valid, Refused> {
    let Some(row) = row else { return Err(Refused::Unknown) };
    if row.used_at.is_some() {
        return Err(Refused::Used);
    }
    if row.expires_at <= Utc::now() {
        return Err(Refused::Expired);
    }
    if let Some(expected) = &row.browser_hash
        && browser_nonce.map(digest).as_ref() != Some(expected)
    {
        return Err(Refused::OtherBrowser);
    }
    Ok(Valid { email: row.email.clone(), user_id: row.user_id, next: row.next_path.clone() })
}

/// Whether `token` would sign in from this browser, without using it up (the confirmation page).
pub async fn check(
    db: &impl ConnectionTrait,
    token: &str,
    browser_nonce: Option<&str>,
) -> Result<Result<Valid, Refused>, DbErr> {
    Ok(judge(find(db, token).await?.as_ref(), browser_nonce))
}

/// Uses `token` up. Exactly one of two concurrent redemptions succeeds: the row is marked used
/// by a conditional UPDATE, and only the request whose UPDATE changed it signs in.
pub async fn redeem(
    db: &impl ConnectionTrait,
    token: &str,
    browser_nonce: Option<&str>,
) -> Result<Result<Valid, Refused>, DbErr> {
    let row = find(db, token).await?;
    let valid = match judge(row.as_ref(), browser_nonce) {
        Ok(valid) => valid,
        Err(refused) => return Ok(Err(refused)),
    };
    let now = Utc::now();
    let updated = sign_in_token::Entity::update_many()
        .col_expr(sign_in_token::Column::UsedAt, Expr::value(now))
        .stamped(None, now)
        .filter(sign_in_token::Column::TokenHash.eq(digest(token)))
        .filter(sign_in_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(if updated.rows_affected == 1 { Ok(valid) } else { Err(Refused::Used) })
}

/// Who a usable link signs in: its user, if it still has the link's address and is active; for
/// a link without a user, the active user with that address, else (the address's domain still
/// being accepted) a new staff user, created now. None: the link signs nobody in.
pub async fn resolve(db: &impl ConnectionTrait, valid: &Valid) -> Result<Option<CurrentUser>, DbErr> {
    let id = match valid.user_id {
        Some(id) => id,
        None => match users::find_by_email(db, &valid.email).await? {
            Some(existing) => existing.id,
            None if users::domain_is_accepted(db, &valid.email).await? => {
                let (user, created) = users::find_or_sign_up_staff(db, &valid.email).await?;
                if created {
                    tracing::info!(uid = user.id, "staff user created on first sign-in");
                }
                user.id
            }
            None => return Ok(None),
        },
    };
    Ok(users::current_user(db, id).await?.filter(|u| u.email == valid.email))
}

/// Voids `user_id`'s unused links (its address changed: they went to the old one).
pub async fn void_for(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, DbErr> {
    Ok(sign_in_token::Entity::delete_many()
        .filter(sign_in_token::Column::UserId.eq(user_id))
        .filter(sign_in_token::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Forgets links that ended more than a day ago.
pub async fn purge(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = Utc::now() - Duration::days(1);
    Ok(sign_in_token::Entity::delete_many()
        .filter(sign_in_token::Column::ExpiresAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_random_bytes_in_base64url() {
        let a = random_token().expect("token");
        let b = random_token().expect("token");
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64").len(), 32);
        assert!(!well_formed(&a[1..]));
        assert!(!well_formed(&format!("{}=", &a[1..])));
    }
}
