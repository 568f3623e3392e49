//! Scout: the city's contracts.
pub mod import;
