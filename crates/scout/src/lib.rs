//! Scout: the city's contracts — their importers and search (pages and the API follow).

pub mod import;
pub mod search;
