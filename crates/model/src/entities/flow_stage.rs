use sea_orm::entity::prelude::*;

/// A stage's place in a flow. A stage appears at most once in a flow; the rows go with their
/// flow, and a stage cannot be deleted while a flow lists it. No audit columns: the flow's own
/// say who made it, and the order never changes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flow_stages")]
pub struct Model {
    /// The flow; its rows go with it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub flow_id: i32,
    /// 0-based: the flow's first stage is at 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// The stage at that place; unique within the flow.
    pub stage_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::flow::Entity", from = "Column::FlowId", to = "super::flow::Column::Id")]
    Flow,
    #[sea_orm(belongs_to = "super::stage::Entity", from = "Column::StageId", to = "super::stage::Column::Id")]
    Stage,
}

impl Related<super::flow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flow.def()
    }
}

impl Related<super::stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stage.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
