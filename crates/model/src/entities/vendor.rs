use sea_orm::entity::prelude::*;

/// A business that hears about opportunities in its categories.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "vendors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub business_name: String,
    /// Lower-cased: unique whatever the case it was typed in.
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Ten digits.
    pub phone_number: Option<String>,
    pub fax_number: Option<String>,
    pub woman_owned: bool,
    pub minority_owned: bool,
    pub veteran_owned: bool,
    pub disadvantaged_owned: bool,
    pub newsletter: bool,
    /// When the address was confirmed (double opt-in); nothing is sent before.
    pub confirmed_at: Option<DateTimeUtc>,
    /// When the vendor unsubscribed from everything; nothing is sent after.
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
