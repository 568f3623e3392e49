use sea_orm::entity::prelude::*;

/// An ordered list of stages work goes through (its order in `flow_stages`). Only the name and
/// the archived flag change once made: re-ordering means a new flow.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Shown when starting work and on the work's rail; unique.
    #[sea_orm(unique)]
    pub name: String,
    /// Not offered when starting work or switching flows; items already in it carry on.
    pub is_archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::flow_stage::Entity")]
    FlowStage,
}

impl Related<super::flow_stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FlowStage.def()
    }
}

/// The flow's stages, through `flow_stages` (order by `flow_stage::Column::Position`).
impl Related<super::stage::Entity> for Entity {
    fn to() -> RelationDef {
        super::flow_stage::Relation::Stage.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::flow_stage::Relation::Flow.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
