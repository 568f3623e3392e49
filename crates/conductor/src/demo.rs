//! Conductor's part of `procure demo --scale N`: the bid types Conductor manages, with spec
//! numbers on their contracts; stages with target days and two flows a purchasing office
//! really runs (a competitive bid, and a cooperative-purchasing renewal); a buyer with the
//! conductor role; and `N / 5` renewals in progress (2,000 at the benchmarks' 10,000
//! contracts), the soonest-expiring first, spread over the stages. Made-up people use
//! `example.gov` addresses. Running it twice adds nothing the second time.

use accounts::Role;
use chrono::{DateTime, Duration, Utc};
use model::Stamp;
use model::entities::{contract, contract_property, contract_type, flow, flow_stage, stage, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::metadata::SPEC_NUMBER;

/// The types Conductor manages in the demo.
const MANAGED: [&str; 3] = ["County", "A-BID", "B-BID"];

/// (name, target days, may post to Beacon, default update message).
type StageSeed = (&'static str, i32, bool, &'static str);

const BID_FLOW: (&str, [StageSeed; 6]) = (
    "Competitive bid",
    [
        (
            "Confirm the need with the department",
            7,
            false,
            "We are starting the renewal of this contract. Please confirm that your department still needs it, and tell us of any changes to the scope.",
        ),
        (
            "Write the specifications",
            21,
            false,
            "The specifications for this bid are being drafted. Please send any requirements we should include.",
        ),
        ("Advertise the bid", 30, true, "The bid has been advertised. Vendors may submit bids until the closing date."),
        ("Evaluate the bids", 14, false, "Bids are closed and under evaluation."),
        ("Award and sign", 14, false, "The contract has been awarded and is being signed."),
        ("Notify the department", 3, false, "The new contract is in place. Its details are on Scout."),
    ],
);

const COOPERATIVE_FLOW: (&str, [StageSeed; 4]) = (
    "Cooperative purchasing renewal",
    [
        (
            "Confirm the need with the department",
            7,
            false,
            "We are starting the renewal of this contract. Please confirm that your department still needs it, and tell us of any changes to the scope.",
        ),
        ("Request the vendor's renewal quote", 14, false, "We have asked the vendor for its renewal pricing."),
        ("Legal review", 10, false, "The renewal is with the Law Department for review."),
        ("Sign the renewal", 7, false, "The renewal has been signed. Its details are on Scout."),
    ],
);

/// How many contracts the demo handles between refreshing PostgreSQL's statistics.
const ANALYZE_EVERY: usize = 2_000;

/// The demo's conductor.
const CONDUCTOR: (&str, &str, &str) = ("jordan.rivera@example.gov", "Jordan", "Rivera");

/// What the demo made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub flows: u64,
    pub items: u64,
}

