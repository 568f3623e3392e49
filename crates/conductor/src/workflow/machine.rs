//! The state machine of a work item's stages, as pure functions: given the stage times as
//! stored ([`Progress`]) and what a user asks, the new times, or why not ([`Refusal`]).
//!
//! Invariants of a [`Progress`] this module produces (and checks with [`Progress::is_sound`]):
//! - stages before the current one are entered and exited, in order, each exit at or after its
//!   entry and at or before the next stage's entry;
//! - the current stage is entered, and exited only when it is the last one (the flow is then
//!   finished and the completion wizard opens);
//! - stages after the current one have no times.
//!
//! Times a user gives are checked the same way everywhere ([`check_time`]): not before the
//! entry of the stage being acted on (to the minute, as the form shows minutes) and not in the
//! future. Services apply the result with guarded updates (`WHERE current_stage = …`), so two
//! people acting at once get one change and one conflict.

use chrono::{DateTime, DurationRound, SubsecRound, TimeDelta, Utc};

/// One stage of the flow, with its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTimes {
    pub stage_id: i32,
    pub entered: Option<DateTime<Utc>>,
    pub exited: Option<DateTime<Utc>>,
}

/// A work item's stages in flow order, and which one is current (None: not started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub stages: Vec<StageTimes>,
    pub current: Option<usize>,
}

/// Where a work item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// In a flow, no stage entered yet.
    NotStarted,
    /// Working on stage `n` (0-based).
    AtStage(usize),
    /// The last stage is complete: the completion wizard is next.
    Finished,
}

/// Why a step is refused. The messages are the ones the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Invalid date (before step start)")]
    BeforeStart,
    #[error("Invalid date (in future)")]
    InFuture,
    #[error("This work has not started.")]
    NotStarted,
    #[error("This work has already started.")]
    AlreadyStarted,
    #[error("Every stage of this flow is complete.")]
    Finished,
    #[error("Stages cannot be skipped: choose the current stage or an earlier one.")]
    Skipping,
    #[error("The start time can be changed only while the first stage is current.")]
    PastFirstStage,
    #[error("The flow has no stages.")]
    EmptyFlow,
}

/// A change of state, as the transition table lists it.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub name: &'static str,
    pub from: &'static [StateKind],
    pub to: StateKind,
    /// What the user gives, and the rule on it.
    pub rule: &'static str,
}

/// [`State`] without its stage number, for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    NotStarted,
    AtStage,
    Finished,
}

impl State {
    pub fn kind(self) -> StateKind {
        match self {
            State::NotStarted => StateKind::NotStarted,
            State::AtStage(_) => StateKind::AtStage,
            State::Finished => StateKind::Finished,
        }
    }
}

/// Every transition of the stages, in one place (removing, restoring, killing and completing
/// a work item change its status, not its stages: see the services).
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        name: "start",
        from: &[StateKind::NotStarted],
        to: StateKind::AtStage,
        rule: "a start time not in the future: the first stage is entered then",
    },
    Transition {
        name: "move start",
        from: &[StateKind::AtStage],
        to: StateKind::AtStage,
        rule: "only at the first stage; a time not in the future: only the first stage's entry moves",
    },
    Transition {
        name: "complete",
        from: &[StateKind::AtStage],
        to: StateKind::AtStage,
        rule: "a time between the current stage's entry and now: it exits then and the next is entered then; \
               at the last stage the flow is finished",
    },
    Transition {
        name: "revert",
        from: &[StateKind::AtStage, StateKind::Finished],
        to: StateKind::AtStage,
        rule: "to the current stage or an earlier one, at a time between that stage's entry and now: it is \
               entered again then, the stages after it lose their times",
    },
    Transition {
        name: "switch flow",
        from: &[StateKind::NotStarted, StateKind::AtStage],
        to: StateKind::AtStage,
        rule: "another active flow: its first stage is entered now; the old flow's rows are kept, superseded",
    },
];

/// `at` as the form gives it: whole minutes.
fn minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at)
}

