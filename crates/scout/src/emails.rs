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
