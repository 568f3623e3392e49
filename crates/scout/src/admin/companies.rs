use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{company, contract_company};
use platform::config::SiteConfig;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set, TryIntoModel};

use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

/// Suppliers. Renaming one re-indexes its contracts for search.
pub struct Companies;

#[async_trait::async_trait]
impl AdminResource for Companies {
    fn slug(&self) -> &'static str {
        "companies"
    }
    fn title(&self) -> &'static str {
        "Companies"
    }
    fn noun(&self) -> &'static str {
        "company"
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
        let query = company::Entity::find().filter(admin::kit::contains(company::Column::Name, search));
        let (rows, total) = admin::kit::page(db, query, company::Column::Name, offset, limit).await?;
        Ok((rows.into_iter().map(|c| Row { id: c.id, cells: vec![c.name] }).collect(), total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(company::Entity::find_by_id(id).one(db).await?.map(|c| {
            let mut v = Values::new();
            set(&mut v, "name", c.name);
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
        if admin::kit::taken(db, company::Column::Name, name, id).await? {
            errors.add("name", "A company with this name already exists.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = Utc::now();
        let mut active = admin::kit::editing::<company::Entity>(db, id).await?;
        active.name = Set(name.to_owned());
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        let links =
            contract_company::Entity::find().filter(contract_company::Column::CompanyId.eq(saved.id)).all(db).await?;
        crate::search::reindex_all(db, &links.iter().map(|l| l.contract_id).collect::<Vec<_>>()).await?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        let links = contract_company::Entity::find().filter(contract_company::Column::CompanyId.eq(id)).all(db).await?;
        company::Entity::delete_by_id(id).exec(db).await?;
        crate::search::reindex_all(db, &links.iter().map(|l| l.contract_id).collect::<Vec<_>>()).await?;
        Ok(())
    }
}
