//! What Beacon's tests share: the usual cast and a valid draft ([`setup`]), the vendor links and
//! mailing the app signs with, the queued emails as the mailing tests read them, and the
//! deployment of the delivery test and benchmark (a real worker sending to a real SMTP sink).

use accounts::{CurrentUser, Role};
use beacon::lifecycle::{self, Draft};
use chrono::{Duration, NaiveDate, Utc};
use model::entities::opportunity;
use sea_orm::TransactionTrait;

use super::builders::{BidDocument, Category, Opportunity, User, Vendor};
use super::{Backend, Deployment, TestApp};

pub struct Setup {
    pub staff: CurrentUser,
    pub other_staff: CurrentUser,
    pub county: CurrentUser,
    pub conductor: CurrentUser,
    /// "Street resurfacing 2027" in Paving (91300) with a W-9, by Public Works under B-BID
    /// (whose bidders deliver to room 502); published on `today`, bids open the next day and
    /// close in 30 days.
    pub draft: Draft,
}

/// Two staff members, a county user and a conductor, and a valid draft.
pub async fn setup(app: &TestApp, today: NaiveDate) -> Setup {
    use model::entities::contract_type;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let kind = super::builders::bid_type(app).await;
    let found = contract_type::Entity::find_by_id(kind).one(&app.state.db).await.expect("q").expect("B-BID");
    let mut instructions: contract_type::ActiveModel = found.into();
    instructions.opportunity_response_instructions = Set(Some("Deliver sealed bids to room 502.".into()));
    instructions.update(&app.state.db).await.expect("response instructions");
    let paving = Category::new("Paving").codes("91300").insert(app).await;
    let w9 = BidDocument::new("W-9").description("Taxpayer identification").insert(app).await;
    Setup {
        staff: User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await,
        other_staff: User::new("other@pittsburghpa.gov").roles(&[Role::Staff]).insert(app).await,
        county: User::new("county@example.org").roles(&[Role::County]).insert(app).await,
        conductor: User::new("conductor@pittsburghpa.gov").roles(&[Role::Conductor]).insert(app).await,
        draft: Opportunity::new("Street resurfacing 2027")
            .description("Milling and resurfacing of city streets.\n\nSee the specifications.")
            .categories(&[paving])
            .documents(&[w9])
            .today(today)
            .draft(app)
            .await,
    }
}

/// The vendor links the app signs with its secret.
pub fn links(app: &TestApp) -> beacon::links::VendorLinks {
    let secret = platform::secrets::app_secret(&app.state.config).expect("secret");
    beacon::links::VendorLinks::new(&secret, app.state.config.site.app_url.clone())
}

pub fn mailing<'a>(app: &'a TestApp, links: &'a beacon::links::VendorLinks) -> beacon::notify::Mailing<'a> {
    beacon::notify::Mailing { templates: &app.state.templates, config: &app.state.config, links }
}

/// Announces opportunity `id` as the job would; returns how many emails it queued.
pub async fn announce_for(app: &TestApp, links: &beacon::links::VendorLinks, id: i32) -> u64 {
    beacon::notify::announce(&app.state.db, &mailing(app, links), id).await.expect("announce")
}

/// The recipient of each queued email, oldest first; checks each has one recipient, no CC,
/// and (announcements) an unsubscribe link.
pub async fn queued_to(app: &TestApp) -> Vec<String> {
    let mut to = Vec::new();
    for queued in app.queued_emails().await {
        let email = serde_json::to_value(queued).expect("json");
        let list = email["to"].as_array().expect("to");
        assert_eq!(list.len(), 1, "one recipient per message: {email}");
        assert!(email["cc"].as_array().is_none_or(Vec::is_empty), "never a shared CC list");
        if email["subject"].as_str().is_some_and(|s| s.starts_with("New bid opportunity")) {
            assert!(email["unsubscribe"]["url"].as_str().is_some_and(|u| u.contains("/unsubscribe?sig=")), "{email}");
        }
        to.push(list[0].as_str().expect("address").to_owned());
    }
    to
}

/// How many queued emails go to `to`.
pub async fn emails_to(app: &TestApp, to: &str) -> usize {
    queued_to(app).await.iter().filter(|t| *t == to).count()
}

