//! Scout's emails, one struct each: its fields are what its templates
//! (`templates/scout/emails/<name>/`) use.

use platform::mail::EmailTemplate;
use serde::Serialize;

/// To a follower: a contract expires soon, today, or (a missed night caught up) expired.
#[derive(Debug, Clone, Serialize)]
pub struct Expiration {
    /// `expiring` or `expired`, as in `contract_notices.kind`.
    pub kind: &'static str,
    pub description: Option<String>,
    pub financial_id: Option<String>,
    /// The expiration date, in words.
    pub expiration: Option<String>,
    pub link: String,
    /// An `expired` contract that ended before today.
    pub ended_before_today: bool,
}

impl EmailTemplate for Expiration {
    const TEMPLATE: &'static str = "scout/emails/expiration";
}

/// To an admin: someone's message about a contract (the email replies to them).
#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    /// The sender's address.
    pub sender: String,
    pub message: String,
    /// The contract's description.
    pub description: Option<String>,
    pub link: String,
}

impl EmailTemplate for Feedback {
    const TEMPLATE: &'static str = "scout/emails/feedback";
}

/// To an admin: someone's message from Scout, not about one contract (from a search that found
/// nothing, say). The email replies to them; the message is also kept in the back-office.
#[derive(Debug, Clone, Serialize)]
pub struct SiteFeedback {
    /// The sender's address.
    pub sender: String,
    pub message: String,
    /// What they searched for, if they wrote from a search.
    pub query: Option<String>,
    /// That search, on the site.
    pub search_link: Option<String>,
    /// The message in the back-office, to mark it handled.
    pub inbox_link: String,
}

impl EmailTemplate for SiteFeedback {
    const TEMPLATE: &'static str = "scout/emails/site_feedback";
}
