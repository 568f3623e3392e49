//! Builders for the records tests start from, with defaults that make a valid record and a
//! method for each thing a test cares about, e.g.
//! `Vendor::new("a@example.com").categories(&[paving]).confirmed().insert(&app).await`.
//!
//! They write through the apps' public functions where there is one (users, drafts) and with
//! plain inserts otherwise, as an importer or the back-office would.

use accounts::{CurrentUser, Role};
use beacon::lifecycle::Draft;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use model::Stamp;
use model::entities::{
    category, company, contract, contract_company, contract_type, flow, flow_stage, opportunity, required_document,
    stage, vendor, vendor_category,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::{Deployment, TestApp};

/// What builders insert into: a test app's database, or a deployment's.
pub trait Db {
    fn db(&self) -> &DatabaseConnection;
    /// The site's display time zone (drafts' dates are entered in it).
    fn timezone(&self) -> chrono_tz::Tz;
}

impl Db for TestApp {
    fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }
    fn timezone(&self) -> chrono_tz::Tz {
        self.state.config.site.display_timezone
    }
}

impl Db for Deployment {
    fn db(&self) -> &DatabaseConnection {
        &self.db
    }
    fn timezone(&self) -> chrono_tz::Tz {
        self.config().site.display_timezone
    }
}

/// An active user; by default in the "Other" department (so no profile step) with no role.
#[derive(Debug, Clone)]
pub struct User {
    email: String,
    roles: Vec<Role>,
    department: String,
}

impl User {
    pub fn new(email: &str) -> User {
        User { email: email.to_owned(), roles: Vec::new(), department: "Other".to_owned() }
    }

    pub fn roles(mut self, roles: &[Role]) -> User {
        self.roles = roles.to_vec();
        self
    }

    /// A seeded department, by name.
    pub fn department(mut self, name: &str) -> User {
        self.department = name.to_owned();
        self
    }

    pub async fn insert(self, on: &impl Db) -> CurrentUser {
        let db = on.db();
        let dept = accounts::users::department_id(db, &self.department).await.expect("q").expect("department");
        let u = accounts::users::create_user(db, &self.email, Some(dept), &self.roles, None).await.expect("user");
        accounts::users::current_user(db, u.id).await.expect("q").expect("current user")
    }
}

/// A Beacon vendor: "`email` LLC", first name Pat, asking for the newsletter, in no category,
/// not yet confirmed, not unsubscribed.
#[derive(Debug, Clone)]
pub struct Vendor {
    email: String,
    business: Option<String>,
    first_name: Option<String>,
    categories: Vec<i32>,
    newsletter: bool,
    confirmed: bool,
    unsubscribed: bool,
}

impl Vendor {
    pub fn new(email: &str) -> Vendor {
        Vendor {
            email: email.to_owned(),
            business: None,
            first_name: Some("Pat".to_owned()),
            categories: Vec::new(),
            newsletter: true,
            confirmed: false,
            unsubscribed: false,
        }
    }

    pub fn business(mut self, name: &str) -> Vendor {
        self.business = Some(name.to_owned());
        self
    }

    pub fn first_name(mut self, name: Option<&str>) -> Vendor {
        self.first_name = name.map(str::to_owned);
        self
    }

    /// Subscribed to these categories.
    pub fn categories(mut self, ids: &[i32]) -> Vendor {
        self.categories = ids.to_vec();
        self
    }

    pub fn newsletter(mut self, wanted: bool) -> Vendor {
        self.newsletter = wanted;
        self
    }

    /// Has confirmed the address (double opt-in done).
    pub fn confirmed(mut self) -> Vendor {
        self.confirmed = true;
        self
    }

    /// Has unsubscribed from everything.
    pub fn unsubscribed(mut self) -> Vendor {
        self.unsubscribed = true;
        self
    }

    pub async fn insert(self, on: &impl Db) -> vendor::Model {
        self.insert_in(on.db()).await
    }

