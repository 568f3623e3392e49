//! Find-or-create for every imported entity, matching on all of its attributes as the
//! original's `get_or_create` did, so that importing a file twice changes nothing. Each returns
//! whether it created something.
//!
//! A [`Store`] either writes, or (a preview) only reads: what a dry run would create is
//! remembered in memory under a made-up negative id, so the rest of the file finds it as it would
//! find the real row, and the report counts exactly what the import will do. A preview therefore
//! never takes the database's write lock (on SQLite, the one writer), whatever the file's size.

use chrono::{NaiveDate, Utc};
use model::Stamp;
use model::entities::{
    category, company, company_contact, contract, contract_company, contract_property, contract_type, line_item,
};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::contacts::Contact;

/// `column = value`, or `column IS NULL` for `None`.
fn same<C: ColumnTrait, V: Into<sea_orm::Value>>(column: C, value: Option<V>) -> sea_orm::Condition {
    match value {
        Some(v) => column.eq(v).into_condition(),
        None => column.is_null().into_condition(),
    }
}

/// For a write of one contract that may add companies or a contract type by name (the API's
/// push, the back-office form), before it locks any row: locks those names until the
/// transaction ends. Two such writes naming one new company at once would each find none and
/// each add it, and the second would fail on the name's unique index. Sorted, so two
/// writes never wait for each other in a circle. An import does not take these locks: it may
/// name thousands, more than PostgreSQL's lock table holds.
pub async fn lock_names<'a>(
    db: &impl ConnectionTrait,
    companies: impl IntoIterator<Item = &'a str>,
    contract_type: Option<&str>,
) -> Result<(), DbErr> {
    let mut keys: Vec<String> = companies.into_iter().map(|name| format!("company:{name}")).collect();
    keys.extend(contract_type.map(|name| format!("contract-type:{name}")));
    keys.sort_unstable();
    keys.dedup();
    for key in &keys {
        platform::db::lock_key(db, key).await?;
    }
    Ok(())
}

/// Who is importing (the CLI: nobody), for the audit columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor(pub Option<i32>);

/// What identifies an imported contract.
#[derive(Debug, Clone, Default)]
pub struct ContractKey {
    pub contract_type_id: Option<i32>,
    pub expiration: Option<NaiveDate>,
    pub financial_id: Option<String>,
    pub description: Option<String>,
    pub href: Option<String>,
}

/// An NIGP category, identified by all of its attributes.
#[derive(Debug, Clone, Default)]
pub struct Category {
    pub nigp_codes: String,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub friendly_name: Option<String>,
    pub examples: Option<String>,
}

/// Where imported rows go: into the database as `actor`, or nowhere (a dry run).
#[derive(Debug)]
pub struct Store {
    actor: Actor,
    /// In a dry run: each entity that would have been created, by its attributes, with its
    /// made-up id. `None` when writing.
    imagined: Option<HashMap<String, i32>>,
}

impl Store {
    /// A store that writes, stamping rows with `actor`.
    pub fn write(actor: Actor) -> Store {
        Store { actor, imagined: None }
    }

    /// A store that writes nothing and answers as if it had.
    pub fn dry_run(actor: Actor) -> Store {
        Store { actor, imagined: Some(HashMap::new()) }
    }

    pub fn is_dry_run(&self) -> bool {
        self.imagined.is_some()
    }

    /// In a dry run, the entity not found in the database: its made-up id and whether this call
    /// imagined it. `None` when writing (the caller inserts it).
    fn imagine(&mut self, key: impl FnOnce() -> String) -> Option<(i32, bool)> {
        let imagined = self.imagined.as_mut()?;
        let next = -1 - i32::try_from(imagined.len()).unwrap_or(i32::MAX - 1);
        Some(match imagined.entry(key()) {
            Entry::Occupied(e) => (*e.get(), false),
            Entry::Vacant(e) => (*e.insert(next), true),
        })
    }

