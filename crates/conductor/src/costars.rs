//! COSTARS contracts' documents, uploaded from Conductor (`research/conductor.md` §7): the
//! COSTARS contracts that have no document yet, and attaching one. The award lists themselves
//! come in through the admin's web import at Conductor's own desk (`pages/costars.rs`).
//!
//! Invariants: a document is attached only to a COSTARS contract that has none, by one guarded
//! update (of two uploads for one contract, the first wins and the second is told); the file
//! comes from the upload kit in the same request (a PDF by its bytes, under the size cap). The
//! original attached its file to whatever contract id the form named and overwrote files that
//! shared a name.

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::entities::{contract, contract_type};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

/// The contract type of COSTARS awards (made by the importer).
pub const COSTARS_TYPE: &str = "COSTARS";

/// How the audit log names a contract.
const AUDIT_RESOURCE: &str = "contracts";

async fn costars_type(db: &impl ConnectionTrait) -> Result<Option<i32>, DbErr> {
    Ok(contract_type::Entity::find().filter(contract_type::Column::Name.eq(COSTARS_TYPE)).one(db).await?.map(|t| t.id))
}

/// The COSTARS contracts with no document, by description, up to `limit` of them, and how many
/// there are in all.
pub async fn waiting(db: &impl ConnectionTrait, limit: u64) -> Result<(u64, Vec<contract::Model>), DbErr> {
    let Some(costars) = costars_type(db).await? else { return Ok((0, Vec::new())) };
    let query = contract::Entity::find()
        .filter(contract::Column::ContractTypeId.eq(costars))
        .filter(contract::Column::DocumentId.is_null())
        .filter(contract::Column::IsArchived.eq(false));
    let total = query.clone().count(db).await?;
    let rows = query.order_by_asc(contract::Column::Description).order_by_asc(contract::Column::Id).limit(limit);
    Ok((total, rows.all(db).await?))
}

/// Attaches stored file `file_id` as COSTARS contract `id`'s document, if it has none yet;
/// the change is in the audit log and Scout's pages show it at once.
pub async fn attach(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    file_id: i64,
    now: DateTime<Utc>,
) -> Result<contract::Model, ServiceError> {
    authorize(user, Action::Create, Resource::CostarsUpload)?;
    let costars = costars_type(db).await?.ok_or(ServiceError::NotFound)?;
    let found = contract::Entity::find_by_id(id)
        .filter(contract::Column::ContractTypeId.eq(costars))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let done = contract::Entity::update_many()
        .col_expr(contract::Column::DocumentId, Expr::value(file_id))
        .col_expr(contract::Column::UpdatedAt, Expr::value(now))
        .col_expr(contract::Column::UpdatedBy, Expr::value(user.map(|u| u.id)))
        .filter(contract::Column::Id.eq(id))
        .filter(contract::Column::DocumentId.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(ServiceError::Conflict("This contract already has its document.".into()));
    }
    scout::freshness::bump(db).await?;
    let summary = found.description.clone().unwrap_or_else(|| format!("Contract {id}"));
    let details = [("Document", format!("stored file {file_id}"))];
    admin::audit::record_action(db, user.map(|u| u.id), "attach_document", AUDIT_RESOURCE, id, &summary, &details)
        .await?;
    Ok(contract::Model { document_id: Some(file_id), updated_at: now, updated_by: user.map(|u| u.id), ..found })
}
