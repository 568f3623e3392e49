//! The completion wizard (research/conductor.md §3.4; acceptance 9, 22-25): once a work item's
//! flow is finished, three steps describe what the work produced, and the last one publishes
//! it, in the caller's transaction.
//!
//! 1. The contract: description, expiration, spec number (all required) and a link, checked
//!    for its shape only (http or https). The server never fetches it: the original's "Check
//!    URL" fetched any address a user typed (SSRF, bug 16).
//! 2. The companies holding it: rows of an existing company or a new name, each with a
//!    controller number. Each distinct controller number is one successor contract.
//! 3. Each company's contacts (optional; a contact given is checked).
//!
//! The draft ([`Wizard`]) is kept in `work_items.wizard`, not in a cookie (the original's
//! overflowed and two tabs clashed), pre-filled from the successor and, where it has nothing
//! yet, from the contract it renews (#416). It opens only for an item in progress whose flow is
//! finished (404 for no item, 409 otherwise; the original opened it for any contract without a
//! flow, bug 8).
//!
//! [`finish`] does it all at once, in the caller's transaction (the original never committed
//! its last step, bug 1): it first moves the item to `completed` under the guard (so of two
//! finishes, or a double submit, one applies and the other is told), then writes the companies
//! and contacts (existing ones reused), one successor per controller number (the first, in
//! number order, is the item's own; the others are siblings with the same parent and type),
//! every one visible and not archived; moves the parent's followers to every successor; archives
//! and hides the parent, " [Archived]" added once; re-indexes every changed contract for Scout's
//! search; logs `completed`; records an event; and queues one "contract updated" email (C2) per
//! former follower naming every successor (the original addressed it to nobody, bug 2).

use std::collections::HashSet;

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, NaiveDate, Utc};
use model::entities::{
    company, company_contact, contract, contract_company, contract_follower, contract_property, work_item,
    work_item_activity,
};
use model::{Stamp, StampUpdate};
use platform::events::{self, Audience, NewEvent};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::emails::{ContractSummary, ContractUpdated};
use crate::metadata::SPEC_NUMBER;
use crate::store::{self, CHANGED_MEANWHILE, Item};
use crate::workflow::machine::State;
use crate::workflow::status::COMPLETE;

/// Recorded when the wizard finishes (conductor-level users hear it).
pub const COMPLETED_EVENT: &str = "conductor.item.completed";

/// What a user is told when the wizard is not open for an item.
pub const NOT_FINISHED: &str = "This work's flow is not finished: complete its last stage before finishing the work.";
pub const ALREADY_COMPLETED: &str = "This work is already completed.";

/// The suffix the renewed contract gets, once.
const ARCHIVED_SUFFIX: &str = " [Archived]";

/// The form fields' labels, as the original's errors name them.
pub const EXISTING_COMPANY: &str = "Existing company";
pub const NEW_COMPANY: &str = "New company";
pub const CONTROLLER_NUMBER: &str = "Controller number";

const REQUIRED: &str = "This field is required.";
const NOT_AN_INTEGER: &str = "This must be an integer!";
const BAD_LINK: &str = "Enter the full web address, starting with https:// or http://.";
const BAD_PHONE: &str = "Please enter numbers in XXX-XXX-XXXX format";
const BAD_ZIP: &str = "Field must be 5 characters long.";
const BAD_EMAIL: &str = "Invalid email address.";

/// Field → message, for a form whose fields are numbered (`company-2-new_name`).
pub type Problems = Vec<(String, String)>;

/// The draft, as stored (JSON) between steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Wizard {
    pub contract: ContractStep,
    /// Step 1 was saved, valid.
    pub contract_done: bool,
    pub companies: Vec<CompanyRow>,
    /// Step 2 was saved, valid (with blank rows left out).
    pub companies_done: bool,
    /// The contacts of each company of `companies`, in its order.
    pub contacts: Vec<Vec<ContactRow>>,
}

/// Step 1, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContractStep {
    pub description: String,
    /// `YYYY-MM-DD`.
    pub expiration: String,
    pub spec_number: String,
    pub link: String,
}

/// One row of step 2: an existing company or a new name, and a controller number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompanyRow {
    pub company_id: Option<i32>,
    pub new_name: String,
    pub controller_number: String,
}

impl CompanyRow {
    /// Nothing chosen or typed: the row is left out.
    pub fn is_blank(&self) -> bool {
        self.company_id.is_none() && self.new_name.trim().is_empty() && self.controller_number.trim().is_empty()
    }
}

/// One contact of a company (step 3), as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactRow {
    pub first_name: String,
    pub last_name: String,
    pub addr1: String,
    pub addr2: String,
    pub city: String,
    pub state: String,
    pub zip_code: String,
    pub phone_number: String,
    pub fax_number: String,
    pub email: String,
}

