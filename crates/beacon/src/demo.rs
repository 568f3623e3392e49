//! Beacon's part of `procure demo`: a living Beacon for a new user — contract types that take
//! opportunities, the categories they are listed in, bid documents, open, upcoming and closed
//! opportunities with real descriptions, one draft awaiting approval, the city buyer who posted
//! them, and confirmed vendors whose categories match what they sell. Made-up people use
//! `example.com` and `example.gov` addresses (reserved, never delivered), and no announcement is
//! queued for the demo's opportunities. Running it twice adds nothing the second time.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use model::Stamp;
use model::entities::{
    category, contract_type, department, opportunity, opportunity_category, opportunity_required_document,
    required_document, user, vendor, vendor_category,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

/// What the demo made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub opportunities: u64,
    pub vendors: u64,
}

/// (parent category, category): found by both names, or made.
const CATEGORIES: [(&str, &str); 8] = [
    ("Construction", "Paving and resurfacing"),
    ("Construction", "Concrete and sidewalks"),
    ("Information technology", "Computer hardware"),
    ("Information technology", "Software"),
    ("Facilities", "Janitorial services"),
    ("Facilities", "Landscaping and grounds"),
    ("Public works equipment", "Traffic signals and electrical"),
    ("Public works equipment", "Snow and ice equipment"),
];

const DOCUMENTS: [(&str, &str); 3] = [
    ("W-9", "The IRS form with your taxpayer identification number."),
    ("Bid bond", "Ten percent of the bid, as a bond or certified check."),
    ("Non-collusion affidavit", "Signed and notarized."),
];

/// One of the demo's opportunities.
struct Seed {
    title: &'static str,
    department: &'static str,
    /// Indexes into [`CATEGORIES`].
    categories: &'static [usize],
    /// Days from today to publish, to open, to close.
    publish: i64,
    open: i64,
    close: i64,
    published: bool,
    description: &'static str,
}

const OPPORTUNITIES: [Seed; 8] = [
    Seed {
        title: "Street resurfacing, spring season",
        department: "Department of Public Works",
        categories: &[0],
        publish: -10,
        open: -5,
        close: 21,
        published: true,
        description: "Milling and resurfacing of about 42 lane-miles of city streets between April and October, \
            including traffic control, ADA curb ramps where streets are resurfaced, and line striping.\n\n\
            The list of streets, in priority order, and the specification are in the bid documents. Work on each \
            street must be finished within ten working days of its start.",
    },
    Seed {
        title: "Laptops for field inspectors",
        department: "Innovation and Performance",
        categories: &[2],
        publish: -3,
        open: -1,
        close: 14,
        published: true,
        description: "120 rugged laptops (14-inch, 16 GB memory, LTE) with docking stations and a four-year \
            on-site warranty, for building and fire inspectors.\n\nBidders must be authorized resellers of \
            the manufacturer they bid. Delivery within 45 days of the purchase order.",
    },
    Seed {
        title: "Park mowing and trimming",
        department: "Department of Public Works",
        categories: &[5],
        publish: -20,
        open: -15,
        close: 3,
        published: true,
        description: "Mowing, trimming and litter pickup at 38 parks and parklets on a ten-day cycle from May \
            to October.\n\nThe city is divided into four areas; bidders may bid on one area or more.",
    },
    Seed {
        title: "Custodial services for city buildings",
        department: "Department of Finance",
        categories: &[4],
        publish: 0,
        open: 7,
        close: 35,
        published: true,
        description: "Nightly cleaning of the City-County Building and four other city offices, about 310,000 \
            square feet in all, with green-certified products.\n\nA pre-bid walkthrough is held on the \
            day bids open at 10:00 AM, in the lobby of the City-County Building.",
    },
    Seed {
        title: "Sidewalk repairs, East End",
        department: "Department of Public Works",
        categories: &[1, 0],
        publish: 0,
        open: 10,
        close: 40,
        published: true,
        description: "Replacing damaged sidewalk and curb in the East End neighborhoods, about 18,000 square \
            feet of sidewalk and 2,400 feet of curb, with new ADA-compliant ramps at 60 corners.",
    },
    Seed {
        title: "Traffic signal cabinets",
        department: "Department of Public Works",
        categories: &[6],
        publish: -60,
        open: -55,
        close: -20,
        published: true,
        description: "Supply of 40 NEMA TS-2 traffic signal controller cabinets, assembled and tested, with \
            battery backup.",
    },
    Seed {
        title: "Records management software",
        department: "Innovation and Performance",
        categories: &[3],
        publish: -90,
        open: -80,
        close: -45,
        published: true,
        description: "A hosted records management system for the City Clerk's office: retention schedules, \
            legal holds and public record requests, with migration of 1.2 million existing records.",
    },
    Seed {
        title: "Snow removal equipment rental",
        department: "Department of Public Works",
        categories: &[7],
        publish: 5,
        open: 10,
        close: 30,
        published: false,
        description: "Rental of 12 plow trucks with spreaders, with operators, on call from December to \
            March, for the city's snow emergency plan.",
    },
];

