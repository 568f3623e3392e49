use sea_orm::entity::prelude::*;

/// One extension of a contract's expiration (Conductor's Extend), kept as the contract's
/// history of terms.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_terms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The contract extended; its terms go with it.
    pub contract_id: i32,
    /// The expiration this term runs to (the contract's `expiration_date` from then on).
    pub expiration_date: Date,
    /// The expiration before the extension; None when the contract had none.
    pub previous_expiration: Option<Date>,
    /// Why it was extended, as staff wrote it.
    pub reason: String,
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
