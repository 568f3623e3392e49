//! The activity log of a work item (`work_item_activity`): what happened, as a typed value per
//! kind. The `kind` column names the variant and `detail` holds its fields as JSON, so the
//! database can check the kind and the code can trust the detail.
//!
//! The log is append-only: a revert or a flow switch marks rows superseded, a deleted note is
//! marked deleted, and nothing is erased or rewritten (metrics read the history; the original
//! deleted it).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One entry's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    /// Work on a stage began at `at`.
    Entered {
        stage: String,
        at: DateTime<Utc>,
    },
    /// A stage was completed at `at`.
    Exited {
        stage: String,
        at: DateTime<Utc>,
    },
    /// Work went back to `stage`, entered again at `at`.
    Reversion {
        stage: String,
        at: DateTime<Utc>,
    },
    /// The item moved from one flow to another; the old flow's rows are kept, superseded.
    FlowSwitch {
        from_flow: String,
        to_flow: String,
    },
    /// The parent contract's term was extended.
    Extension {
        previous_expiration: Option<NaiveDate>,
        expiration: NaiveDate,
    },
    Note {
        text: String,
    },
    /// An update email: one message, every address visible.
    UpdateEmail {
        to: Vec<String>,
        cc: Vec<String>,
        subject: String,
        body: String,
        attachments: Vec<String>,
    },
    /// The fields that changed, each with its new value (`None`: cleared).
    Metadata {
        changes: Vec<(String, Option<String>)>,
    },
    BeaconPost {
        opportunity_id: i32,
        title: String,
        created: bool,
    },
    Assigned {
        assignee: String,
        previous: Option<String>,
    },
    /// Work began on the item (the flow and the assignee are in the following entries).
    Started {
        flow: String,
    },
    Removed,
    Restored,
    Killed,
    /// The wizard made these successor contracts.
    Completed {
        successors: Vec<i32>,
    },
}

/// The stream's filters (the original's "Notes, Emails, Beacon, Metadata, Stages, Extensions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Filter {
    Notes,
    Emails,
    Beacon,
    Metadata,
    Stages,
    Extensions,
    Work,
}

