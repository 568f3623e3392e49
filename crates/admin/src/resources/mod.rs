//! The back-office's own tables (departments, accepted domains, users and their roles, API
//! clients), and the
//! lookup of every resource the wings contribute through their manifests ([`BackOffice`]).

mod accepted_domains;
mod api_clients;
mod departments;
mod users;

use platform::http::AppState;

use crate::resource::AdminResource;

/// A wing's back-office tables, contributed through its manifest:
/// `Wing::new("scout").with(BackOffice(&[&Contracts, &Companies]))`. The index lists them in
/// wing order, then in the order given.
#[derive(Clone, Copy)]
pub struct BackOffice(pub &'static [&'static dyn AdminResource]);

/// The back-office crate's own resources.
pub(crate) const OWN: BackOffice = BackOffice(&[
    &departments::Departments,
    &accepted_domains::AcceptedDomains,
    &users::Users,
    &api_clients::ApiClients,
]);

/// Every resource of every mounted wing.
pub fn all(state: &AppState) -> impl Iterator<Item = &'static dyn AdminResource> + '_ {
    state.contributions.all::<BackOffice>().flat_map(|b| b.0.iter().copied())
}

pub fn find(state: &AppState, slug: &str) -> Option<&'static dyn AdminResource> {
    all(state).find(|r| r.slug() == slug)
}
