use sea_orm::entity::prelude::*;

/// Something a contract supplies, with its price where known.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "line_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub contract_id: i32,
    pub description: String,
    pub manufacturer: Option<String>,
    pub model_number: Option<String>,
    pub quantity: Option<f64>,
    pub unit_of_measure: Option<String>,
    /// Dollars, as the source gave them (the original kept floats too); shown to the cent.
    pub unit_cost: Option<f64>,
    pub total_cost: Option<f64>,
    /// `unit_cost` is a percent discount rather than a price.
    pub percentage: bool,
    pub company_name: Option<String>,
    pub company_id: Option<i32>,
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