impl Activity {
    /// The kind, as the `kind` column stores it.
    pub fn kind(&self) -> &'static str {
        match self {
            Activity::Entered { .. } => "entered",
            Activity::Exited { .. } => "exited",
            Activity::Reversion { .. } => "reversion",
            Activity::FlowSwitch { .. } => "flow_switch",
            Activity::Extension { .. } => "extension",
            Activity::Note { .. } => "note",
            Activity::UpdateEmail { .. } => "update_email",
            Activity::Metadata { .. } => "metadata",
            Activity::BeaconPost { .. } => "beacon_post",
            Activity::Assigned { .. } => "assigned",
            Activity::Started { .. } => "started",
            Activity::Removed => "removed",
            Activity::Restored => "restored",
            Activity::Killed => "killed",
            Activity::Completed { .. } => "completed",
        }
    }

    /// The `detail` column: the fields without the kind.
    pub fn detail(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            map.remove("kind");
        }
        value.to_string()
    }

    /// Reads an entry back from its two columns; `None` for a detail this version cannot read
    /// (shown as "an entry of an earlier version", never a failed page).
    pub fn read(kind: &str, detail: &str) -> Option<Activity> {
        let mut value: serde_json::Value = serde_json::from_str(detail).ok()?;
        value.as_object_mut()?.insert("kind".into(), serde_json::Value::String(kind.to_owned()));
        serde_json::from_value(value).ok()
    }

    /// What the stream calls it.
    pub fn label(&self) -> String {
        match self {
            Activity::Entered { stage, .. } => format!("Started work on {stage}"),
            Activity::Exited { stage, .. } => format!("Completed {stage}"),
            Activity::Reversion { stage, .. } => format!("Went back to {stage}"),
            Activity::FlowSwitch { from_flow, to_flow } => format!("Moved from the {from_flow} flow to {to_flow}"),
            Activity::Extension { expiration, .. } => {
                format!("Extended the contract to {}", expiration.format("%B %-d, %Y"))
            }
            Activity::Note { .. } => "Note".to_owned(),
            Activity::UpdateEmail { subject, .. } => format!("Sent “{subject}”"),
            Activity::Metadata { .. } => "Updated the details".to_owned(),
            Activity::BeaconPost { created: true, .. } => "Posted to Beacon".to_owned(),
            Activity::BeaconPost { created: false, .. } => "Updated the Beacon opportunity".to_owned(),
            Activity::Assigned { assignee, .. } => format!("Assigned to {assignee}"),
            Activity::Started { flow } => format!("Started work in the {flow} flow"),
            Activity::Removed => "Removed from Conductor".to_owned(),
            Activity::Restored => "Restored to Conductor".to_owned(),
            Activity::Killed => "Removed from use".to_owned(),
            Activity::Completed { successors } if successors.len() == 1 => "Completed: 1 new contract".to_owned(),
            Activity::Completed { successors } => format!("Completed: {} new contracts", successors.len()),
        }
    }

    pub fn filter(&self) -> Filter {
        match self {
            Activity::Entered { .. }
            | Activity::Exited { .. }
            | Activity::Reversion { .. }
            | Activity::FlowSwitch { .. } => Filter::Stages,
            Activity::Extension { .. } => Filter::Extensions,
            Activity::Note { .. } => Filter::Notes,
            Activity::UpdateEmail { .. } => Filter::Emails,
            Activity::Metadata { .. } => Filter::Metadata,
            Activity::BeaconPost { .. } => Filter::Beacon,
            Activity::Assigned { .. }
            | Activity::Started { .. }
            | Activity::Removed
            | Activity::Restored
            | Activity::Killed
            | Activity::Completed { .. } => Filter::Work,
        }
    }

    /// Only a note may be deleted (by its author or an admin); every other entry is evidence.
    pub fn deletable(&self) -> bool {
        matches!(self, Activity::Note { .. })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn every_kind() -> Vec<Activity> {
        let at = Utc.with_ymd_and_hms(2026, 11, 3, 14, 30, 0).single().expect("time");
        let day = NaiveDate::from_ymd_opt(2027, 6, 30).expect("date");
        vec![
            Activity::Entered { stage: "Review".into(), at },
            Activity::Exited { stage: "Review".into(), at },
            Activity::Reversion { stage: "Review".into(), at },
            Activity::FlowSwitch { from_flow: "County".into(), to_flow: "Bid".into() },
            Activity::Extension { previous_expiration: None, expiration: day },
            Activity::Note { text: "Called the vendor — “yes”.\tTab.".into() },
            Activity::UpdateEmail {
                to: vec!["a@x.org".into()],
                cc: vec![],
                subject: "Renewal".into(),
                body: "Hello".into(),
                attachments: vec!["terms.pdf".into()],
            },
            Activity::Metadata {
                changes: vec![("Spec number".into(), Some("999".into())), ("Department".into(), None)],
            },
            Activity::BeaconPost { opportunity_id: 4, title: "Salt".into(), created: true },
            Activity::Assigned { assignee: "pat@pittsburghpa.gov".into(), previous: None },
            Activity::Started { flow: "County".into() },
            Activity::Removed,
            Activity::Restored,
            Activity::Killed,
            Activity::Completed { successors: vec![7, 8] },
        ]
    }

    #[test]
    fn every_kind_is_stored_and_read_back_unchanged() {
        let all = every_kind();
        let kinds: Vec<&str> = all.iter().map(Activity::kind).collect();
        assert_eq!(kinds, model::entities::work_item_activity::KINDS, "one example per kind the database accepts");
        for activity in all {
            let detail = activity.detail();
            assert!(!detail.contains("\"kind\""), "{detail}");
            assert_eq!(Activity::read(activity.kind(), &detail), Some(activity.clone()), "{detail}");
            assert!(!activity.label().is_empty());
        }
    }

    #[test]
    fn an_unreadable_entry_is_none_and_only_notes_are_deletable() {
        assert_eq!(Activity::read("note", "{\"words\": 1}"), None);
        assert_eq!(Activity::read("telepathy", "{}"), None);
        assert_eq!(Activity::read("note", "not json"), None);
        let deletable: Vec<&str> = every_kind().iter().filter(|a| a.deletable()).map(Activity::kind).collect();
        assert_eq!(deletable, ["note"]);
    }
}
