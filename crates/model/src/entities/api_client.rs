use sea_orm::entity::prelude::*;

/// A system registered to use the API (see migration 27): it gets short-lived tokens with the
/// client-credentials grant and acts for its owner, within its scopes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    /// The public half of its credentials.
    #[sea_orm(unique)]
    pub client_id: String,
    /// The SHA-256 (hex) of its secret; the secret itself is shown once and never kept.
    pub secret_hash: String,
    /// The scopes it may be given, space-separated.
    pub scopes: String,
    /// The user it acts for; None once that user is deleted (it then gets no tokens).
    pub owner_id: Option<i32>,
    pub is_active: bool,
    /// When its secret was made (created or rotated).
    pub secret_made_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::OwnerId", to = "super::user::Column::Id")]
    Owner,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