/// A time a user gave for acting on a stage entered at `since`: not before it (to the minute)
/// and not after `now`. A time in the entry's own minute but seconds before it (the form has no
/// seconds) is taken as the entry itself, so no stage ever ends before it began. Returns the
/// time to store.
pub fn check_time(
    at: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Refusal> {
    // Kept to the microsecond, as PostgreSQL stores it, so what was decided is what is read.
    let at = at.trunc_subsecs(6);
    if at > now {
        return Err(Refusal::InFuture);
    }
    match since {
        Some(since) if minute(at) < minute(since) => Err(Refusal::BeforeStart),
        Some(since) => Ok(at.max(since)),
        None => Ok(at),
    }
}

impl Progress {
    /// A work item entering a flow of these stages, nothing entered yet.
    pub fn new(stage_ids: &[i32]) -> Progress {
        Progress {
            stages: stage_ids.iter().map(|&stage_id| StageTimes { stage_id, entered: None, exited: None }).collect(),
            current: None,
        }
    }

    pub fn state(&self) -> State {
        match self.current {
            None => State::NotStarted,
            Some(i) if i + 1 == self.stages.len() && self.stages[i].exited.is_some() => State::Finished,
            Some(i) => State::AtStage(i),
        }
    }

    /// The current stage's id.
    pub fn current_stage(&self) -> Option<i32> {
        self.current.and_then(|i| self.stages.get(i)).map(|s| s.stage_id)
    }

    /// Enters the first stage at `at`.
    pub fn start(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Progress, Refusal> {
        if self.stages.is_empty() {
            return Err(Refusal::EmptyFlow);
        }
        if self.state() != State::NotStarted {
            return Err(Refusal::AlreadyStarted);
        }
        let at = check_time(at, None, now)?;
        let mut next = self.clone();
        next.stages[0].entered = Some(at);
        next.current = Some(0);
        Ok(next)
    }

    /// Moves the first stage's entry to `at` while it is current.
    pub fn move_start(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Progress, Refusal> {
        match self.state() {
            State::NotStarted => return Err(Refusal::NotStarted),
            State::AtStage(0) => {}
            State::AtStage(_) | State::Finished => return Err(Refusal::PastFirstStage),
        }
        let at = check_time(at, None, now)?;
        let mut next = self.clone();
        next.stages[0].entered = Some(at);
        Ok(next)
    }

    /// Completes the current stage at `at`, entering the next one then (or finishing the flow).
    pub fn complete(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Progress, Refusal> {
        let i = match self.state() {
            State::NotStarted => return Err(Refusal::NotStarted),
            State::Finished => return Err(Refusal::Finished),
            State::AtStage(i) => i,
        };
        let at = check_time(at, self.stages[i].entered, now)?;
        let mut next = self.clone();
        next.stages[i].exited = Some(at);
        if let Some(following) = next.stages.get_mut(i + 1) {
            following.entered = Some(at);
            next.current = Some(i + 1);
        }
        Ok(next)
    }

    /// Goes back to stage `to` (the current one or an earlier one), entered again at `at`;
    /// the stages after it lose their times.
    pub fn revert(&self, to: usize, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Progress, Refusal> {
        let last = match self.state() {
            State::NotStarted => return Err(Refusal::NotStarted),
            State::AtStage(i) => i,
            State::Finished => self.stages.len() - 1,
        };
        if to > last {
            return Err(Refusal::Skipping);
        }
        let at = check_time(at, self.stages[to].entered, now)?;
        let mut next = self.clone();
        next.stages[to].entered = Some(at);
        next.stages[to].exited = None;
        for later in &mut next.stages[to + 1..] {
            later.entered = None;
            later.exited = None;
        }
        next.current = Some(to);
        Ok(next)
    }

    /// Whether the times obey the module's invariants.
    pub fn is_sound(&self) -> bool {
        let Some(current) = self.current else {
            return self.stages.iter().all(|s| s.entered.is_none() && s.exited.is_none());
        };
        let Some(now_at) = self.stages.get(current) else { return false };
        let last = current + 1 == self.stages.len();
        let before_ok =
            self.stages[..current].iter().all(|s| matches!((s.entered, s.exited), (Some(e), Some(x)) if e <= x));
        let ordered = self.stages[..=current].windows(2).all(|w| match (w[0].exited, w[1].entered) {
            (Some(x), Some(e)) => x <= e,
            _ => false,
        });
        let current_ok = now_at.entered.is_some() && (now_at.exited.is_none() || last);
        let after_ok = self.stages[current + 1..].iter().all(|s| s.entered.is_none() && s.exited.is_none());
        before_ok && ordered && current_ok && after_ok
    }

    /// Days (with fractions) spent in each stage so far, `now` closing the open one.
    pub fn days_spent(&self, now: DateTime<Utc>) -> Vec<Option<f64>> {
        self.stages
            .iter()
            .map(|s| {
                let entered = s.entered?;
                let until = s.exited.unwrap_or(now);
                let seconds = (until - entered).num_seconds().max(0);
                #[allow(clippy::cast_precision_loss)] // seconds of a human workflow fit an f64 exactly
                Some(seconds as f64 / 86_400.0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().expect("a time")
    }

    /// Flow [A, B, C] = stages [10, 20, 30], started at day 1 09:00.
    fn started() -> Progress {
        Progress::new(&[10, 20, 30]).start(t(1, 9), t(1, 9)).expect("start")
    }

    const NOW: fn() -> DateTime<Utc> = || t(20, 12);

    #[test]
    fn starting_enters_the_first_stage_at_the_time_given() {
        let p = started();
        assert_eq!(p.state(), State::AtStage(0));
        assert_eq!(p.stages[0].entered, Some(t(1, 9)));
        assert_eq!(p.current_stage(), Some(10));
        assert!(p.is_sound());
        assert_eq!(p.start(t(2, 9), NOW()), Err(Refusal::AlreadyStarted));
        assert_eq!(Progress::new(&[10]).start(t(21, 9), NOW()), Err(Refusal::InFuture));
        assert_eq!(Progress::new(&[]).start(t(1, 9), NOW()), Err(Refusal::EmptyFlow));
    }

    /// Acceptance 5 and 6.
    #[test]
    fn completing_exits_the_current_stage_and_enters_the_next_at_the_same_time() {
        let p = started().complete(t(3, 10), NOW()).expect("complete A");
        assert_eq!((p.stages[0].exited, p.stages[1].entered), (Some(t(3, 10)), Some(t(3, 10))));
        assert_eq!(p.state(), State::AtStage(1));
        assert!(p.is_sound());
        assert_eq!(p.complete(t(3, 9), NOW()), Err(Refusal::BeforeStart), "before B's entry");
        assert_eq!(p.complete(t(21, 9), NOW()), Err(Refusal::InFuture));
        // The form shows minutes: a time in the entry's minute is not before it.
        let entered_at_seconds = started().complete(t(3, 10) + TimeDelta::seconds(40), NOW()).expect("at B");
        let same_minute = entered_at_seconds.complete(t(3, 10) + TimeDelta::seconds(5), NOW()).expect("same minute");
        assert_eq!(same_minute.stages[1].exited, Some(t(3, 10) + TimeDelta::seconds(40)), "taken as the entry");
        assert!(same_minute.is_sound());
        assert_eq!(
            entered_at_seconds.complete(t(3, 9) + TimeDelta::seconds(59 * 60), NOW()),
            Err(Refusal::BeforeStart)
        );
    }

    /// Acceptance 9: the last stage finishes the flow; reverting to it reopens it.
    #[test]
    fn the_last_stage_finishes_the_flow_and_a_revert_reopens_it() {
        let p = started()
            .complete(t(2, 9), NOW())
            .and_then(|p| p.complete(t(3, 9), NOW()))
            .and_then(|p| p.complete(t(4, 9), NOW()))
            .expect("all three");
        assert_eq!(p.state(), State::Finished);
        assert!(p.is_sound());
        assert_eq!(p.complete(t(5, 9), NOW()), Err(Refusal::Finished));
        let reopened = p.revert(2, t(5, 9), NOW()).expect("back to C");
        assert_eq!(reopened.state(), State::AtStage(2));
        assert_eq!(reopened.stages[2].exited, None);
        assert!(reopened.is_sound());
    }

    /// Acceptance 7 and 8.
    #[test]
    fn reverting_reenters_an_earlier_stage_and_clears_the_later_ones() {
        let at_c = started().complete(t(2, 9), NOW()).and_then(|p| p.complete(t(3, 9), NOW())).expect("at C");
        let p = at_c.revert(0, t(4, 9), NOW()).expect("back to A");
        assert_eq!(p.stages[0], StageTimes { stage_id: 10, entered: Some(t(4, 9)), exited: None });
        assert!(p.stages[1..].iter().all(|s| s.entered.is_none() && s.exited.is_none()));
        assert_eq!(p.state(), State::AtStage(0));
        assert!(p.is_sound());
        assert_eq!(at_c.revert(0, t(1, 8), NOW()), Err(Refusal::BeforeStart), "before A's old entry");
        let at_b = started().complete(t(2, 9), NOW()).expect("at B");
        assert_eq!(at_b.revert(2, t(3, 9), NOW()), Err(Refusal::Skipping), "a later stage");
        assert_eq!(Progress::new(&[10]).revert(0, t(3, 9), NOW()), Err(Refusal::NotStarted));
    }

    /// Acceptance 10: only the first stage's entry moves, and only while it is current.
    #[test]
    fn the_start_moves_only_at_the_first_stage() {
        let p = started().move_start(t(1, 7), NOW()).expect("earlier start");
        assert_eq!(p.stages[0].entered, Some(t(1, 7)));
        assert_eq!(p.state(), State::AtStage(0), "the current stage stays");
        assert_eq!(p.stages[1..], started().stages[1..]);
        let at_b = started().complete(t(2, 9), NOW()).expect("at B");
        assert_eq!(at_b.move_start(t(1, 7), NOW()), Err(Refusal::PastFirstStage));
        assert_eq!(started().move_start(t(21, 7), NOW()), Err(Refusal::InFuture));
    }

    #[test]
    fn days_spent_close_the_open_stage_at_now_and_never_go_negative() {
        let p = started().complete(t(2, 21), NOW()).expect("at B");
        let days = p.days_spent(t(4, 9));
        assert_eq!(days, [Some(1.5), Some(1.5), None]);
        assert_eq!(started().days_spent(t(1, 8)), [Some(0.0), None, None], "a clock behind the entry");
    }

    #[test]
    fn every_transition_starts_from_a_state_it_can_happen_in() {
        let names: Vec<&str> = TRANSITIONS.iter().map(|t| t.name).collect();
        assert_eq!(names, ["start", "move start", "complete", "revert", "switch flow"]);
        assert!(TRANSITIONS.iter().all(|t| !t.from.is_empty() && !t.rule.is_empty()));
        assert!(!TRANSITIONS.iter().any(|t| t.from.contains(&StateKind::Finished) && t.name == "complete"));
    }

    #[test]
    fn unsound_progress_is_recognised() {
        let mut p = started().complete(t(2, 9), NOW()).expect("at B");
        assert!(p.is_sound());
        p.stages[2].entered = Some(t(3, 9));
        assert!(!p.is_sound(), "a later stage with a time");
        let mut q = started().complete(t(2, 9), NOW()).expect("at B");
        q.stages[1].entered = Some(t(1, 9));
        assert!(!q.is_sound(), "entered before the previous stage exited");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Complete(i64),
        Revert(usize, i64),
        MoveStart(i64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        // Minutes after the start, some before it, some after "now" (day 20).
        let minutes = -600i64..30_000;
        prop_oneof![
            minutes.clone().prop_map(Op::Complete),
            (0usize..5, minutes.clone()).prop_map(|(k, m)| Op::Revert(k, m)),
            minutes.prop_map(Op::MoveStart),
        ]
    }

    proptest::proptest! {
        /// Whatever people do, in any order and at any time they type, the stage times stay sound.
        #[test]
        fn any_sequence_of_steps_keeps_the_times_sound(ops in proptest::collection::vec(op(), 0..40)) {
            let base = t(1, 9);
            let mut p = started();
            for op in ops {
                let at = |m: i64| base + TimeDelta::minutes(m);
                let next = match op {
                    Op::Complete(m) => p.complete(at(m), NOW()),
                    Op::Revert(k, m) => p.revert(k, at(m), NOW()),
                    Op::MoveStart(m) => p.move_start(at(m), NOW()),
                };
                if let Ok(next) = next {
                    proptest::prop_assert!(next.is_sound(), "{:?}", next);
                    p = next;
                }
            }
        }
    }
}
