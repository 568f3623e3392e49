use sea_orm::entity::prelude::*;

/// A bearer token for the API (see migration 27): a client's, from the client-credentials
/// grant, or a user's personal token. Only its SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The SHA-256 (hex) of the token.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// `client` or `personal`.
    pub kind: String,
    /// A personal token's label, or the client's name when it was issued.
    pub name: String,
    pub client_id: Option<i32>,
    /// A personal token's user.
    pub user_id: Option<i32>,
    /// Its scopes, space-separated.
    pub scopes: String,
    pub expires_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::api_client::Entity",
        from = "Column::ClientId",
        to = "super::api_client::Column::Id"
    )]
    Client,
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::UserId", to = "super::user::Column::Id")]
    User,
}

impl Related<super::api_client::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Client.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
