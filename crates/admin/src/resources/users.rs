//! Users and their roles. Admins manage users; only superadmins give or take roles, and only
//! superadmins touch a superadmin's account.

use accounts::users::{roles_of, set_roles};
use accounts::{Action, AdminArea, CurrentUser, Denied, Resource, Role, ServiceError, can};
use chrono::Utc;
use model::Stamp;
use model::entities::{department, user};
use platform::config::SiteConfig;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use crate::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct Users;

async fn guard_superadmin_target(
    db: &DatabaseTransaction,
    actor: &CurrentUser,
    id: i32,
) -> Result<Vec<Role>, AdminError> {
    let roles = roles_of(db, id).await?;
    if roles.contains(&Role::Superadmin) && !can(Some(actor), Action::Edit, Resource::Admin(AdminArea::Roles)) {
        return Err(Denied::Forbidden.into());
    }
    Ok(roles)
}

#[async_trait::async_trait]
impl AdminResource for Users {
    fn slug(&self) -> &'static str {
        "users"
    }
    fn title(&self) -> &'static str {
        "Users"
    }
    fn noun(&self) -> &'static str {
        "user"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Email", "Name", "Department", "Roles", "Active"]
    }

    async fn fields(&self, db: &DatabaseTransaction, actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let departments = department::Entity::find()
            .order_by_asc(department::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), d.name))
            .collect();
        let mut fields = vec![
            Field::email("email", "Email address").required(),
            Field::text("first_name", "First name"),
            Field::text("last_name", "Last name"),
            Field::select("department", "Department", departments),
            Field::checkbox("active", "Active").help("Inactive users cannot sign in."),
        ];
        if can(Some(actor), Action::Edit, Resource::Admin(AdminArea::Roles)) {
            let roles = Role::ALL.iter().map(|r| (r.name().to_owned(), r.name().to_owned())).collect();
            fields.push(
                Field::checkboxes("roles", "Roles", roles)
                    .help("Conductor, admin and superadmin are conductor-level. Only superadmins see this field."),
            );
        }
        Ok(fields)
    }

    async fn list(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr> {
        let query = user::Entity::find().filter(
            Condition::any()
                .add(crate::kit::contains(user::Column::Email, search))
                .add(crate::kit::contains(user::Column::FirstName, search))
                .add(crate::kit::contains(user::Column::LastName, search)),
        );
        let total = query.clone().count(db).await?;
        let found = query
            .find_also_related(department::Entity)
            .order_by_asc(user::Column::Email)
            .offset(offset)
            .limit(limit)
            .all(db)
            .await?;
        let mut rows = Vec::with_capacity(found.len());
        for (u, d) in found {
            let roles: Vec<&str> = roles_of(db, u.id).await?.iter().map(|r| r.name()).collect();
            let name =
                [u.first_name.as_deref(), u.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
            rows.push(Row {
                id: u.id,
                cells: vec![
                    u.email,
                    name,
                    d.map(|d| d.name).unwrap_or_default(),
                    roles.join(", "),
                    if u.active { "yes" } else { "no" }.into(),
                ],
            });
        }
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(u) = user::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut v = Values::new();
        set(&mut v, "email", u.email);
        set(&mut v, "first_name", u.first_name.unwrap_or_default());
        set(&mut v, "last_name", u.last_name.unwrap_or_default());
        set(&mut v, "department", u.department_id.map(|d| d.to_string()).unwrap_or_default());
        if u.active {
            set(&mut v, "active", "on");
        }
        v.insert("roles".into(), roles_of(db, id).await?.iter().map(|r| r.name().to_owned()).collect());
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "email").to_owned()
    }

    async fn save(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        _stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError> {
        let current_roles = match id {
            Some(id) => Some(guard_superadmin_target(db, actor, id).await?),
            None => None,
        };
        let mut errors = FieldErrors::default();
        let email = match platform::mail::address(one(input, "email")) {
            Ok(email) => email,
            Err(problem) => {
                errors.add("email", problem.to_string());
                String::new()
            }
        };
        if !email.is_empty() && crate::kit::taken(db, user::Column::Email, &email, id).await? {
            errors.add("email", "Another user has this email address.");
        }
        let department = match one(input, "department") {
            "" => None,
            raw => match raw.parse::<i32>().ok() {
                Some(d) if department::Entity::find_by_id(d).one(db).await?.is_some() => Some(d),
                _ => {
                    errors.add("department", "Choose a department from the list.");
                    None
                }
            },
        };
        let active = !one(input, "active").is_empty();
        if id == Some(actor.id) && !active {
            errors.add("active", "You cannot deactivate your own account.");
        }
        // Roles: superadmins choose them; anyone else keeps what is there (new users: staff).
        let roles: Vec<Role> = if can(Some(actor), Action::Edit, Resource::Admin(AdminArea::Roles)) {
            let mut chosen = Vec::new();
            for name in input.get("roles").into_iter().flatten() {
                match Role::parse(name) {
                    Some(r) => chosen.push(r),
                    None => errors.add("roles", format!("There is no role called {name:?}.")),
                }
            }
            chosen.sort();
            chosen.dedup();
            if id == Some(actor.id) && !chosen.contains(&Role::Superadmin) {
                errors.add("roles", "You cannot take the superadmin role from yourself.");
            }
            chosen
        } else {
            current_roles.clone().unwrap_or_else(|| vec![Role::Staff])
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let blank_to_none = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let now = Utc::now();
        let saved = match id {
            Some(id) => {
                let found = user::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
                let found = if found.email == email {
                    found
                } else {
                    // Through the service: an address change also ends the user's sessions
                    // and tells the old address.
                    match accounts::users::change_email(db, actor, id, &email).await {
                        Ok(_) => {}
                        Err(ServiceError::Invalid(problems)) => {
                            let mut errors = FieldErrors::default();
                            for (field, message) in problems {
                                errors.add(field, message);
                            }
                            return Ok(Err(errors));
                        }
                        Err(ServiceError::Denied(d)) => return Err(d.into()),
                        Err(ServiceError::Db(e)) => return Err(e.into()),
                        Err(e @ (ServiceError::NotFound | ServiceError::Conflict(_))) => {
                            return Err(AdminError::Refused(e.to_string()));
                        }
                    }
                    user::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?
                };
                let mut active_model: user::ActiveModel = found.into();
                active_model.first_name = Set(blank_to_none(one(input, "first_name")));
                active_model.last_name = Set(blank_to_none(one(input, "last_name")));
                active_model.department_id = Set(department);
                active_model.active = Set(active);
                active_model.stamp(Some(actor.id), now);
                active_model.update(db).await?
            }
            None => {
                user::ActiveModel {
                    email: Set(email),
                    first_name: Set(blank_to_none(one(input, "first_name"))),
                    last_name: Set(blank_to_none(one(input, "last_name"))),
                    department_id: Set(department),
                    active: Set(active),
                    ..Stamp::created(Some(actor.id), now)
                }
                .insert(db)
                .await?
            }
        };
        if current_roles.as_ref() != Some(&roles) {
            set_roles(db, saved.id, &roles, Some(actor.id)).await?;
        }
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        if id == actor.id {
            return Err(AdminError::Refused("You cannot delete your own account.".into()));
        }
        guard_superadmin_target(db, actor, id).await?;
        user::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}
