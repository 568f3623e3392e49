//! The documents a vendor must submit with a bid ("What do I need?" on an opportunity), each
//! with an optional blank form to download.

use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{opportunity_required_document, required_document};
use platform::config::SiteConfig;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TryIntoModel,
};

use admin::kit::{count_of, opt};
use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct RequiredDocuments;

/// Whether `href` may be offered as a link on public pages: an absolute http(s) address with a
/// host. Anything else (`javascript:`, `data:`, a relative path) is refused.
fn web_address(href: &str) -> bool {
    url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[async_trait::async_trait]
impl AdminResource for RequiredDocuments {
    fn slug(&self) -> &'static str {
        "required-documents"
    }
    fn title(&self) -> &'static str {
        "Required bid documents"
    }
    fn noun(&self) -> &'static str {
        "bid document"
    }
    fn area(&self) -> AdminArea {
        // The original's DocumentAdmin was admin-only (its AuthMixin), like most tables.
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Name", "Blank form"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![
            Field::text("display_name", "Name").required(),
            Field::textarea("description", "Description").help("What the document is, as vendors read it."),
            Field::text("form_href", "Link to a blank form")
                .help("An address starting with https:// or http://, if there is a form to download."),
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
        let query = required_document::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(required_document::Column::DisplayName, search))
                .add(admin::kit::contains(required_document::Column::Description, search)),
        );
        let (rows, total) = admin::kit::page(db, query, required_document::Column::DisplayName, offset, limit).await?;
        let rows = rows
            .into_iter()
            .map(|d| Row { id: d.id, cells: vec![d.display_name, d.form_href.unwrap_or_default()] })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(required_document::Entity::find_by_id(id).one(db).await?.map(|d| {
            let mut v = Values::new();
            set(&mut v, "display_name", d.display_name);
            set(&mut v, "description", d.description.unwrap_or_default());
            set(&mut v, "form_href", d.form_href.unwrap_or_default());
            v
        }))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "display_name").to_owned()
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
        let name = one(input, "display_name");
        errors.limit("display_name", name, 200);
        // Unique whatever the case: "W-9" and "w-9" would be the same document to a vendor.
        if !name.is_empty() {
            let taken = required_document::Entity::find()
                .filter(
                    Expr::expr(Func::lower(Expr::col(required_document::Column::DisplayName))).eq(name.to_lowercase()),
                )
                .all(db)
                .await?;
            if taken.iter().any(|d| Some(d.id) != id) {
                errors.add("display_name", "A bid document with this name already exists.");
            }
        }
        let href = one(input, "form_href");
        if !href.is_empty() && (href.len() > 2000 || !web_address(href)) {
            errors.add("form_href", "Enter a full web address starting with https:// or http://.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let description = one(input, "description").replace("\r\n", "\n");
        let now = Utc::now();
        let mut active = admin::kit::editing::<required_document::Entity>(db, id).await?;
        active.display_name = Set(name.to_owned());
        active.description = Set(opt(&description));
        active.form_href = Set(opt(href));
        active.stamp(Some(actor.id), now);
        let saved = active.save(db).await?.try_into_model()?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        // The link cascades: deleting a document opportunities require would silently drop it
        // from what their bidders are told to submit.
        let required = opportunity_required_document::Entity::find()
            .filter(opportunity_required_document::Column::RequiredDocumentId.eq(id))
            .count(db)
            .await?;
        if required > 0 {
            return Err(AdminError::Refused(format!(
                "{} this document; take it off them before deleting it.",
                count_of(required, "opportunity requires", "opportunities require")
            )));
        }
        required_document::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::web_address;

    #[test]
    fn only_absolute_web_addresses_are_links() {
        assert!(web_address("https://apps.pittsburghpa.gov/forms/w9.pdf"));
        assert!(web_address("http://example.gov/form"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "/forms/w9.pdf",
            "forms/w9.pdf",
            "ftp://x.gov/f",
            "data:text/html,x",
            "mailto:a@b.gov",
            "https://",
        ] {
            assert!(!web_address(bad), "{bad}");
        }
    }
}
