//! Vendor sign-up with double opt-in: a new vendor is stored unconfirmed and sent a link; only
//! once it is used (a POST, so mail scanners opening links do not confirm) does the vendor hear
//! anything, starting with the welcome email, and the admins are told of the new vendor.
//!
//! Signing up with an address that already has a vendor changes nothing (that would let anyone
//! change anyone's subscriptions by typing their address, the original's bug): the address is
//! sent its way in instead, at most once a day (its confirmation link if it never confirmed, a
//! link to receive Beacon's emails again if it unsubscribed, its manage link otherwise; see
//! [`way_in`]). "Email me a link to manage my subscription" ([`manage_link`]) sends the same.
//! The page says the same either way, and for addresses that are no vendor's.
//!
//! Anyone can type any address, so every request that would mail one (sign-up, signing up
//! again, following) passes [`MAIL_LIMIT`] first, per address and per client: over it, nothing
//! is stored or sent and the page is the same as when mail went out.

use accounts::throttle::{self, Limit};
use chrono::{DateTime, Duration, Utc};
use model::Stamp;
use model::StampUpdate;
use model::entities::{category, vendor, vendor_category, vendor_opportunity};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::emails::{Confirm, FollowLink, ManageLink, NewVendor, Resubscribe, VendorFooter, Welcome};
use crate::notify::Mailing;

/// Mail to an address typed by anyone: 5 a day per address (a sign-up, a repeat, a few
/// follows), 30 an hour per client (a library or an office signs up several vendors).
pub const MAIL_LIMIT: Limit = Limit {
    action: "beacon.vendor_mail",
    per_email: 5,
    email_window: Duration::days(1),
    per_client: 30,
    client_window: Duration::hours(1),
};

/// The sign-up form, as submitted.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    pub business_name: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    pub fax_number: String,
    pub woman_owned: bool,
    pub minority_owned: bool,
    pub veteran_owned: bool,
    pub disadvantaged_owned: bool,
    pub newsletter: bool,
    pub categories: Vec<i32>,
}

/// A phone or fax number that is not ten digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a ten-digit number")]
pub struct NotTenDigits;

/// Ten digits, from a number typed with any punctuation; `Err` if it is not one.
pub fn ten_digits(raw: &str) -> Result<Option<String>, NotTenDigits> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let other = raw.chars().any(|c| !(c.is_ascii_digit() || " ()-.+".contains(c)));
    match digits.len() {
        _ if other => Err(NotTenDigits),
        0 => Ok(None),
        10 => Ok(Some(digits)),
        // A leading country code 1.
        11 if digits.starts_with('1') => Ok(Some(digits[1..].to_owned())),
        _ => Err(NotTenDigits),
    }
}

/// What is wrong with the form, per field.
pub async fn problems(db: &impl ConnectionTrait, form: &SignUp) -> Result<Vec<(&'static str, String)>, sea_orm::DbErr> {
    let mut out = Vec::new();
    if form.business_name.trim().is_empty() {
        out.push(("business_name", "Enter your business's name.".into()));
    }
    if let Err(message) = platform::mail::address(&form.email) {
        out.push(("email", message.to_string()));
    }
    if ten_digits(&form.phone_number).is_err() {
        out.push(("phone_number", "Enter a phone number of 10 digits, like 412-555-0100.".into()));
    }
    if ten_digits(&form.fax_number).is_err() {
        out.push(("fax_number", "Enter a fax number of 10 digits, like 412-555-0101.".into()));
    }
    if form.categories.is_empty() {
        out.push(("categories", "Choose at least one category to hear about.".into()));
    } else {
        let found =
            category::Entity::find().filter(category::Column::Id.is_in(form.categories.clone())).all(db).await?;
        let mut wanted = form.categories.clone();
        wanted.sort_unstable();
        wanted.dedup();
        if found.len() != wanted.len() {
            out.push(("categories", "One of the chosen categories no longer exists; choose again.".into()));
        }
    }
    Ok(out)
}

