//! Beacon's tables in the back-office: opportunities (corrected here, never created or made
//! public: drafting is on Beacon's staff pages and approval is `lifecycle::approve`), required
//! bid documents, categories, and vendors with their categories.

mod categories;
mod opportunities;
mod required_documents;
mod vendors;

use admin::BackOffice;

pub const RESOURCES: BackOffice = BackOffice(&[
    &opportunities::Opportunities,
    &required_documents::RequiredDocuments,
    &categories::Categories,
    &vendors::Vendors,
]);
