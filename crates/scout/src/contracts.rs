//! Contracts as Scout shows them: one contract with everything around it, a company with its
//! contracts, following and private notes. Every change re-checks the permission policy.

use accounts::{Action, CurrentUser, Denied, Resource, ServiceError, authorize};
use chrono::{NaiveDate, Utc};
use model::Stamp;
use model::entities::{
    company, company_contact, contract, contract_company, contract_follower, contract_note, contract_property,
    contract_type, department, line_item,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::display::title_case;

/// Days before expiry from which a contract shows as expiring.
pub const EXPIRING_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Expiring,
    Expired,
    Archived,
    Replaced,
}

impl Status {
    pub fn of(c: &contract::Model, has_successors: bool, today: NaiveDate) -> Status {
        Status::at(c.is_archived, has_successors, c.expiration_date, today)
    }

    fn at(archived: bool, has_successors: bool, expiration: Option<NaiveDate>, today: NaiveDate) -> Status {
        if archived {
            Status::Archived
        } else if has_successors {
            Status::Replaced
        } else {
            match expiration {
                Some(d) if d < today => Status::Expired,
                Some(d) if (d - today).num_days() <= EXPIRING_DAYS => Status::Expiring,
                _ => Status::Active,
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: i32,
    pub description: Option<String>,
    /// The description as pages show it ([`title_case`] of an all-caps one).
    pub title: Option<String>,
    pub financial_id: Option<String>,
    pub expiration: Option<NaiveDate>,
}

impl From<contract::Model> for Summary {
    fn from(c: contract::Model) -> Summary {
        Summary {
            id: c.id,
            title: c.description.as_deref().map(|d| title_case(d).into_owned()),
            description: c.description,
            financial_id: c.financial_id,
            expiration: c.expiration_date,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CompanyRef {
    pub id: i32,
    pub name: String,
    /// The name as pages show it ([`title_case`] of an all-caps one).
    pub display_name: String,
}

impl CompanyRef {
    pub fn new(id: i32, name: String) -> CompanyRef {
        CompanyRef { id, display_name: title_case(&name).into_owned(), name }
    }
}

/// A contract as lists show it: the contract, its status, its companies, where the search
/// matched (empty when browsing), and whether the viewer follows it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    pub contract: Summary,
    pub status: Status,
    pub companies: Vec<CompanyRef>,
    pub found_in: &'static str,
    pub snippet: String,
    /// Whether the viewer follows it (always false for anonymous visitors).
    pub following: bool,
}

/// What a list row shows of a contract that is the same for every viewer and every day, made
/// once per data version (titles in title case included).
#[derive(Debug)]
struct Listed {
    contract: Summary,
    archived: bool,
    companies: Vec<CompanyRef>,
    /// A visible contract renews it.
    replaced: bool,
}

/// The most contracts whose [`Listed`] parts a process keeps per data version (a few hundred
/// bytes each), and what the process's local cache counts them as.
const LISTED_KEPT: usize = 20_000;
const LISTED_BYTES: usize = 4 * 1024 * 1024;

/// Each process's [`Listed`] parts of the contracts its lists showed, under the data version.
#[derive(Default)]
struct ListedKept(std::sync::RwLock<HashMap<i32, Arc<Listed>>>);

/// The rows for a page of search hits, in the hits' order, as `viewer` sees them `today`. The
/// parts of a row that are the same for everyone are kept by the process under the contracts
/// data version (so never older than the data): a page reads only the contracts it has not
/// shown since the last change (three queries for those, whatever the page size), and a
/// signed-in viewer's follows (one more).
pub async fn result_rows(
    state: &platform::http::AppState,
    hits: Vec<crate::search::Hit>,
    viewer: Option<&CurrentUser>,
    today: NaiveDate,
) -> Result<Vec<ResultRow>, DbErr> {
    let db = &state.db;
    let kept = platform::freshness::shared(
        state,
        crate::freshness::DATA,
        "scout:listed",
        |_| LISTED_BYTES,
        || async { Ok(ListedKept::default()) },
    )
    .await?;
    let ids: Vec<i32> = hits.iter().map(|h| h.contract_id).collect();
    let mut by_id: HashMap<i32, Arc<Listed>> = HashMap::with_capacity(ids.len());
    if let Ok(known) = kept.0.read() {
        by_id.extend(ids.iter().filter_map(|id| known.get(id).map(|l| (*id, Arc::clone(l)))));
    }
    let missing: Vec<i32> = ids.iter().copied().filter(|id| !by_id.contains_key(id)).collect();
    if !missing.is_empty() {
        let read = listed(db, &missing).await?;
        if let Ok(mut known) = kept.0.write() {
            for (id, l) in &read {
                if known.len() < LISTED_KEPT {
                    known.insert(*id, Arc::clone(l));
                }
            }
        }
        by_id.extend(read);
    }
    let followed: HashSet<i32> = match viewer {
        Some(v) if !ids.is_empty() => contract_follower::Entity::find()
            .select_only()
            .column(contract_follower::Column::ContractId)
            .filter(contract_follower::Column::UserId.eq(v.id))
            .filter(contract_follower::Column::ContractId.is_in(ids))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .collect(),
        _ => HashSet::new(),
    };
    Ok(hits
        .into_iter()
        .filter_map(|h| {
            let l = by_id.remove(&h.contract_id)?;
            Some(ResultRow {
                status: Status::at(l.archived, l.replaced, l.contract.expiration, today),
                following: followed.contains(&l.contract.id),
                companies: l.companies.clone(),
                contract: l.contract.clone(),
                found_in: h.found_in,
                snippet: h.snippet,
            })
        })
        .collect())
}

/// The [`Listed`] parts of contracts `ids`: three queries (contracts, companies, successors).
async fn listed(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, Arc<Listed>>, DbErr> {
    let contracts = contract::Entity::find().filter(contract::Column::Id.is_in(ids.to_vec())).all(db).await?;
    let mut companies: HashMap<i32, Vec<CompanyRef>> = HashMap::new();
    for (link, co) in contract_company::Entity::find()
        .filter(contract_company::Column::ContractId.is_in(ids.to_vec()))
        .find_also_related(company::Entity)
        .order_by_asc(company::Column::Name)
        .all(db)
        .await?
    {
        if let Some(co) = co {
            companies.entry(link.contract_id).or_default().push(CompanyRef::new(co.id, co.name));
        }
    }
    let replaced: HashSet<i32> = contract::Entity::find()
        .select_only()
        .column(contract::Column::ParentId)
        .filter(contract::Column::ParentId.is_in(ids.to_vec()))
        .filter(contract::Column::IsVisible.eq(true))
        .into_tuple::<Option<i32>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(contracts
        .into_iter()
        .map(|c| {
            let listed = Listed {
                companies: companies.remove(&c.id).unwrap_or_default(),
                replaced: replaced.contains(&c.id),
                archived: c.is_archived,
                contract: c.into(),
            };
            (listed.contract.id, Arc::new(listed))
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub contract: Summary,
    pub href: Option<String>,
    pub status: Status,
    pub contract_type: Option<String>,
    pub department: Option<String>,
    pub parent: Option<Summary>,
    pub successors: Vec<Summary>,
    pub companies: Vec<CompanyRef>,
    pub properties: Vec<(String, String)>,
    pub line_items: Vec<Line>,
    pub followers: u64,
    pub following: bool,
    pub notes: Vec<contract_note::Model>,
    /// The uploaded contract document, if any.
    pub document: Option<Document>,
}

/// A line item, and its price as pages write it ("$1,250.00 per ton", "20% off").
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    #[serde(flatten)]
    pub item: line_item::Model,
    pub price: Option<String>,
}

impl From<line_item::Model> for Line {
    fn from(item: line_item::Model) -> Line {
        let price = crate::display::price(item.unit_cost, item.percentage, item.unit_of_measure.as_deref());
        Line { item, price }
    }
}

/// An uploaded contract document, as pages describe it.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// The size as people write it ("1.5 MiB").
    pub size_text: String,
}

/// A visible contract with everything its page shows; `None` if there is none to show.
pub async fn detail(
    db: &impl ConnectionTrait,
    id: i32,
    viewer: Option<&CurrentUser>,
    today: NaiveDate,
) -> Result<Option<Detail>, DbErr> {
    let Some(c) = contract::Entity::find_by_id(id).filter(contract::Column::IsVisible.eq(true)).one(db).await? else {
        return Ok(None);
    };
    let contract_type = match c.contract_type_id {
        Some(t) => contract_type::Entity::find_by_id(t).one(db).await?.map(|t| t.name),
        None => None,
    };
    let department = match c.department_id {
        Some(d) => department::Entity::find_by_id(d).one(db).await?.map(|d| d.name),
        None => None,
    };
    let parent = match c.parent_id {
        Some(p) => contract::Entity::find_by_id(p)
            .filter(contract::Column::IsVisible.eq(true))
            .one(db)
            .await?
            .map(Summary::from),
        None => None,
    };
    let successors: Vec<Summary> = contract::Entity::find()
        .filter(contract::Column::ParentId.eq(c.id))
        .filter(contract::Column::IsVisible.eq(true))
        .order_by_asc(contract::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Summary::from)
        .collect();
    let companies = contract_company::Entity::find()
        .filter(contract_company::Column::ContractId.eq(c.id))
        .find_also_related(company::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, co)| co.map(|co| CompanyRef::new(co.id, co.name)))
        .collect();
    let properties = contract_property::Entity::find()
        .filter(contract_property::Column::ContractId.eq(c.id))
        .order_by_asc(contract_property::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.key, p.value.unwrap_or_default()))
        .collect();
    let line_items = line_item::Entity::find()
        .filter(line_item::Column::ContractId.eq(c.id))
        .order_by_asc(line_item::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Line::from)
        .collect();
    let followers =
        contract_follower::Entity::find().filter(contract_follower::Column::ContractId.eq(c.id)).count(db).await?;
    let (following, notes) = match viewer {
        Some(v) => viewers_part(db, c.id, v).await?,
        None => (false, Vec::new()),
    };
    let document = match c.document_id {
        Some(file) => platform::files::find(db, file).await?.map(|f| Document {
            filename: f.filename,
            content_type: f.content_type,
            size_text: platform::http::errors::human_size(u64::try_from(f.size).unwrap_or(0)),
            size: f.size,
        }),
        None => None,
    };
    Ok(Some(Detail {
        document,
        status: Status::of(&c, !successors.is_empty(), today),
        href: c.contract_href.clone(),
        contract: c.into(),
        contract_type,
        department,
        parent,
        successors,
        companies,
        properties,
        line_items,
        followers,
        following,
        notes,
    }))
}

/// What of contract `id`'s [`Detail`] is `viewer`'s own: whether they follow it, and their notes.
pub async fn viewers_part(
    db: &impl ConnectionTrait,
    id: i32,
    viewer: &CurrentUser,
) -> Result<(bool, Vec<contract_note::Model>), DbErr> {
    Ok((
        contract_follower::Entity::find_by_id((id, viewer.id)).one(db).await?.is_some(),
        contract_note::Entity::find()
            .filter(contract_note::Column::ContractId.eq(id))
            .filter(contract_note::Column::UserId.eq(viewer.id))
            .order_by_desc(contract_note::Column::Id)
            .all(db)
            .await?,
    ))
}

impl Detail {
    /// Roughly the bytes it holds (for the bound on what a process keeps).
    pub fn bytes(&self) -> usize {
        2048 + self.line_items.len() * 512 + self.properties.len() * 128 + self.companies.len() * 128
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CompanyPage {
    pub company: CompanyRef,
    pub contacts: Vec<company_contact::Model>,
    pub contracts: Vec<Summary>,
}

pub async fn company(db: &impl ConnectionTrait, id: i32) -> Result<Option<CompanyPage>, DbErr> {
    let Some(co) = company::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let contacts = company_contact::Entity::find()
        .filter(company_contact::Column::CompanyId.eq(co.id))
        .order_by_asc(company_contact::Column::Id)
        .all(db)
        .await?;
    let contracts = contract_company::Entity::find()
        .filter(contract_company::Column::CompanyId.eq(co.id))
        .find_also_related(contract::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, c)| c.filter(|c| c.is_visible).map(Summary::from))
        .collect();
    Ok(Some(CompanyPage { company: CompanyRef::new(co.id, co.name), contacts, contracts }))
}

async fn visible(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    Ok(contract::Entity::find_by_id(id).filter(contract::Column::IsVisible.eq(true)).one(db).await?.is_some())
}

/// Starts or stops following contract `id`. Idempotent.
pub async fn set_following(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    follow: bool,
) -> Result<(), ServiceError> {
    authorize(user, Action::Follow, Resource::Contract)?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    if !visible(db, id).await? {
        return Err(ServiceError::NotFound);
    }
    let existing = contract_follower::Entity::find_by_id((id, user.id)).one(db).await?;
    match (follow, existing) {
        (true, None) => {
            let now = Utc::now();
            contract_follower::ActiveModel {
                contract_id: Set(id),
                user_id: Set(user.id),
                ..Stamp::created(Some(user.id), now)
            }
            .insert(db)
            .await?;
        }
        (false, Some(_)) => {
            contract_follower::Entity::delete_by_id((id, user.id)).exec(db).await?;
        }
        _ => return Ok(()),
    }
    // The contract's follower count is part of what is cached.
    crate::freshness::bump(db).await?;
    Ok(())
}

/// Adds a private note by `user` to contract `id`.
pub async fn add_note(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    note: &str,
) -> Result<(), ServiceError> {
    authorize(user, Action::Create, Resource::ContractNote)?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    let note = note.trim();
    if note.is_empty() {
        return Err(ServiceError::invalid("note", "Write something in the note first."));
    }
    if note.chars().count() > 5_000 {
        return Err(ServiceError::invalid("note", "Keep a note under 5,000 characters."));
    }
    if !visible(db, id).await? {
        return Err(ServiceError::NotFound);
    }
    let now = Utc::now();
    contract_note::ActiveModel {
        contract_id: Set(id),
        user_id: Set(user.id),
        note: Set(note.to_owned()),
        ..Stamp::created(Some(user.id), now)
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Deletes one of `user`'s own notes (the original let anyone delete any note).
pub async fn delete_note(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    note_id: i32,
) -> Result<i32, ServiceError> {
    authorize(user, Action::Delete, Resource::ContractNote)?;
    let Some(user) = user else { return Err(Denied::SignInRequired.into()) };
    let Some(note) = contract_note::Entity::find_by_id(note_id).one(db).await? else {
        return Err(ServiceError::NotFound);
    };
    if note.user_id != user.id {
        return Err(Denied::Forbidden.into());
    }
    contract_note::Entity::delete_by_id(note_id).exec(db).await?;
    Ok(note.contract_id)
}