fn opt(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Signs up a vendor (the form must have no [`problems`]) asked for by `client`. Returns the
/// vendor's id, or None when over [`MAIL_LIMIT`] (nothing done).
pub async fn sign_up(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    form: &SignUp,
    client: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i32>> {
    let email = platform::mail::address(&form.email).map_err(|m| anyhow::anyhow!(m))?;
    if !throttle::allow(db, &MAIL_LIMIT, &email, client).await? {
        return Ok(None);
    }
    if let Some(existing) = vendor::Entity::find().filter(vendor::Column::Email.eq(email.as_str())).one(db).await? {
        way_in(db, mail, &existing, now).await?;
        return Ok(Some(existing.id));
    }
    let v = vendor::ActiveModel {
        business_name: Set(form.business_name.trim().to_owned()),
        email: Set(email.clone()),
        first_name: Set(opt(&form.first_name)),
        last_name: Set(opt(&form.last_name)),
        phone_number: Set(ten_digits(&form.phone_number).ok().flatten()),
        fax_number: Set(ten_digits(&form.fax_number).ok().flatten()),
        woman_owned: Set(form.woman_owned),
        minority_owned: Set(form.minority_owned),
        veteran_owned: Set(form.veteran_owned),
        disadvantaged_owned: Set(form.disadvantaged_owned),
        newsletter: Set(form.newsletter),
        confirmed_at: Set(None),
        unsubscribed_at: Set(None),
        ..Stamp::created(None, now)
    }
    .insert(db)
    .await?;
    let mut categories = form.categories.clone();
    categories.sort_unstable();
    categories.dedup();
    for category_id in categories {
        vendor_category::ActiveModel { vendor_id: Set(v.id), category_id: Set(category_id) }.insert(db).await?;
    }
    let message = Confirm { business: v.business_name.clone(), link: mail.links.confirm(v.id).into() };
    mail.once(db, &format!("beacon.confirm:{}", v.id), &message, &email, now).await?;
    Ok(Some(v.id))
}

/// Mails an existing vendor its way in, at most once a day: the confirmation link if it never
/// confirmed, the link to receive Beacon's emails again if it unsubscribed, its manage link
/// otherwise. Changes nothing else.
async fn way_in(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    existing: &vendor::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let today = now.with_timezone(&mail.config.site.display_timezone).date_naive();
    let key = format!("beacon.way_in:{today}");
    let business = existing.business_name.clone();
    let to = existing.email.as_str();
    if existing.confirmed_at.is_none() {
        let message = Confirm { business, link: mail.links.confirm(existing.id).into() };
        mail.once(db, &key, &message, to, now).await?;
    } else if existing.unsubscribed_at.is_some() {
        let message = Resubscribe { business, link: mail.links.manage(existing.id).into() };
        mail.once(db, &key, &message, to, now).await?;
    } else {
        let message = ManageLink { business, link: mail.links.manage(existing.id).into() };
        mail.once(db, &key, &message, to, now).await?;
    }
    Ok(())
}

/// "Email me a link to manage my subscription", asked for by `client`: a vendor's address gets
/// its way in ([`way_in`]); any other address gets nothing. `Err` is a form error about the
/// address itself. Over [`MAIL_LIMIT`] nothing is sent; the caller's page is the same in every
/// case, so it tells nobody which addresses are vendors'.
pub async fn manage_link(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    email: &str,
    client: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(), String>> {
    let email = match platform::mail::address(email) {
        Ok(e) => e,
        Err(m) => return Ok(Err(m.to_string())),
    };
    if !throttle::allow(db, &MAIL_LIMIT, &email, client).await? {
        return Ok(Ok(()));
    }
    if let Some(existing) = vendor::Entity::find().filter(vendor::Column::Email.eq(email.as_str())).one(db).await? {
        way_in(db, mail, &existing, now).await?;
    }
    Ok(Ok(()))
}

/// What a vendor chose on its manage page (reached by its signed link, so it is the mailbox's
/// owner choosing).
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    pub categories: Vec<i32>,
    pub opportunities: Vec<i32>,
    pub newsletter: bool,
}

/// Sets vendor `id`'s subscriptions to exactly `chosen` (categories that no longer exist are
/// ignored; opportunities can only be kept, not added here) and, if it had unsubscribed,
/// subscribes it again: saving the manage page is asking for Beacon's emails.
pub async fn save_subscriptions(
    db: &impl ConnectionTrait,
    id: i32,
    chosen: &Subscriptions,
    now: DateTime<Utc>,
) -> Result<vendor::Model, sea_orm::DbErr> {
    let mut categories: Vec<i32> = category::Entity::find()
        .filter(category::Column::Id.is_in(chosen.categories.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    categories.sort_unstable();
    vendor_category::Entity::delete_many()
        .filter(vendor_category::Column::VendorId.eq(id))
        .filter(vendor_category::Column::CategoryId.is_not_in(categories.clone()))
        .exec(db)
        .await?;
    let have: Vec<i32> = vendor_category::Entity::find()
        .filter(vendor_category::Column::VendorId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|vc| vc.category_id)
        .collect();
    for category_id in categories.into_iter().filter(|c| !have.contains(c)) {
        vendor_category::ActiveModel { vendor_id: Set(id), category_id: Set(category_id) }.insert(db).await?;
    }
    vendor_opportunity::Entity::delete_many()
        .filter(vendor_opportunity::Column::VendorId.eq(id))
        .filter(vendor_opportunity::Column::OpportunityId.is_not_in(chosen.opportunities.clone()))
        .exec(db)
        .await?;
    let v =
        vendor::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotFound(format!("vendor {id}")))?;
    if v.unsubscribed_at.is_some() {
        tracing::info!(vendor = id, "vendor subscribed again");
    }
    let mut active: vendor::ActiveModel = v.into();
    active.newsletter = Set(chosen.newsletter);
    active.unsubscribed_at = Set(None);
    active.stamp(None, now);
    active.update(db).await
}

/// Confirms vendor `id`'s address. The first confirmation sends the welcome email and tells the
/// admins; later ones change nothing. Returns whether this call confirmed it.
pub async fn confirm(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    id: i32,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = vendor::Entity::update_many()
        .col_expr(vendor::Column::ConfirmedAt, Expr::value(now))
        .stamped(None, now)
        .filter(vendor::Column::Id.eq(id))
        .filter(vendor::Column::ConfirmedAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Ok(false);
    }
    let v = vendor::Entity::find_by_id(id).one(db).await?.ok_or_else(|| anyhow::anyhow!("vendor {id} is gone"))?;
    let message = Welcome {
        business: v.business_name.clone(),
        first_name: v.first_name.clone(),
        opportunities: mail.config.site.app_url.join("/beacon/")?.into(),
        footer: VendorFooter::new(mail.links, v.id),
    };
    mail.once(db, &format!("beacon.welcome:{id}"), &message, &v.email, now).await?;
    let message = NewVendor { business: v.business_name.clone(), email: v.email.clone() };
    for admin in accounts::users::admin_emails(db, mail.config).await? {
        mail.once(db, &format!("beacon.new_vendor:{id}"), &message, &admin, now).await?;
    }
    Ok(true)
}

/// "Follow this opportunity", asked for by `client`: a new address becomes an unconfirmed vendor
/// following it (and gets the confirmation, then the welcome email, which the original forgot
/// for these vendors); an address that is already a vendor is mailed a link to follow it, since
/// typing an address must not change that vendor's subscriptions. Over [`MAIL_LIMIT`] nothing
/// is done, and the answer is the same `Ok`.
pub async fn follow(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    opportunity_id: i32,
    email: &str,
    business_name: &str,
    client: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(), Vec<(&'static str, String)>>> {
    let email = match platform::mail::address(email) {
        Ok(e) => e,
        Err(m) => return Ok(Err(vec![("email", m.to_string())])),
    };
    // Only what the public may see can be followed (a draft's title must not be mailed out).
    let today = now.with_timezone(&mail.config.site.display_timezone).date_naive();
    let Some(o) = crate::lifecycle::visible(db, None, opportunity_id, now, today).await? else {
        return Ok(Err(vec![("email", "That opportunity is not open for following.".to_owned())]));
    };
    // Asked of everyone, known vendor or not, so the answer never tells whether an address is
    // a vendor's (a known vendor's name stays as it is).
    let business_name = business_name.trim();
    if business_name.is_empty() {
        return Ok(Err(vec![("business_name", "Enter your business's name.".to_owned())]));
    }
    // The vendor is looked for after the limit's check, which on PostgreSQL locks the address
    // until this transaction ends (SQLite has one writer anyway): looked for before it, a follow
    // at the same moment could add the vendor meanwhile, and this one would fail adding it again.
    if !throttle::allow(db, &MAIL_LIMIT, &email, client).await? {
        return Ok(Ok(()));
    }
    let existing = vendor::Entity::find().filter(vendor::Column::Email.eq(email.as_str())).one(db).await?;
    if let Some(existing) = existing {
        let link = mail.links.follow(existing.id, o.id).into();
        let message = FollowLink { business: existing.business_name.clone(), title: o.title.clone(), link };
        let key = format!("beacon.follow_link:{}:{today}", o.id);
        mail.once(db, &key, &message, &email, now).await?;
        return Ok(Ok(()));
    }
    let v = vendor::ActiveModel {
        business_name: Set(business_name.to_owned()),
        email: Set(email.clone()),
        woman_owned: Set(false),
        minority_owned: Set(false),
        veteran_owned: Set(false),
        disadvantaged_owned: Set(false),
        newsletter: Set(false),
        confirmed_at: Set(None),
        unsubscribed_at: Set(None),
        ..Stamp::created(None, now)
    }
    .insert(db)
    .await?;
    vendor_opportunity::ActiveModel { vendor_id: Set(v.id), opportunity_id: Set(o.id) }.insert(db).await?;
    let message = Confirm { business: v.business_name.clone(), link: mail.links.confirm(v.id).into() };
    mail.once(db, &format!("beacon.confirm:{}", v.id), &message, &email, now).await?;
    Ok(Ok(()))
}

/// Adds a follow from a signed follow link (idempotent).
pub async fn add_follow(db: &impl ConnectionTrait, vendor_id: i32, opportunity_id: i32) -> Result<(), sea_orm::DbErr> {
    let exists = vendor_opportunity::Entity::find_by_id((vendor_id, opportunity_id)).one(db).await?.is_some();
    if !exists {
        vendor_opportunity::ActiveModel { vendor_id: Set(vendor_id), opportunity_id: Set(opportunity_id) }
            .insert(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MAIL_LIMIT, ten_digits};

    #[test]
    fn the_mail_limit_fits_in_what_the_throttle_keeps() {
        let kept = accounts::throttle::KEPT_FOR;
        assert!(MAIL_LIMIT.email_window <= kept && MAIL_LIMIT.client_window <= kept);
    }

    #[test]
    fn phone_numbers_are_ten_digits_however_typed() {
        assert_eq!(ten_digits("(412) 555-0100"), Ok(Some("4125550100".into())));
        assert_eq!(ten_digits("+1 412.555.0100"), Ok(Some("4125550100".into())));
        assert_eq!(ten_digits(""), Ok(None));
        assert!(ten_digits("555-0100").is_err());
        assert!(ten_digits("412-555-0100 ext 4").is_err());
    }
}
