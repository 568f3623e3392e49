//! `procure demo [--scale N]`: a realistic, made-up data set for trying Procure and for
//! benchmarks: N contracts of the kinds a city buys (road salt, fire apparatus, janitorial
//! services, IT hardware… see `catalogue.rs`), each with a plausible title, department and
//! contract type, held by a company of that trade (N / 5 companies, at least one per kind),
//! with ten line items that match it; one in twenty renews an expired contract; and a few city
//! staff in several departments following contracts, so browsing by department shows something.
//!
//! Deterministic: the same N gives the same data. Controller numbers start at 900000 so they do
//! not collide with real ones. Written in batches in one transaction, and indexed for search
//! like any other change. Running it again adds nothing: the demo is already there.

pub mod catalogue;

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Utc};
use model::entities::{
    company, company_contact, contract, contract_company, contract_follower, contract_property, contract_type,
    department, line_item, user,
};
use model::{Stamp, StampUpdate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use catalogue::{FAMILIES, FIRST_NAMES, KINDS, LAST_NAMES, PLACE_SUFFIXES, PLACES, STAFF, STREETS, SUFFIXES};

/// The first demo contract's controller number.
pub const FIRST_CONTROLLER: u64 = 900_000;
/// Line items per contract.
pub const LINE_ITEMS: u64 = 10;
/// Contracts each demo staff member follows, at most.
const FOLLOWS_EACH: usize = 6;
/// Renewals made, at most (one contract in twenty renews the one before it).
const MAX_RENEWALS: usize = 100;

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
        let i = self.index(items.len());
        items.get(i).copied().unwrap_or_default()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// An index into a list of `len` items.
    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(u64::try_from(len).unwrap_or(1))).unwrap_or(0)
    }
    /// A number between `low` and `high`, in cents.
    fn price(&mut self, (low, high): (f64, f64)) -> f64 {
        let fraction = f64::from(u32::try_from(self.below(10_001)).unwrap_or(0)) / 10_000.0;
        ((low + (high - low) * fraction) * 100.0).round() / 100.0
    }
}

/// What `demo` made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub contracts: u64,
    pub companies: u64,
    pub line_items: u64,
    /// Staff members following contracts, and the follows.
    pub staff: u64,
    pub follows: u64,
}

