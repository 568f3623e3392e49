//! Every resource the back-office manages. A wing that brings a table adds its resource here.

mod accepted_domains;
mod companies;
mod company_contacts;
mod contract_types;
mod contracts;
mod departments;
mod users;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};

use crate::resource::AdminResource;

static RESOURCES: [&dyn AdminResource; 7] = [
    &departments::Departments,
    &accepted_domains::AcceptedDomains,
    &users::Users,
    &contract_types::ContractTypes,
    &contracts::Contracts,
    &companies::Companies,
    &company_contacts::CompanyContacts,
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