/// Loads the demo with up to `items` renewals in progress.
pub async fn load(db: &DatabaseConnection, config: &platform::Config, items: u64) -> anyhow::Result<Made> {
    if flow::Entity::find().filter(flow::Column::Name.eq(BID_FLOW.0)).count(db).await? > 0 {
        return Ok(Made::default());
    }
    let now = Utc::now();
    let txn = platform::db::begin_write(db).await?;
    let mut managed = Vec::new();
    for name in MANAGED {
        if let Some(t) = contract_type::Entity::find().filter(contract_type::Column::Name.eq(name)).one(&txn).await? {
            managed.push(t.id);
            let mut t: contract_type::ActiveModel = t.into();
            t.managed_by_conductor = Set(true);
            t.stamp(None, now);
            t.update(&txn).await?;
        }
    }
    let bid = make_flow(&txn, BID_FLOW.0, &BID_FLOW.1, now).await?;
    make_flow(&txn, COOPERATIVE_FLOW.0, &COOPERATIVE_FLOW.1, now).await?;
    let conductor = conductor(&txn, now).await?;
    // The demo's conductor starts the work and does it: no assignment email is rendered (nobody
    // is told of their own action), but the services take a mailing, made from the templates
    // Conductor's emails use.
    let templates = platform::templates::Templates::new(
        vec![platform::templates::platform_templates(), platform::template_source!()],
        &platform::assets::Assets::load(),
        platform::templates::LinkPolicy { site_host: config.site.host().to_owned(), warn: false },
        Vec::new(),
    );
    let mail = crate::emails::Mailing { templates: &templates, config };
    let me = accounts::users::current_user(&txn, conductor)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo's conductor cannot be read back"))?;

    // Spec numbers on the managed contracts, soonest expiry first; the first `items` renewed.
    let contracts = contract::Entity::find()
        .filter(contract::Column::ContractTypeId.is_in(managed))
        .filter(contract::Column::IsVisible.eq(true))
        .filter(contract::Column::IsArchived.eq(false))
        .order_by_asc(contract::Column::ExpirationDate)
        .order_by_asc(contract::Column::Id)
        .select_only()
        .column(contract::Column::Id)
        .column(contract::Column::Description)
        .column(contract::Column::DepartmentId)
        .into_tuple::<(i32, Option<String>, Option<i32>)>()
        .all(&txn)
        .await?;
    let mut made = Made { flows: 2, items: 0 };
    for (n, (id, description, department)) in contracts.into_iter().enumerate() {
        if n % ANALYZE_EVERY == 0 {
            // The tables grow within this one transaction, before autovacuum sees a row.
            platform::db::analyze(
                &txn,
                &["work_items", "work_item_stages", "work_item_activity", "contract_properties"],
            )
            .await?;
        }
        contract_property::ActiveModel {
            contract_id: Set(id),
            key: Set(SPEC_NUMBER.to_owned()),
            value: Set(Some(format!("{}-{:04}", 24 + n % 3, 1000 + n))),
            ..Stamp::created(None, now)
        }
        .insert(&txn)
        .await?;
        if made.items >= items {
            continue;
        }
        // Spread over the bid flow's stages, started between 1 and 90 days ago.
        let n64 = i64::try_from(n).unwrap_or(0);
        let started = now - Duration::days(1 + n64 % 90) - Duration::hours(n64 % 24);
        let form = crate::start::Start {
            description: format!("Renewal: {}", description.unwrap_or_else(|| format!("contract {id}"))),
            flow_id: Some(bid),
            assignee_id: Some(conductor),
            department_id: department,
            at: Some(started),
        };
        let work = crate::start::renewal(&txn, &mail, Some(&me), id, &form, now).await?;
        let stages_done = n % BID_FLOW.1.len();
        let step = (now - started) / i32::try_from(BID_FLOW.1.len() + 1).unwrap_or(1);
        for k in 1..=stages_done {
            let at = started + step * i32::try_from(k).unwrap_or(1);
            crate::transitions::complete(&txn, Some(&me), work.id, at, now).await?;
        }
        made.items += 1;
    }
    txn.commit().await?;
    Ok(made)
}

async fn make_flow(
    txn: &impl ConnectionTrait,
    name: &str,
    stages: &[StageSeed],
    now: DateTime<Utc>,
) -> Result<i32, sea_orm::DbErr> {
    let made = flow::ActiveModel { name: Set(name.to_owned()), is_archived: Set(false), ..Stamp::created(None, now) }
        .insert(txn)
        .await?;
    for (position, (stage_name, target, posts, message)) in stages.iter().enumerate() {
        let existing = stage::Entity::find().filter(stage::Column::Name.eq(*stage_name)).one(txn).await?;
        let stage_id = match existing {
            Some(s) => s.id,
            None => {
                stage::ActiveModel {
                    name: Set((*stage_name).to_owned()),
                    post_opportunities: Set(*posts),
                    default_message: Set(Some((*message).to_owned())),
                    target_days: Set(Some(*target)),
                    ..Stamp::created(None, now)
                }
                .insert(txn)
                .await?
                .id
            }
        };
        flow_stage::ActiveModel {
            flow_id: Set(made.id),
            stage_id: Set(stage_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        }
        .insert(txn)
        .await?;
    }
    Ok(made.id)
}

async fn conductor(txn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<i32, sea_orm::DbErr> {
    let (email, first, last) = CONDUCTOR;
    if let Some(found) = user::Entity::find().filter(user::Column::Email.eq(email)).one(txn).await? {
        return Ok(found.id);
    }
    let office = accounts::users::department_id(txn, "Office of Management and Budget").await?;
    let created = accounts::users::create_user(txn, email, office, &[Role::Conductor], None).await?;
    let mut named: user::ActiveModel = created.into();
    named.first_name = Set(Some(first.into()));
    named.last_name = Set(Some(last.into()));
    named.stamp(None, now);
    Ok(named.update(txn).await?.id)
}
