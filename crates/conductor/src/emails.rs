//! Conductor's emails, one struct each: its fields are what its templates
//! (`templates/conductor/emails/<name>/`) use. All go out as `Sender::Conductor`
//! (`CONDUCTOR_SENDER`).

use platform::mail::EmailTemplate;
use serde::Serialize;

/// To the assignee of a work item (on start and on every reassignment to someone new).
#[derive(Debug, Clone, Serialize)]
pub struct Assigned {
    /// The work's description.
    pub description: String,
    /// Who assigned it (name or email).
    pub by: String,
    /// The stage it is at.
    pub stage: String,
    /// Its page in Conductor.
    pub link: String,
}

impl EmailTemplate for Assigned {
    const TEMPLATE: &'static str = "conductor/emails/assigned";
}

/// The update email of the detail page (the original's C1): the user's own subject and text,
/// sent as one message with every To and Cc visible, replies going to the user.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub subject: String,
    pub body: String,
}

impl EmailTemplate for Update {
    const TEMPLATE: &'static str = "conductor/emails/update";
}

/// A contract as the follower email shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ContractSummary {
    pub description: String,
    /// In words, in the display time zone; None when it has none.
    pub expiration: Option<String>,
    pub controller_number: Option<String>,
    pub spec_number: Option<String>,
    /// The companies holding it.
    pub companies: Vec<String>,
    /// Its Scout page.
    pub link: String,
}

/// To each former follower of a renewed contract, once, when the completion wizard finishes
/// (the original's C2, which it addressed to nobody): the old contract and every successor.
#[derive(Debug, Clone, Serialize)]
pub struct ContractUpdated {
    pub previous: ContractSummary,
    pub successors: Vec<ContractSummary>,
}

impl EmailTemplate for ContractUpdated {
    const TEMPLATE: &'static str = "conductor/emails/contract_updated";
}
