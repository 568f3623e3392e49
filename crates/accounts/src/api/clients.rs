//! API clients: registered in the back-office, or configured by `CLIENT_ID`/`CLIENT_SECRET`
//! (seed 003), and checked at the token endpoint.
//!
//! Invariants:
//! - A secret is 32 random bytes made here, shown once; only its SHA-256 is kept. (A fast hash
//!   is enough for a value that cannot be guessed; the configured client's secret is at least
//!   32 characters, its operator's choice.)
//! - The configured client is a row like any other, named after its id, kept in step with the
//!   environment each time it asks for a token: a changed secret, scopes or owner takes effect
//!   at once, and the back-office cannot change them. A row the environment configures no
//!   longer (its `CLIENT_ID` changed or was removed) gets no tokens.

use chrono::Utc;
use model::Stamp;
use model::entities::{api_client, user};
use platform::config::ConfiguredClient;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::scopes::Scopes;
use super::tokens::digest;
use crate::links::{random_hex, random_token};

/// A new client's public id.
pub fn new_client_id() -> anyhow::Result<String> {
    Ok(format!("pcc_{}", random_hex(12)?))
}

/// A new secret (shown once).
pub fn new_secret() -> anyhow::Result<String> {
    Ok(format!("pcs_{}", random_token()?))
}

/// The name the configured client's row carries.
pub fn configured_name(client_id: &str) -> String {
    format!("{client_id} (configured by CLIENT_ID)")
}

/// Why client credentials are refused. The token endpoint answers `invalid_client` for all of
/// them and logs which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such client, or the wrong secret.
    Credentials,
    Inactive,
    /// Its owner is deleted or not an active user.
    NoOwner,
}

/// The client whose `client_id` and `secret` these are. `configured` is the environment's
/// client, if any, which this brings into step with its row first.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    configured: Option<&ConfiguredClient>,
    client_id: &str,
    secret: &str,
) -> anyhow::Result<Result<api_client::Model, Refused>> {
    let presented = digest(secret);
    let row = match configured.filter(|c| c.client_id == client_id) {
        Some(c) => {
            if digest(c.secret.expose()) != presented {
                return Ok(Err(Refused::Credentials));
            }
            Some(sync_configured(db, c).await?)
        }
        // A row the environment once configured and configures no longer (CLIENT_ID changed or
        // was removed, say after a leak) gives no tokens, whatever its secret.
        None => api_client::Entity::find()
            .filter(api_client::Column::ClientId.eq(client_id))
            .one(db)
            .await?
            .filter(|c| c.name != configured_name(&c.client_id)),
    };
    let Some(client) = row.filter(|c| c.secret_hash == presented) else { return Ok(Err(Refused::Credentials)) };
    if !client.is_active {
        return Ok(Err(Refused::Inactive));
    }
    let owner = match client.owner_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    if !owner.is_some_and(|o| o.active) {
        return Ok(Err(Refused::NoOwner));
    }
    Ok(Ok(client))
}

/// Makes or updates the configured client's row (ownerless while `CLIENT_OWNER` is no user's).
async fn sync_configured(db: &impl ConnectionTrait, c: &ConfiguredClient) -> anyhow::Result<api_client::Model> {
    let owner = match platform::mail::address(&c.owner) {
        Ok(address) => user::Entity::find().filter(user::Column::Email.eq(address)).one(db).await?,
        Err(_) => None,
    };
    let scopes = match &c.scopes {
        Some(names) => Scopes::parse(&names.join(" ")).map_err(|e| anyhow::anyhow!("CLIENT_SCOPES: {e}"))?,
        None => Scopes::all(),
    };
    let hash = digest(c.secret.expose());
    let now = Utc::now();
    let existing = api_client::Entity::find().filter(api_client::Column::ClientId.eq(&c.client_id)).one(db).await?;
    let wanted = (hash.clone(), scopes.to_string(), owner.as_ref().map(|o| o.id));
    let row = match existing {
        Some(row) if (row.secret_hash.clone(), row.scopes.clone(), row.owner_id) == wanted => row,
        Some(row) => {
            let secret_changed = row.secret_hash != hash;
            let mut active: api_client::ActiveModel = row.into();
            active.secret_hash = Set(wanted.0);
            active.scopes = Set(wanted.1);
            active.owner_id = Set(wanted.2);
            if secret_changed {
                active.secret_made_at = Set(now);
            }
            active.stamp(None, now);
            active.update(db).await?
        }
        None => {
            api_client::ActiveModel {
                name: Set(configured_name(&c.client_id)),
                client_id: Set(c.client_id.clone()),
                secret_hash: Set(wanted.0),
                scopes: Set(wanted.1),
                owner_id: Set(wanted.2),
                is_active: Set(true),
                secret_made_at: Set(now),
                ..Stamp::created(None, now)
            }
            .insert(db)
            .await?
        }
    };
    Ok(row)
}

/// Checks the configured client's scopes at start-up, so a typo stops the process with its name.
pub fn check_configured(configured: Option<&ConfiguredClient>) -> anyhow::Result<()> {
    if let Some(names) = configured.and_then(|c| c.scopes.as_ref()) {
        Scopes::parse(&names.join(" ")).map_err(|e| anyhow::anyhow!("CLIENT_SCOPES: {e}"))?;
    }
    Ok(())
}
