//! Users, their roles and departments: the service functions every page and command goes through.

use chrono::Utc;
use model::entities::{accepted_domain, department, role, user, user_role};
use model::{Stamp, StampUpdate};
use platform::http::AppState;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::policy::{Action, AdminArea, Resource, Role, authorize};
use crate::service::ServiceError;
use crate::viewer::CurrentUser;

/// Where self-registered staff wait until they choose their department.
pub const NEW_USER_DEPARTMENT: &str = "New User";

/// The data version raised whenever who someone is changes (their address, name, activity,
/// department, session epoch or roles; a department's name): by database triggers (see
/// migration 21). Values made from people alone are cached under it.
pub const PEOPLE: &str = "people";

/// [`current_user`], cached under the [`PEOPLE`] version: a signed-in page reads one version
/// instead of the user, their department and their roles.
pub async fn current_user_cached(state: &AppState, id: i32) -> Result<Option<CurrentUser>, DbErr> {
    /// `CurrentUser` leaves its epoch out of what templates see; the cache keeps it.
    #[derive(Serialize, Deserialize)]
    struct Kept {
        user: CurrentUser,
        epoch: i32,
    }
    let kept = platform::freshness::cached_value(state, PEOPLE, &format!("user:{id}"), || async {
        Ok(current_user(&state.db, id).await?.map(|user| Kept { epoch: user.session_epoch, user }))
    })
    .await?;
    Ok(kept.map(|Kept { mut user, epoch }| {
        user.session_epoch = epoch;
        user
    }))
}

/// The signed-in user `id` with roles and department, if it exists and is active.
pub async fn current_user(db: &impl ConnectionTrait, id: i32) -> Result<Option<CurrentUser>, DbErr> {
    let Some((u, dept)) = user::Entity::find_by_id(id)
        .filter(user::Column::Active.eq(true))
        .find_also_related(department::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let roles = roles_of(db, u.id).await?;
    Ok(Some(CurrentUser {
        id: u.id,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        department_id: u.department_id,
        department: dept.map(|d| d.name),
        roles,
        session_epoch: u.session_epoch,
    }))
}

pub async fn roles_of(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<Role>, DbErr> {
    let rows = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .find_also_related(role::Entity)
        .all(db)
        .await?;
    let mut roles: Vec<Role> = rows.into_iter().filter_map(|(_, r)| r.and_then(|r| Role::parse(&r.name))).collect();
    roles.sort();
    Ok(roles)
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::Email.eq(email.to_lowercase())).one(db).await
}

/// Whether staff with this address may sign themselves up.
pub async fn domain_is_accepted(db: &impl ConnectionTrait, email: &str) -> Result<bool, DbErr> {
    let Some((_, domain)) = email.rsplit_once('@') else { return Ok(false) };
    Ok(accepted_domain::Entity::find()
        .filter(accepted_domain::Column::Domain.eq(domain.to_lowercase()))
        .one(db)
        .await?
        .is_some())
}

pub async fn department_id(db: &impl ConnectionTrait, name: &str) -> Result<Option<i32>, DbErr> {
    Ok(department::Entity::find().filter(department::Column::Name.eq(name)).one(db).await?.map(|d| d.id))
}

/// The departments a form offers, (id, name) by name: every one but "New User", where staff
/// who signed themselves up wait.
pub async fn departments(db: &impl ConnectionTrait) -> Result<Vec<(i32, String)>, DbErr> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|d| d.name != NEW_USER_DEPARTMENT)
        .map(|d| (d.id, d.name))
        .collect())
}

/// Creates a user (active, no password) and gives it `roles`. `actor` is who did it, if anyone.
pub async fn create_user(
    db: &impl ConnectionTrait,
    email: &str,
    department: Option<i32>,
    roles: &[Role],
    actor: Option<i32>,
) -> Result<user::Model, DbErr> {
    let now = Utc::now();
    let created = user::ActiveModel {
        email: Set(email.to_lowercase()),
        active: Set(true),
        department_id: Set(department),
        ..Stamp::created(actor, now)
    }
    .insert(db)
    .await?;
    set_roles(db, created.id, roles, actor).await?;
    Ok(created)
}

