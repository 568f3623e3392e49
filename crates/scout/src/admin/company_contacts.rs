//! The people to contact at each company (shown on Scout's company pages). The company is named
//! exactly, as it is listed under Companies.

use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{company, company_contact};
use platform::config::SiteConfig;
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TryIntoModel,
};

use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct CompanyContacts;

/// The optional text fields, in form order: (field, label).
const DETAILS: [(&str, &str); 10] = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "Email address"),
    ("phone_number", "Phone"),
    ("fax_number", "Fax"),
    ("addr1", "Address"),
    ("addr2", "Address, line 2"),
    ("city", "City"),
    ("state", "State"),
    ("zip_code", "ZIP code"),
];

fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn name(c: &company_contact::Model) -> String {
    [c.first_name.as_deref(), c.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

#[async_trait::async_trait]
impl AdminResource for CompanyContacts {
    fn slug(&self) -> &'static str {
        "company-contacts"
    }
    fn title(&self) -> &'static str {
        "Company contacts"
    }
    fn noun(&self) -> &'static str {
        "contact"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Company", "Name", "Email", "Phone"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let mut fields =
            vec![Field::text("company", "Company").required().help("The company's name exactly as under Companies.")];
        for (name, label) in DETAILS {
            fields.push(if name == "email" { Field::email(name, label) } else { Field::text(name, label) });
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
        let companies = Query::select()
            .column(company::Column::Id)
            .from(company::Entity)
            .and_where(admin::kit::contains(company::Column::Name, search))
            .to_owned();
        let query = company_contact::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(company_contact::Column::FirstName, search))
                .add(admin::kit::contains(company_contact::Column::LastName, search))
                .add(admin::kit::contains(company_contact::Column::Email, search))
                .add(company_contact::Column::CompanyId.in_subquery(companies)),
        );
        let total = query.clone().count(db).await?;
        let rows = query
            .find_also_related(company::Entity)
            .order_by_asc(company::Column::Name)
            .order_by_asc(company_contact::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(db)
            .await?;
        Ok((
            rows.into_iter()
                .map(|(c, co)| Row {
                    id: c.id,
                    cells: vec![
                        co.map(|co| co.name).unwrap_or_default(),
                        name(&c),
                        c.email.clone().unwrap_or_default(),
                        c.phone_number.clone().unwrap_or_default(),
                    ],
                })
                .collect(),
            total,
        ))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some((c, co)) = company_contact::Entity::find_by_id(id).find_also_related(company::Entity).one(db).await?
        else {
            return Ok(None);
        };
        let mut v = Values::new();
        set(&mut v, "company", co.map(|co| co.name).unwrap_or_default());
        for (field, value) in [
            ("first_name", &c.first_name),
            ("last_name", &c.last_name),
            ("email", &c.email),
            ("phone_number", &c.phone_number),
            ("fax_number", &c.fax_number),
            ("addr1", &c.addr1),
            ("addr2", &c.addr2),
            ("city", &c.city),
            ("state", &c.state),
            ("zip_code", &c.zip_code),
        ] {
            if let Some(value) = value {
                set(&mut v, field, value.clone());
            }
        }
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        let person = format!("{} {}", one(values, "first_name"), one(values, "last_name")).trim().to_owned();
        let person = if person.is_empty() { one(values, "email").to_owned() } else { person };
        format!("{person} ({})", one(values, "company"))
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
        let company_name = one(input, "company");
        let company = match company_name {
            "" => None,
            named => {
                let found = company::Entity::find().filter(company::Column::Name.eq(named)).one(db).await?;
                if found.is_none() {
                    errors.add(
                        "company",
                        format!("There is no company named \"{named}\"; add it under Companies first."),
                    );
                }
                found
            }
        };
        // The one address parser, so a contact's address is as bare and lower-cased as any other.
        let email = match one(input, "email") {
            "" => String::new(),
            raw => platform::mail::address(raw).unwrap_or_else(|_| {
                errors.add("email", "Enter an email address like name@example.com.");
                String::new()
            }),
        };
        if DETAILS.iter().all(|(field, _)| one(input, field).is_empty()) {
            errors.add("first_name", "Give at least a name, an email address or a phone number.");
        }
        let Some(company) = company.filter(|_| errors.is_empty()) else { return Ok(Err(errors)) };
        let now = Utc::now();
        let mut active = admin::kit::editing::<company_contact::Entity>(db, id).await?;
        active.company_id = Set(company.id);
        active.first_name = Set(opt(one(input, "first_name")));
        active.last_name = Set(opt(one(input, "last_name")));
        active.email = Set(opt(&email));
        active.phone_number = Set(opt(one(input, "phone_number")));
        active.fax_number = Set(opt(one(input, "fax_number")));
        active.addr1 = Set(opt(one(input, "addr1")));
        active.addr2 = Set(opt(one(input, "addr2")));
        active.city = Set(opt(one(input, "city")));
        active.state = Set(opt(one(input, "state")));
        active.zip_code = Set(opt(one(input, "zip_code")));
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        company_contact::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}
