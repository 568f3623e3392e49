use sea_orm::entity::prelude::*;

/// A kind of contract (COSTARS, County, A-BID…).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    /// Opportunities may be posted under this type (Beacon).
    pub allow_opportunities: bool,
    /// Renewals of this type are run through Conductor.
    pub managed_by_conductor: bool,
    pub opportunity_response_instructions: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
