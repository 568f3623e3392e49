//! What other wings add to the profile page, without accounts knowing them: a list of the
//! user's own things (the contracts they follow), each with a button to let go of it.
//!
//! A wing implements [`ProfileSection`] and contributes it through its manifest:
//! `Wing::new("scout").with(ProfileSections(&[&Following]))`. The profile page shows every
//! section in wing order; the button posts to `/profile/<name>/<id>/remove`, which calls
//! [`ProfileSection::remove`] in a write transaction, says what happened on the profile, and
//! comes back to it.

use platform::config::SiteConfig;
use sea_orm::{DatabaseTransaction, DbErr};
use serde::Serialize;

use crate::service::ServiceError;
use crate::viewer::CurrentUser;

/// A wing's part of the profile page.
#[async_trait::async_trait]
pub trait ProfileSection: Send + Sync {
    /// The section's name in its address (`/profile/following/7/remove`): lower case, no slash.
    fn name(&self) -> &'static str;
    /// What the section shows `me`, read in the page's transaction.
    async fn items(&self, db: &DatabaseTransaction, site: &SiteConfig, me: &CurrentUser) -> Result<Section, DbErr>;
    /// Lets go of item `id` of `me`'s (the row's button), in the caller's write transaction,
    /// checking the policy as any service does. `Ok(Some(message))` is said on the profile
    /// ("You no longer follow “Road salt”."); `Ok(None)`: it was not in the list (any more).
    async fn remove(
        &self,
        txn: &DatabaseTransaction,
        me: &CurrentUser,
        id: i32,
    ) -> Result<Option<String>, ServiceError>;
}

/// A list on the profile page.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// "Contracts you follow".
    pub heading: String,
    /// A sentence under the heading, if any.
    pub intro: Option<String>,
    /// Shown instead of the table when there is nothing: "You follow no contracts.".
    pub empty: String,
    /// Column headings after the first, which is the item's title ("Expires", "Status").
    pub title_column: String,
    pub columns: Vec<String>,
    pub items: Vec<Item>,
    /// The row button's word ("Unfollow"); the item's title follows it for screen readers.
    pub remove_label: String,
}

/// One row: its title (linked when it has a page), its cells in [`Section::columns`]' order.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i32,
    pub title: String,
    pub href: Option<String>,
    pub cells: Vec<String>,
}

/// The sections a wing contributes, in the order given.
#[derive(Clone, Copy)]
pub struct ProfileSections(pub &'static [&'static dyn ProfileSection]);

/// Every contributed section, in wing order.
pub fn sections(wings: &platform::wing::Contributions) -> impl Iterator<Item = &'static dyn ProfileSection> + '_ {
    wings.all::<ProfileSections>().flat_map(|s| s.0.iter().copied())
}
