//! Who may do what: the one place that decides. Services call [`authorize`] before they act, so a
//! hand-made POST gets the same answer as the page that offers the button.
//!
//! The rules are the original suite's: conductor-level means conductor, admin or superadmin;
//! the admin back-office is for admins, except stages and flows (conductor-level) and roles
//! (superadmin only, as is making someone a superadmin).

use serde::{Deserialize, Serialize};

use crate::viewer::CurrentUser;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Superadmin,
    Admin,
    Conductor,
    Staff,
    County,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Superadmin, Role::Admin, Role::Conductor, Role::Staff, Role::County];

    pub fn name(self) -> &'static str {
        match self {
            Role::Superadmin => "superadmin",
            Role::Admin => "admin",
            Role::Conductor => "conductor",
            Role::Staff => "staff",
            Role::County => "county",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Create,
    Edit,
    Delete,
    Follow,
    /// Make an opportunity public (approve it).
    Publish,
}

/// Parts of the back-office, each with its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AdminArea {
    /// Most tables: admins.
    General,
    /// Stages and flows: conductor-level, as in the original.
    Workflow,
    /// Who holds which role, and who is a superadmin.
    Roles,
    /// The log of admin changes.
    AuditLog,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The signed-in user's own profile.
    OwnProfile,
    /// The admin index page: anyone who may see some part of the back-office.
    AdminHome,
    Admin(AdminArea),
    /// A public contract: anyone may view it; any signed-in user may follow it (the original
    /// forgot `county` users) and keep private notes on it.
    Contract,
    /// A signed-in user's own private note on a contract.
    ContractNote,
    /// A Beacon opportunity, with the facts its rules depend on: whether it is public (approved)
    /// and whether the user created it or is its contact. Staff (not county users) draft
    /// opportunities and edit their own drafts; only conductor-level users publish, archive and
    /// edit public ones (the original let any staff member publish by posting `save_type`).
    Opportunity {
        public: bool,
        own: bool,
    },
    /// Conductor's work items: conductor-level users see and change them all (the original's
    /// rule); nobody else sees them.
    WorkItem,
    /// COSTARS award lists and their contracts' documents, uploaded from Conductor: conductor-level
    /// users upload them (the original's upload pages were Conductor's); a document, once
    /// attached there, is replaced only through the back-office.
    CostarsUpload,
    /// An entry of a work item's activity log. Only a note can be deleted, and only by its
    /// author or an admin; every other entry is evidence, never deleted.
    WorkItemEntry {
        note: bool,
        own: bool,
    },
    /// The user's own personal access tokens for the API (their profile page): city staff make,
    /// list and revoke them; county users, who only read what is public, have no use for one.
    OwnApiToken,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin) || self.has(Role::Superadmin)
    }

    pub fn is_conductor_level(&self) -> bool {
        self.is_admin() || self.has(Role::Conductor)
    }
}

