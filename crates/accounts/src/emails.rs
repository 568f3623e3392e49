//! The accounts' emails, one struct each: its fields are what its templates
//! (`templates/accounts/emails/<name>/`) use.

use platform::mail::EmailTemplate;
use serde::Serialize;

/// The one-time sign-in link (text and HTML); the templates also show the global `site_name`.
#[derive(Debug, Clone, Serialize)]
pub struct SignInLink {
    pub link: String,
    /// How long the link works.
    pub minutes: i64,
}

impl EmailTemplate for SignInLink {
    const TEMPLATE: &'static str = "accounts/emails/sign_in_link";
}
