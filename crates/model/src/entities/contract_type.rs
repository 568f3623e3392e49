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
    /// How many days before a contract of this type expires its renewal should start (120
    /// unless set); Conductor reminds from then on (`conductor::reminders`).
    pub lead_time_days: i32,
    /// On which days before the expiry Conductor reminds whoever holds the renewal: whole days,
    /// comma-separated ("90,60,30,7,1" unless set).
    pub reminder_days: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
