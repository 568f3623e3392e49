//! Conductor: the staff workflow for renewing contracts (issue 15, being built).
//!
//! Built so far: the workflow's state machine (`workflow`), as pure functions over a work
//! item's stage times, so every rule of `research/conductor.md` §4 is tested without a
//! database. The data model is `model`'s conductor migration; the services, pages and the
//! wing's manifest come next, and the wing is mounted in `procure::app::wings` with them.

pub mod activity;
pub mod workflow;
