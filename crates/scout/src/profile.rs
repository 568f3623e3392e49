//! Scout's part of the profile page: the contracts the user follows (as the original's profile
//! listed them), each with its expiration, its status and a button to stop following it.

use std::collections::HashSet;

use accounts::profile::{Item, ProfileSection, ProfileSections, Section};
use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use model::entities::{contract, contract_follower};
use platform::config::SiteConfig;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::contracts::Status;

/// Contributed through Scout's manifest.
pub const SECTIONS: ProfileSections = ProfileSections(&[&Following]);

pub struct Following;

fn title(c: &contract::Model) -> String {
    match c.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        // Shown as Scout's pages show it: stored capitals in title case.
        Some(d) => crate::display::title_case(d).into_owned(),
        None => format!("Contract {}", c.financial_id.as_deref().unwrap_or("without a number")),
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Active => "Active",
        Status::Expiring => "Expires within 30 days",
        Status::Expired => "Expired",
        Status::Archived => "Archived",
        Status::Replaced => "Replaced",
    }
}

#[async_trait::async_trait]
impl ProfileSection for Following {
    fn name(&self) -> &'static str {
        "following"
    }

    async fn items(&self, db: &DatabaseTransaction, site: &SiteConfig, me: &CurrentUser) -> Result<Section, DbErr> {
        let followed: Vec<contract::Model> = contract_follower::Entity::find()
            .filter(contract_follower::Column::UserId.eq(me.id))
            .find_also_related(contract::Entity)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(_, c)| c)
            .collect();
        let ids: Vec<i32> = followed.iter().map(|c| c.id).collect();
        // Contracts that renew one of these: those are "Replaced".
        let renewed: HashSet<i32> = contract::Entity::find()
            .select_only()
            .column(contract::Column::ParentId)
            .filter(contract::Column::ParentId.is_in(ids))
            .into_tuple::<Option<i32>>()
            .all(db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        let today = site.today();
        let mut followed = followed;
        // The soonest to expire first, those without a date last.
        followed.sort_by_key(|c| (c.expiration_date.is_none(), c.expiration_date, c.id));
        let items = followed
            .into_iter()
            .map(|c| {
                let status = Status::of(&c, renewed.contains(&c.id), today);
                let shown = if c.is_visible { status_word(status) } else { "No longer shown in Scout" };
                Item {
                    id: c.id,
                    title: title(&c),
                    href: c.is_visible.then(|| format!("/scout/contracts/{}", c.id)),
                    cells: vec![
                        c.expiration_date.map_or_else(|| "No date".to_owned(), |d| d.format("%b %-d, %Y").to_string()),
                        shown.to_owned(),
                    ],
                }
            })
            .collect();
        Ok(Section {
            heading: "Contracts you follow".to_owned(),
            intro: Some("Scout emails you before a contract you follow expires.".to_owned()),
            empty: "You follow no contracts. Follow one from its page in Scout to hear before it expires.".to_owned(),
            title_column: "Contract".to_owned(),
            columns: vec!["Expires".to_owned(), "Status".to_owned()],
            items,
            remove_label: "Unfollow".to_owned(),
        })
    }

    async fn remove(
        &self,
        txn: &DatabaseTransaction,
        me: &CurrentUser,
        id: i32,
    ) -> Result<Option<String>, ServiceError> {
        authorize(Some(me), Action::Follow, Resource::Contract)?;
        // Anyone may stop following, even a contract no longer shown in Scout.
        let gone = contract_follower::Entity::delete_by_id((id, me.id)).exec(txn).await?;
        if gone.rows_affected == 0 {
            return Ok(None);
        }
        let label =
            contract::Entity::find_by_id(id).one(txn).await?.map_or_else(|| format!("contract {id}"), |c| title(&c));
        Ok(Some(format!("You no longer follow “{label}”.")))
    }
}
