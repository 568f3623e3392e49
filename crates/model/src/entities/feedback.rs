use sea_orm::entity::prelude::*;

/// A message to the city's purchasing staff from Scout, about a contract or a search; kept
/// whether or not it could be emailed, until an admin deletes it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The sender's address.
    pub sender: String,
    pub message: String,
    pub contract_id: Option<i32>,
    /// What the sender searched for, when they wrote from a search.
    pub search_query: Option<String>,
    /// When it was queued to the admins; None when there was nobody to send it to.
    pub emailed_at: Option<DateTimeUtc>,
    /// When an admin marked it handled.
    pub handled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::contract::Entity", from = "Column::ContractId", to = "super::contract::Column::Id")]
    Contract,
}

impl Related<super::contract::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contract.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
