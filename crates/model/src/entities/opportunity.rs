use sea_orm::entity::prelude::*;

/// A bid opportunity published on Beacon.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub department_id: i32,
    /// The contract type, whose instructions say how to bid.
    pub contract_type_id: i32,
    /// The staff member vendors write to.
    pub contact_id: Option<i32>,
    /// The day it is to be made public (display time zone).
    pub planned_publish: Date,
    /// The day bids may be submitted from.
    pub planned_submission_start: Date,
    /// The moment bids close.
    pub planned_submission_end: DateTimeUtc,
    /// Approved for publishing by a conductor-level user.
    pub is_public: bool,
    pub is_archived: bool,
    /// When it became visible to the public.
    pub published_at: Option<DateTimeUtc>,
    /// The contract it renews, if made from one.
    pub created_from_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id"
    )]
    Department,
    #[sea_orm(
        belongs_to = "super::contract_type::Entity",
        from = "Column::ContractTypeId",
        to = "super::contract_type::Column::Id"
    )]
    ContractType,
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::ContactId", to = "super::user::Column::Id")]
    Contact,
    #[sea_orm(
        belongs_to = "super::contract::Entity",
        from = "Column::CreatedFromId",
        to = "super::contract::Column::Id"
    )]
    CreatedFrom,
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::contract_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ContractType.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl Related<super::contract::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedFrom.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
