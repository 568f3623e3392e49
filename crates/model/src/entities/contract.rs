use sea_orm::entity::prelude::*;

/// A city contract.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The controller number.
    pub financial_id: Option<String>,
    pub expiration_date: Option<Date>,
    pub description: Option<String>,
    pub contract_href: Option<String>,
    /// An uploaded document (`stored_files.id`).
    pub document_id: Option<i64>,
    pub contract_type_id: Option<i32>,
    pub department_id: Option<i32>,
    pub is_archived: bool,
    pub is_visible: bool,
    /// The contract this one renews; its successors point here.
    pub parent_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::contract_type::Entity",
        from = "Column::ContractTypeId",
        to = "super::contract_type::Column::Id"
    )]
    ContractType,
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id"
    )]
    Department,
}

impl Related<super::contract_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ContractType.def()
    }
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
