//! Limits on anonymous requests that send email, and on password guesses: each action has a
//! [`Limit`] per email address and per client address, counted in the database so every web
//! process counts the same requests.
//!
//! Invariants:
//! - Every anonymous request that would send email (a sign-in link, a Beacon sign-up or follow,
//!   Scout feedback) passes [`allow`] for its action, with the bare address it would mail
//!   (`platform::mail::address`) and the client as [`client_ip`] reads it, after the form is
//!   found valid and before anything is queued.
//! - A request over a limit sends nothing and is answered exactly as one that sent mail, so the
//!   limit says nothing about any address; it is logged (action, which limit, client; not the
//!   address).
//! - The attempt is recorded before counting, so concurrent requests each see the others and at
//!   most the limit get through; refused attempts count too. Call [`allow`] inside the action's
//!   write transaction: on SQLite that transaction already holds the write lock, on PostgreSQL
//!   [`allow`] takes a transaction-scoped advisory lock per address and per client, so two
//!   requests for one key are counted one after the other. (Called outside a transaction, as
//!   the password check does, the count is merely close.)

use chrono::{Duration, Utc};
use model::Stamp;
use model::entities::throttle_hit;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    Set, Statement,
};

/// The client's address, decided in one place for the request log and for these limits.
pub use platform::http::client::{ClientIp, client_ip};

/// How many requests of one action per key, per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The name its requests are counted under.
    pub action: &'static str,
    /// At most this many per email address per `email_window`.
    pub per_email: u64,
    pub email_window: Duration,
    /// At most this many per client address per `client_window` (an office shares one).
    pub per_client: u64,
    pub client_window: Duration,
}

/// Sign-in links: enough for a typo and a retry, too few to flood someone's inbox.
pub const SIGN_IN_LINK: Limit = Limit {
    action: "accounts.sign_in_link",
    per_email: 5,
    email_window: Duration::minutes(15),
    per_client: 30,
    client_window: Duration::minutes(15),
};

/// Password sign-in attempts (`PASSWORD_LOGIN=1`): guesses, not mail, so a refusal may say so.
pub const PASSWORD: Limit = Limit { action: "accounts.password", ..SIGN_IN_LINK };

/// Requests for API access tokens (`POST /api/oauth/token`), per client id (in the address's
/// place) and per client address: a client needs one an hour, so this only slows guessing and
/// loops that forget to keep their token.
pub const API_TOKEN: Limit = Limit {
    action: "api.token",
    per_email: 30,
    email_window: Duration::minutes(15),
    per_client: 60,
    client_window: Duration::minutes(15),
};

/// The longest window of any limit: hits older than this count for nothing and are purged.
pub const KEPT_FOR: Duration = Duration::days(1);

/// Lock namespace for PostgreSQL's two-key advisory locks (any constant of our own).
const LOCK_SPACE: i32 = 0x7468_726f; // "thro"

/// Records a request for `limit.action` to `email` from `client` and says whether it is within
/// both limits (`false`: send nothing; the caller answers as if it had). Logs a refusal.
pub async fn allow(db: &impl ConnectionTrait, limit: &Limit, email: &str, client: &str) -> Result<bool, DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // Sorted, so two requests sharing both keys take them in the same order.
        let mut keys = [format!("{}:email:{email}", limit.action), format!("{}:client:{client}", limit.action)];
        keys.sort();
        for key in keys {
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                vec![LOCK_SPACE.into(), key.into()],
            ))
            .await?;
        }
    }
    let now = Utc::now();
    throttle_hit::ActiveModel {
        action: Set(limit.action.to_owned()),
        email: Set(email.to_owned()),
        client_ip: Set(client.to_owned()),
        ..Stamp::created(None, now)
    }
    .insert(db)
    .await?;
    let recent = |window: Duration| {
        throttle_hit::Entity::find()
            .filter(throttle_hit::Column::Action.eq(limit.action))
            .filter(throttle_hit::Column::CreatedAt.gte(now - window))
    };
    let by_email = recent(limit.email_window).filter(throttle_hit::Column::Email.eq(email)).count(db).await?;
    if by_email > limit.per_email {
        tracing::warn!(action = limit.action, client, limit = "per email address", "request limited: nothing sent");
        return Ok(false);
    }
    let by_client = recent(limit.client_window).filter(throttle_hit::Column::ClientIp.eq(client)).count(db).await?;
    if by_client > limit.per_client {
        tracing::warn!(action = limit.action, client, limit = "per client", "request limited: nothing sent");
        return Ok(false);
    }
    Ok(true)
}

/// Forgets requests older than [`KEPT_FOR`].
pub async fn purge(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = Utc::now() - KEPT_FOR;
    Ok(throttle_hit::Entity::delete_many()
        .filter(throttle_hit::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What other crates declare, checked here so a new limit cannot outlive its records.
    #[test]
    fn no_window_is_longer_than_the_records_are_kept() {
        for limit in [SIGN_IN_LINK, PASSWORD] {
            assert!(limit.email_window <= KEPT_FOR && limit.client_window <= KEPT_FOR, "{limit:?}");
        }
    }
}
