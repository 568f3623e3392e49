//! An opportunity's stages and the transitions between them: the state machine in one table.
//!
//! The stage is what the columns say ([`Stage::of`]); [`Status`] is what its page says, adding
//! the calendar's view of a published one (upcoming, open, closed). Each [`Transition`]'s
//! `from` stages are also its guard: the transition is an `UPDATE … WHERE id = ? AND` one of
//! [`Stage::condition`], so it happens at most once, whoever gets there first.

use chrono::{DateTime, NaiveDate, Utc};
use model::entities::opportunity;
use sea_orm::ColumnTrait;
use sea_orm::sea_query::Condition;
use serde::Serialize;

/// Where an opportunity is in its workflow, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Written by staff, not approved (`is_public` false).
    Draft,
    /// Approved by a conductor-level user, waiting for its publish date (`published_at` unset).
    Approved,
    /// Shown to the public since `published_at`.
    Published,
    /// Hidden from every public list and page.
    Archived,
}

impl Stage {
    pub fn of(o: &opportunity::Model) -> Stage {
        if o.is_archived {
            Stage::Archived
        } else if !o.is_public {
            Stage::Draft
        } else if o.published_at.is_none() {
            Stage::Approved
        } else {
            Stage::Published
        }
    }

    /// "The opportunity is in this stage", as SQL.
    pub fn condition(self) -> Condition {
        use opportunity::Column as C;
        match self {
            Stage::Draft => Condition::all().add(C::IsArchived.eq(false)).add(C::IsPublic.eq(false)),
            Stage::Approved => {
                Condition::all().add(C::IsArchived.eq(false)).add(C::IsPublic.eq(true)).add(C::PublishedAt.is_null())
            }
            Stage::Published => Condition::all()
                .add(C::IsArchived.eq(false))
                .add(C::IsPublic.eq(true))
                .add(C::PublishedAt.is_not_null()),
            Stage::Archived => Condition::all().add(C::IsArchived.eq(true)),
        }
    }
}

/// A change of stage.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub name: &'static str,
    pub from: &'static [Stage],
    pub to: Stage,
    /// Who or what makes it (the policy's rule is checked by the service).
    pub by: &'static str,
}

impl Transition {
    /// The guard of this transition's `UPDATE`: the record is in one of its `from` stages.
    pub fn guard(&self) -> Condition {
        self.from.iter().fold(Condition::any(), |any, stage| any.add(stage.condition()))
    }
}

/// A draft becomes approved.
pub const APPROVE: Transition = Transition {
    name: "approve",
    from: &[Stage::Draft],
    to: Stage::Approved,
    by: "a conductor-level user, while bids have not closed",
};

/// An approved opportunity is published on its planned publish date.
pub const PUBLISH: Transition = Transition {
    name: "publish",
    from: &[Stage::Approved],
    to: Stage::Published,
    by: "its approval when the publish date has come, else the nightly beacon.publish_due job",
};

/// Any opportunity leaves the public pages for good.
pub const ARCHIVE: Transition = Transition {
    name: "archive",
    from: &[Stage::Draft, Stage::Approved, Stage::Published],
    to: Stage::Archived,
    by: "a conductor-level user",
};

/// Every transition. Editing is not one: it keeps the stage (staff edit their own drafts;
/// conductor-level users edit any opportunity that is not archived).
pub const TRANSITIONS: [Transition; 3] = [APPROVE, PUBLISH, ARCHIVE];

/// Where an opportunity stands, as its page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not approved yet.
    Draft,
    /// Approved, waiting for its publish date.
    Scheduled,
    /// Published; bids not accepted yet.
    Upcoming,
    Open,
    Closed,
    Archived,
}

impl Status {
    pub fn of(o: &opportunity::Model, now: DateTime<Utc>, today: NaiveDate) -> Status {
        match Stage::of(o) {
            Stage::Archived => return Status::Archived,
            Stage::Draft => return Status::Draft,
            Stage::Approved => return Status::Scheduled,
            Stage::Published => {}
        }
        if o.planned_submission_end <= now {
            Status::Closed
        } else if o.planned_submission_start > today {
            Status::Upcoming
        } else {
            Status::Open
        }
    }

    /// Shown to the public.
    pub fn is_public(self) -> bool {
        matches!(self, Status::Upcoming | Status::Open | Status::Closed)
    }

    /// The one set of words for a status, on every page that shows one (public lists, the
    /// staff list, the back-office).
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Awaiting approval",
            Status::Scheduled => "Approved, not yet published",
            Status::Upcoming => "Upcoming",
            Status::Open => "Open",
            Status::Closed => "Closed",
            Status::Archived => "Archived",
        }
    }

    /// Staff lists put first what someone has to act on: drafts to approve, then what is open,
    /// upcoming or scheduled, then what is over.
    pub fn urgency(self) -> u8 {
        match self {
            Status::Draft => 0,
            Status::Open => 1,
            Status::Upcoming => 2,
            Status::Scheduled => 3,
            Status::Closed => 4,
            Status::Archived => 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_moves_forward_and_nothing_leaves_the_archive() {
        for t in TRANSITIONS {
            assert!(!t.from.is_empty(), "{} starts nowhere", t.name);
            assert!(!t.from.contains(&t.to), "{} does not change the stage", t.name);
            assert!(!t.from.contains(&Stage::Archived), "{} leaves the archive", t.name);
        }
        let reached: Vec<Stage> = TRANSITIONS.iter().map(|t| t.to).collect();
        assert_eq!(reached, [Stage::Approved, Stage::Published, Stage::Archived]);
    }
}
