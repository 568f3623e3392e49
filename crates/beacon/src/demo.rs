//! Beacon's part of `procure demo`: a living Beacon for a new user — contract types that take
//! opportunities, a few categories (unless the NIGP list was imported), bid documents, open,
//! upcoming and closed opportunities, one draft awaiting approval, and confirmed vendors.
//! Made-up vendors use `example.com` addresses (reserved, never delivered), and no announcement
//! is queued for the demo's opportunities. Running it twice adds nothing the second time.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use model::Stamp;
use model::entities::{
    category, contract_type, department, opportunity, opportunity_category, opportunity_required_document,
    required_document, vendor, vendor_category,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// What the demo made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub opportunities: u64,
    pub vendors: u64,
}

const CATEGORIES: [(&str, &str); 6] = [
    ("Construction", "Paving and resurfacing"),
    ("Construction", "Concrete work"),
    ("Information technology", "Computer hardware"),
    ("Information technology", "Software"),
    ("Facilities", "Janitorial services"),
    ("Facilities", "Landscaping"),
];

const DOCUMENTS: [(&str, &str); 3] = [
    ("W-9", "The IRS form with your taxpayer identification number."),
    ("Bid bond", "Ten percent of the bid, as a bond or certified check."),
    ("Non-collusion affidavit", "Signed and notarized."),
];

/// (title, department, days from today to publish, to open, to close, state)
const OPPORTUNITIES: [(&str, &str, i64, i64, i64, &str); 8] = [
    ("Street resurfacing, spring season", "Department of Public Works", -10, -5, 21, "published"),
    ("Laptops for field inspectors", "Innovation and Performance", -3, -1, 14, "published"),
    ("Park mowing and trimming", "Department of Public Works", -20, -15, 3, "published"),
    ("Custodial services for city buildings", "Department of Finance", 0, 7, 35, "published"),
    ("Sidewalk repairs, East End", "Department of Public Works", 0, 10, 40, "published"),
    ("Traffic signal cabinets", "Department of Public Works", -60, -55, -20, "published"),
    ("Records management software", "Innovation and Performance", -90, -80, -45, "published"),
    ("Snow removal equipment rental", "Department of Public Works", 5, 10, 30, "draft"),
];

fn at_two_pm(config: &platform::Config, day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(14, 0, 0).unwrap_or_default();
    config.site.display_timezone.from_local_datetime(&local).earliest().map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// Loads the demo; `generated` more open opportunities are made up for a bigger data set
/// (`procure demo --scale N` asks for N / 20: 500 at the benchmarks' 10,000 contracts).
/// A made-up opportunity: public when it has a publication moment.
struct MadeUp {
    title: String,
    /// What the city seeks, for the description.
    about: String,
    department: i32,
    publish: NaiveDate,
    open: NaiveDate,
    close: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

impl MadeUp {
    /// Inserts it of contract type `kind` in `categories`; returns its id.
    async fn insert(
        self,
        txn: &sea_orm::DatabaseTransaction,
        kind: i32,
        categories: impl Iterator<Item = &i32>,
        now: DateTime<Utc>,
    ) -> Result<i32, sea_orm::DbErr> {
        let o = opportunity::ActiveModel {
            title: Set(self.title),
            description: Set(format!(
                "The city seeks bids for {}.\n\nThis is demonstration data: the opportunity is made up.",
                self.about
            )),
            department_id: Set(self.department),
            contract_type_id: Set(kind),
            contact_id: Set(None),
            planned_publish: Set(self.publish),
            planned_submission_start: Set(self.open),
            planned_submission_end: Set(self.close),
            is_public: Set(self.published_at.is_some()),
            is_archived: Set(false),
            published_at: Set(self.published_at),
            created_from_id: Set(None),
            ..Stamp::created(None, now)
        }
        .insert(txn)
        .await?;
        for c in categories {
            opportunity_category::ActiveModel { opportunity_id: Set(o.id), category_id: Set(*c) }.insert(txn).await?;
        }
        Ok(o.id)
    }
}

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
    let mut categories: Vec<i32> =
        category::Entity::find().all(&txn).await?.into_iter().map(|c| c.id).take(12).collect();
    if categories.is_empty() {
        for (parent, name) in CATEGORIES {
            let c = category::ActiveModel {
                nigp_codes: Set("0".into()),
                category: Set(Some(parent.into())),
                subcategory: Set(Some(name.into())),
                category_friendly_name: Set(Some(name.into())),
                ..Stamp::created(None, now)
            }
            .insert(&txn)
            .await?;
            categories.push(c.id);
        }
    }
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
    let mut made = Made::default();
    for (i, (title, dept, publish, open, close, state)) in OPPORTUNITIES.into_iter().enumerate() {
        let department = match department::Entity::find().filter(department::Column::Name.eq(dept)).one(&txn).await? {
            Some(d) => d.id,
            None => department::Entity::find().one(&txn).await?.map(|d| d.id).unwrap_or_default(),
        };
        let published = state == "published";
        let publish_day = today + Duration::days(publish);
        let made_up = MadeUp {
            title: title.into(),
            about: title.to_lowercase(),
            department,
            publish: publish_day,
            open: today + Duration::days(open),
            close: at_two_pm(config, today + Duration::days(close)),
            published_at: published.then(|| at_two_pm(config, publish_day).min(now)),
        };
        let o = made_up.insert(&txn, kind, categories.iter().skip(i % categories.len()).take(2), now).await?;
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
        let (item, _, _, _, _, _) = OPPORTUNITIES[i % OPPORTUNITIES.len()];
        let made_up = MadeUp {
            title: format!("{item} (lot {})", n + 1),
            about: format!("{}, lot {}", item.to_lowercase(), n + 1),
            department: departments.get(i % departments.len().max(1)).copied().unwrap_or_default(),
            publish: today - Duration::days(1),
            open: today,
            close: at_two_pm(config, today + Duration::days(7 + (n % 60) as i64)),
            published_at: Some(now),
        };
        made_up.insert(&txn, kind, categories.iter().skip(i % categories.len()).take(2), now).await?;
        made.opportunities += 1;
    }
    for i in 0..20 {
        let v = vendor::ActiveModel {
            business_name: Set(format!("Demo Supplier {i}")),
            email: Set(format!("demo-vendor-{i}@example.com")),
            first_name: Set(Some("Demo".into())),
            woman_owned: Set(i % 3 == 0),
            minority_owned: Set(i % 4 == 0),
            veteran_owned: Set(i % 5 == 0),
            disadvantaged_owned: Set(i % 6 == 0),
            newsletter: Set(true),
            confirmed_at: Set(Some(now)),
            unsubscribed_at: Set(None),
            ..Stamp::created(None, now)
        }
        .insert(&txn)
        .await?;
        let mine = categories[i % categories.len()];
        vendor_category::ActiveModel { vendor_id: Set(v.id), category_id: Set(mine) }.insert(&txn).await?;
        made.vendors += 1;
    }
    platform::freshness::bump(&txn, crate::lifecycle::DATA).await?;
    txn.commit().await?;
    Ok(made)
}
