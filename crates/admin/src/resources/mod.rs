//! Every resource the back-office manages. A wing that brings a table adds its resource here.

mod accepted_domains;
mod categories;
mod companies;
mod company_contacts;
mod contract_types;
mod contracts;
mod departments;
mod opportunities;
mod required_documents;
mod users;
mod vendors;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};

use crate::resource::AdminResource;

static RESOURCES: [&dyn AdminResource; 11] = [
    &departments::Departments,
    &accepted_domains::AcceptedDomains,
    &users::Users,
    &contract_types::ContractTypes,
    &contracts::Contracts,
    &companies::Companies,
    &company_contacts::CompanyContacts,
    &opportunities::Opportunities,
    &required_documents::RequiredDocuments,
    &categories::Categories,
    &vendors::Vendors,
];

pub fn all() -> &'static [&'static dyn AdminResource] {
    &RESOURCES
}

pub fn find(slug: &str) -> Option<&'static dyn AdminResource> {
    RESOURCES.iter().copied().find(|r| r.slug() == slug)
}

/// `LOWER(column) LIKE '%search%'`, with the search's own `%`, `_` and `\` taken literally.
pub fn contains(column: impl sea_orm::sea_query::IntoColumnRef, search: &str) -> Expr {
    let escaped: String = search
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// Blank form text as NULL.
pub fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// "1 vendor", "3 vendors".
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checked ids from a checkbox group; anything that is not a number is `Err` with the value.
pub fn ids(values: &crate::resource::Values, field: &str) -> Result<Vec<i32>, String> {
    let mut ids = Vec::new();
    for raw in values.get(field).into_iter().flatten() {
        ids.push(raw.trim().parse::<i32>().map_err(|_| raw.clone())?);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
