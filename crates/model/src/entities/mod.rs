//! SeaORM entities, one module per table.

pub mod accepted_domain;
pub mod app_status;
pub mod audit_log;
pub mod category;
pub mod company;
pub mod company_contact;
pub mod contract;
pub mod contract_company;
pub mod contract_follower;
pub mod contract_note;
pub mod contract_notice;
pub mod contract_property;
pub mod contract_type;
pub mod department;
pub mod import;
pub mod job_status;
pub mod line_item;
pub mod role;
pub mod sign_in_attempt;
pub mod sign_in_token;
pub mod user;
pub mod user_role;
