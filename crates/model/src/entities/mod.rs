//! SeaORM entities, one module per table.

pub mod accepted_domain;
pub mod app_status;
pub mod department;
pub mod job_status;
pub mod role;
pub mod user;
pub mod user_role;
