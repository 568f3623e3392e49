use sea_orm::entity::prelude::*;

/// An opportunity a vendor follows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vendor_opportunities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vendor_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub opportunity_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::vendor::Entity", from = "Column::VendorId", to = "super::vendor::Column::Id")]
    Vendor,
    #[sea_orm(
        belongs_to = "super::opportunity::Entity",
        from = "Column::OpportunityId",
        to = "super::opportunity::Column::Id"
    )]
    Opportunity,
}

impl Related<super::vendor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Vendor.def()
    }
}

impl Related<super::opportunity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Opportunity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
