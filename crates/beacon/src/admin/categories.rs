//! NIGP commodity categories: what vendors sign up to hear about and opportunities are listed
//! under.

use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{category, opportunity_category, vendor_category};
use platform::config::SiteConfig;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TryIntoModel,
};

use admin::kit::{count_of, opt};
use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct Categories;

/// Stored examples (`a|b`) as the form shows them: one a line.
fn example_lines(stored: &str) -> String {
    stored.split('|').map(str::trim).filter(|e| !e.is_empty()).collect::<Vec<_>>().join("\n")
}

/// The form's examples (one a line; a bar also separates) as stored: `a|b`.
fn examples_stored(form: &str) -> String {
    form.split(['\n', '|']).map(str::trim).filter(|e| !e.is_empty()).collect::<Vec<_>>().join("|")
}

#[async_trait::async_trait]
impl AdminResource for Categories {
    fn slug(&self) -> &'static str {
        "categories"
    }
    fn title(&self) -> &'static str {
        "Categories"
    }
    fn noun(&self) -> &'static str {
        "category"
    }
    fn area(&self) -> AdminArea {
        // The original's CategoryAdmin was admin-only (its AuthMixin), like most tables.
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["NIGP codes", "Category", "Subcategory", "Friendly name"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![
            Field::text("nigp_codes", "NIGP codes")
                .required()
                .help("One or more NIGP code numbers, separated by | (e.g. 91300|91305)."),
            Field::text("category", "Category").help("The group it is listed under, e.g. Construction."),
            Field::text("subcategory", "Subcategory"),
            Field::text("category_friendly_name", "Friendly name").help("The name vendors see, if set."),
            Field::textarea("examples", "Examples").help("One example a line."),
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
        let query = category::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(category::Column::NigpCodes, search))
                .add(admin::kit::contains(category::Column::Category, search))
                .add(admin::kit::contains(category::Column::Subcategory, search))
                .add(admin::kit::contains(category::Column::CategoryFriendlyName, search)),
        );
        let total = query.clone().count(db).await?;
        let rows = query
            .order_by_asc(category::Column::Category)
            .order_by_asc(category::Column::Subcategory)
            .order_by_asc(category::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(db)
            .await?;
        let rows = rows
            .into_iter()
            .map(|c| Row {
                id: c.id,
                cells: vec![
                    c.nigp_codes,
                    c.category.unwrap_or_default(),
                    c.subcategory.unwrap_or_default(),
                    c.category_friendly_name.unwrap_or_default(),
                ],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(category::Entity::find_by_id(id).one(db).await?.map(|c| {
            let mut v = Values::new();
            set(&mut v, "nigp_codes", c.nigp_codes);
            set(&mut v, "category", c.category.unwrap_or_default());
            set(&mut v, "subcategory", c.subcategory.unwrap_or_default());
            set(&mut v, "category_friendly_name", c.category_friendly_name.unwrap_or_default());
            set(&mut v, "examples", example_lines(c.examples.as_deref().unwrap_or_default()));
            v
        }))
    }

    /// As `category::Model::display_name` names it.
    fn label(&self, values: &Values) -> String {
        ["category_friendly_name", "subcategory", "category", "nigp_codes"]
            .into_iter()
            .map(|field| one(values, field))
            .find(|name| !name.is_empty())
            .unwrap_or_default()
            .to_owned()
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
        let codes = match one(input, "nigp_codes") {
            "" => String::new(),
            raw => model::entities::category::nigp_codes(raw).unwrap_or_else(|_| {
                errors.add("nigp_codes", "Enter NIGP codes as numbers separated by |, e.g. 91300|91305.");
                String::new()
            }),
        };
        for (field, label) in
            [("category", "Category"), ("subcategory", "Subcategory"), ("category_friendly_name", "Friendly name")]
        {
            if one(input, field).chars().count() > 200 {
                errors.add(field, format!("{label}: use at most 200 characters."));
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = Utc::now();
        let mut active = admin::kit::editing::<category::Entity>(db, id).await?;
        active.nigp_codes = Set(codes);
        active.category = Set(opt(one(input, "category")));
        active.subcategory = Set(opt(one(input, "subcategory")));
        active.category_friendly_name = Set(opt(one(input, "category_friendly_name")));
        // Imported examples keep their spacing unless the list itself changed.
        let examples = examples_stored(one(input, "examples"));
        let stored_examples = active.examples.try_as_ref().cloned().flatten().unwrap_or_default();
        if id.is_none() || examples != examples_stored(&stored_examples) {
            active.examples = Set(opt(&examples));
        }
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        // The links cascade: deleting a category in use would silently unsubscribe vendors and
        // unlist opportunities, so it is refused until nothing uses it.
        let vendors =
            vendor_category::Entity::find().filter(vendor_category::Column::CategoryId.eq(id)).count(db).await?;
        let opportunities = opportunity_category::Entity::find()
            .filter(opportunity_category::Column::CategoryId.eq(id))
            .count(db)
            .await?;
        if vendors + opportunities > 0 {
            let users: Vec<String> = [(vendors, "vendor", "vendors"), (opportunities, "opportunity", "opportunities")]
                .into_iter()
                .filter(|(n, _, _)| *n > 0)
                .map(|(n, one, many)| count_of(n, one, many))
                .collect();
            return Err(AdminError::Refused(format!(
                "This category is used by {}; take it off them before deleting it.",
                users.join(" and ")
            )));
        }
        category::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_one_a_line_in_the_form_and_barred_in_the_table() {
        assert_eq!(example_lines("asphalt | gravel|"), "asphalt\ngravel");
        assert_eq!(examples_stored("asphalt\r\n gravel \n\nsand|salt"), "asphalt|gravel|sand|salt");
        assert_eq!(examples_stored(""), "");
    }
}
