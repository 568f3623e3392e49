//! The site's emails, one struct each: its fields are what its templates use.

use platform::mail::EmailTemplate;
use serde::Serialize;

/// To the `ADMINS`: a request failed with a server error ([`crate::status::ServerErrors`]). Its
/// templates are the platform's; they also show the global `site_name`.
#[derive(Debug, Clone, Serialize)]
pub struct ServerError {
    /// What failed, e.g. `500 on /scout/`.
    pub what: String,
    pub request_id: String,
    /// When, in UTC.
    pub when: String,
    /// How long further errors are not emailed.
    pub quiet_minutes: i64,
}

impl EmailTemplate for ServerError {
    const TEMPLATE: &'static str = "platform/emails/server_error";
}
