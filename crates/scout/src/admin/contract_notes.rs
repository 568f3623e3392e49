//! Private contract notes in the back-office: admins may delete one (an abusive note, say), and
//! nothing else. Invariant: a note's text is shown to its author only, so no page here, nor the
//! audit log, nor the search, ever reads or shows it: the list and the record show the
//! contract, the author, when and how long; they search by the author's address; notes are
//! written and changed on contract pages by their authors alone.

use std::collections::BTreeMap;

use accounts::{AdminArea, CurrentUser};
use model::entities::{contract, contract_note, user};
use platform::config::SiteConfig;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect};

use admin::resource::{AdminError, AdminResource, Field, Row, Saved, Values, one, set};

pub struct ContractNotes;

/// Everything about note `n` but its text.
struct Shown {
    contract: String,
    author: String,
    written: String,
    length: String,
}

async fn shown(db: &DatabaseTransaction, site: &SiteConfig, notes: &[NoteFacts]) -> Result<Vec<Shown>, DbErr> {
    let contract_ids: Vec<i32> = notes.iter().map(|n| n.contract_id).collect();
    let user_ids: Vec<i32> = notes.iter().map(|n| n.user_id).collect();
    let contracts: BTreeMap<i32, String> = contract::Entity::find()
        .filter(contract::Column::Id.is_in(contract_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("{} ({})", c.description.unwrap_or_default(), c.id)))
        .collect();
    let authors: BTreeMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(notes
        .iter()
        .map(|n| Shown {
            contract: contracts.get(&n.contract_id).cloned().unwrap_or_else(|| n.contract_id.to_string()),
            author: authors.get(&n.user_id).cloned().unwrap_or_else(|| n.user_id.to_string()),
            written: n.created_at.with_timezone(&site.display_timezone).format("%Y-%m-%d %H:%M").to_string(),
            length: format!("{} characters", n.length),
        })
        .collect())
}

/// The columns of a note that may be read here (its length is computed by the database).
#[derive(Debug, sea_orm::FromQueryResult)]
struct NoteFacts {
    id: i32,
    contract_id: i32,
    user_id: i32,
    created_at: chrono::DateTime<chrono::Utc>,
    length: i32,
}

fn facts() -> sea_orm::Select<contract_note::Entity> {
    contract_note::Entity::find()
        .select_only()
        .column(contract_note::Column::Id)
        .column(contract_note::Column::ContractId)
        .column(contract_note::Column::UserId)
        .column(contract_note::Column::CreatedAt)
        .expr_as(
            sea_orm::sea_query::Func::char_length(sea_orm::sea_query::Expr::col(contract_note::Column::Note)),
            "length",
        )
}

#[async_trait::async_trait]
impl AdminResource for ContractNotes {
    fn slug(&self) -> &'static str {
        "contract-notes"
    }
    fn title(&self) -> &'static str {
        "Contract notes"
    }
    fn noun(&self) -> &'static str {
        "contract note"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Author", "Contract", "Written", "Length"]
    }
    fn created_elsewhere(&self) -> Option<(&'static str, &'static str)> {
        Some(("/scout/", "Notes are written on contract pages"))
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(Vec::new())
    }

    async fn list(
        &self,
        db: &DatabaseTransaction,
        site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr> {
        let mut query = contract_note::Entity::find();
        if !search.trim().is_empty() {
            let authors: Vec<i32> = user::Entity::find()
                .filter(admin::kit::contains(user::Column::Email, search.trim()))
                .all(db)
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect();
            query = query.filter(contract_note::Column::UserId.is_in(authors));
        }
        let total = sea_orm::PaginatorTrait::count(query.clone(), db).await?;
        let ids: Vec<i32> = sea_orm::QueryOrder::order_by_desc(query, contract_note::Column::Id)
            .select_only()
            .column(contract_note::Column::Id)
            .offset(offset)
            .limit(limit)
            .into_tuple()
            .all(db)
            .await?;
        let mut notes = facts().filter(contract_note::Column::Id.is_in(ids)).into_model::<NoteFacts>().all(db).await?;
        notes.sort_by_key(|n| std::cmp::Reverse(n.id));
        let rows = shown(db, site, &notes)
            .await?
            .into_iter()
            .zip(&notes)
            .map(|(s, n)| Row { id: n.id, cells: vec![s.author, s.contract, s.written, s.length] })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(note) = facts().filter(contract_note::Column::Id.eq(id)).into_model::<NoteFacts>().one(db).await?
        else {
            return Ok(None);
        };
        let Some(s) = shown(db, site, std::slice::from_ref(&note)).await?.into_iter().next() else { return Ok(None) };
        let mut v = Values::new();
        set(&mut v, "author", s.author);
        set(&mut v, "contract", s.contract);
        set(&mut v, "written", s.written);
        set(&mut v, "length", s.length);
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        format!("A note by {} on {}", one(values, "author"), one(values, "contract"))
    }

    async fn save(
        &self,
        _db: &DatabaseTransaction,
        _site: &SiteConfig,
        _actor: &CurrentUser,
        _id: Option<i32>,
        _stored: Option<&Values>,
        _input: &Values,
    ) -> Result<Saved, AdminError> {
        Err(AdminError::Refused("A note is private: only its author changes it, on the contract's page.".into()))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        contract_note::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}
