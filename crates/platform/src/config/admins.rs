//! Who is emailed about server errors: `ADMINS` (alias `DJANGO_ADMINS`).
//!
//! Rules: comma-separated entries, each `Name <email>`, `Name:email` or a bare address; an entry
//! without a valid address is an error.

use super::env::Vars;
use super::mail::looks_like_mailbox;
use super::var;

/// Someone who gets error reports (the seeds' `ADMINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub name: Option<String>,
    pub email: String,
}

/// `ADMINS`/`DJANGO_ADMINS`: comma-separated `Name <email>`, `Name:email` or bare addresses.
pub(super) fn read_admins(vars: &mut Vars<'_>) -> Vec<Admin> {
    let Some((name, raw)) = vars.first(var::ADMINS) else {
        return Vec::new();
    };
    let mut admins = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = if let (Some(a), Some(b)) = (entry.rfind('<'), entry.rfind('>')) {
            let display = entry[..a].trim().trim_matches('"');
            Some(Admin {
                name: (!display.is_empty()).then(|| display.to_owned()),
                email: entry[a + 1..b].trim().to_owned(),
            })
        } else if let Some((display, email)) = entry.split_once(':') {
            Some(Admin { name: Some(display.trim().to_owned()), email: email.trim().to_owned() })
        } else {
            Some(Admin { name: None, email: entry.to_owned() })
        };
        match parsed {
            Some(admin) if looks_like_mailbox(&admin.email) => admins.push(admin),
            _ => vars.error(name, format!("{entry:?} is not \"Name <email>\", \"Name:email\" or an address")),
        }
    }
    admins
}
