//! A work item's way through its flow: the states, the transitions between them (one table,
//! [`machine::TRANSITIONS`]) and the rules on the times people give ([`machine`]); and its
//! status beside them ([`status::STATUS_TRANSITIONS`]).

pub mod machine;
pub mod status;
