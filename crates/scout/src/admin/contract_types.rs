use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::contract_type;
use platform::config::SiteConfig;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set, TryIntoModel};

use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

/// Kinds of contract (COSTARS, County, A-BID…): whether opportunities may be posted under them
/// and whether Conductor runs their renewals.
pub struct ContractTypes;

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

#[async_trait::async_trait]
impl AdminResource for ContractTypes {
    fn slug(&self) -> &'static str {
        "contract-types"
    }
    fn title(&self) -> &'static str {
        "Contract types"
    }
    fn noun(&self) -> &'static str {
        "contract type"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Name", "Opportunities allowed", "Managed by Conductor"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![
            Field::text("name", "Name").required(),
            Field::checkbox("allow_opportunities", "Opportunities may be posted under this type"),
            Field::checkbox("managed_by_conductor", "Renewals of this type are run in Conductor"),
            Field::textarea("opportunity_response_instructions", "How to respond to its opportunities")
                .help("Shown on opportunities of this type, under \"How to bid\"."),
        ])
    }

    async fn list(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr> {
        let query = contract_type::Entity::find().filter(admin::kit::contains(contract_type::Column::Name, search));
        let (rows, total) = admin::kit::page(db, query, contract_type::Column::Name, offset, limit).await?;
        let rows = rows
            .into_iter()
            .map(|t| Row {
                id: t.id,
                cells: vec![t.name, yes_no(t.allow_opportunities), yes_no(t.managed_by_conductor)],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(contract_type::Entity::find_by_id(id).one(db).await?.map(|t| {
            let mut v = Values::new();
            set(&mut v, "name", t.name);
            if t.allow_opportunities {
                set(&mut v, "allow_opportunities", "on");
            }
            if t.managed_by_conductor {
                set(&mut v, "managed_by_conductor", "on");
            }
            set(&mut v, "opportunity_response_instructions", t.opportunity_response_instructions.unwrap_or_default());
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
        errors.limit("name", name, 100);
        if admin::kit::taken(db, contract_type::Column::Name, name, id).await? {
            errors.add("name", "A contract type with this name already exists.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let instructions = one(input, "opportunity_response_instructions");
        let instructions = (!instructions.is_empty()).then(|| instructions.to_owned());
        let now = Utc::now();
        let mut active = admin::kit::editing::<contract_type::Entity>(db, id).await?;
        active.name = Set(name.to_owned());
        active.allow_opportunities = Set(!one(input, "allow_opportunities").is_empty());
        active.managed_by_conductor = Set(!one(input, "managed_by_conductor").is_empty());
        active.opportunity_response_instructions = Set(instructions);
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        // Contracts of this type keep existing, without a type (the foreign key sets NULL).
        contract_type::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}
