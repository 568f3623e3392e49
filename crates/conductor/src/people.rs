//! Who may be given Conductor's work: active users with a conductor-level role (conductor,
//! admin, superadmin; the original's list left the admins out).

use accounts::Role;
use model::entities::{role, user, user_role};
use platform::http::AppState;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};

/// A user work may be assigned to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assignee {
    pub id: i32,
    pub email: String,
    /// Their name, else their email.
    pub label: String,
}

/// Every user work may be assigned to, by email: cached under the people version (raised by
/// any change to users or their roles), since every page of the index offers the list.
pub async fn assignees(state: &AppState) -> Result<Vec<Assignee>, DbErr> {
    let listed = platform::freshness::cached_value(state, accounts::users::PEOPLE, "conductor:assignees", || async {
        Ok(Some(conductor_level(&state.db, None).await?))
    })
    .await?;
    Ok(listed.unwrap_or_default())
}

/// The active conductor-level users, of `department` when given, by email (uncached).
pub(crate) async fn conductor_level(
    db: &impl ConnectionTrait,
    department: Option<i32>,
) -> Result<Vec<Assignee>, DbErr> {
    let names: Vec<&str> = [Role::Conductor, Role::Admin, Role::Superadmin].iter().map(|r| r.name()).collect();
    let mut query = user::Entity::find()
        .join(JoinType::InnerJoin, user_role::Relation::User.def().rev())
        .join(JoinType::InnerJoin, user_role::Relation::Role.def())
        .filter(role::Column::Name.is_in(names))
        .filter(user::Column::Active.eq(true));
    if let Some(department) = department {
        query = query.filter(user::Column::DepartmentId.eq(department));
    }
    let users = query.distinct().order_by_asc(user::Column::Email).all(db).await?;
    Ok(users
        .into_iter()
        .map(|u| {
            let label = match (u.first_name.as_deref(), u.last_name.as_deref()) {
                (Some(f), Some(l)) if !f.trim().is_empty() && !l.trim().is_empty() => format!("{f} {l}"),
                _ => u.email.clone(),
            };
            Assignee { id: u.id, email: u.email, label }
        })
        .collect())
}
