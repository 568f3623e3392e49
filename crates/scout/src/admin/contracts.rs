//! Contracts with their companies, properties and line items edited inline (one per line), and
//! the search index rewritten in the same transaction.

use std::collections::HashMap;

use crate::import::store::{Actor, Store};
use accounts::{AdminArea, CurrentUser};
use chrono::{NaiveDate, Utc};
use model::Stamp;
use model::entities::{company, contract, contract_company, contract_property, contract_type, department, line_item};
use platform::config::SiteConfig;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, TryIntoModel,
};

use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct Contracts;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Form text as compared for changes: browsers send CRLF line breaks.
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_owned()
}

fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Price {
    Dollars(f64),
    Percent(f64),
}

/// A line item as its form line: `description | 12.50`, `description | 5%`, or the description.
fn item_line(item: &line_item::Model) -> String {
    match item.unit_cost {
        Some(cost) if item.percentage => format!("{} | {cost}%", item.description),
        Some(cost) => format!("{} | {cost:.2}", item.description),
        None => item.description.clone(),
    }
}

/// Reads a form line back. A bar followed by something that starts like a price must be a valid
/// price (so a typo is caught); a bar followed by words is part of the description (imported
/// descriptions can contain bars).
fn parse_item(line: &str) -> Result<(String, Option<Price>), String> {
    let Some((description, price)) = line.rsplit_once('|') else { return Ok((line.trim().to_owned(), None)) };
    let price = price.trim();
    let price_like = price.starts_with(|c: char| c.is_ascii_digit() || c == '$' || c == '.');
    if !price_like {
        return Ok((line.trim().to_owned(), None));
    }
    let description = description.trim();
    if description.is_empty() {
        return Err(format!("\"{line}\" has a price but no description."));
    }
    let bad = || format!("\"{line}\": write the price as 12.50 or a discount as 5%.");
    let (number, percent) = match price.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (price.trim_start_matches('$').trim(), false),
    };
    let value: f64 = number.replace(',', "").parse().map_err(|_| bad())?;
    if !value.is_finite() || value < 0.0 || (percent && value > 100.0) {
        return Err(bad());
    }
    let price = if percent { Price::Percent(value) } else { Price::Dollars(value) };
    Ok((description.to_owned(), Some(price)))
}

