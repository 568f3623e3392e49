//! A work item's status (`work_items.status`), beside its stages: whether it is being worked
//! on, set aside, ended, or completed into successor contracts. Like the stages' table, each
//! transition's `from` statuses are the guard of its `UPDATE … WHERE status IN (…)`, so it
//! happens once whoever gets there first.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Listed under "In progress".
    InProgress,
    /// Taken out of Conductor (the contract stays on Scout); can be restored.
    Removed,
    /// Ended: the successor is archived, and its parent returns to "All contracts".
    Killed,
    /// The completion wizard made the successors; the parent is archived.
    Completed,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::InProgress, Status::Removed, Status::Killed, Status::Completed];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Removed => "removed",
            Status::Killed => "killed",
            Status::Completed => "completed",
        }
    }

    pub fn parse(stored: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == stored)
    }

    /// Whether the item still counts as its parent's successor (a parent has at most one).
    pub fn holds_parent(self) -> bool {
        self != Status::Killed
    }
}

/// A change of status.
#[derive(Debug, Clone, Copy)]
pub struct StatusTransition {
    pub name: &'static str,
    pub from: &'static [Status],
    pub to: Status,
    pub effect: &'static str,
}

impl StatusTransition {
    /// The statuses the guarded update accepts, as stored.
    pub fn guard(&self) -> Vec<&'static str> {
        self.from.iter().map(|s| s.as_str()).collect()
    }
}

pub const REMOVE: StatusTransition = StatusTransition {
    name: "remove",
    from: &[Status::InProgress],
    to: Status::Removed,
    effect: "hidden from Conductor's lists; the contract stays on Scout",
};

pub const RESTORE: StatusTransition = StatusTransition {
    name: "restore",
    from: &[Status::Removed],
    to: Status::InProgress,
    effect: "back under In progress, at the stage it was at",
};

pub const KILL: StatusTransition = StatusTransition {
    name: "kill",
    from: &[Status::InProgress, Status::Removed],
    to: Status::Killed,
    effect: "the successor is archived and invisible; its parent returns to All contracts",
};

pub const COMPLETE: StatusTransition = StatusTransition {
    name: "complete",
    from: &[Status::InProgress],
    to: Status::Completed,
    effect: "after the last stage, through the wizard: successors visible, followers moved, parent archived",
};

/// Every status transition, for the docs and the tests.
pub const STATUS_TRANSITIONS: [StatusTransition; 4] = [REMOVE, RESTORE, KILL, COMPLETE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_only_a_killed_item_lets_its_parent_go() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("done"), None);
        let free: Vec<Status> = Status::ALL.into_iter().filter(|s| !s.holds_parent()).collect();
        assert_eq!(free, [Status::Killed]);
    }

    #[test]
    fn the_statuses_are_the_ones_the_database_accepts() {
        let stored: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(stored, model::entities::work_item::STATUSES);
    }

    #[test]
    fn nothing_leaves_a_killed_or_completed_item() {
        for t in STATUS_TRANSITIONS {
            assert!(!t.from.contains(&Status::Killed) && !t.from.contains(&Status::Completed), "{}", t.name);
            assert!(!t.from.contains(&t.to), "{} changes something", t.name);
        }
        assert_eq!(KILL.guard(), ["in_progress", "removed"]);
    }
}
