use sea_orm::entity::prelude::*;

/// A step of Conductor's work (say "Draft specification"), shared by the flows that list it.
/// Edited in the admin only; never deleted while a flow or a work item uses it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Shown on the stage rail and in metrics; unique.
    #[sea_orm(unique)]
    pub name: String,
    /// Whether the stage's page offers posting the work to Beacon (checked by the server).
    pub post_opportunities: bool,
    /// The body an update email sent from this stage starts with.
    pub default_message: Option<String>,
    /// How many days the stage should take; past it the work shows as overdue. None: no
    /// target. Positive (the database checks it).
    pub target_days: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
