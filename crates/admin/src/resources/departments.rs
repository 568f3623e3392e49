use accounts::users::NEW_USER_DEPARTMENT;
use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::department;
use platform::config::SiteConfig;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set};

use crate::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct Departments;

#[async_trait::async_trait]
impl AdminResource for Departments {
    fn slug(&self) -> &'static str {
        "departments"
    }
    fn title(&self) -> &'static str {
        "Departments"
    }
    fn noun(&self) -> &'static str {
        "department"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Name"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![Field::text("name", "Name").required()])
    }

    async fn list(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr> {
        let query = department::Entity::find().filter(crate::kit::contains(department::Column::Name, search));
        let (rows, total) = crate::kit::page(db, query, department::Column::Name, offset, limit).await?;
        Ok((rows.into_iter().map(|d| Row { id: d.id, cells: vec![d.name] }).collect(), total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(department::Entity::find_by_id(id).one(db).await?.map(|d| {
            let mut v = Values::new();
            set(&mut v, "name", d.name);
            v
        }))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "name").to_owned()
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
        let mut errors = FieldErrors::default();
        errors.require(&self.fields(db, actor).await?, input);
        let name = one(input, "name");
        errors.limit("name", name, 200);
        if crate::kit::taken(db, department::Column::Name, name, id).await? {
            errors.add("name", "A department with this name already exists.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = Utc::now();
        let saved = match id {
            Some(id) => {
                let found =
                    department::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
                if found.name == NEW_USER_DEPARTMENT && name != NEW_USER_DEPARTMENT {
                    return Err(AdminError::Refused(format!(
                        "\"{NEW_USER_DEPARTMENT}\" is where new staff wait; it cannot be renamed."
                    )));
                }
                let mut active: department::ActiveModel = found.into();
                active.name = Set(name.to_owned());
                active.stamp(Some(actor.id), now);
                active.update(db).await?
            }
            None => {
                department::ActiveModel { name: Set(name.to_owned()), ..Stamp::created(Some(actor.id), now) }
                    .insert(db)
                    .await?
            }
        };
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        let found = department::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
        if found.name == NEW_USER_DEPARTMENT {
            return Err(AdminError::Refused(format!(
                "\"{NEW_USER_DEPARTMENT}\" is where new staff wait; it cannot be deleted."
            )));
        }
        department::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}