#[async_trait::async_trait]
impl AdminResource for Contracts {
    fn slug(&self) -> &'static str {
        "contracts"
    }
    fn title(&self) -> &'static str {
        "Contracts"
    }
    fn noun(&self) -> &'static str {
        "contract"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Description", "Controller number", "Expires", "Visible"]
    }

    async fn fields(&self, db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let types = contract_type::Entity::find().order_by_asc(contract_type::Column::Name).all(db).await?;
        let departments = department::Entity::find().order_by_asc(department::Column::Name).all(db).await?;
        Ok(vec![
            Field::textarea("description", "Description").required(),
            Field::text("financial_id", "Controller number"),
            Field::date("expiration", "Expires on"),
            Field::text("contract_href", "Link to the contract document").help("An http or https address."),
            Field::file("document", "Contract document", &["application/pdf"])
                .help("A PDF of the contract, shown for download on its page. A new file replaces the old."),
            Field::select(
                "contract_type",
                "Contract type",
                types.into_iter().map(|t| (t.id.to_string(), t.name)).collect(),
            ),
            Field::select(
                "department",
                "Department",
                departments.into_iter().map(|d| (d.id.to_string(), d.name)).collect(),
            ),
            Field::text("parent", "Renews contract number").help("The id of the contract this one replaces, if any."),
            Field::checkbox("visible", "Shown in Scout"),
            Field::checkbox("archived", "Archived"),
            Field::textarea("companies", "Companies").help("One company name per line; new names create companies."),
            Field::textarea("properties", "Details").help("One per line, as Key: value (e.g. Spec Number: 6525)."),
            Field::textarea("line_items", "Line items").help(
                "One item per line, with its unit price after a bar: \"Rock salt, per ton | 61.25\", \
                 or a percent discount: \"Catalog items | 12%\". Leave the price off if there is none.",
            ),
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
        let query = contract::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(contract::Column::Description, search))
                .add(admin::kit::contains(contract::Column::FinancialId, search)),
        );
        let (rows, total) = admin::kit::page(db, query, contract::Column::Id, offset, limit).await?;
        let rows = rows
            .into_iter()
            .map(|c| Row {
                id: c.id,
                cells: vec![
                    c.description.unwrap_or_default(),
                    c.financial_id.unwrap_or_default(),
                    c.expiration_date.map(|d| d.to_string()).unwrap_or_default(),
                    if c.is_visible { "yes" } else { "no" }.into(),
                ],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(c) = contract::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut v = Values::new();
        set(&mut v, "description", c.description.unwrap_or_default());
        set(&mut v, "financial_id", c.financial_id.unwrap_or_default());
        set(&mut v, "expiration", c.expiration_date.map(|d| d.to_string()).unwrap_or_default());
        set(&mut v, "contract_href", c.contract_href.unwrap_or_default());
        set(&mut v, "contract_type", c.contract_type_id.map(|t| t.to_string()).unwrap_or_default());
        set(&mut v, "department", c.department_id.map(|d| d.to_string()).unwrap_or_default());
        set(&mut v, "parent", c.parent_id.map(|p| p.to_string()).unwrap_or_default());
        if c.is_visible {
            set(&mut v, "visible", "on");
        }
        if c.is_archived {
            set(&mut v, "archived", "on");
        }
        if let Some(file) = c.document_id
            && let Some(record) = platform::files::find(db, file).await?
        {
            set(&mut v, "document", record.id.to_string());
            set(&mut v, "document_name", record.filename);
        }
        let companies = contract_company::Entity::find()
            .filter(contract_company::Column::ContractId.eq(id))
            .find_also_related(company::Entity)
            .all(db)
            .await?;
        let mut names: Vec<String> = companies.into_iter().filter_map(|(_, c)| c.map(|c| c.name)).collect();
        names.sort();
        set(&mut v, "companies", names.join("\n"));
        let props = contract_property::Entity::find()
            .filter(contract_property::Column::ContractId.eq(id))
            .order_by_asc(contract_property::Column::Id)
            .all(db)
            .await?;
        set(
            &mut v,
            "properties",
            props
                .into_iter()
                .map(|p| format!("{}: {}", p.key, p.value.unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let items = line_item::Entity::find()
            .filter(line_item::Column::ContractId.eq(id))
            .order_by_asc(line_item::Column::Id)
            .all(db)
            .await?;
        set(&mut v, "line_items", items.iter().map(item_line).collect::<Vec<_>>().join("\n"));
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "description").chars().take(80).collect()
    }

    async fn save(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError> {
        let mut errors = FieldErrors::default();
        errors.require(&self.fields(db, actor).await?, input);
        let expiration = match one(input, "expiration") {
            "" => None,
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add("expiration", "Enter a date as YYYY-MM-DD.");
                    None
                }
            },
        };
        let href = one(input, "contract_href");
        if !href.is_empty() && !url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            errors.add("contract_href", "Enter an http or https address.");
        }
        let number = |field: &str, errors: &mut FieldErrors, what: &str| match one(input, field) {
            "" => None,
            raw => raw.parse::<i32>().ok().or_else(|| {
                errors.add(field, format!("Choose a {what} from the list."));
                None
            }),
        };
        let mut contract_type = number("contract_type", &mut errors, "contract type");
        if let Some(t) = contract_type
            && contract_type::Entity::find_by_id(t).one(db).await?.is_none()
        {
            errors.add("contract_type", "That contract type no longer exists; choose another.");
            contract_type = None;
        }
        let mut department = number("department", &mut errors, "department");
        if let Some(d) = department
            && department::Entity::find_by_id(d).one(db).await?.is_none()
        {
            errors.add("department", "That department no longer exists; choose another.");
            department = None;
        }
        // Inline lists are rewritten only when their text changed, so saving a contract never
        // touches imported values it did not show differently (untrimmed names, NULL values).
        let none = Values::new();
        let stored = stored.unwrap_or(&none);
        let changed = |field: &str| normalise(one(input, field)) != normalise(one(stored, field));
        let parent = match one(input, "parent") {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(p) if Some(p) == id => {
                    errors.add("parent", "A contract cannot renew itself.");
                    None
                }
                Ok(p) if contract::Entity::find_by_id(p).one(db).await?.is_some() => Some(p),
                _ => {
                    errors.add("parent", "There is no contract with that number.");
                    None
                }
            },
        };
        let mut properties = Vec::new();
        for line in if changed("properties") { lines(one(input, "properties")) } else { Vec::new() } {
            match line.split_once(':') {
                Some((k, v)) if !k.trim().is_empty() => properties.push((k.trim().to_owned(), v.trim().to_owned())),
                _ => errors.add("properties", format!("\"{line}\" is not Key: value.")),
            }
        }
        let mut items = Vec::new();
        for line in if changed("line_items") { lines(one(input, "line_items")) } else { Vec::new() } {
            match parse_item(&line) {
                Ok(item) => items.push(item),
                Err(message) => errors.add("line_items", message),
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let companies = if changed("companies") { lines(one(input, "companies")) } else { Vec::new() };
        crate::import::store::lock_names(db, companies.iter().map(String::as_str), None).await?;
        let now = Utc::now();
        let mut active = match id {
            Some(_) => admin::kit::editing::<contract::Entity>(db, id).await?,
            None => contract::ActiveModel { document_id: Set(None), ..Default::default() },
        };
        active.description = Set(opt(one(input, "description")));
        active.financial_id = Set(opt(one(input, "financial_id")));
        active.expiration_date = Set(expiration);
        active.contract_href = Set(opt(href));
        active.contract_type_id = Set(contract_type);
        active.department_id = Set(department);
        active.parent_id = Set(parent);
        active.is_visible = Set(!one(input, "visible").is_empty());
        active.is_archived = Set(!one(input, "archived").is_empty());
        // A document value only ever comes from an upload in this request (see `uploads`).
        let old_document = active.document_id.try_as_ref().copied().flatten();
        let new_document = match one(input, "document").parse::<i64>() {
            Ok(file) => Some(file),
            Err(_) if !one(input, "document_remove").is_empty() => None,
            Err(_) => old_document,
        };
        active.document_id = Set(new_document);
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        if let Some(old) = old_document
            && new_document != Some(old)
        {
            platform::files::delete(db, old).await?;
        }
        let mut store = Store::write(Actor(Some(actor.id)));

        if changed("companies") {
            // Link the named ones (creating new names), unlink the rest.
            contract_company::Entity::delete_many()
                .filter(contract_company::Column::ContractId.eq(saved.id))
                .exec(db)
                .await?;
            for name in &companies {
                let (company_id, _) = store.company(db, name).await?;
                store.link(db, saved.id, company_id).await?;
            }
        }
        if changed("properties") {
            contract_property::Entity::delete_many()
                .filter(contract_property::Column::ContractId.eq(saved.id))
                .exec(db)
                .await?;
            for (k, v) in &properties {
                store.property(db, saved.id, k, Some(v)).await?;
            }
        }
        if changed("line_items") {
            // Rows whose description stays keep their other details (quantity, manufacturer…).
            let mut existing: HashMap<String, line_item::Model> = line_item::Entity::find()
                .filter(line_item::Column::ContractId.eq(saved.id))
                .all(db)
                .await?
                .into_iter()
                .map(|i| (i.description.trim().to_owned(), i))
                .collect();
            for (description, price) in &items {
                let (unit_cost, percentage) = match price {
                    Some(Price::Dollars(d)) => (Some(*d), false),
                    Some(Price::Percent(p)) => (Some(*p), true),
                    None => (None, false),
                };
                match existing.remove(description) {
                    Some(row) if row.unit_cost == unit_cost && row.percentage == percentage => {}
                    Some(row) => {
                        let mut row: line_item::ActiveModel = row.into();
                        row.unit_cost = Set(unit_cost);
                        row.percentage = Set(percentage);
                        row.stamp(Some(actor.id), now);
                        row.update(db).await?;
                    }
                    None => {
                        line_item::ActiveModel {
                            contract_id: Set(saved.id),
                            description: Set(description.clone()),
                            unit_cost: Set(unit_cost),
                            percentage: Set(percentage),
                            ..Stamp::created(Some(actor.id), now)
                        }
                        .insert(db)
                        .await?;
                    }
                }
            }
            for gone in existing.into_values() {
                line_item::Entity::delete_by_id(gone.id).exec(db).await?;
            }
        }
        crate::search::reindex(db, saved.id).await?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        crate::search::forget(db, id).await?;
        contract::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_item_prices_are_read_from_the_form_line() {
        assert_eq!(parse_item("Rock salt | 61.25"), Ok(("Rock salt".into(), Some(Price::Dollars(61.25)))));
        assert_eq!(parse_item("Catalog | 12 %"), Ok(("Catalog".into(), Some(Price::Percent(12.0)))));
        assert_eq!(parse_item("Plows | $1,250.00"), Ok(("Plows".into(), Some(Price::Dollars(1250.0)))));
        assert_eq!(parse_item("Cable A|B switch"), Ok(("Cable A|B switch".into(), None)));
        assert_eq!(parse_item("Plain item"), Ok(("Plain item".into(), None)));
        assert!(parse_item("Typo | 12.5.0").is_err());
        assert!(parse_item("Typo | 6l.25").is_err());
        assert!(parse_item("Discount | 120%").is_err());
        assert!(parse_item(" | 5").is_err());
    }
}