    pub async fn contract_type(&mut self, db: &impl ConnectionTrait, name: &str) -> Result<i32, DbErr> {
        if let Some(found) = contract_type::Entity::find().filter(contract_type::Column::Name.eq(name)).one(db).await? {
            return Ok(found.id);
        }
        if let Some((id, _)) = self.imagine(|| format!("contract type {name:?}")) {
            return Ok(id);
        }
        let now = Utc::now();
        let created = contract_type::ActiveModel {
            name: Set(name.to_owned()),
            allow_opportunities: Set(false),
            managed_by_conductor: Set(false),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok(created.id)
    }

    pub async fn company(&mut self, db: &impl ConnectionTrait, name: &str) -> Result<(i32, bool), DbErr> {
        if let Some(found) = company::Entity::find().filter(company::Column::Name.eq(name)).one(db).await? {
            return Ok((found.id, false));
        }
        if let Some(imagined) = self.imagine(|| format!("company {name:?}")) {
            return Ok(imagined);
        }
        let now = Utc::now();
        let created =
            company::ActiveModel { name: Set(name.to_owned()), ..Stamp::created(self.actor.0, now) }.insert(db).await?;
        Ok((created.id, true))
    }

    pub async fn contract(&mut self, db: &impl ConnectionTrait, key: &ContractKey) -> Result<(i32, bool), DbErr> {
        let found = contract::Entity::find()
            .filter(same(contract::Column::ContractTypeId, key.contract_type_id))
            .filter(same(contract::Column::ExpirationDate, key.expiration))
            .filter(same(contract::Column::FinancialId, key.financial_id.clone()))
            .filter(same(contract::Column::Description, key.description.clone()))
            .filter(same(contract::Column::ContractHref, key.href.clone()))
            .one(db)
            .await?;
        if let Some(found) = found {
            return Ok((found.id, false));
        }
        if let Some(imagined) = self.imagine(|| format!("contract {key:?}")) {
            return Ok(imagined);
        }
        let now = Utc::now();
        let created = contract::ActiveModel {
            financial_id: Set(key.financial_id.clone()),
            expiration_date: Set(key.expiration),
            description: Set(key.description.clone()),
            contract_href: Set(key.href.clone()),
            document_id: Set(None),
            contract_type_id: Set(key.contract_type_id),
            department_id: Set(None),
            is_archived: Set(false),
            is_visible: Set(true),
            parent_id: Set(None),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok((created.id, true))
    }

    pub async fn link(&mut self, db: &impl ConnectionTrait, contract_id: i32, company_id: i32) -> Result<bool, DbErr> {
        if contract_company::Entity::find_by_id((contract_id, company_id)).one(db).await?.is_some() {
            return Ok(false);
        }
        if let Some((_, created)) = self.imagine(|| format!("link {contract_id} {company_id}")) {
            return Ok(created);
        }
        let now = Utc::now();
        contract_company::ActiveModel {
            contract_id: Set(contract_id),
            company_id: Set(company_id),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok(true)
    }

    pub async fn property(
        &mut self,
        db: &impl ConnectionTrait,
        contract_id: i32,
        key: &str,
        value: Option<&str>,
    ) -> Result<bool, DbErr> {
        let found = contract_property::Entity::find()
            .filter(contract_property::Column::ContractId.eq(contract_id))
            .filter(contract_property::Column::Key.eq(key))
            .filter(same(contract_property::Column::Value, value))
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(false);
        }
        if let Some((_, created)) = self.imagine(|| format!("property {contract_id} {key:?} {value:?}")) {
            return Ok(created);
        }
        let now = Utc::now();
        contract_property::ActiveModel {
            contract_id: Set(contract_id),
            key: Set(key.to_owned()),
            value: Set(value.map(str::to_owned)),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok(true)
    }

    pub async fn contact(&mut self, db: &impl ConnectionTrait, company_id: i32, c: &Contact) -> Result<bool, DbErr> {
        use company_contact::Column as Col;
        let found = company_contact::Entity::find()
            .filter(Col::CompanyId.eq(company_id))
            .filter(same(Col::FirstName, c.first_name.clone()))
            .filter(same(Col::LastName, c.last_name.clone()))
            .filter(same(Col::Addr1, c.addr1.clone()))
            .filter(same(Col::City, c.city.clone()))
            .filter(same(Col::State, c.state.clone()))
            .filter(same(Col::ZipCode, c.zip_code.clone()))
            .filter(same(Col::PhoneNumber, c.phone_number.clone()))
            .filter(same(Col::FaxNumber, c.fax_number.clone()))
            .filter(same(Col::Email, c.email.clone()))
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(false);
        }
        if let Some((_, created)) = self.imagine(|| format!("contact {company_id} {c:?}")) {
            return Ok(created);
        }
        let now = Utc::now();
        company_contact::ActiveModel {
            company_id: Set(company_id),
            first_name: Set(c.first_name.clone()),
            last_name: Set(c.last_name.clone()),
            addr1: Set(c.addr1.clone()),
            addr2: Set(None),
            city: Set(c.city.clone()),
            state: Set(c.state.clone()),
            zip_code: Set(c.zip_code.clone()),
            phone_number: Set(c.phone_number.clone()),
            fax_number: Set(c.fax_number.clone()),
            email: Set(c.email.clone()),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok(true)
    }

    pub async fn line_item(
        &mut self,
        db: &impl ConnectionTrait,
        contract_id: i32,
        description: &str,
    ) -> Result<bool, DbErr> {
        let found = line_item::Entity::find()
            .filter(line_item::Column::ContractId.eq(contract_id))
            .filter(line_item::Column::Description.eq(description))
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(false);
        }
        if let Some((_, created)) = self.imagine(|| format!("line item {contract_id} {description:?}")) {
            return Ok(created);
        }
        let now = Utc::now();
        line_item::ActiveModel {
            contract_id: Set(contract_id),
            description: Set(description.to_owned()),
            percentage: Set(false),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok(true)
    }

    pub async fn category(&mut self, db: &impl ConnectionTrait, c: &Category) -> Result<bool, DbErr> {
        use category::Column as Col;
        let found = category::Entity::find()
            .filter(Col::NigpCodes.eq(c.nigp_codes.clone()))
            .filter(same(Col::Category, c.category.clone()))
            .filter(same(Col::Subcategory, c.subcategory.clone()))
            .filter(same(Col::CategoryFriendlyName, c.friendly_name.clone()))
            .filter(same(Col::Examples, c.examples.clone()))
            .one(db)
            .await?;
        if found.is_some() {
            return Ok(false);
        }
        if let Some((_, created)) = self.imagine(|| format!("category {c:?}")) {
            return Ok(created);
        }
        let now = Utc::now();
        category::ActiveModel {
            nigp_codes: Set(c.nigp_codes.clone()),
            category: Set(c.category.clone()),
            subcategory: Set(c.subcategory.clone()),
            category_friendly_name: Set(c.friendly_name.clone()),
            examples: Set(c.examples.clone()),
            ..Stamp::created(self.actor.0, now)
        }
        .insert(db)
        .await?;
        Ok(true)
    }
}
