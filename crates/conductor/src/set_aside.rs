//! "Remove from Conductor only" for a contract nobody has started work on, and its undo: the
//! contract leaves All contracts and stays on Scout. Each is one row of `conductor_set_aside`
//! and one audit entry, in the caller's transaction.

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::entities::{conductor_set_aside, contract};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// Recorded when a contract is set aside or restored (its id the subject).
pub const SET_ASIDE_EVENT: &str = "conductor.contract.set_aside";

/// Sets contract `id` aside; setting it aside twice changes nothing.
pub async fn set_aside(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    now: DateTime<Utc>,
) -> Result<contract::Model, ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let contract = contract::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    if conductor_set_aside::Entity::find_by_id(id).one(db).await?.is_none() {
        conductor_set_aside::ActiveModel {
            contract_id: Set(id),
            created_at: Set(now),
            created_by: Set(user.map(|u| u.id)),
        }
        .insert(db)
        .await?;
        audit(db, user, "set_aside", &contract).await?;
    }
    Ok(contract)
}

/// Brings contract `id` back to All contracts.
pub async fn restore(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
) -> Result<contract::Model, ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let contract = contract::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let gone = conductor_set_aside::Entity::delete_by_id(id).exec(db).await?;
    if gone.rows_affected > 0 {
        audit(db, user, "restore", &contract).await?;
    }
    Ok(contract)
}

async fn audit(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    action: &str,
    contract: &contract::Model,
) -> Result<(), ServiceError> {
    let summary = contract.description.clone().unwrap_or_else(|| format!("Contract {}", contract.id));
    model::audit::write(
        db,
        model::audit::Entry {
            actor: user.map(|u| u.id),
            action,
            resource: "contracts",
            record_id: contract.id,
            summary: &summary,
            before: None,
            after: Some(format!(
                r#"[["conductor", "{}"]]"#,
                if action == "restore" { "restored" } else { "set aside" }
            )),
        },
    )
    .await?;
    let event =
        platform::events::NewEvent::new(SET_ASIDE_EVENT, i64::from(contract.id), platform::events::Audience::Conductor);
    platform::events::record(db, event).await?;
    Ok(())
}