impl ContactRow {
    /// The fields, by name, as the form names them.
    pub const FIELDS: [&'static str; 10] = [
        "first_name",
        "last_name",
        "addr1",
        "addr2",
        "city",
        "state",
        "zip_code",
        "phone_number",
        "fax_number",
        "email",
    ];

    pub fn field_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "addr1" => &mut self.addr1,
            "addr2" => &mut self.addr2,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "zip_code" => &mut self.zip_code,
            "phone_number" => &mut self.phone_number,
            "fax_number" => &mut self.fax_number,
            "email" => &mut self.email,
            _ => return None,
        })
    }

    fn values(&self) -> [&String; 10] {
        [
            &self.first_name,
            &self.last_name,
            &self.addr1,
            &self.addr2,
            &self.city,
            &self.state,
            &self.zip_code,
            &self.phone_number,
            &self.fax_number,
            &self.email,
        ]
    }

    /// Nothing typed: the row is left out.
    pub fn is_blank(&self) -> bool {
        self.values().iter().all(|v| v.trim().is_empty())
    }
}

/// Step 1, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub description: String,
    pub expiration: NaiveDate,
    pub spec_number: String,
    pub link: Option<String>,
}

/// Who holds a successor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holder {
    Existing(i32),
    New(String),
}

/// One company row of step 2, checked: its holder and controller number (digits, no leading
/// zeros).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub holder: Holder,
    pub controller: String,
}

/// A link's shape: blank is none; otherwise an absolute http(s) address with a host. Only the
/// shape: nothing is ever requested from it.
pub fn check_link(raw: &str) -> Result<Option<String>, String> {
    let link = raw.trim();
    if link.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(link) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(Some(link.to_owned()))
        }
        _ => Err(BAD_LINK.to_owned()),
    }
}

/// Step 1's rules.
pub fn check_details(step: &ContractStep) -> Result<Details, Problems> {
    let mut problems = Problems::new();
    let description = step.description.trim();
    if description.is_empty() {
        problems.push(("description".into(), REQUIRED.into()));
    }
    let expiration = match step.expiration.trim() {
        "" => {
            problems.push(("expiration".into(), REQUIRED.into()));
            None
        }
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().or_else(|| {
            problems.push(("expiration".into(), "Enter a date as YYYY-MM-DD.".into()));
            None
        }),
    };
    let spec_number = step.spec_number.trim();
    if spec_number.is_empty() {
        problems.push(("spec_number".into(), REQUIRED.into()));
    }
    let link = check_link(&step.link).unwrap_or_else(|message| {
        problems.push(("link".into(), message));
        None
    });
    match expiration {
        Some(expiration) if problems.is_empty() => {
            Ok(Details { description: description.to_owned(), expiration, spec_number: spec_number.to_owned(), link })
        }
        _ => Err(problems),
    }
}

/// A controller number: digits only, kept without leading zeros.
pub fn controller_number(raw: &str) -> Option<String> {
    let digits = raw.trim();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let kept = digits.trim_start_matches('0');
    Some(if kept.is_empty() { "0".to_owned() } else { kept.to_owned() })
}

/// The field name of row `i`'s `field` in step 2.
pub fn company_field(i: usize, field: &str) -> String {
    format!("company-{i}-{field}")
}

/// Step 2's rules (the original's messages), without the database: blank rows are left out, at
/// least one company is needed. Returns the rows kept, checked, with their row numbers.
pub fn check_companies(rows: &[CompanyRow]) -> Result<Vec<(usize, Holding)>, Problems> {
    let mut problems = Problems::new();
    let mut kept = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let name = row.new_name.trim();
        let number = row.controller_number.trim();
        let holder = match (row.company_id, name.is_empty()) {
            (Some(_), false) => {
                problems.push((
                    company_field(i, "company_id"),
                    format!("You cannot choose both this and \"{NEW_COMPANY}\""),
                ));
                problems.push((
                    company_field(i, "new_name"),
                    format!("You cannot choose both this and \"{EXISTING_COMPANY}\""),
                ));
                None
            }
            (None, true) => {
                problems.push((
                    company_field(i, "company_id"),
                    format!("You must fill out either this or \"{NEW_COMPANY}\""),
                ));
                problems.push((
                    company_field(i, "new_name"),
                    format!("You must fill out either this or \"{EXISTING_COMPANY}\""),
                ));
                None
            }
            (Some(id), true) => Some(Holder::Existing(id)),
            (None, false) => Some(Holder::New(name.to_owned())),
        };
        let controller = if number.is_empty() {
            if let Some(h) = &holder {
                let other = if matches!(h, Holder::Existing(_)) { EXISTING_COMPANY } else { NEW_COMPANY };
                problems.push((
                    company_field(i, "controller_number"),
                    format!("You filled out \"{other}\" but left this blank -- please fill this out as well."),
                ));
            }
            None
        } else {
            controller_number(number).or_else(|| {
                problems.push((company_field(i, "controller_number"), NOT_AN_INTEGER.into()));
                None
            })
        };
        if let (Some(holder), Some(controller)) = (holder, controller) {
            kept.push((i, Holding { holder, controller }));
        }
    }
    if kept.is_empty() && problems.is_empty() {
        problems.push((company_field(0, "company_id"), "Add at least one company.".into()));
    }
    if problems.is_empty() { Ok(kept) } else { Err(problems) }
}

