//! Beacon's emails, one struct each: its fields are what its templates
//! (`templates/beacon/emails/<name>/`) use.
//!
//! Emails to vendors extend `beacon/emails/vendor.txt`, whose footer shows the vendor's own
//! links ([`VendorFooter`]). The welcome email carries them itself; a mailing to many vendors
//! ([`BulkEmail`]) is one shared value, which [`notify::fan_out`](crate::notify::fan_out) sends
//! to each vendor as a [`ToVendor`]: the shared part plus that vendor's name and footer.

use platform::mail::EmailTemplate;
use serde::Serialize;

use crate::links::VendorLinks;

/// The end of every email to a vendor: their signed links to manage their subscriptions and to
/// unsubscribe in one click.
#[derive(Debug, Clone, Serialize)]
pub struct VendorFooter {
    pub manage: String,
    pub unsubscribe: String,
}

impl VendorFooter {
    pub fn new(links: &VendorLinks, vendor_id: i32) -> VendorFooter {
        VendorFooter { manage: links.manage(vendor_id).into(), unsubscribe: links.unsubscribe(vendor_id).into() }
    }
}

/// An email to many vendors, each of whom gets it as a [`ToVendor`]; its templates extend
/// `beacon/emails/vendor.txt` and may greet the vendor by `first_name`.
pub trait BulkEmail: EmailTemplate {}

/// One vendor's copy of a [`BulkEmail`]: the shared message, the vendor's first name (for the
/// greeting) and footer.
#[derive(Debug, Serialize)]
pub struct ToVendor<'a, M> {
    #[serde(flatten)]
    pub message: &'a M,
    pub first_name: Option<String>,
    #[serde(flatten)]
    pub footer: VendorFooter,
}

impl<M: BulkEmail> EmailTemplate for ToVendor<'_, M> {
    const TEMPLATE: &'static str = M::TEMPLATE;
}

/// An opportunity as the emails about it show it.
#[derive(Debug, Clone, Serialize)]
pub struct Opportunity {
    pub title: String,
    pub department: Option<String>,
    /// The bids' deadline in the display time zone, in words.
    pub closes: String,
    /// Its public page.
    pub link: String,
}

/// To a new address (signing up, or following an opportunity): the double opt-in link.
#[derive(Debug, Clone, Serialize)]
pub struct Confirm {
    pub business: String,
    pub link: String,
}

impl EmailTemplate for Confirm {
    const TEMPLATE: &'static str = "beacon/emails/confirm";
}

/// To a confirmed vendor who signed up again or asked for it: their own manage link.
#[derive(Debug, Clone, Serialize)]
pub struct ManageLink {
    pub business: String,
    pub link: String,
}

impl EmailTemplate for ManageLink {
    const TEMPLATE: &'static str = "beacon/emails/manage_link";
}

/// To a vendor who unsubscribed and signed up (or asked for its link) again: the way back.
#[derive(Debug, Clone, Serialize)]
pub struct Resubscribe {
    pub business: String,
    /// Its manage page, where saving subscribes it again.
    pub link: String,
}

impl EmailTemplate for Resubscribe {
    const TEMPLATE: &'static str = "beacon/emails/resubscribe";
}

/// To a vendor who just confirmed.
#[derive(Debug, Clone, Serialize)]
pub struct Welcome {
    pub business: String,
    pub first_name: Option<String>,
    /// The public list of opportunities.
    pub opportunities: String,
    #[serde(flatten)]
    pub footer: VendorFooter,
}

impl EmailTemplate for Welcome {
    const TEMPLATE: &'static str = "beacon/emails/welcome";
}

/// To the admins: a vendor confirmed.
#[derive(Debug, Clone, Serialize)]
pub struct NewVendor {
    pub business: String,
    pub email: String,
}

impl EmailTemplate for NewVendor {
    const TEMPLATE: &'static str = "beacon/emails/new_vendor";
}

/// To a known vendor who asked to follow an opportunity: the signed link that follows it.
#[derive(Debug, Clone, Serialize)]
pub struct FollowLink {
    pub business: String,
    /// The opportunity's.
    pub title: String,
    pub link: String,
}

impl EmailTemplate for FollowLink {
    const TEMPLATE: &'static str = "beacon/emails/follow_link";
}

/// To a draft's author: it went for approval.
#[derive(Debug, Clone, Serialize)]
pub struct SentForApproval {
    pub title: String,
    /// Its staff page.
    pub link: String,
}

impl EmailTemplate for SentForApproval {
    const TEMPLATE: &'static str = "beacon/emails/sent_for_approval";
}

/// To each reviewer: a draft waits for approval.
#[derive(Debug, Clone, Serialize)]
pub struct NeedsReview {
    pub title: String,
    /// Its staff page.
    pub link: String,
}

impl EmailTemplate for NeedsReview {
    const TEMPLATE: &'static str = "beacon/emails/needs_review";
}

/// To an opportunity's author: it is approved.
#[derive(Debug, Clone, Serialize)]
pub struct Approved {
    pub title: String,
    /// Its public page.
    pub link: String,
    /// The planned publishing date, in words.
    pub publish: String,
    pub published: bool,
}

impl EmailTemplate for Approved {
    const TEMPLATE: &'static str = "beacon/emails/approved";
}

/// To the vendors of its categories and its followers: a newly published opportunity.
#[derive(Debug, Clone, Serialize)]
pub struct NewOpportunity {
    #[serde(flatten)]
    pub opportunity: Opportunity,
}

impl EmailTemplate for NewOpportunity {
    const TEMPLATE: &'static str = "beacon/emails/new_opportunity";
}

impl BulkEmail for NewOpportunity {}

/// To an opportunity's followers: its bids close in `days` days.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    pub days: i64,
    #[serde(flatten)]
    pub opportunity: Opportunity,
}

impl EmailTemplate for Reminder {
    const TEMPLATE: &'static str = "beacon/emails/reminder";
}

impl BulkEmail for Reminder {}

/// To an opportunity's followers: a document was added after it was published.
#[derive(Debug, Clone, Serialize)]
pub struct Addendum {
    /// The document's name.
    pub document: String,
    #[serde(flatten)]
    pub opportunity: Opportunity,
}

impl EmailTemplate for Addendum {
    const TEMPLATE: &'static str = "beacon/emails/addendum";
}

impl BulkEmail for Addendum {}

/// To newsletter subscribers: the opportunities published since the previous digest.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub opportunities: Vec<Opportunity>,
    /// How many (for the subject).
    pub count: usize,
    /// The edition's day, in words.
    pub date: String,
}

impl EmailTemplate for Digest {
    const TEMPLATE: &'static str = "beacon/emails/digest";
}

impl BulkEmail for Digest {}
