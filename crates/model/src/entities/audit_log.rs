use sea_orm::entity::prelude::*;

/// One change made in the admin back-office: who, what, and the record before and after (JSON).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub actor_id: Option<i32>,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The admin resource's slug, e.g. `departments`.
    pub resource: String,
    pub record_id: String,
    /// A human label of the record at the time (its name, email…).
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
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