/// [`check_companies`], and every existing company chosen still exists.
pub async fn check_companies_in(db: &impl ConnectionTrait, rows: &[CompanyRow]) -> Result<Vec<Holding>, ServiceOr> {
    let kept = check_companies(rows).map_err(ServiceOr::Problems)?;
    let ids: Vec<i32> = kept
        .iter()
        .filter_map(|(_, h)| match h.holder {
            Holder::Existing(id) => Some(id),
            Holder::New(_) => None,
        })
        .collect();
    let known: HashSet<i32> = company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut problems = Problems::new();
    for (i, h) in &kept {
        if let Holder::Existing(id) = h.holder
            && !known.contains(&id)
        {
            problems.push((company_field(*i, "company_id"), "That company no longer exists: choose another.".into()));
        }
    }
    if problems.is_empty() {
        Ok(kept.into_iter().map(|(_, h)| h).collect())
    } else {
        Err(ServiceOr::Problems(problems))
    }
}

/// A service error, or the problems of a form.
#[derive(Debug)]
pub enum ServiceOr {
    Service(ServiceError),
    Problems(Problems),
}

impl From<ServiceError> for ServiceOr {
    fn from(e: ServiceError) -> Self {
        ServiceOr::Service(e)
    }
}

impl From<DbErr> for ServiceOr {
    fn from(e: DbErr) -> Self {
        ServiceOr::Service(e.into())
    }
}

/// The field name of company `c`'s contact `k`'s `field` in step 3.
pub fn contact_field(c: usize, k: usize, field: &str) -> String {
    format!("contact-{c}-{k}-{field}")
}

fn is_phone(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() == 12 && b.iter().enumerate().all(|(i, c)| if i == 3 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// Step 3's rules: a blank contact is left out; a contact given has a first and a last name;
/// an email, a phone and a fax number are optional and checked when given (phone and fax as
/// XXX-XXX-XXXX); a ZIP code is 5 digits, and required with a city.
pub fn check_contacts(contacts: &[Vec<ContactRow>]) -> Problems {
    let mut problems = Problems::new();
    for (c, rows) in contacts.iter().enumerate() {
        for (k, row) in rows.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            let mut problem = |field: &str, message: &str| problems.push((contact_field(c, k, field), message.into()));
            if row.first_name.trim().is_empty() {
                problem("first_name", REQUIRED);
            }
            if row.last_name.trim().is_empty() {
                problem("last_name", REQUIRED);
            }
            for field in ["phone_number", "fax_number"] {
                let value = if field == "phone_number" { &row.phone_number } else { &row.fax_number };
                if !value.trim().is_empty() && !is_phone(value.trim()) {
                    problem(field, BAD_PHONE);
                }
            }
            let zip = row.zip_code.trim();
            let zip_ok = zip.len() == 5 && zip.chars().all(|c| c.is_ascii_digit());
            if (!zip.is_empty() || !row.city.trim().is_empty()) && !zip_ok {
                problem("zip_code", BAD_ZIP);
            }
            let email = row.email.trim();
            if !email.is_empty() && platform::mail::address(email).is_err() {
                problem("email", BAD_EMAIL);
            }
        }
    }
    problems
}

/// The groups of `holdings` that become successors: one per controller number, in number
/// order, each the indexes of its holdings.
pub fn successor_groups(holdings: &[Holding]) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, h) in holdings.iter().enumerate() {
        match groups.iter_mut().find(|(number, _)| *number == h.controller) {
            Some((_, members)) => members.push(i),
            None => groups.push((h.controller.clone(), vec![i])),
        }
    }
    // Numbers without leading zeros: a shorter one is smaller.
    groups.sort_by(|(a, _), (b, _)| (a.len(), a).cmp(&(b.len(), b)));
    groups
}

/// The order step 3 lists the companies in: by controller number, then as entered.
pub fn contact_order(holdings: &[Holding]) -> Vec<usize> {
    successor_groups(holdings).into_iter().flat_map(|(_, members)| members).collect()
}

