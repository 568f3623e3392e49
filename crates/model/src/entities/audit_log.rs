use sea_orm::entity::prelude::*;

/// One change someone made: who, what, and the record before and after (JSON), or for actions
/// other than a back-office create/update/delete, the action's facts (see `admin::audit`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub actor_id: Option<i32>,
    /// `create`, `update` or `delete` (back-office changes), or another word: `approve`,
    /// `publish`, `import`… (1 to 40 characters).
    pub action: String,
    /// The admin resource's slug, e.g. `departments`.
    pub resource: String,
    pub record_id: String,
    /// A human label of the record at the time (its name, email…).
    pub summary: String,
    /// The record's values before (updates, deletes): a JSON object of field → values.
    pub before: Option<String>,
    /// The values after (creates, updates), or for other actions a JSON array of
    /// `[name, value]` facts.
    pub after: Option<String>,
    /// What the change came through, when not the actor's own session: "API client “Finance”",
    /// "a personal access token" (see `model::audit::acting_through`).
    pub via: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::ActorId", to = "super::user::Column::Id")]
    Actor,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
