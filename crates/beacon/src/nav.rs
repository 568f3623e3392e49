//! Beacon's links in the header for signed-in staff: "Post an opportunity" for whoever may draft
//! one, and "Awaiting approval (N)" for whoever may approve (N drafts whose bids have not closed).

use accounts::nav::{NavLink, NavLinks};
use accounts::{Action, CurrentUser, Resource};
use chrono::Utc;
use model::entities::opportunity;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

pub struct StaffLinks;

#[async_trait::async_trait]
impl NavLinks for StaffLinks {
    async fn links(&self, db: &DatabaseConnection, user: &CurrentUser) -> Result<Vec<NavLink>, DbErr> {
        let mut links = Vec::new();
        if accounts::can(Some(user), Action::Create, Resource::Opportunity { public: false, own: true }) {
            links.push(NavLink { label: "Post an opportunity".into(), href: "/beacon/admin/new".into() });
        }
        if accounts::can(Some(user), Action::Publish, Resource::Opportunity { public: false, own: false }) {
            let waiting = opportunity::Entity::find()
                .filter(opportunity::Column::IsPublic.eq(false))
                .filter(opportunity::Column::IsArchived.eq(false))
                .filter(opportunity::Column::PlannedSubmissionEnd.gt(Utc::now()))
                .count(db)
                .await?;
            links.push(NavLink { label: format!("Awaiting approval ({waiting})"), href: "/beacon/admin/".into() });
        }
        Ok(links)
    }
}
