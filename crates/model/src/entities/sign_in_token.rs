use sea_orm::entity::prelude::*;

/// A one-time sign-in link. Only the SHA-256 of its token is kept. It names the address it was
/// mailed to, and the user if there was one then; a link for a new address at an accepted
/// domain has no user until it is first used.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: Option<i32>,
    /// The bare, lower-cased address the link was mailed to.
    pub email: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub browser_hash: Option<String>,
    pub next_path: Option<String>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