/// One contract to make.
struct Spec {
    kind: usize,
    title: &'static str,
    company: i32,
    department: Option<i32>,
    contract_type: Option<(i32, &'static str)>,
    expiration: Option<NaiveDate>,
    /// The index of the contract it renews.
    renews: Option<usize>,
}

/// Company `j` of the trade of kind `k`, named uniquely among `taken` (which it joins): a place
/// or a family, a trade and a suffix, every combination once, in a scattered order.
fn company_name(k: usize, j: usize, taken: &mut HashSet<String>) -> String {
    let kind = &KINDS[k];
    let sources = PLACES.len() + FAMILIES.len();
    let combinations = sources * kind.trades.len() * SUFFIXES.len();
    let mut j = j;
    loop {
        // 7919 is a prime that divides no number of combinations, so this visits each once.
        let scattered = (j % combinations * 7919 + k * 101) % combinations;
        let source = scattered % sources;
        let trade = kind.trades[(scattered / sources) % kind.trades.len()];
        let suffix_index = scattered / sources / kind.trades.len() % SUFFIXES.len();
        let mut name = match PLACES.get(source) {
            // "Allegheny Salt & Sons" would be odd: a place's company takes a plain suffix.
            Some(place) => format!("{place} {trade} {}", SUFFIXES[suffix_index % PLACE_SUFFIXES]),
            None if trade.contains('&') && suffix_index >= PLACE_SUFFIXES => {
                format!("{} {trade} {}", FAMILIES[source - PLACES.len()], SUFFIXES[suffix_index % PLACE_SUFFIXES])
            }
            None => format!("{} {trade} {}", FAMILIES[source - PLACES.len()], SUFFIXES[suffix_index]),
        };
        // Past every combination (benchmark scales), a branch number.
        if j >= combinations {
            name.push_str(&format!(" {}", j / combinations + 1));
        }
        if taken.insert(name.clone()) {
            return name;
        }
        j += 1;
    }
}

/// The ids of `names` (companies just made), by name.
async fn company_ids(txn: &DatabaseTransaction, names: &[String]) -> Result<HashMap<String, i32>, sea_orm::DbErr> {
    let mut ids = HashMap::new();
    for chunk in names.chunks(500) {
        for c in company::Entity::find().filter(company::Column::Name.is_in(chunk.to_vec())).all(txn).await? {
            ids.insert(c.name, c.id);
        }
    }
    Ok(ids)
}

/// Adds `scale` made-up contracts, their companies, and staff following them.
pub async fn load(db: &DatabaseConnection, scale: u64, today: NaiveDate) -> anyhow::Result<Made> {
    anyhow::ensure!((1..=1_000_000).contains(&scale), "--scale must be between 1 and 1,000,000");
    let first = FIRST_CONTROLLER.to_string();
    if contract::Entity::find().filter(contract::Column::FinancialId.eq(first)).count(db).await? > 0 {
        return Ok(Made::default());
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ scale);
    let txn = platform::db::begin_write(db).await?;
    let now = Utc::now();
    let types: HashMap<String, i32> =
        contract_type::Entity::find().all(&txn).await?.into_iter().map(|t| (t.name, t.id)).collect();
    let departments: HashMap<String, i32> =
        department::Entity::find().all(&txn).await?.into_iter().map(|d| (d.name, d.id)).collect();
    let scale_items = usize::try_from(scale)?;

    // Companies: one per five contracts, at least one of each kind's trade.
    let company_count = (scale_items / 5).max(KINDS.len().min(scale_items));
    let mut taken: HashSet<String> = company::Entity::find()
        .select_only()
        .column(company::Column::Name)
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let names: Vec<(usize, String)> = (0..company_count)
        .map(|i| (i % KINDS.len(), company_name(i % KINDS.len(), i / KINDS.len(), &mut taken)))
        .collect();
    let rows: Vec<company::ActiveModel> = names
        .iter()
        .map(|(_, name)| company::ActiveModel { name: Set(name.clone()), ..Stamp::created(None, now) })
        .collect();
    for chunk in rows.chunks(500) {
        company::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let ids = company_ids(&txn, &names.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>()).await?;
    let mut by_kind: Vec<Vec<i32>> = vec![Vec::new(); KINDS.len()];
    let mut contacts = Vec::new();
    for (kind, name) in &names {
        let Some(id) = ids.get(name).copied() else { continue };
        by_kind[*kind].push(id);
        let (first_name, last_name) = (rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
        contacts.push(company_contact::ActiveModel {
            company_id: Set(id),
            first_name: Set(Some(first_name.to_owned())),
            last_name: Set(Some(last_name.to_owned())),
            addr1: Set(Some(format!("{} {}", 100 + rng.below(4_900), rng.pick(&STREETS)))),
            city: Set(Some("Pittsburgh".into())),
            state: Set(Some("PA".into())),
            zip_code: Set(Some(format!("152{:02}", 1 + rng.below(40)))),
            phone_number: Set(Some(format!("412-555-{:04}", rng.below(10_000)))),
            email: Set(Some(format!("{}.{}@example.com", first_name.to_lowercase(), last_name.to_lowercase()))),
            ..Stamp::created(None, now)
        });
    }
    for chunk in contacts.chunks(500) {
        company_contact::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }

    // What each contract is: the first of each kind in turn, then at random.
    let mut specs: Vec<Spec> = Vec::with_capacity(scale_items);
    let mut renewals = 0;
    for n in 0..scale_items {
        let expires = |rng: &mut Rng| today + Duration::days(i64::try_from(rng.below(1_100)).unwrap_or(0) - 100);
        if n % 20 == 10 && renewals < MAX_RENEWALS {
            // Renews the contract before it, which expired a while ago.
            let before = &mut specs[n - 1];
            before.expiration = Some(today - Duration::days(30 + i64::try_from(rng.below(300)).unwrap_or(0)));
            let renewal = Spec {
                kind: before.kind,
                title: before.title,
                company: before.company,
                department: before.department,
                contract_type: before.contract_type,
                expiration: Some(today + Duration::days(60 + i64::try_from(rng.below(1_000)).unwrap_or(0))),
                renews: Some(n - 1),
            };
            specs.push(renewal);
            renewals += 1;
            continue;
        }
        let kind_index = if n < KINDS.len() { n } else { rng.index(KINDS.len()) };
        let kind = &KINDS[kind_index];
        let holders = &by_kind[kind_index];
        let Some(company) = holders.get(rng.index(holders.len())).copied() else { continue };
        // Mostly the kind's usual buyer.
        let department = if rng.below(4) == 0 { rng.pick(kind.departments) } else { kind.departments[0] };
        let type_name = rng.pick(kind.types);
        specs.push(Spec {
            kind: kind_index,
            title: rng.pick(kind.titles),
            company,
            department: departments.get(department).copied(),
            contract_type: types.get(type_name).map(|id| (*id, type_name)),
            // Some are month to month, without an end.
            expiration: if n % 50 == 25 { None } else { Some(expires(&mut rng)) },
            renews: None,
        });
    }
    let controller = |n: usize| (FIRST_CONTROLLER + u64::try_from(n).unwrap_or(0)).to_string();
    for (start, chunk) in specs.chunks(500).enumerate().map(|(i, c)| (i * 500, c)) {
        let rows: Vec<contract::ActiveModel> = chunk
            .iter()
            .enumerate()
            .map(|(i, spec)| contract::ActiveModel {
                financial_id: Set(Some(controller(start + i))),
                expiration_date: Set(spec.expiration),
                description: Set(Some(spec.title.to_owned())),
                contract_type_id: Set(spec.contract_type.map(|(id, _)| id)),
                department_id: Set(spec.department),
                is_archived: Set(false),
                is_visible: Set(true),
                ..Stamp::created(None, now)
            })
            .collect();
        contract::Entity::insert_many(rows).exec(&txn).await?;
    }
    let mut contract_ids: HashMap<String, i32> = HashMap::new();
    let numbers: Vec<String> = (0..specs.len()).map(controller).collect();
    for chunk in numbers.chunks(500) {
        let found: Vec<(i32, Option<String>)> = contract::Entity::find()
            .select_only()
            .column(contract::Column::Id)
            .column(contract::Column::FinancialId)
            .filter(contract::Column::FinancialId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&txn)
            .await?;
        contract_ids.extend(found.into_iter().filter_map(|(id, number)| number.map(|n| (n, id))));
    }
    let id_of = |n: usize| contract_ids.get(&controller(n)).copied();

    let mut links = Vec::new();
    let mut props = Vec::new();
    let mut items = Vec::new();
    for (n, spec) in specs.iter().enumerate() {
        let Some(id) = id_of(n) else { continue };
        if let Some(parent) = spec.renews.and_then(id_of) {
            contract::Entity::update_many()
                .col_expr(contract::Column::ParentId, Expr::value(parent))
                .stamped(None, now)
                .filter(contract::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        links.push(contract_company::ActiveModel {
            contract_id: Set(id),
            company_id: Set(spec.company),
            ..Stamp::created(None, now)
        });
        let letter = spec.contract_type.and_then(|(_, name)| name.chars().next()).unwrap_or('X');
        let year = spec.expiration.map_or(today.year(), |d| d.year()) - 3;
        props.push(contract_property::ActiveModel {
            contract_id: Set(id),
            key: Set("Spec Number".into()),
            value: Set(Some(format!("{letter}-{:03}-{:02}", n % 997 + 1, year.rem_euclid(100)))),
            ..Stamp::created(None, now)
        });
        for item in &KINDS[spec.kind].items {
            let maker = (!item.makers.is_empty()).then(|| rng.pick(item.makers));
            items.push(line_item::ActiveModel {
                contract_id: Set(id),
                description: Set(item.description.to_owned()),
                manufacturer: Set(maker.map(str::to_owned)),
                model_number: Set(maker.map(|m| {
                    let initials: String = m.chars().filter(char::is_ascii_uppercase).take(2).collect();
                    format!("{initials}-{}", 1_000 + rng.below(9_000))
                })),
                unit_of_measure: Set((!item.unit.is_empty()).then(|| item.unit.to_owned())),
                unit_cost: Set(Some(rng.price(item.price))),
                percentage: Set(item.percent),
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
    // The index reads the rows just written, before autovacuum has seen any of them.
    platform::db::analyze(&txn, &["companies", "contract_companies", "contracts", "line_items", "contract_properties"])
        .await?;
    let made: Vec<i32> = (0..specs.len()).filter_map(id_of).collect();
    crate::search::reindex_all(&txn, &made).await?;
    let (staff, follows) = followers(&txn, &specs, &id_of, &departments, today).await?;
    txn.commit().await?;
    Ok(Made {
        contracts: u64::try_from(contract_ids.len())?,
        companies: u64::try_from(ids.len())?,
        line_items: u64::try_from(items.len())?,
        staff,
        follows,
    })
}

/// The demo's staff (made if missing), each following up to [`FOLLOWS_EACH`] running contracts
/// of their department, spread over the list. Returns (staff, follows made).
async fn followers(
    txn: &DatabaseTransaction,
    specs: &[Spec],
    id_of: &impl Fn(usize) -> Option<i32>,
    departments: &HashMap<String, i32>,
    today: NaiveDate,
) -> anyhow::Result<(u64, u64)> {
    let now = Utc::now();
    let (mut staff, mut follows) = (0, 0);
    for (email, first_name, last_name, department) in STAFF {
        let Some(department) = departments.get(department).copied() else { continue };
        let member = match user::Entity::find().filter(user::Column::Email.eq(email)).one(txn).await? {
            Some(u) => u,
            None => {
                let u =
                    accounts::users::create_user(txn, email, Some(department), &[accounts::Role::Staff], None).await?;
                let mut named: user::ActiveModel = u.into();
                named.first_name = Set(Some(first_name.to_owned()));
                named.last_name = Set(Some(last_name.to_owned()));
                named.stamp(None, now);
                named.update(txn).await?
            }
        };
        staff += 1;
        let theirs: Vec<i32> = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.department == Some(department) && s.expiration.is_none_or(|d| d >= today))
            .filter_map(|(n, _)| id_of(n))
            .collect();
        let step = (theirs.len() / FOLLOWS_EACH).max(1);
        // Staff of one department follow some of the same contracts, and some of their own.
        let offset = usize::try_from(member.id).unwrap_or(0) % step.max(2);
        for id in theirs.iter().skip(offset.min(theirs.len().saturating_sub(1))).step_by(step).take(FOLLOWS_EACH) {
            if contract_follower::Entity::find_by_id((*id, member.id)).one(txn).await?.is_some() {
                continue;
            }
            contract_follower::ActiveModel {
                contract_id: Set(*id),
                user_id: Set(member.id),
                ..Stamp::created(None, now)
            }
            .insert(txn)
            .await?;
            follows += 1;
        }
    }
    Ok((staff, follows))
}