/// Whether `user` (None: anonymous) may do `action` on `resource`.
pub fn can(user: Option<&CurrentUser>, action: Action, resource: Resource) -> bool {
    match (resource, action) {
        (Resource::Contract, Action::View) | (Resource::Opportunity { public: true, .. }, Action::View) => return true,
        _ => {}
    }
    let Some(user) = user else { return false };
    match resource {
        Resource::OwnProfile => matches!(action, Action::View | Action::Edit),
        Resource::AdminHome => action == Action::View && user.is_conductor_level(),
        Resource::Admin(AdminArea::General) => user.is_admin(),
        Resource::Admin(AdminArea::Workflow) => user.is_conductor_level(),
        Resource::Admin(AdminArea::Roles) => user.has(Role::Superadmin),
        // The log is evidence: it can be read, never edited from the app.
        Resource::Admin(AdminArea::AuditLog) => action == Action::View && user.is_admin(),
        Resource::Contract => matches!(action, Action::View | Action::Follow),
        Resource::ContractNote => matches!(action, Action::View | Action::Create | Action::Delete),
        Resource::WorkItem => user.is_conductor_level() && action != Action::Follow,
        Resource::OwnApiToken => {
            (user.has(Role::Staff) || user.is_conductor_level())
                && matches!(action, Action::View | Action::Create | Action::Delete)
        }
        Resource::CostarsUpload => user.is_conductor_level() && matches!(action, Action::View | Action::Create),
        Resource::WorkItemEntry { note, own } => match action {
            Action::View | Action::Create => user.is_conductor_level(),
            Action::Delete => user.is_conductor_level() && note && (own || user.is_admin()),
            Action::Edit | Action::Publish | Action::Follow => false,
        },
        Resource::Opportunity { public, own } => {
            let staff = user.has(Role::Staff) || user.is_conductor_level();
            match action {
                // Public ones are public; drafts are for their authors and their approvers.
                Action::View => public || user.is_conductor_level() || (own && staff),
                Action::Create => staff,
                Action::Edit => user.is_conductor_level() || (staff && own && !public),
                Action::Publish | Action::Delete => user.is_conductor_level(),
                Action::Follow => false,
            }
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("sign in first")]
    SignInRequired,
    #[error("you do not have sufficient permissions")]
    Forbidden,
}

/// [`can`], as a `Result` for services to `?`.
pub fn authorize(user: Option<&CurrentUser>, action: Action, resource: Resource) -> Result<(), Denied> {
    match (user, can(user, action, resource)) {
        (_, true) => Ok(()),
        (None, false) => Err(Denied::SignInRequired),
        (Some(_), false) => Err(Denied::Forbidden),
    }
}

impl From<Denied> for platform::http::AppError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::SignInRequired => platform::http::AppError::Unauthorized,
            Denied::Forbidden => platform::http::AppError::Forbidden,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role]) -> CurrentUser {
        CurrentUser {
            id: 1,
            email: "a@example.gov".into(),
            first_name: None,
            last_name: None,
            department_id: None,
            department: None,
            roles: roles.to_vec(),
            session_epoch: 0,
        }
    }

    #[test]
    fn the_original_rules_hold() {
        let area = |a| Resource::Admin(a);
        for (roles, general, workflow, roles_area, home) in [
            (vec![], false, false, false, false),
            (vec![Role::Staff], false, false, false, false),
            (vec![Role::County], false, false, false, false),
            (vec![Role::Conductor], false, true, false, true),
            (vec![Role::Admin], true, true, false, true),
            (vec![Role::Superadmin], true, true, true, true),
            (vec![Role::Staff, Role::Admin], true, true, false, true),
        ] {
            let u = user(&roles);
            assert_eq!(can(Some(&u), Action::Edit, area(AdminArea::General)), general, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Edit, area(AdminArea::Workflow)), workflow, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Edit, area(AdminArea::Roles)), roles_area, "{roles:?}");
            assert_eq!(can(Some(&u), Action::View, Resource::AdminHome), home, "{roles:?}");
            assert!(can(Some(&u), Action::Edit, Resource::OwnProfile));
        }
    }

    #[test]
    fn anonymous_may_do_nothing_here_and_is_asked_to_sign_in() {
        assert!(!can(None, Action::View, Resource::OwnProfile));
        assert_eq!(authorize(None, Action::View, Resource::AdminHome), Err(Denied::SignInRequired));
        let staff = user(&[Role::Staff]);
        assert_eq!(authorize(Some(&staff), Action::View, Resource::AdminHome), Err(Denied::Forbidden));
    }

    #[test]
    fn every_signed_in_user_may_follow_a_contract_and_anyone_may_read_it() {
        assert!(can(None, Action::View, Resource::Contract));
        assert_eq!(authorize(None, Action::Follow, Resource::Contract), Err(Denied::SignInRequired));
        for role in Role::ALL {
            assert!(can(Some(&user(&[role])), Action::Follow, Resource::Contract), "{role:?}");
            assert!(can(Some(&user(&[role])), Action::Create, Resource::ContractNote), "{role:?}");
        }
        assert!(!can(Some(&user(&[Role::Superadmin])), Action::Edit, Resource::Contract), "edits go through the admin");
    }

    #[test]
    fn conductor_work_and_costars_uploads_are_for_conductor_level_users_and_notes_for_their_authors() {
        let entry = |note, own| Resource::WorkItemEntry { note, own };
        for (roles, work, delete_own_note, delete_others_note) in [
            (vec![Role::Staff], false, false, false),
            (vec![Role::County], false, false, false),
            (vec![Role::Conductor], true, true, false),
            (vec![Role::Admin], true, true, true),
            (vec![Role::Superadmin], true, true, true),
        ] {
            let u = user(&roles);
            for action in [Action::View, Action::Create, Action::Edit, Action::Delete] {
                assert_eq!(can(Some(&u), action, Resource::WorkItem), work, "{roles:?} {action:?}");
            }
            for action in [Action::View, Action::Create] {
                assert_eq!(can(Some(&u), action, Resource::CostarsUpload), work, "{roles:?} {action:?}");
            }
            assert!(!can(Some(&u), Action::Delete, Resource::CostarsUpload), "documents leave through the back-office");
            assert_eq!(can(Some(&u), Action::Delete, entry(true, true)), delete_own_note, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Delete, entry(true, false)), delete_others_note, "{roles:?}");
            assert!(!can(Some(&u), Action::Delete, entry(false, true)), "only notes are deleted");
            assert!(!can(Some(&u), Action::Edit, entry(true, true)), "entries are never rewritten");
        }
        assert_eq!(authorize(None, Action::View, Resource::WorkItem), Err(Denied::SignInRequired));
    }

    #[test]
    fn city_staff_make_and_revoke_their_own_api_tokens_and_county_users_do_not() {
        for (roles, allowed) in [
            (vec![Role::Staff], true),
            (vec![Role::County], false),
            (vec![Role::Conductor], true),
            (vec![Role::Admin], true),
            (vec![Role::Superadmin], true),
        ] {
            let u = user(&roles);
            for action in [Action::View, Action::Create, Action::Delete] {
                assert_eq!(can(Some(&u), action, Resource::OwnApiToken), allowed, "{roles:?} {action:?}");
            }
            assert!(!can(Some(&u), Action::Edit, Resource::OwnApiToken), "a token is never rewritten");
        }
        assert_eq!(authorize(None, Action::Create, Resource::OwnApiToken), Err(Denied::SignInRequired));
    }

    #[test]
    fn nobody_edits_the_audit_log() {
        let root = user(&[Role::Superadmin]);
        assert!(can(Some(&root), Action::View, Resource::Admin(AdminArea::AuditLog)));
        for action in [Action::Create, Action::Edit, Action::Delete] {
            assert!(!can(Some(&root), action, Resource::Admin(AdminArea::AuditLog)));
        }
    }

    #[test]
    fn only_conductor_level_users_publish_opportunities_and_staff_edit_only_their_drafts() {
        let draft = |own| Resource::Opportunity { public: false, own };
        let public = |own| Resource::Opportunity { public: true, own };
        assert!(can(None, Action::View, public(false)));
        assert_eq!(authorize(None, Action::View, draft(false)), Err(Denied::SignInRequired));
        for (roles, create, edit_own_draft, edit_others, edit_public, publish) in [
            (vec![Role::County], false, false, false, false, false),
            (vec![Role::Staff], true, true, false, false, false),
            (vec![Role::Conductor], true, true, true, true, true),
            (vec![Role::Admin], true, true, true, true, true),
            (vec![Role::Superadmin], true, true, true, true, true),
        ] {
            let u = user(&roles);
            assert_eq!(can(Some(&u), Action::Create, draft(true)), create, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Edit, draft(true)), edit_own_draft, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Edit, draft(false)), edit_others, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Edit, public(true)), edit_public, "{roles:?}");
            assert_eq!(can(Some(&u), Action::Publish, draft(true)), publish, "{roles:?}");
            assert!(can(Some(&u), Action::View, public(false)));
        }
    }
}