/// A contract's spec number (the property keyed "Spec Number", in any case).
pub async fn spec_of(db: &impl ConnectionTrait, contract_id: i32) -> Result<Option<contract_property::Model>, DbErr> {
    contract_property::Entity::find()
        .filter(contract_property::Column::ContractId.eq(contract_id))
        .filter(ExprTrait::eq(
            Expr::expr(Func::lower(Expr::col(contract_property::Column::Key))),
            SPEC_NUMBER.to_lowercase(),
        ))
        .order_by_asc(contract_property::Column::Id)
        .one(db)
        .await
}

/// The companies holding contract `contract_id`, by name.
async fn companies_of(db: &impl ConnectionTrait, contract_id: i32) -> Result<Vec<company::Model>, DbErr> {
    let ids: Vec<i32> = contract_company::Entity::find()
        .filter(contract_company::Column::ContractId.eq(contract_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.company_id)
        .collect();
    company::Entity::find().filter(company::Column::Id.is_in(ids)).order_by_asc(company::Column::Name).all(db).await
}

/// The draft a wizard starts from: the successor's details, and where it has none yet, those
/// of the contract it renews (its companies with its controller number too).
async fn prefill(db: &impl ConnectionTrait, item: &Item) -> Result<Wizard, DbErr> {
    let successor = contract::Entity::find_by_id(item.work.contract_id).one(db).await?;
    let parent = match item.work.parent_id {
        Some(id) => contract::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let own = |f: fn(&contract::Model) -> Option<String>| {
        successor.as_ref().and_then(f).filter(|v| !v.trim().is_empty()).or_else(|| parent.as_ref().and_then(f))
    };
    let description = own(|c| c.description.clone()).unwrap_or_default();
    let expiration = own(|c| c.expiration_date.map(|d| d.format("%Y-%m-%d").to_string())).unwrap_or_default();
    let link = own(|c| c.contract_href.clone()).unwrap_or_default();
    let controller = own(|c| c.financial_id.clone()).unwrap_or_default();
    let mut spec = match &successor {
        Some(s) => spec_of(db, s.id).await?.and_then(|p| p.value).filter(|v| !v.trim().is_empty()),
        None => None,
    };
    if spec.is_none()
        && let Some(p) = &parent
    {
        spec = spec_of(db, p.id).await?.and_then(|p| p.value);
    }
    let mut holders = match &successor {
        Some(s) => companies_of(db, s.id).await?,
        None => Vec::new(),
    };
    if holders.is_empty()
        && let Some(p) = &parent
    {
        holders = companies_of(db, p.id).await?;
    }
    let companies = holders
        .into_iter()
        .map(|c| CompanyRow { company_id: Some(c.id), new_name: String::new(), controller_number: controller.clone() })
        .collect();
    Ok(Wizard {
        contract: ContractStep { description, expiration, spec_number: spec.unwrap_or_default(), link },
        companies,
        ..Wizard::default()
    })
}

/// The contacts step 3 starts from for `holdings`: those already typed for the same company,
/// else an existing company's contacts on record, else one empty contact.
pub async fn contacts_for(
    db: &impl ConnectionTrait,
    before: &Wizard,
    holdings: &[Holding],
) -> Result<Vec<Vec<ContactRow>>, DbErr> {
    let earlier = check_companies(&before.companies).unwrap_or_default();
    let mut all = Vec::new();
    for h in holdings {
        let typed =
            earlier.iter().position(|(_, e)| e.holder == h.holder).and_then(|k| before.contacts.get(k)).cloned();
        let rows = match (typed, &h.holder) {
            (Some(rows), _) => rows,
            (None, Holder::Existing(id)) => company_contact::Entity::find()
                .filter(company_contact::Column::CompanyId.eq(*id))
                .order_by_asc(company_contact::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|c| ContactRow {
                    first_name: c.first_name.unwrap_or_default(),
                    last_name: c.last_name.unwrap_or_default(),
                    addr1: c.addr1.unwrap_or_default(),
                    addr2: c.addr2.unwrap_or_default(),
                    city: c.city.unwrap_or_default(),
                    state: c.state.unwrap_or_default(),
                    zip_code: c.zip_code.unwrap_or_default(),
                    phone_number: c.phone_number.unwrap_or_default(),
                    fax_number: c.fax_number.unwrap_or_default(),
                    email: c.email.unwrap_or_default(),
                })
                .collect(),
            (None, Holder::New(_)) => Vec::new(),
        };
        all.push(if rows.is_empty() { vec![ContactRow::default()] } else { rows });
    }
    Ok(all)
}

/// Item `id` with its draft, if the wizard is open for it: 404 for no item, 409 when it is not
/// in progress with its flow finished. Only conductor-level users.
pub async fn open(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
) -> Result<(Item, Wizard), ServiceError> {
    authorize(user, Action::Edit, Resource::WorkItem)?;
    let item = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if item.work.status == work_item::COMPLETED {
        return Err(ServiceError::Conflict(ALREADY_COMPLETED.into()));
    }
    if item.work.status != work_item::IN_PROGRESS || item.progress().state() != State::Finished {
        return Err(ServiceError::Conflict(NOT_FINISHED.into()));
    }
    let stored = item.work.wizard.as_deref().and_then(|json| serde_json::from_str::<Wizard>(json).ok());
    let wizard = match stored {
        Some(w) => w,
        None => prefill(db, &item).await?,
    };
    Ok((item, wizard))
}

/// Keeps `wizard` as item `id`'s draft (the wizard must be open for it).
pub async fn save(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    wizard: &Wizard,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (item, _) = open(db, user, id).await?;
    let json = serde_json::to_string(wizard).map_err(|e| DbErr::Custom(format!("the wizard's draft: {e}")))?;
    let update = work_item::Entity::update_many()
        .col_expr(work_item::Column::Wizard, Expr::value(json))
        .stamped(user.map(|u| u.id), now);
    item.guarded(db, update).await
}

/// The successor contracts made, in controller-number order.
pub type Successors = Vec<i32>;

/// Finishes item `id` from its saved draft (see the module header). Returns the successors,
/// the item's own first.
pub async fn finish(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
    outbox: &crate::emails::Mailing<'_>,
    now: DateTime<Utc>,
) -> Result<Successors, ServiceError> {
    let (item, wizard) = open(db, user, id).await?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let incomplete = |step: &str| ServiceError::invalid("", format!("Go back to the {step} step: it is not complete."));
    if !wizard.contract_done {
        return Err(incomplete("contract"));
    }
    let details = check_details(&wizard.contract).map_err(|_| incomplete("contract"))?;
    if !wizard.companies_done {
        return Err(incomplete("companies"));
    }
    let holdings = match check_companies_in(db, &wizard.companies).await {
        Ok(h) => h,
        Err(ServiceOr::Service(e)) => return Err(e),
        Err(ServiceOr::Problems(_)) => return Err(incomplete("companies")),
    };
    if !check_contacts(&wizard.contacts).is_empty() {
        return Err(incomplete("contacts"));
    }

    // The guard first: from here the item is ours, and a second finish is told it is done.
    let update = work_item::Entity::update_many()
        .col_expr(work_item::Column::Status, Expr::value(COMPLETE.to.as_str()))
        .col_expr(work_item::Column::Wizard, Expr::value(Option::<String>::None))
        .stamped(Some(user.id), now)
        .filter(work_item::Column::Status.is_in(COMPLETE.guard()));
    item.guarded(db, update).await?;
    // A revert that committed while this waited for the row would show here.
    let locked = store::load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if locked.progress().state() != State::Finished {
        return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
    }

    // Companies and their contacts, existing ones reused.
    let mut company_ids = Vec::with_capacity(holdings.len());
    for h in &holdings {
        company_ids.push(match &h.holder {
            Holder::Existing(cid) => *cid,
            Holder::New(name) => company_named(db, name, user, now).await?,
        });
    }
    for (k, rows) in wizard.contacts.iter().enumerate().take(holdings.len()) {
        for row in rows.iter().filter(|r| !r.is_blank()) {
            keep_contact(db, company_ids[k], row, user, now).await?;
        }
    }

    // One successor per controller number: the item's own first, then siblings.
    let own = contract::Entity::find_by_id(item.work.contract_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let mut successors = Successors::new();
    for (n, (controller, members)) in successor_groups(&holdings).into_iter().enumerate() {
        let mut active: contract::ActiveModel = if n == 0 {
            own.clone().into()
        } else {
            contract::ActiveModel {
                parent_id: Set(own.parent_id),
                contract_type_id: Set(own.contract_type_id),
                department_id: Set(own.department_id),
                document_id: Set(None),
                ..Stamp::created(Some(user.id), now)
            }
        };
        active.description = Set(Some(details.description.clone()));
        active.expiration_date = Set(Some(details.expiration));
        active.contract_href = Set(details.link.clone());
        active.financial_id = Set(Some(controller));
        active.is_visible = Set(true);
        active.is_archived = Set(false);
        if n == 0 {
            active.stamp(Some(user.id), now);
        }
        let saved = active.save(db).await?;
        let saved: contract::Model = sea_orm::TryIntoModel::try_into_model(saved)?;
        set_spec(db, saved.id, &details.spec_number, user, now).await?;
        contract_company::Entity::delete_many()
            .filter(contract_company::Column::ContractId.eq(saved.id))
            .exec(db)
            .await?;
        let mut linked = HashSet::new();
        for m in members {
            if linked.insert(company_ids[m]) {
                contract_company::ActiveModel {
                    contract_id: Set(saved.id),
                    company_id: Set(company_ids[m]),
                    ..Stamp::created(Some(user.id), now)
                }
                .insert(db)
                .await?;
            }
        }
        successors.push(saved.id);
    }

    // The parent: its followers move to every successor; it is archived and hidden.
    let parent = match item.work.parent_id {
        Some(pid) => contract::Entity::find_by_id(pid).one(db).await?,
        None => None,
    };
    let mut followers = Vec::new();
    if let Some(parent) = &parent {
        followers = contract_follower::Entity::find()
            .filter(contract_follower::Column::ContractId.eq(parent.id))
            .all(db)
            .await?
            .into_iter()
            .map(|f| f.user_id)
            .collect();
        for &successor in &successors {
            let already: HashSet<i32> = contract_follower::Entity::find()
                .filter(contract_follower::Column::ContractId.eq(successor))
                .all(db)
                .await?
                .into_iter()
                .map(|f| f.user_id)
                .collect();
            for &follower in followers.iter().filter(|f| !already.contains(f)) {
                contract_follower::ActiveModel {
                    contract_id: Set(successor),
                    user_id: Set(follower),
                    ..Stamp::created(Some(user.id), now)
                }
                .insert(db)
                .await?;
            }
        }
        contract_follower::Entity::delete_many()
            .filter(contract_follower::Column::ContractId.eq(parent.id))
            .exec(db)
            .await?;
        let description = parent.description.clone().unwrap_or_default();
        let mut archived: contract::ActiveModel = parent.clone().into();
        archived.is_archived = Set(true);
        archived.is_visible = Set(false);
        if !description.ends_with(ARCHIVED_SUFFIX) {
            archived.description = Set(Some(format!("{description}{ARCHIVED_SUFFIX}")));
        }
        archived.stamp(Some(user.id), now);
        archived.update(db).await?;
    }

    // Scout's search and caches see it all in this transaction.
    for &changed in successors.iter().chain(parent.as_ref().map(|p| &p.id)) {
        scout::search::reindex(db, changed).await?;
    }
    scout::freshness::bump(db).await?;

    let last_row = locked.rows.len().checked_sub(1).and_then(|i| locked.row_id(i));
    store::log(db, id, last_row, &Activity::Completed { successors: successors.clone() }, Some(user), now).await?;
    events::record(db, NewEvent::new(COMPLETED_EVENT, i64::from(id), Audience::Conductor)).await?;

    if let Some(parent) = &parent {
        tell_followers(db, outbox, parent, &followers, &successors, user).await?;
    }
    Ok(successors)
}

/// The company named exactly `name`, made if there is none.
async fn company_named(
    db: &impl ConnectionTrait,
    name: &str,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    if let Some(found) = company::Entity::find().filter(company::Column::Name.eq(name)).one(db).await? {
        return Ok(found.id);
    }
    let made =
        company::ActiveModel { name: Set(name.to_owned()), ..Stamp::created(Some(user.id), now) }.insert(db).await?;
    Ok(made.id)
}

fn given(value: &str) -> Option<String> {
    Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Company `company_id`'s contact `row`: the one on record with the same names and email, or
/// a new one.
async fn keep_contact(
    db: &impl ConnectionTrait,
    company_id: i32,
    row: &ContactRow,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let email = given(&row.email).map(|e| platform::mail::address(&e).unwrap_or(e));
    let (first, last) = (given(&row.first_name), given(&row.last_name));
    let same = |column: company_contact::Column, value: &Option<String>| match value {
        Some(v) => column.eq(v.clone()),
        None => column.is_null(),
    };
    let found = company_contact::Entity::find()
        .filter(company_contact::Column::CompanyId.eq(company_id))
        .filter(same(company_contact::Column::FirstName, &first))
        .filter(same(company_contact::Column::LastName, &last))
        .filter(same(company_contact::Column::Email, &email))
        .one(db)
        .await?;
    if let Some(found) = found {
        return Ok(found.id);
    }
    let made = company_contact::ActiveModel {
        company_id: Set(company_id),
        first_name: Set(first),
        last_name: Set(last),
        addr1: Set(given(&row.addr1)),
        addr2: Set(given(&row.addr2)),
        city: Set(given(&row.city)),
        state: Set(given(&row.state)),
        zip_code: Set(given(&row.zip_code)),
        phone_number: Set(given(&row.phone_number)),
        fax_number: Set(given(&row.fax_number)),
        email: Set(email),
        ..Stamp::created(Some(user.id), now)
    }
    .insert(db)
    .await?;
    Ok(made.id)
}

/// Sets contract `contract_id`'s spec number property.
async fn set_spec(
    db: &impl ConnectionTrait,
    contract_id: i32,
    spec: &str,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    match spec_of(db, contract_id).await? {
        Some(p) => {
            let mut active: contract_property::ActiveModel = p.into();
            active.value = Set(Some(spec.to_owned()));
            active.stamp(Some(user.id), now);
            active.update(db).await?;
        }
        None => {
            contract_property::ActiveModel {
                contract_id: Set(contract_id),
                key: Set(SPEC_NUMBER.to_owned()),
                value: Set(Some(spec.to_owned())),
                ..Stamp::created(Some(user.id), now)
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// A contract as the follower email shows it.
async fn summary(db: &impl ConnectionTrait, c: &contract::Model, base: &url::Url) -> Result<ContractSummary, DbErr> {
    let link = base.join(&format!("/scout/contracts/{}", c.id)).map(String::from).unwrap_or_default();
    Ok(ContractSummary {
        description: c.description.clone().unwrap_or_default(),
        expiration: c.expiration_date.map(|d| d.format("%B %-d, %Y").to_string()),
        controller_number: c.financial_id.clone(),
        spec_number: spec_of(db, c.id).await?.and_then(|p| p.value),
        companies: companies_of(db, c.id).await?.into_iter().map(|c| c.name).collect(),
        link,
    })
}

/// Queues one C2 per former follower of `parent` (as it was before archiving) naming every
/// successor; replies go to `user`.
async fn tell_followers(
    db: &impl ConnectionTrait,
    outbox: &crate::emails::Mailing<'_>,
    parent: &contract::Model,
    followers: &[i32],
    successors: &[i32],
    user: &CurrentUser,
) -> Result<(), ServiceError> {
    if followers.is_empty() {
        return Ok(());
    }
    let base = &outbox.config.site.app_url;
    let previous = summary(db, parent, base).await?;
    let mut listed = Vec::new();
    for &id in successors {
        if let Some(c) = contract::Entity::find_by_id(id).one(db).await? {
            listed.push(summary(db, &c, base).await?);
        }
    }
    let message = ContractUpdated { previous, successors: listed };
    let recipients = model::entities::user::Entity::find()
        .filter(model::entities::user::Column::Id.is_in(followers.to_vec()))
        .filter(model::entities::user::Column::Active.eq(true))
        .order_by_asc(model::entities::user::Column::Id)
        .all(db)
        .await?;
    for recipient in recipients {
        outbox
            .queue(db, &message, vec![recipient.email.clone()], Vec::new(), Some(user.email.clone()), Vec::new())
            .await?;
    }
    Ok(())
}

/// The successors a completed item made (from its `completed` entry), in order; None when the
/// item is not completed. 404 for no item.
pub async fn successors(
    db: &impl ConnectionTrait,
    user: Option<&CurrentUser>,
    id: i32,
) -> Result<Option<Vec<contract::Model>>, ServiceError> {
    authorize(user, Action::View, Resource::WorkItem)?;
    let work = work_item::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    if work.status != work_item::COMPLETED {
        return Ok(None);
    }
    let entry = work_item_activity::Entity::find()
        .filter(work_item_activity::Column::WorkItemId.eq(id))
        .filter(work_item_activity::Column::Kind.eq(Activity::Completed { successors: vec![] }.kind()))
        .order_by_desc(work_item_activity::Column::Id)
        .one(db)
        .await?;
    let ids = match entry.and_then(|e| Activity::read(&e.kind, &e.detail)) {
        Some(Activity::Completed { successors }) => successors,
        _ => vec![work.contract_id],
    };
    let found = contract::Entity::find().filter(contract::Column::Id.is_in(ids.clone())).all(db).await?;
    Ok(Some(ids.iter().filter_map(|id| found.iter().find(|c| c.id == *id).cloned()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(existing: Option<i32>, name: &str, number: &str) -> CompanyRow {
        CompanyRow { company_id: existing, new_name: name.into(), controller_number: number.into() }
    }

    fn messages(p: &Problems) -> Vec<(&str, &str)> {
        p.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect()
    }

    #[test]
    fn a_link_is_checked_for_its_shape_only() {
        assert_eq!(check_link(""), Ok(None));
        assert_eq!(check_link(" https://example.org/c.pdf "), Ok(Some("https://example.org/c.pdf".into())));
        assert_eq!(check_link("http://127.0.0.1:9/x"), Ok(Some("http://127.0.0.1:9/x".into())), "stored as typed");
        for bad in ["javascript:alert(1)", "ftp://example.org/x", "example.org", "https://", "data:text/html,hi"] {
            assert_eq!(check_link(bad), Err(BAD_LINK.to_owned()), "{bad}");
        }
    }

    #[test]
    fn step_one_needs_a_description_an_expiration_and_a_spec_number() {
        let problems = check_details(&ContractStep::default()).expect_err("blank");
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["description", "expiration", "spec_number"]);
        let step = ContractStep {
            description: " Salt ".into(),
            expiration: "2028-06-30".into(),
            spec_number: "B-1".into(),
            link: "https://example.org".into(),
        };
        let d = check_details(&step).expect("valid");
        assert_eq!((d.description.as_str(), d.expiration.to_string().as_str()), ("Salt", "2028-06-30"));
        let bad = check_details(&ContractStep { expiration: "6/30/28".into(), ..step }).expect_err("date");
        assert_eq!(bad[0].0, "expiration");
    }

    #[test]
    fn company_rows_give_the_originals_messages() {
        let p = check_companies(&[row(Some(1), "Acme", "12")]).expect_err("both");
        assert_eq!(
            messages(&p),
            [
                ("company-0-company_id", "You cannot choose both this and \"New company\""),
                ("company-0-new_name", "You cannot choose both this and \"Existing company\""),
            ]
        );
        let p = check_companies(&[row(None, "", "12")]).expect_err("neither");
        assert_eq!(p[0].1, "You must fill out either this or \"New company\"");
        let p = check_companies(&[CompanyRow::default(), row(None, "Acme", "")]).expect_err("no number");
        assert_eq!(
            messages(&p),
            [(
                "company-1-controller_number",
                "You filled out \"New company\" but left this blank -- please fill this out as well."
            )]
        );
        let p = check_companies(&[row(Some(3), "", "12a")]).expect_err("not a number");
        assert_eq!(messages(&p), [("company-0-controller_number", "This must be an integer!")]);
        assert!(check_companies(&[CompanyRow::default()]).is_err(), "at least one company");
        let ok = check_companies(&[row(Some(3), "", " 0012 "), CompanyRow::default(), row(None, " Zed ", "5")])
            .expect("valid");
        assert_eq!(
            ok,
            [
                (0, Holding { holder: Holder::Existing(3), controller: "12".into() }),
                (2, Holding { holder: Holder::New("Zed".into()), controller: "5".into() }),
            ]
        );
    }

    #[test]
    fn one_successor_per_controller_number_in_number_order() {
        let h = |id, n: &str| Holding { holder: Holder::Existing(id), controller: n.into() };
        let holdings = [h(1, "5678"), h(2, "1234"), h(3, "999"), h(4, "1234")];
        assert_eq!(
            successor_groups(&holdings),
            [("999".to_owned(), vec![2]), ("1234".to_owned(), vec![1, 3]), ("5678".to_owned(), vec![0])]
        );
        assert_eq!(contact_order(&holdings), [2, 1, 3, 0]);
    }

    #[test]
    fn contacts_are_checked_when_given() {
        let good = ContactRow {
            first_name: "Pat".into(),
            last_name: "Lee".into(),
            city: "Pittsburgh".into(),
            zip_code: "15219".into(),
            phone_number: "412-555-0100".into(),
            email: "pat@example.com".into(),
            ..ContactRow::default()
        };
        assert!(check_contacts(&[vec![good.clone(), ContactRow::default()]]).is_empty());
        let bad = ContactRow {
            first_name: String::new(),
            zip_code: String::new(),
            phone_number: "4125550100".into(),
            fax_number: "412-555-01000".into(),
            email: "not an address".into(),
            ..good
        };
        let p = check_contacts(&[vec![], vec![bad]]);
        assert_eq!(
            messages(&p),
            [
                ("contact-1-0-first_name", "This field is required."),
                ("contact-1-0-phone_number", "Please enter numbers in XXX-XXX-XXXX format"),
                ("contact-1-0-fax_number", "Please enter numbers in XXX-XXX-XXXX format"),
                ("contact-1-0-zip_code", "Field must be 5 characters long."),
                ("contact-1-0-email", "Invalid email address."),
            ]
        );
    }

    #[test]
    fn the_draft_reads_back_and_tolerates_missing_fields() {
        let w = Wizard {
            contract: ContractStep { description: "Salt".into(), ..ContractStep::default() },
            contract_done: true,
            companies: vec![row(Some(1), "", "12")],
            ..Wizard::default()
        };
        let json = serde_json::to_string(&w).expect("json");
        assert_eq!(serde_json::from_str::<Wizard>(&json).expect("read"), w);
        assert_eq!(serde_json::from_str::<Wizard>("{}").expect("read"), Wizard::default());
    }
}
