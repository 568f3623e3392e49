//! Conductor: the staff workflow for renewing contracts (issue 15, being built).
//!
//! Built so far: the workflow's state machine (`workflow`), as pure functions over a work
//! item's stage times, so every rule of `research/conductor.md` §4 is tested without a
//! database; the activity log's typed entries (`activity`); reading and writing an item under a
//! guard (`store`); starting work (`start`); completing, reverting and moving the start
//! (`transitions`); reassigning, removing, restoring and killing (`items`);
//! switching flow and extending the renewed contract (`flows`); notes (`notes`); the
//! item's details (`metadata`). The data model is `model`'s conductor migration.
//! The other services, the pages and the wing's manifest come next, and the wing is mounted in
//! `procure::app::wings` with them.

pub mod activity;
pub mod flows;
pub mod items;
pub mod metadata;
pub mod notes;
pub mod start;
pub mod store;
pub mod transitions;
pub mod workflow;
