//! Vendors who hear about opportunities: their details, their categories, and whether they have
//! confirmed their address or unsubscribed (the two facts the mailings go by).

use std::collections::HashMap;

use crate::signup::ten_digits;
use accounts::{AdminArea, CurrentUser};
use chrono::{DateTime, Utc};
use model::Stamp;
use model::entities::{category, vendor, vendor_category, vendor_opportunity};
use platform::config::SiteConfig;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TryIntoModel,
};

use admin::kit::{ids, opt};
use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct Vendors;

const FLAGS: [(&str, &str); 5] = [
    ("woman_owned", "Woman-owned business"),
    ("minority_owned", "Minority-owned business"),
    ("veteran_owned", "Veteran-owned business"),
    ("disadvantaged_owned", "Disadvantaged business enterprise"),
    ("newsletter", "Receives the newsletter"),
];

/// A ticked box keeps the moment already stored (when the vendor confirmed, say) and an unticked
/// one clears it; newly ticked, it is now.
fn moment(ticked: bool, stored: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    ticked.then(|| stored.unwrap_or(now))
}

#[async_trait::async_trait]
impl AdminResource for Vendors {
    fn slug(&self) -> &'static str {
        "vendors"
    }
    fn title(&self) -> &'static str {
        "Vendors"
    }
    fn noun(&self) -> &'static str {
        "vendor"
    }
    fn area(&self) -> AdminArea {
        // Admins, as every Beacon table in the original's back-office (it had none for vendors):
        // these are people's contact details.
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Business", "Email", "Confirmed", "Categories"]
    }

    async fn fields(&self, db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let categories = category::Entity::find()
            .order_by_asc(category::Column::Category)
            .order_by_asc(category::Column::Subcategory)
            .order_by_asc(category::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id.to_string(), c.display_name()))
            .collect();
        let mut fields = vec![
            Field::text("business_name", "Business name").required(),
            Field::email("email", "Email address").required(),
            Field::text("first_name", "First name"),
            Field::text("last_name", "Last name"),
            Field::text("phone_number", "Phone number").help("10 digits, e.g. 412-555-0100."),
            Field::text("fax_number", "Fax number").help("10 digits, e.g. 412-555-0101."),
        ];
        fields.extend(FLAGS.into_iter().map(|(name, label)| Field::checkbox(name, label)));
        fields.push(Field::checkboxes("categories", "Categories", categories).help("What the vendor hears about."));
        fields.push(
            Field::checkbox("confirmed", "Address confirmed")
                .help("Nothing is sent to an address before it is confirmed. Unticking it stops all mail."),
        );
        fields
            .push(Field::checkbox("unsubscribed", "Unsubscribed from everything").help("Nothing is sent after this."));
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
        let query = vendor::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(vendor::Column::BusinessName, search))
                .add(admin::kit::contains(vendor::Column::Email, search)),
        );
        let total = query.clone().count(db).await?;
        let found = query
            .order_by_asc(vendor::Column::BusinessName)
            .order_by_asc(vendor::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(db)
            .await?;
        let counts: HashMap<i32, i64> = vendor_category::Entity::find()
            .select_only()
            .column(vendor_category::Column::VendorId)
            .column_as(Expr::col(vendor_category::Column::CategoryId).count(), "n")
            .filter(vendor_category::Column::VendorId.is_in(found.iter().map(|v| v.id)))
            .group_by(vendor_category::Column::VendorId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let rows = found
            .into_iter()
            .map(|v| Row {
                id: v.id,
                cells: vec![
                    v.business_name,
                    v.email,
                    if v.confirmed_at.is_some() { "yes" } else { "no" }.into(),
                    counts.get(&v.id).copied().unwrap_or(0).to_string(),
                ],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(v) = vendor::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut values = Values::new();
        set(&mut values, "business_name", v.business_name);
        set(&mut values, "email", v.email);
        set(&mut values, "first_name", v.first_name.unwrap_or_default());
        set(&mut values, "last_name", v.last_name.unwrap_or_default());
        set(&mut values, "phone_number", v.phone_number.unwrap_or_default());
        set(&mut values, "fax_number", v.fax_number.unwrap_or_default());
        for (name, on) in [
            ("woman_owned", v.woman_owned),
            ("minority_owned", v.minority_owned),
            ("veteran_owned", v.veteran_owned),
            ("disadvantaged_owned", v.disadvantaged_owned),
            ("newsletter", v.newsletter),
            ("confirmed", v.confirmed_at.is_some()),
            ("unsubscribed", v.unsubscribed_at.is_some()),
        ] {
            if on {
                set(&mut values, name, "on");
            }
        }
        // Not fields: the moments themselves, for the audit log.
        if let Some(at) = v.confirmed_at {
            set(&mut values, "confirmed_at", at.to_rfc3339());
        }
        if let Some(at) = v.unsubscribed_at {
            set(&mut values, "unsubscribed_at", at.to_rfc3339());
        }
        let chosen = vendor_category::Entity::find()
            .filter(vendor_category::Column::VendorId.eq(id))
            .order_by_asc(vendor_category::Column::CategoryId)
            .all(db)
            .await?;
        values.insert("categories".into(), chosen.into_iter().map(|c| c.category_id.to_string()).collect());
        Ok(Some(values))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "business_name").to_owned()
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
        let business = one(input, "business_name");
        errors.limit("business_name", business, 200);
        // As sign-up stores it: lower-cased, so one vendor per address whatever the case.
        let email = match one(input, "email") {
            "" => String::new(),
            raw => platform::mail::address(raw).unwrap_or_else(|problem| {
                errors.add("email", problem.to_string());
                String::new()
            }),
        };
        if !email.is_empty() {
            let taken = vendor::Entity::find().filter(vendor::Column::Email.eq(&email)).one(db).await?;
            if taken.is_some_and(|v| Some(v.id) != id) {
                errors.add("email", "Another vendor has this email address.");
            }
        }
        let phone = ten_digits(one(input, "phone_number")).unwrap_or_else(|_| {
            errors.add("phone_number", "Enter a phone number of 10 digits, like 412-555-0100.");
            None
        });
        let fax = ten_digits(one(input, "fax_number")).unwrap_or_else(|_| {
            errors.add("fax_number", "Enter a fax number of 10 digits, like 412-555-0101.");
            None
        });
        let categories = match ids(input, "categories") {
            Ok(chosen) => {
                let known =
                    category::Entity::find().filter(category::Column::Id.is_in(chosen.clone())).count(db).await?;
                if usize::try_from(known).ok() != Some(chosen.len()) {
                    errors.add("categories", "One of the chosen categories no longer exists; choose again.");
                }
                chosen
            }
            Err(_) => {
                errors.add("categories", "Choose categories from the list.");
                Vec::new()
            }
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let ticked = |field: &str| !one(input, field).is_empty();
        let now = Utc::now();
        let (mut active, confirmed_at, unsubscribed_at) = match id {
            Some(id) => {
                let found =
                    vendor::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
                let (confirmed_at, unsubscribed_at) = (found.confirmed_at, found.unsubscribed_at);
                (found.into(), confirmed_at, unsubscribed_at)
            }
            None => (<vendor::ActiveModel as Default>::default(), None, None),
        };
        active.business_name = Set(business.to_owned());
        active.email = Set(email);
        active.first_name = Set(opt(one(input, "first_name")));
        active.last_name = Set(opt(one(input, "last_name")));
        active.phone_number = Set(phone);
        active.fax_number = Set(fax);
        active.woman_owned = Set(ticked("woman_owned"));
        active.minority_owned = Set(ticked("minority_owned"));
        active.veteran_owned = Set(ticked("veteran_owned"));
        active.disadvantaged_owned = Set(ticked("disadvantaged_owned"));
        active.newsletter = Set(ticked("newsletter"));
        active.confirmed_at = Set(moment(ticked("confirmed"), confirmed_at, now));
        active.unsubscribed_at = Set(moment(ticked("unsubscribed"), unsubscribed_at, now));
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        vendor_category::Entity::delete_many().filter(vendor_category::Column::VendorId.eq(saved.id)).exec(db).await?;
        for category_id in categories {
            vendor_category::ActiveModel { vendor_id: Set(saved.id), category_id: Set(category_id) }.insert(db).await?;
        }
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        // The foreign keys cascade too; deleting the subscriptions here says so.
        vendor_category::Entity::delete_many().filter(vendor_category::Column::VendorId.eq(id)).exec(db).await?;
        vendor_opportunity::Entity::delete_many().filter(vendor_opportunity::Column::VendorId.eq(id)).exec(db).await?;
        vendor::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_left_ticked_keeps_its_moment() {
        let then = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let now = Utc::now();
        assert_eq!(moment(true, Some(then), now), Some(then));
        assert_eq!(moment(true, None, now), Some(now));
        assert_eq!(moment(false, Some(then), now), None);
    }
}
