//! The accounts' emails, one struct each: its fields are what its templates
//! (`templates/accounts/emails/<name>/`) use.

use platform::mail::EmailTemplate;
use serde::{Deserialize, Serialize};

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

/// To the old address, after a user's address was changed (text only): the new address and
/// who changed it (None: the user themselves). The templates also show `site_name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChanged {
    pub new_email: String,
    pub changed_by: Option<String>,
}

impl EmailTemplate for EmailChanged {
    const TEMPLATE: &'static str = "accounts/emails/email_changed";
}
