//! A work item's details: the successor's controller number, its spec number (the contract
//! property keyed "Spec Number", matched in any case) and the department. At least one must be
//! given; a blank field is left as it is, and what changed is logged (acceptance 20).

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::entities::{contract, contract_property, department, work_item};
use model::{Stamp, StampUpdate};
use platform::events::{self, Audience, NewEvent};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::activity::Activity;
use crate::store;
use crate::transitions::MOVED_EVENT;

/// The property that holds a contract's spec number.
pub const SPEC_NUMBER: &str = "Spec Number";

/// The details form: each `None` (or blank) is left unchanged.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub controller_number: Option<String>,
    pub spec_number: Option<String>,
    pub department_id: Option<i32>,
}

fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Saves the details given for item `id`; returns what changed.
pub async fn update(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    details: &Details,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<String>)>, ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let (controller, spec) = (given(&details.controller_number), given(&details.spec_number));
    if controller.is_none() && spec.is_none() && details.department_id.is_none() {
        return Err(ServiceError::invalid("", "You must update at least one field!"));
    }
    if let Some(number) = &controller
        && !number.chars().all(|c| c.is_ascii_digit())
    {
        return Err(ServiceError::invalid("controller_number", "A controller number is digits only."));
    }
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    let department = match details.department_id {
        None => None,
        Some(d) => Some(
            department::Entity::find_by_id(d)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::invalid("department", "Choose a department from the list."))?,
        ),
    };
    let mut changes = Vec::new();
    let successor = item.work.contract_id;
    if let Some(number) = controller {
        contract::Entity::update_many()
            .col_expr(contract::Column::FinancialId, Expr::value(number.clone()))
            .stamped(Some(user.id), now)
            .filter(contract::Column::Id.eq(successor))
            .exec(db)
            .await?;
        changes.push(("Controller number".to_owned(), Some(number)));
    }
    if let Some(number) = spec {
        let existing = contract_property::Entity::find()
            .filter(contract_property::Column::ContractId.eq(successor))
            .filter(ExprTrait::eq(
                Expr::expr(Func::lower(Expr::col(contract_property::Column::Key))),
                SPEC_NUMBER.to_lowercase(),
            ))
            .one(db)
            .await?;
        match existing {
            Some(p) => {
                let mut active: contract_property::ActiveModel = p.into();
                active.value = Set(Some(number.clone()));
                active.stamp(Some(user.id), now);
                active.update(db).await?;
            }
            None => {
                contract_property::ActiveModel {
                    contract_id: Set(successor),
                    key: Set(SPEC_NUMBER.to_owned()),
                    value: Set(Some(number.clone())),
                    ..Stamp::created(Some(user.id), now)
                }
                .insert(db)
                .await?;
            }
        }
        changes.push(("Spec number".to_owned(), Some(number)));
    }
    if let Some(d) = department {
        work_item::Entity::update_many()
            .col_expr(work_item::Column::DepartmentId, Expr::value(d.id))
            .stamped(Some(user.id), now)
            .filter(work_item::Column::Id.eq(id))
            .exec(db)
            .await?;
        contract::Entity::update_many()
            .col_expr(contract::Column::DepartmentId, Expr::value(d.id))
            .stamped(Some(user.id), now)
            .filter(contract::Column::Id.eq(successor))
            .exec(db)
            .await?;
        changes.push(("Department".to_owned(), Some(d.name)));
    }
    let row = item.progress().current.and_then(|i| item.row_id(i));
    store::log(db, id, row, &Activity::Metadata { changes: changes.clone() }, Some(user), now).await?;
    events::record(db, NewEvent::new(MOVED_EVENT, i64::from(id), Audience::Conductor)).await?;
    Ok(changes)
}