/// Made-up vendors: (business, first name, last name, phone, indexes into [`CATEGORIES`]).
const VENDORS: [(&str, &str, &str, &str, &[usize]); 12] = [
    ("Keystone Paving Co.", "Dana", "Kowalski", "4125550101", &[0, 1]),
    ("Three Rivers Concrete", "Luis", "Ortega", "4125550102", &[1]),
    ("Allegheny Computer Supply", "Priya", "Shah", "4125550103", &[2]),
    ("Steel City Software", "Marcus", "Bell", "4125550104", &[3]),
    ("Golden Triangle Cleaning", "Angela", "Russo", "4125550105", &[4]),
    ("Greenway Grounds Care", "Tom", "Nguyen", "4125550106", &[5]),
    ("Monongahela Signal & Electric", "Karen", "Walsh", "4125550107", &[6]),
    ("Ohio Valley Equipment Rental", "Jim", "Baker", "4125550108", &[7]),
    ("Bluff Street Builders", "Renee", "Jackson", "4125550109", &[0, 1]),
    ("North Shore Tech", "Sam", "Lee", "4125550110", &[2, 3]),
    ("Hilltop Janitorial", "Maria", "Santos", "4125550111", &[4]),
    ("Point Landscaping", "Greg", "Miller", "4125550112", &[5]),
];

/// The city buyer who posted the demo's opportunities and answers vendors' questions.
const BUYER: (&str, &str, &str) = ("morgan.lee@example.gov", "Morgan", "Lee");

