//! SeaORM entities, one module per table.

pub mod accepted_domain;
pub mod app_status;
pub mod audit_log;
pub mod department;
pub mod job_status;
pub mod role;
pub mod sign_in_attempt;
pub mod sign_in_token;
pub mod user;
pub mod user_role;
