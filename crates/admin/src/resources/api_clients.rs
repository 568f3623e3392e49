//! API clients (`docs/api.md`): systems that get tokens with the client-credentials grant and act
//! for their owner. Admins register them here, see the secret once, rotate it, narrow their
//! scopes, give them another owner or deactivate them.
//!
//! Invariants:
//! - A secret is made here, shown once on the answer to the form that made it
//!   ([`Reveal`]), and stored only as its SHA-256.
//! - Rotating the secret, deactivating the client or changing its owner revokes its live tokens
//!   in the same transaction: a token never outlives the decision that would have refused it.
//!   (Narrowed scopes need no revocation: a token's scopes are read within its client's.)
//! - The client that `CLIENT_ID` configures is shown but not changed here: the environment
//!   owns it, and would undo a change at its next token request.
//! - Deleting a client deletes its tokens with it (the foreign key cascades).

use accounts::api::{Scope, Scopes, clients, tokens};
use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{api_client, user};
use platform::config::SiteConfig;
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set};

use crate::resource::{AdminError, AdminResource, Field, FieldErrors, Reveal, Row, Saved, Values, one, set};

pub struct ApiClients;

const MAX_NAME: usize = 100;

fn refused_configured() -> AdminError {
    AdminError::Refused(
        "This client is configured by CLIENT_ID in the environment; change it there (see docs/configuration.md)."
            .to_owned(),
    )
}

fn is_configured(c: &api_client::Model) -> bool {
    c.name == clients::configured_name(&c.client_id)
}

fn advice(client_id: &str) -> String {
    format!(
        "Copy the secret now and give it to the system's operators with its client id, {client_id}: it is shown only \
         this once. Procure keeps only a hash of it. If it is lost, rotate the secret."
    )
}