fn at_two_pm(config: &platform::Config, day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(14, 0, 0).unwrap_or_default();
    config.site.display_timezone.from_local_datetime(&local).earliest().map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// A made-up opportunity: public when it has a publication moment.
struct MadeUp {
    title: String,
    description: String,
    department: i32,
    publish: NaiveDate,
    open: NaiveDate,
    close: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

impl MadeUp {
    /// Inserts it of contract type `kind` in `categories`, posted by `buyer`; returns its id.
    async fn insert(
        self,
        txn: &sea_orm::DatabaseTransaction,
        kind: i32,
        categories: &[i32],
        buyer: i32,
        now: DateTime<Utc>,
    ) -> Result<i32, sea_orm::DbErr> {
        let o = opportunity::ActiveModel {
            title: Set(self.title),
            description: Set(format!(
                "{}\n\nThis is demonstration data: the opportunity is made up.",
                self.description
            )),
            department_id: Set(self.department),
            contract_type_id: Set(kind),
            contact_id: Set(Some(buyer)),
            planned_publish: Set(self.publish),
            planned_submission_start: Set(self.open),
            planned_submission_end: Set(self.close),
            is_public: Set(self.published_at.is_some()),
            is_archived: Set(false),
            published_at: Set(self.published_at),
            created_from_id: Set(None),
            ..Stamp::created(Some(buyer), now)
        }
        .insert(txn)
        .await?;
        for c in categories {
            opportunity_category::ActiveModel { opportunity_id: Set(o.id), category_id: Set(*c) }.insert(txn).await?;
        }
        Ok(o.id)
    }
}

/// The demo's categories (found by their names, or made), in [`CATEGORIES`]' order.
async fn categories(txn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<i32>, sea_orm::DbErr> {
    let mut ids = Vec::new();
    for (parent, name) in CATEGORIES {
        let found = category::Entity::find()
            .filter(category::Column::Category.eq(parent))
            .filter(category::Column::Subcategory.eq(name))
            .one(txn)
            .await?;
        let c = match found {
            Some(c) => c,
            None => {
                category::ActiveModel {
                    nigp_codes: Set("0".into()),
                    category: Set(Some(parent.into())),
                    subcategory: Set(Some(name.into())),
                    category_friendly_name: Set(Some(name.into())),
                    ..Stamp::created(None, now)
                }
                .insert(txn)
                .await?
            }
        };
        ids.push(c.id);
    }
    Ok(ids)
}

/// The demo's buyer, a staff user of the Office of Management and Budget.
async fn buyer(txn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<i32, sea_orm::DbErr> {
    let (email, first, last) = BUYER;
    if let Some(found) = user::Entity::find().filter(user::Column::Email.eq(email)).one(txn).await? {
        return Ok(found.id);
    }
    let office = accounts::users::department_id(txn, "Office of Management and Budget").await?;
    let created = accounts::users::create_user(txn, email, office, &[accounts::Role::Staff], None).await?;
    let mut named: user::ActiveModel = created.into();
    named.first_name = Set(Some(first.into()));
    named.last_name = Set(Some(last.into()));
    named.stamp(None, now);
    Ok(named.update(txn).await?.id)
}

/// Loads the demo; `generated` more open opportunities are made up for a bigger data set
/// (`procure demo --scale N` asks for N / 20: 500 at the benchmarks' 10,000 contracts).
pub async fn load(
    db: &DatabaseConnection,
    config: &platform::Config,
    today: NaiveDate,
    generated: u64,
) -> anyhow::Result<Made> {
    let demo_marker = "Street resurfacing, spring season";
    if opportunity::Entity::find().filter(opportunity::Column::Title.eq(demo_marker)).count(db).await? > 0 {
        return Ok(Made::default());
    }
    let now = Utc::now();
    let txn = platform::db::begin_write(db).await?;
    let mut bid_types = Vec::new();
    for name in ["B-BID", "A-BID"] {
        if let Some(t) = contract_type::Entity::find().filter(contract_type::Column::Name.eq(name)).one(&txn).await? {
            let mut t: contract_type::ActiveModel = t.into();
            t.allow_opportunities = Set(true);
            if matches!(t.opportunity_response_instructions, sea_orm::ActiveValue::Unchanged(None)) {
                t.opportunity_response_instructions =
                    Set(Some("Deliver your sealed bid to the Office of Management and Budget by the deadline.".into()));
            }
            bid_types.push(t.update(&txn).await?.id);
        }
    }
    let kind = *bid_types.first().ok_or_else(|| anyhow::anyhow!("the seeded contract types are missing"))?;
    let categories = categories(&txn, now).await?;
    let buyer = buyer(&txn, now).await?;
    let mut documents = Vec::new();
    for (name, about) in DOCUMENTS {
        let found =
            required_document::Entity::find().filter(required_document::Column::DisplayName.eq(name)).one(&txn).await?;
        let d = match found {
            Some(d) => d,
            None => {
                required_document::ActiveModel {
                    display_name: Set(name.into()),
                    description: Set(Some(about.into())),
                    ..Stamp::created(None, now)
                }
                .insert(&txn)
                .await?
            }
        };
        documents.push(d.id);
    }
    let department_of = async |name: &str| -> Result<i32, sea_orm::DbErr> {
        Ok(match department::Entity::find().filter(department::Column::Name.eq(name)).one(&txn).await? {
            Some(d) => d.id,
            None => department::Entity::find().one(&txn).await?.map(|d| d.id).unwrap_or_default(),
        })
    };
    let mut made = Made::default();
    for (i, seed) in OPPORTUNITIES.iter().enumerate() {
        let publish_day = today + Duration::days(seed.publish);
        let made_up = MadeUp {
            title: seed.title.into(),
            description: seed.description.into(),
            department: department_of(seed.department).await?,
            publish: publish_day,
            open: today + Duration::days(seed.open),
            close: at_two_pm(config, today + Duration::days(seed.close)),
            published_at: seed.published.then(|| at_two_pm(config, publish_day).min(now)),
        };
        let ids: Vec<i32> = seed.categories.iter().filter_map(|c| categories.get(*c).copied()).collect();
        let o = made_up.insert(&txn, kind, &ids, buyer, now).await?;
        for d in documents.iter().take(1 + i % documents.len()) {
            opportunity_required_document::ActiveModel { opportunity_id: Set(o), required_document_id: Set(*d) }
                .insert(&txn)
                .await?;
        }
        made.opportunities += 1;
    }
    let departments: Vec<i32> = department::Entity::find().all(&txn).await?.into_iter().map(|d| d.id).collect();
    for n in 0..generated {
        let i = usize::try_from(n).unwrap_or_default();
        let seed = &OPPORTUNITIES[i % OPPORTUNITIES.len()];
        let made_up = MadeUp {
            title: format!("{} (lot {})", seed.title, n + 1),
            description: seed.description.into(),
            department: departments.get(i % departments.len().max(1)).copied().unwrap_or_default(),
            publish: today - Duration::days(1),
            open: today,
            close: at_two_pm(config, today + Duration::days(7 + (n % 60) as i64)),
            published_at: Some(now),
        };
        let ids: Vec<i32> = seed.categories.iter().filter_map(|c| categories.get(*c).copied()).collect();
        made_up.insert(&txn, kind, &ids, buyer, now).await?;
        made.opportunities += 1;
    }
    for (i, (business, first, last, phone, chosen)) in VENDORS.iter().enumerate() {
        let slug: String = business.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
        let v = vendor::ActiveModel {
            business_name: Set((*business).into()),
            email: Set(format!("{slug}@example.com")),
            first_name: Set(Some((*first).into())),
            last_name: Set(Some((*last).into())),
            phone_number: Set(Some((*phone).into())),
            woman_owned: Set(i % 3 == 0),
            minority_owned: Set(i % 4 == 0),
            veteran_owned: Set(i % 5 == 0),
            disadvantaged_owned: Set(i % 6 == 0),
            newsletter: Set(i % 2 == 0),
            confirmed_at: Set(Some(now)),
            unsubscribed_at: Set(None),
            ..Stamp::created(None, now)
        }
        .insert(&txn)
        .await?;
        for c in chosen.iter().filter_map(|c| categories.get(*c)) {
            vendor_category::ActiveModel { vendor_id: Set(v.id), category_id: Set(*c) }.insert(&txn).await?;
        }
        made.vendors += 1;
    }
    platform::freshness::bump(&txn, crate::lifecycle::DATA).await?;
    txn.commit().await?;
    Ok(made)
}