/// Replaces a user's roles with `roles`.
pub async fn set_roles(
    db: &impl ConnectionTrait,
    user_id: i32,
    roles: &[Role],
    actor: Option<i32>,
) -> Result<(), DbErr> {
    user_role::Entity::delete_many().filter(user_role::Column::UserId.eq(user_id)).exec(db).await?;
    let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
    let ids = role::Entity::find().filter(role::Column::Name.is_in(names)).all(db).await?;
    let now = Utc::now();
    for r in ids {
        user_role::ActiveModel { user_id: Set(user_id), role_id: Set(r.id), ..Stamp::created(actor, now) }
            .insert(db)
            .await?;
    }
    Ok(())
}

/// The user with `email`, or else a new staff member who signs themselves up: `staff`, in "New
/// User" until they say otherwise. The address is locked first ([`platform::db::lock_key`]), so
/// two requests at once (two drafts naming one new contact, say) make one user between them
/// rather than the second failing on the unique address. Returns the user and whether it is new.
pub async fn find_or_sign_up_staff(db: &impl ConnectionTrait, email: &str) -> Result<(user::Model, bool), DbErr> {
    platform::db::lock_key(db, &format!("user:{}", email.to_lowercase())).await?;
    if let Some(found) = find_by_email(db, email).await? {
        return Ok((found, false));
    }
    let new_users = department_id(db, NEW_USER_DEPARTMENT).await?;
    Ok((create_user(db, email, new_users, &[Role::Staff], None).await?, true))
}

/// `procure createsuperuser`: creates the user, or adds `superadmin` to an existing one (and
/// reactivates it). Returns the user and whether it was created.
pub async fn ensure_superadmin(db: &sea_orm::DatabaseConnection, email: &str) -> Result<(user::Model, bool), DbErr> {
    let txn = platform::db::begin_write(db).await?;
    let result = match find_by_email(&txn, email).await? {
        Some(existing) => {
            let mut roles = roles_of(&txn, existing.id).await?;
            if !roles.contains(&Role::Superadmin) {
                roles.push(Role::Superadmin);
                set_roles(&txn, existing.id, &roles, None).await?;
            }
            let mut active: user::ActiveModel = existing.into();
            active.active = Set(true);
            active.stamp(None, Utc::now());
            (active.update(&txn).await?, false)
        }
        None => {
            let other = department_id(&txn, "Other").await?;
            (create_user(&txn, email, other, &[Role::Superadmin], None).await?, true)
        }
    };
    txn.commit().await?;
    Ok(result)
}

/// What the profile form sends. Every field is optional so a missing one is a validation
/// message, not a rejected request.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub department: String,
}

