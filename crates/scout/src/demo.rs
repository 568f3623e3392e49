//! `procure demo [--scale N]`: a realistic, made-up data set — N contracts with companies,
//! contacts, properties and ten line items each — for trying Procure and for benchmarks.
//! Deterministic: the same N gives the same data. Written in batches, one transaction, and
//! indexed for search like any other change.

use chrono::{Duration, NaiveDate, Utc};
use model::Stamp;
use model::entities::{
    company, company_contact, contract, contract_company, contract_property, contract_type, line_item,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

const GOODS: [&str; 24] = [
    "road salt",
    "asphalt patch",
    "traffic signals",
    "fire hose",
    "police radios",
    "body armor",
    "office furniture",
    "laptops",
    "desktop computers",
    "network switches",
    "janitorial supplies",
    "paper towels",
    "trash liners",
    "snow plows",
    "dump trucks",
    "street sweepers",
    "playground equipment",
    "park benches",
    "water meters",
    "pipe fittings",
    "concrete",
    "lumber",
    "uniforms",
    "printer toner",
];
const SERVICES: [&str; 12] = [
    "maintenance",
    "repair",
    "installation",
    "supply",
    "rental",
    "inspection",
    "cleaning",
    "delivery",
    "training",
    "consulting",
    "disposal",
    "calibration",
];
const NAMES: [&str; 20] = [
    "Allegheny",
    "Three Rivers",
    "Keystone",
    "Steel City",
    "Monongahela",
    "Ohio Valley",
    "Golden Triangle",
    "Liberty",
    "Penn",
    "Northside",
    "Southside",
    "Hilltop",
    "Riverfront",
    "Bridge",
    "Duquesne",
    "Carnegie",
    "Mellon",
    "Fort Pitt",
    "Iron",
    "Summit",
];
const SUFFIXES: [&str; 8] = ["Supply", "Services", "Equipment", "Industries", "Partners", "Group", "Co", "Solutions"];
const BRANDS: [&str; 10] =
    ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Wonka", "Tyrell"];

/// A small deterministic generator (xorshift64), enough for made-up data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.next() % u64::try_from(items.len()).unwrap_or(1)).unwrap_or(0);
        items[i]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What `demo` made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub contracts: u64,
    pub companies: u64,
    pub line_items: u64,
}

/// Adds `scale` made-up contracts. Controller numbers start at 900000 so they do not collide
/// with real ones; running it twice adds a second set.
pub async fn load(db: &DatabaseConnection, scale: u64, today: NaiveDate) -> anyhow::Result<Made> {
    anyhow::ensure!((1..=1_000_000).contains(&scale), "--scale must be between 1 and 1,000,000");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ scale);
    let txn = platform::db::begin_write(db).await?;
    let now = Utc::now();
    let types: Vec<i32> = contract_type::Entity::find().all(&txn).await?.into_iter().map(|t| t.id).collect();
    let first_contract = contract::Entity::find().all(&txn).await?.len();
    let run = format!("{}", first_contract);

    // Companies: one per five contracts, named uniquely for this run.
    let company_count = (scale / 5).max(1);
    let mut company_models = Vec::new();
    for i in 0..company_count {
        let name = format!(
            "{} {} {} #{run}-{i}",
            rng.pick(&NAMES),
            rng.pick(&GOODS).split(' ').next().unwrap_or("General"),
            rng.pick(&SUFFIXES)
        );
        company_models.push(company::ActiveModel { name: Set(name), ..Stamp::created(None, now) });
    }
    for chunk in company_models.chunks(500) {
        company::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let company_ids: Vec<i32> = company::Entity::find()
        .filter(company::Column::Name.like(format!("% #{run}-%")))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut contacts = Vec::new();
    for id in &company_ids {
        contacts.push(company_contact::ActiveModel {
            company_id: Set(*id),
            first_name: Set(Some(rng.pick(&["Alex", "Sam", "Jordan", "Taylor", "Casey", "Morgan"]).to_owned())),
            last_name: Set(Some(rng.pick(&["Smith", "Novak", "Kowalski", "Brown", "Garcia", "Lee"]).to_owned())),
            city: Set(Some("Pittsburgh".into())),
            state: Set(Some("PA".into())),
            zip_code: Set(Some(format!("152{:02}", rng.below(40)))),
            phone_number: Set(Some(format!("412-555-{:04}", rng.below(10_000)))),
            ..Stamp::created(None, now)
        });
    }
    for chunk in contacts.chunks(500) {
        company_contact::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }

    // Contracts, in batches, each with a company, a spec number and ten line items.
    let mut made = Made { companies: company_count, ..Made::default() };
    let mut i = 0;
    while i < scale {
        let batch = (scale - i).min(500);
        let mut rows = Vec::new();
        for j in 0..batch {
            let n = i + j;
            let goods = rng.pick(&GOODS);
            rows.push(contract::ActiveModel {
                financial_id: Set(Some(format!("{}", 900_000 + n + u64::try_from(first_contract).unwrap_or(0)))),
                expiration_date: Set(Some(today + Duration::days(i64::try_from(rng.below(1_100)).unwrap_or(0) - 100))),
                description: Set(Some(format!("{} {} ({run}-{n})", capitalise(goods), rng.pick(&SERVICES)))),
                contract_type_id: Set(types
                    .get(usize::try_from(rng.below(u64::try_from(types.len()).unwrap_or(1))).unwrap_or(0))
                    .copied()),
                is_archived: Set(false),
                is_visible: Set(true),
                ..Stamp::created(None, now)
            });
        }
        contract::Entity::insert_many(rows).exec(&txn).await?;
        i += batch;
    }
    let contracts: Vec<contract::Model> =
        contract::Entity::find().filter(contract::Column::Description.like(format!("%({run}-%)"))).all(&txn).await?;
    let mut links = Vec::new();
    let mut props = Vec::new();
    let mut items = Vec::new();
    for c in &contracts {
        let company_id =
            company_ids[usize::try_from(rng.below(u64::try_from(company_ids.len()).unwrap_or(1))).unwrap_or(0)];
        links.push(contract_company::ActiveModel {
            contract_id: Set(c.id),
            company_id: Set(company_id),
            ..Stamp::created(None, now)
        });
        props.push(contract_property::ActiveModel {
            contract_id: Set(c.id),
            key: Set("Spec Number".into()),
            value: Set(Some(format!("{}", 5_000 + c.id))),
            ..Stamp::created(None, now)
        });
        for k in 0..10 {
            let unit = f64::from(u32::try_from(rng.below(100_000)).unwrap_or(0)) / 100.0;
            items.push(line_item::ActiveModel {
                contract_id: Set(c.id),
                description: Set(format!("{} {} item {k}", capitalise(rng.pick(&GOODS)), rng.pick(&BRANDS))),
                manufacturer: Set(Some(rng.pick(&BRANDS).to_owned())),
                model_number: Set(Some(format!("M-{}", rng.below(99_999)))),
                unit_cost: Set(Some(unit)),
                percentage: Set(false),
                ..Stamp::created(None, now)
            });
        }
    }
    for chunk in links.chunks(500) {
        contract_company::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    for chunk in props.chunks(500) {
        contract_property::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    for chunk in items.chunks(500) {
        line_item::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    for c in &contracts {
        crate::search::reindex(&txn, c.id).await?;
    }
    txn.commit().await?;
    made.contracts = u64::try_from(contracts.len()).unwrap_or(0);
    made.line_items = u64::try_from(items.len()).unwrap_or(0);
    Ok(made)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