#[async_trait::async_trait]
impl AdminResource for ApiClients {
    fn slug(&self) -> &'static str {
        "api-clients"
    }
    fn title(&self) -> &'static str {
        "API clients"
    }
    fn noun(&self) -> &'static str {
        "API client"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Name", "Client id", "Acts for", "Scopes", "Active"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let scopes = Scope::ALL.iter().map(|s| (s.name().to_owned(), s.name().to_owned())).collect();
        Ok(vec![
            Field::text("name", "Name").required().help("The system, as people call it: “Financial system”."),
            Field::email("owner", "Acts for")
                .required()
                .help("The email address of the user whose permissions its requests have (an active user)."),
            Field::checkboxes("scopes", "Scopes", scopes)
                .help("What its tokens may do, within its user's permissions."),
            Field::checkbox("active", "Active").help("An inactive client gets no tokens, and its tokens stop working."),
            Field::checkbox("rotate", "Make a new secret")
                .help("The old secret and its tokens stop working at once; the new secret is shown once.")
                .edit_only(),
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
        let query = api_client::Entity::find().filter(
            Condition::any()
                .add(crate::kit::contains(api_client::Column::Name, search))
                .add(crate::kit::contains(api_client::Column::ClientId, search)),
        );
        let (found, total) = crate::kit::page(db, query, api_client::Column::Name, offset, limit).await?;
        let mut rows = Vec::with_capacity(found.len());
        for c in found {
            let owner = match c.owner_id {
                Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email).unwrap_or_default(),
                None => "nobody (no tokens)".to_owned(),
            };
            let active = if c.is_active { "yes" } else { "no" };
            rows.push(Row { id: c.id, cells: vec![c.name, c.client_id, owner, c.scopes, active.into()] });
        }
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(c) = api_client::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut v = Values::new();
        set(&mut v, "name", c.name);
        set(&mut v, "client_id", c.client_id);
        let owner = match c.owner_id {
            Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email).unwrap_or_default(),
            None => String::new(),
        };
        set(&mut v, "owner", owner);
        v.insert("scopes".into(), c.scopes.split_whitespace().map(str::to_owned).collect());
        if c.is_active {
            set(&mut v, "active", "on");
        }
        // When the secret was made, so the audit log shows a rotation as a change.
        set(&mut v, "secret_made_at", c.secret_made_at.to_rfc3339());
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "name").to_owned()
    }

    async fn save(
        &self,
        txn: &DatabaseTransaction,
        site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError> {
        Ok(self.save_revealing(txn, site, actor, id, stored, input).await?.map(|(id, _)| id))
    }

    async fn save_revealing(
        &self,
        txn: &DatabaseTransaction,
        _site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        _stored: Option<&Values>,
        input: &Values,
    ) -> Result<Result<(i32, Option<Reveal>), FieldErrors>, AdminError> {
        let existing = match id {
            Some(id) => {
                Some(api_client::Entity::find_by_id(id).one(txn).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?)
            }
            None => None,
        };
        if existing.as_ref().is_some_and(is_configured) {
            return Err(refused_configured());
        }
        let mut errors = FieldErrors::default();
        let name = one(input, "name").trim().to_owned();
        if name.is_empty() {
            errors.add("name", "Name the client.");
        } else if name.ends_with("(configured by CLIENT_ID)") {
            errors.add("name", "That ending is for the client the environment configures; choose another name.");
        }
        errors.limit("name", &name, MAX_NAME);
        if crate::kit::taken(txn, api_client::Column::Name, &name, id).await? {
            errors.add("name", "Another client has this name.");
        }
        let email = one(input, "owner").trim().to_lowercase();
        let owner = match accounts::users::find_by_email(txn, &email).await? {
            Some(u) if u.active => Some(u.id),
            _ => {
                errors.add("owner", "Enter the email address of an active user.");
                None
            }
        };
        let picked: Vec<String> = input.get("scopes").cloned().unwrap_or_default();
        let scopes = Scopes::parse(&picked.join(" ")).unwrap_or_else(|_| {
            errors.add("scopes", "Choose from the scopes listed.");
            Scopes::default()
        });
        let (Some(owner), true) = (owner, errors.is_empty()) else { return Ok(Err(errors)) };
        let active = !one(input, "active").is_empty();
        let now = Utc::now();
        let (saved, secret) = match existing {
            None => {
                let client_id = clients::new_client_id().map_err(|e| DbErr::Custom(e.to_string()))?;
                let secret = clients::new_secret().map_err(|e| DbErr::Custom(e.to_string()))?;
                let row = api_client::ActiveModel {
                    name: Set(name),
                    client_id: Set(client_id),
                    secret_hash: Set(tokens::digest(&secret)),
                    scopes: Set(scopes.to_string()),
                    owner_id: Set(Some(owner)),
                    is_active: Set(active),
                    secret_made_at: Set(now),
                    ..Stamp::created(Some(actor.id), now)
                }
                .insert(txn)
                .await?;
                (row, Some(secret))
            }
            Some(found) => {
                let rotate = !one(input, "rotate").is_empty();
                let cut_off = rotate || !active || found.owner_id != Some(owner);
                let mut row: api_client::ActiveModel = found.clone().into();
                row.name = Set(name);
                row.scopes = Set(scopes.to_string());
                row.owner_id = Set(Some(owner));
                row.is_active = Set(active);
                let secret = if rotate {
                    let secret = clients::new_secret().map_err(|e| DbErr::Custom(e.to_string()))?;
                    row.secret_hash = Set(tokens::digest(&secret));
                    row.secret_made_at = Set(now);
                    Some(secret)
                } else {
                    None
                };
                row.stamp(Some(actor.id), now);
                let row = row.update(txn).await?;
                if cut_off {
                    tokens::revoke_client(txn, row.id, Some(actor.id)).await?;
                }
                (row, secret)
            }
        };
        let reveal = secret.map(|value| Reveal { label: "Client secret", value, advice: advice(&saved.client_id) });
        Ok(Ok((saved.id, reveal)))
    }

    async fn delete(&self, txn: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        if let Some(found) = api_client::Entity::find_by_id(id).one(txn).await?
            && is_configured(&found)
        {
            return Err(refused_configured());
        }
        api_client::Entity::delete_by_id(id).exec(txn).await?;
        Ok(())
    }
}
