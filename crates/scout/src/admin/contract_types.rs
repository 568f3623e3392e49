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
            Field::text("lead_time_days", "Lead time (days)").help(
                "How many days before a contract of this type expires its renewal should start in Conductor (120 if left blank).",
            ),
            Field::text("reminder_days", "Reminder days")
                .help("Days before the expiry on which Conductor reminds whoever holds the renewal, e.g. 90, 60, 30, 7, 1."),
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
            set(&mut v, "lead_time_days", t.lead_time_days.to_string());
            set(&mut v, "reminder_days", t.reminder_days.replace(',', ", "));
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
        let lead_time = one(input, "lead_time_days").trim().parse::<i32>().ok().filter(|d| (1..=3650).contains(d));
        if lead_time.is_none() && !one(input, "lead_time_days").trim().is_empty() {
            errors.add("lead_time_days", "Enter a whole number of days from 1 to 3650.");
        }
        let reminder_days = match reminder_days(one(input, "reminder_days")) {
            Ok(days) => days,
            Err(message) => {
                errors.add("reminder_days", message);
                String::new()
            }
        };
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
        if let Some(days) = lead_time {
            active.lead_time_days = Set(days);
        }
        active.reminder_days = Set(reminder_days);
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

/// The reminder days as typed ("90, 60, 30"), stored as Conductor reads them ("90,60,30":
/// longest first, each once), or why they cannot be.
fn reminder_days(typed: &str) -> Result<String, &'static str> {
    let mut days = Vec::new();
    for part in typed.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<u32>() {
            Ok(d) if (1..=3650).contains(&d) => days.push(d),
            _ => return Err("List whole numbers of days from 1 to 3650, separated by commas."),
        }
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    Ok(days.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod reminder_tests {
    use super::reminder_days;

    #[test]
    fn reminder_days_are_stored_longest_first_once() {
        assert_eq!(reminder_days(" 7, 90,30 ,90").as_deref(), Ok("90,30,7"));
        assert_eq!(reminder_days("").as_deref(), Ok(""));
        assert!(reminder_days("30, soon").is_err());
        assert!(reminder_days("0").is_err());
    }
}