    /// Inserts with `conn`, e.g. a transaction that makes many vendors at once.
    pub async fn insert_in(self, conn: &impl ConnectionTrait) -> vendor::Model {
        let now = Utc::now();
        let v = vendor::ActiveModel {
            business_name: Set(self.business.unwrap_or_else(|| format!("{} LLC", self.email))),
            email: Set(self.email),
            first_name: Set(self.first_name),
            woman_owned: Set(false),
            minority_owned: Set(false),
            veteran_owned: Set(false),
            disadvantaged_owned: Set(false),
            newsletter: Set(self.newsletter),
            confirmed_at: Set(self.confirmed.then_some(now)),
            unsubscribed_at: Set(self.unsubscribed.then_some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await
        .expect("vendor");
        for c in self.categories {
            vendor_category::ActiveModel { vendor_id: Set(v.id), category_id: Set(c) }
                .insert(conn)
                .await
                .expect("subscription");
        }
        v
    }
}

/// A Beacon category named `name` (its subcategory and the name vendors see) in the
/// "Construction" group, NIGP code 00000 unless told.
#[derive(Debug, Clone)]
pub struct Category {
    name: String,
    group: String,
    codes: String,
}

impl Category {
    pub fn new(name: &str) -> Category {
        Category { name: name.to_owned(), group: "Construction".to_owned(), codes: "00000".to_owned() }
    }

    pub fn group(mut self, group: &str) -> Category {
        self.group = group.to_owned();
        self
    }

    /// NIGP codes, e.g. "91300" or "91300, 91400".
    pub fn codes(mut self, codes: &str) -> Category {
        self.codes = codes.to_owned();
        self
    }

    /// Returns the category's id.
    pub async fn insert(self, on: &impl Db) -> i32 {
        self.insert_in(on.db()).await
    }

    pub async fn insert_in(self, conn: &impl ConnectionTrait) -> i32 {
        let now = Utc::now();
        category::ActiveModel {
            nigp_codes: Set(self.codes),
            category: Set(Some(self.group)),
            subcategory: Set(Some(self.name.clone())),
            category_friendly_name: Set(Some(self.name)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await
        .expect("category")
        .id
    }
}

/// A document bidders must submit (a "required document"), e.g. a W-9.
#[derive(Debug, Clone)]
pub struct BidDocument {
    name: String,
    description: Option<String>,
}

impl BidDocument {
    pub fn new(name: &str) -> BidDocument {
        BidDocument { name: name.to_owned(), description: None }
    }

    pub fn description(mut self, text: &str) -> BidDocument {
        self.description = Some(text.to_owned());
        self
    }

    /// Returns the document's id.
    pub async fn insert(self, on: &impl Db) -> i32 {
        let now = Utc::now();
        required_document::ActiveModel {
            display_name: Set(self.name),
            description: Set(self.description),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(on.db())
        .await
        .expect("required document")
        .id
    }
}

/// The seeded B-BID contract type, opened to opportunities; returns its id.
pub async fn bid_type(on: &impl Db) -> i32 {
    let db = on.db();
    let kind = contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq("B-BID"))
        .one(db)
        .await
        .expect("q")
        .expect("seeded type");
    let mut allow: contract_type::ActiveModel = kind.into();
    allow.allow_opportunities = Set(true);
    allow.update(db).await.expect("allow opportunities").id
}

/// A Beacon opportunity draft that passes the checks: the seeded B-BID type (opened to
/// opportunities), the Department of Public Works, published today, bids opening tomorrow and
/// closing in 30 days, dates in the display time zone, no category or bid document.
#[derive(Debug, Clone)]
pub struct Opportunity {
    title: String,
    description: String,
    categories: Vec<i32>,
    documents: Vec<i32>,
    today: Option<NaiveDate>,
    publish: Option<NaiveDate>,
    opens: Option<NaiveDate>,
    closes: Option<DateTime<Utc>>,
}

impl Opportunity {
    pub fn new(title: &str) -> Opportunity {
        Opportunity {
            title: title.to_owned(),
            description: "Milling and resurfacing of city streets.".to_owned(),
            categories: Vec::new(),
            documents: Vec::new(),
            today: None,
            publish: None,
            opens: None,
            closes: None,
        }
    }

    pub fn description(mut self, text: &str) -> Opportunity {
        self.description = text.to_owned();
        self
    }

    pub fn categories(mut self, ids: &[i32]) -> Opportunity {
        self.categories = ids.to_vec();
        self
    }

    /// The documents bidders must submit.
    pub fn documents(mut self, ids: &[i32]) -> Opportunity {
        self.documents = ids.to_vec();
        self
    }

    /// The day the defaults count from (the site's today unless told).
    pub fn today(mut self, day: NaiveDate) -> Opportunity {
        self.today = Some(day);
        self
    }

    pub fn publish_on(mut self, day: NaiveDate) -> Opportunity {
        self.publish = Some(day);
        self
    }

    pub fn opens_on(mut self, day: NaiveDate) -> Opportunity {
        self.opens = Some(day);
        self
    }

    pub fn closes_at(mut self, moment: DateTime<Utc>) -> Opportunity {
        self.closes = Some(moment);
        self
    }

    /// The draft as Beacon's form would submit it.
    pub async fn draft(self, on: &impl Db) -> Draft {
        let db = on.db();
        let tz = on.timezone();
        let today = self.today.unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
        let dept = accounts::users::department_id(db, "Department of Public Works").await.expect("q").expect("dept");
        Draft {
            title: self.title,
            description: self.description,
            department_id: Some(dept),
            contract_type_id: Some(bid_type(on).await),
            contact: None,
            planned_publish: Some(self.publish.unwrap_or(today)),
            planned_submission_start: Some(self.opens.unwrap_or(today + Duration::days(1))),
            planned_submission_end: Some(self.closes.unwrap_or_else(|| Utc::now() + Duration::days(30))),
            categories: self.categories,
            required_documents: self.documents,
            timezone: Some(tz),
        }
    }

    /// Drafted by `author` through Beacon's service.
    pub async fn create(self, on: &impl Db, author: &CurrentUser) -> opportunity::Model {
        let draft = self.draft(on).await;
        beacon::lifecycle::create(on.db(), Some(author), &draft, Utc::now()).await.expect("draft")
    }
}

/// A Scout contract, visible, not archived, of no type or department and with no company
/// unless told.
#[derive(Debug, Clone)]
pub struct Contract {
    description: String,
    controller: Option<String>,
    expires: Option<NaiveDate>,
    company: Option<String>,
    contract_type: Option<i32>,
    department: Option<i32>,
    archived: bool,
    visible: bool,
}

impl Contract {
    pub fn new(description: &str) -> Contract {
        Contract {
            description: description.to_owned(),
            controller: None,
            expires: None,
            company: None,
            contract_type: None,
            department: None,
            archived: false,
            visible: true,
        }
    }

    /// Of this contract type (its id).
    pub fn contract_type(mut self, id: i32) -> Contract {
        self.contract_type = Some(id);
        self
    }

    /// Of this department (its id).
    pub fn department(mut self, id: i32) -> Contract {
        self.department = Some(id);
        self
    }

    pub fn archived(mut self) -> Contract {
        self.archived = true;
        self
    }

    /// Not shown in Scout.
    pub fn hidden(mut self) -> Contract {
        self.visible = false;
        self
    }

    /// The controller number (`financial_id`).
    pub fn controller(mut self, number: &str) -> Contract {
        self.controller = Some(number.to_owned());
        self
    }

    pub fn expires(mut self, day: NaiveDate) -> Contract {
        self.expires = Some(day);
        self
    }

    /// Held by a new company of this name.
    pub fn company(mut self, name: &str) -> Contract {
        self.company = Some(name.to_owned());
        self
    }

    /// Inserts it (and its company), indexes it for search, and says Scout's data changed, as
    /// every writer does.
    pub async fn insert(self, on: &impl Db) -> contract::Model {
        let db = on.db();
        let now = Utc::now();
        let c = contract::ActiveModel {
            description: Set(Some(self.description)),
            financial_id: Set(self.controller),
            expiration_date: Set(self.expires),
            contract_type_id: Set(self.contract_type),
            department_id: Set(self.department),
            is_archived: Set(self.archived),
            is_visible: Set(self.visible),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("contract");
        if let Some(name) = self.company {
            let holder = Company::new(&name).insert(on).await;
            contract_company::ActiveModel {
                contract_id: Set(c.id),
                company_id: Set(holder.id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
            .expect("contract's company");
        }
        scout::search::reindex(db, c.id).await.expect("index");
        c
    }
}

/// A company that holds contracts.
#[derive(Debug, Clone)]
pub struct Company {
    name: String,
}

impl Company {
    pub fn new(name: &str) -> Company {
        Company { name: name.to_owned() }
    }

    pub async fn insert(self, on: &impl Db) -> company::Model {
        let db = on.db();
        let now = Utc::now();
        let c = company::ActiveModel {
            name: Set(self.name),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("company");
        scout::freshness::bump(db).await.expect("bump");
        c
    }
}

/// The contracts of the original's sample files (`mock/old_contracts.csv` and
/// `mock/state.csv`), imported as an admin would.
pub async fn sample_contracts(app: &TestApp) {
    use scout::import::{self, Actor, Kind};
    for (kind, file) in [(Kind::Contracts, "mock/old_contracts.csv"), (Kind::State, "mock/state.csv")] {
        let bytes = std::fs::read(super::data(file)).expect("file");
        let name = file.rsplit('/').next().expect("name");
        import::import(&app.state.db, Actor(None), kind, name, &bytes, &|_, _| {}).await.expect("import");
    }
}

/// The contract whose description contains `text` (one of [`sample_contracts`], say).
pub async fn contract_described(on: &impl Db, text: &str) -> contract::Model {
    contract::Entity::find()
        .filter(contract::Column::Description.contains(text))
        .one(on.db())
        .await
        .expect("q")
        .unwrap_or_else(|| panic!("no contract with {text}"))
}

/// A Conductor flow named `name` of new stages named `stages` (each with a 10-day target), in
/// order; returns its id.
pub async fn flow(on: &impl Db, name: &str, stages: &[&str]) -> i32 {
    let now = Utc::now();
    let db = on.db();
    let f = flow::ActiveModel { name: Set(name.into()), is_archived: Set(false), ..Stamp::created(None, now) }
        .insert(db)
        .await
        .expect("flow");
    for (position, stage_name) in stages.iter().enumerate() {
        let s = stage::ActiveModel {
            name: Set((*stage_name).into()),
            post_opportunities: Set(false),
            default_message: Set(None),
            target_days: Set(Some(10)),
            ..Stamp::created(None, now)
        }
        .insert(db)
        .await
        .expect("stage");
        let position = i32::try_from(position).expect("small");
        flow_stage::ActiveModel { flow_id: Set(f.id), position: Set(position), stage_id: Set(s.id) }
            .insert(db)
            .await
            .expect("flow stage");
    }
    f.id
}

/// A contract of a type Conductor manages ("County", made managed), with spec number `spec`,
/// expiring `days` after the site's today (in its display time zone, as the pages count days:
/// the UTC date is a day ahead in the evening in Pittsburgh).
pub async fn managed_contract(on: &impl Db, description: &str, spec: &str, days: i64) -> i32 {
    use model::entities::contract_property;
    let db = on.db();
    let county = contract_type::Entity::find()
        .filter(contract_type::Column::Name.eq("County"))
        .one(db)
        .await
        .expect("q")
        .expect("the County type is seeded");
    if !county.managed_by_conductor {
        let mut t: contract_type::ActiveModel = county.clone().into();
        t.managed_by_conductor = Set(true);
        t.update(db).await.expect("managed");
    }
    let c = Contract::new(description)
        .contract_type(county.id)
        .expires(Utc::now().with_timezone(&on.timezone()).date_naive() + Duration::days(days))
        .insert(on)
        .await;
    contract_property::ActiveModel {
        contract_id: Set(c.id),
        key: Set("Spec Number".into()),
        value: Set(Some(spec.into())),
        ..Stamp::created(None, Utc::now())
    }
    .insert(db)
    .await
    .expect("spec");
    c.id
}