/// Field name → message.
pub type FieldErrors = Vec<(&'static str, String)>;

/// Saves a user's own profile, with its entry in the audit log when it changed, in the caller's
/// transaction; or says what is wrong with the form.
pub async fn update_profile(
    db: &impl ConnectionTrait,
    me: &CurrentUser,
    form: &ProfileForm,
) -> Result<Result<(), FieldErrors>, DbErr> {
    if crate::policy::authorize(Some(me), crate::policy::Action::Edit, crate::policy::Resource::OwnProfile).is_err() {
        return Err(DbErr::Custom("not allowed to edit this profile".into()));
    }
    let mut errors = FieldErrors::new();
    let first = form.first_name.trim();
    let last = form.last_name.trim();
    if first.chars().count() > 100 {
        errors.push(("first_name", "Use at most 100 characters.".into()));
    }
    if last.chars().count() > 100 {
        errors.push(("last_name", "Use at most 100 characters.".into()));
    }
    let department = match form.department.trim().parse::<i32>() {
        Ok(id) => match department::Entity::find_by_id(id).one(db).await? {
            Some(d) if d.name == NEW_USER_DEPARTMENT => {
                errors.push(("department", "Choose the department you work in.".into()));
                None
            }
            Some(d) => Some(d.id),
            None => {
                errors.push(("department", "That department does not exist; choose one from the list.".into()));
                None
            }
        },
        Err(_) => {
            errors.push(("department", "Choose your department.".into()));
            None
        }
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let Some(found) = user::Entity::find_by_id(me.id).one(db).await? else {
        return Err(DbErr::RecordNotFound(format!("user {}", me.id)));
    };
    // The audit log shows the change as the back-office's users table would (its field names).
    let values = |first: Option<&str>, last: Option<&str>, department: Option<i32>| {
        let one = |v: Option<&str>| vec![v.unwrap_or_default().to_owned()];
        let fields = [
            ("first_name", one(first)),
            ("last_name", one(last)),
            ("department", vec![department.map(|d| d.to_string()).unwrap_or_default()]),
        ];
        serde_json::to_string(&std::collections::BTreeMap::from(fields)).unwrap_or_default()
    };
    let blank_to_none = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let before = values(found.first_name.as_deref(), found.last_name.as_deref(), found.department_id);
    let after = values(Some(first), Some(last), department);
    let email = found.email.clone();
    let mut active: user::ActiveModel = found.into();
    active.first_name = Set(blank_to_none(first));
    active.last_name = Set(blank_to_none(last));
    active.department_id = Set(department);
    active.stamp(Some(me.id), Utc::now());
    active.update(db).await?;
    if before != after {
        let entry = model::audit::Entry {
            actor: Some(me.id),
            action: "update",
            resource: "users",
            record_id: me.id,
            summary: &email,
            before: Some(before),
            after: Some(after),
        };
        model::audit::write(db, entry).await?;
    }
    Ok(Ok(()))
}

/// Changes user `user_id`'s address to `new_email` (any form; it is parsed here), as `actor`:
/// the user themselves, an admin, or for a superadmin's account only a superadmin. What an
/// address change means is done here, in the caller's transaction, so it cannot be forgotten
/// by a form: the user's sessions all end (their epoch is raised, see `viewer`), links mailed
/// to the old address are voided, and the old address is told, by a [`crate::NotifyEmailChanged`]
/// job. Returns the old address; changing to the same address changes nothing.
pub async fn change_email(
    db: &impl ConnectionTrait,
    actor: &CurrentUser,
    user_id: i32,
    new_email: &str,
) -> Result<String, ServiceError> {
    if actor.id == user_id {
        authorize(Some(actor), Action::Edit, Resource::OwnProfile)?;
    } else {
        authorize(Some(actor), Action::Edit, Resource::Admin(AdminArea::General))?;
        if roles_of(db, user_id).await?.contains(&Role::Superadmin) {
            authorize(Some(actor), Action::Edit, Resource::Admin(AdminArea::Roles))?;
        }
    }
    let new_email = platform::mail::address(new_email).map_err(|e| ServiceError::invalid("email", e.to_string()))?;
    let found = user::Entity::find_by_id(user_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let old = found.email.clone();
    if old == new_email {
        return Ok(old);
    }
    if find_by_email(db, &new_email).await?.is_some() {
        return Err(ServiceError::invalid("email", "Another user has this email address."));
    }
    // Guarded on the old address: of two changes at once, the second finds it gone.
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Email, sea_orm::sea_query::Expr::value(new_email.clone()))
        .col_expr(
            user::Column::SessionEpoch,
            sea_orm::sea_query::ExprTrait::add(sea_orm::sea_query::Expr::col(user::Column::SessionEpoch), 1),
        )
        .stamped(Some(actor.id), Utc::now())
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::Email.eq(old.as_str()))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(ServiceError::Conflict("The address was changed meanwhile; look again.".into()));
    }
    let voided = crate::links::void_for(db, user_id).await?;
    let changed_by = (actor.id != user_id).then(|| actor.display_name());
    let notice = crate::NotifyEmailChanged {
        old_email: old.clone(),
        message: crate::emails::EmailChanged { new_email: new_email.clone(), changed_by },
        message_key: crate::links::random_hex(16).map_err(|e| ServiceError::Db(DbErr::Custom(e.to_string())))?,
    };
    platform::jobs::enqueue(db, &notice).await.map_err(|e| ServiceError::Db(DbErr::Custom(e.to_string())))?;
    tracing::info!(uid = user_id, by = actor.id, voided, "email address changed; the user's sessions are ended");
    Ok(old)
}

pub async fn record_sign_in(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Who hears what admins should (feedback, new vendors): the `ADMINS` addresses, else every
/// active admin and superadmin.
pub async fn admin_emails(db: &impl ConnectionTrait, config: &platform::Config) -> Result<Vec<String>, sea_orm::DbErr> {
    if !config.admins.is_empty() {
        return Ok(config.admins.iter().map(|a| a.email.clone()).collect());
    }
    emails_with_roles(db, &["admin", "superadmin"]).await
}

/// The addresses of active users holding any of `roles` (by name), sorted, once each.
pub async fn emails_with_roles(db: &impl ConnectionTrait, roles: &[&str]) -> Result<Vec<String>, sea_orm::DbErr> {
    let role_ids: Vec<i32> = role::Entity::find()
        .filter(role::Column::Name.is_in(roles.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let user_ids: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::RoleId.is_in(role_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|ur| ur.user_id)
        .collect();
    let mut emails: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    emails.sort();
    emails.dedup();
    Ok(emails)
}
