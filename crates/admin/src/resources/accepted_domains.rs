use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::accepted_domain;
use platform::config::SiteConfig;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set};

use crate::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

/// Email domains whose staff may sign themselves up.
pub struct AcceptedDomains;

/// `example.gov`: lower case letters, digits, hyphens, at least one dot, no scheme or `@`.
fn valid_domain(domain: &str) -> bool {
    domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[async_trait::async_trait]
impl AdminResource for AcceptedDomains {
    fn slug(&self) -> &'static str {
        "accepted-domains"
    }
    fn title(&self) -> &'static str {
        "Accepted email domains"
    }
    fn noun(&self) -> &'static str {
        "domain"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Domain"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![
            Field::text("domain", "Domain")
                .required()
                .help("Staff whose email address ends in @ this domain may sign themselves up, e.g. pittsburghpa.gov."),
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
        let query =
            accepted_domain::Entity::find().filter(crate::kit::contains(accepted_domain::Column::Domain, search));
        let (rows, total) = crate::kit::page(db, query, accepted_domain::Column::Domain, offset, limit).await?;
        Ok((rows.into_iter().map(|d| Row { id: d.id, cells: vec![d.domain] }).collect(), total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(accepted_domain::Entity::find_by_id(id).one(db).await?.map(|d| {
            let mut v = Values::new();
            set(&mut v, "domain", d.domain);
            v
        }))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "domain").to_owned()
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
        let domain = one(input, "domain").trim_start_matches('@').to_lowercase();
        if domain.is_empty() {
            errors.add("domain", "Domain is required.");
        } else if !valid_domain(&domain) {
            errors.add("domain", "Enter a domain like pittsburghpa.gov (no @, no https://).");
        }
        if crate::kit::taken(db, accepted_domain::Column::Domain, &domain, id).await? {
            errors.add("domain", "This domain is already accepted.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = Utc::now();
        let saved = match id {
            Some(id) => {
                let found = accepted_domain::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or(DbErr::RecordNotFound(id.to_string()))?;
                let mut active: accepted_domain::ActiveModel = found.into();
                active.domain = Set(domain);
                active.stamp(Some(actor.id), now);
                active.update(db).await?
            }
            None => {
                accepted_domain::ActiveModel { domain: Set(domain), ..Stamp::created(Some(actor.id), now) }
                    .insert(db)
                    .await?
            }
        };
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        accepted_domain::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::valid_domain;

    #[test]
    fn domains_are_checked() {
        assert!(valid_domain("pittsburghpa.gov"));
        assert!(valid_domain("a-b.city.example"));
        for bad in ["", "gov", "https://x.gov", "x..gov", "-x.gov", "x.gov/", "Ünï.gov", "a@b.gov"] {
            assert!(!valid_domain(bad), "{bad}");
        }
    }
}