/// The path (from `path_part` on) of a link in the newest queued email to `to` that has one.
pub async fn link_in_email(app: &TestApp, to: &str, path_part: &str) -> String {
    let emails = app.queued_emails().await;
    emails
        .iter()
        .rev()
        .filter(|e| e.to.first().is_some_and(|t| t == to))
        .find_map(|e| super::mail::link_in(&e.text, path_part))
        .unwrap_or_else(|| panic!("no email to {to} with {path_part}"))
}

/// The deployment of the delivery tests: a database, and `procure worker` processes sending
/// through the real SMTP sink.
pub async fn mail_deployment(backend: Backend, sink: &super::smtp::SmtpSink) -> Option<Deployment> {
    let port = sink.port.to_string();
    let vars = [("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", port.as_str()), ("MAIL_USE_TLS", "false")];
    Deployment::new(backend, &vars).await
}

/// Three categories and `n` confirmed vendors: vendor i in category i mod 3, and every fourth
/// also in the next one; plus an unconfirmed and an unsubscribed vendor in all three, and a
/// confirmed vendor in an unrelated category. Returns the categories and the addresses that
/// should hear of an opportunity in the three.
pub async fn subscribed_vendors(d: &Deployment, n: usize) -> (Vec<i32>, Vec<String>) {
    let txn = d.db.begin().await.expect("begin");
    let mut categories = Vec::new();
    for (code, name) in [("91300", "Paving"), ("91400", "Bridges"), ("91500", "Lighting"), ("20500", "Software")] {
        categories.push(Category::new(name).codes(code).insert_in(&txn).await);
    }
    let vendor = |email: &str| Vendor::new(email).business(&format!("Business of {email}"));
    let mut expected = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("vendor{i:05}@example.com");
        let mut mine = vec![categories[i % 3]];
        if i % 4 == 0 {
            mine.push(categories[(i + 1) % 3]);
        }
        vendor(&email).categories(&mine).confirmed().insert_in(&txn).await;
        expected.push(email);
    }
    vendor("unconfirmed@example.com").categories(&categories[..3]).insert_in(&txn).await;
    vendor("unsubscribed@example.com").categories(&categories[..3]).confirmed().unsubscribed().insert_in(&txn).await;
    vendor("software@example.com").categories(&categories[3..]).confirmed().insert_in(&txn).await;
    txn.commit().await.expect("commit");
    categories.truncate(3);
    (categories, expected)
}

/// A staff draft in `categories`, approved by a conductor: published at once, which queues
/// its announcement.
pub async fn publish_in(d: &Deployment, categories: Vec<i32>) -> opportunity::Model {
    let works = "Department of Public Works";
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).department(works).insert(d).await;
    let conductor = User::new("conductor@pittsburghpa.gov").roles(&[Role::Conductor]).department(works).insert(d).await;
    let today = Utc::now().with_timezone(&super::builders::Db::timezone(d)).date_naive();
    let o = Opportunity::new("Bridge lighting and paving")
        .description("Repaving and new lights on three bridges.")
        .categories(&categories)
        .today(today)
        .opens_on(today)
        .closes_at(Utc::now() + Duration::days(30))
        .create(d, &staff)
        .await;
    let o = lifecycle::approve(&d.db, Some(&conductor), o.id, Utc::now(), today).await.expect("approve");
    assert!(o.published_at.is_some(), "approval published it");
    o
}

/// Who each message the sink accepted went to, and its Message-ID.
pub fn accepted(dir: &std::path::Path) -> Vec<(String, String)> {
    super::smtp::eml_files(dir)
        .iter()
        .map(|eml| {
            let envelope: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(eml.with_extension("json")).expect("envelope"))
                    .expect("json");
            let to = envelope["rcpt_tos"].as_array().expect("recipients");
            assert_eq!(to.len(), 1, "one recipient per message, never a shared list");
            let raw = std::fs::read_to_string(eml).expect("message");
            let id = raw
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or_else(|| panic!("no Message-ID in {raw}"))
                .to_owned();
            (to[0].as_str().expect("address").to_owned(), id)
        })
        .collect()
}
