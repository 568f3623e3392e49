use sea_orm::entity::prelude::*;

/// A document bidders on an opportunity must submit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_required_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub opportunity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub required_document_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::opportunity::Entity",
        from = "Column::OpportunityId",
        to = "super::opportunity::Column::Id"
    )]
    Opportunity,
    #[sea_orm(
        belongs_to = "super::required_document::Entity",
        from = "Column::RequiredDocumentId",
        to = "super::required_document::Column::Id"
    )]
    RequiredDocument,
}

impl Related<super::opportunity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Opportunity.def()
    }
}

impl Related<super::required_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RequiredDocument.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
