//! What an API token may do beyond reading public data (which needs no token): one scope per
//! kind of work, named as OAuth names scopes (`area:verb`) and written space-separated.

use std::fmt;

/// One scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Create, update and archive contracts.
    ContractsWrite,
    /// Create and update opportunity drafts (publishing stays with Beacon's approvers).
    OpportunitiesWrite,
    /// Read the vendor list.
    VendorsRead,
    /// Read Conductor's work.
    ConductorRead,
}

impl Scope {
    pub const ALL: [Scope; 4] =
        [Scope::ContractsWrite, Scope::OpportunitiesWrite, Scope::VendorsRead, Scope::ConductorRead];

    pub fn name(self) -> &'static str {
        match self {
            Scope::ContractsWrite => "contracts:write",
            Scope::OpportunitiesWrite => "opportunities:write",
            Scope::VendorsRead => "vendors:read",
            Scope::ConductorRead => "conductor:read",
        }
    }

    /// For forms and the API's description.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::ContractsWrite => "Create, update and archive contracts",
            Scope::OpportunitiesWrite => "Create and update opportunity drafts",
            Scope::VendorsRead => "Read the vendor list",
            Scope::ConductorRead => "Read Conductor's work",
        }
    }

    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    fn bit(self) -> u8 {
        match self {
            Scope::ContractsWrite => 1,
            Scope::OpportunitiesWrite => 2,
            Scope::VendorsRead => 4,
            Scope::ConductorRead => 8,
        }
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);

    pub fn all() -> Scopes {
        Scope::ALL.into_iter().collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Every scope in both.
    pub fn within(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(self, other: Scopes) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// A space-separated list; an unknown name is an error that names it.
    pub fn parse(list: &str) -> Result<Scopes, String> {
        list.split_whitespace()
            .map(|name| Scope::parse(name).ok_or_else(|| format!("there is no scope called {name:?}")))
            .collect()
    }

    /// As stored: a list written by Procure itself, whose unknown names (none today) are left out.
    pub fn stored(list: &str) -> Scopes {
        list.split_whitespace().filter_map(Scope::parse).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Scopes {
        Scopes(iter.into_iter().fold(0, |bits, s| bits | s.bit()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::name).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_and_write_back_in_one_order() {
        let read = Scopes::parse("vendors:read  contracts:write").expect("known");
        assert_eq!(read.to_string(), "contracts:write vendors:read");
        assert_eq!(Scopes::parse("").expect("empty"), Scopes::NONE);
        assert_eq!(Scopes::all().to_string(), "contracts:write opportunities:write vendors:read conductor:read");
        assert_eq!(Scopes::parse("contracts:write admin"), Err("there is no scope called \"admin\"".to_owned()));
        assert_eq!(Scopes::stored("contracts:write admin").to_string(), "contracts:write");
    }

    #[test]
    fn sets_combine() {
        let a = Scopes::parse("contracts:write vendors:read").expect("known");
        let b = Scopes::parse("vendors:read conductor:read").expect("known");
        assert_eq!(a.within(b).to_string(), "vendors:read");
        assert!(a.within(b).is_subset(a) && !a.is_subset(b) && Scopes::NONE.is_subset(b));
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
            assert!(Scopes::all().contains(scope) && !Scopes::NONE.contains(scope));
        }
    }
}
