use sea_orm::entity::prelude::*;

/// An NIGP commodity category (Beacon's vendor sign-up choices).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "categories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `|`-separated NIGP codes as integers (leading zeros are not kept, as in the original).
    pub nigp_codes: String,
    /// The top-level group.
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub category_friendly_name: Option<String>,
    /// `|`-separated examples.
    pub examples: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<i32>,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Model {
    /// The name people see: the friendly name, else the subcategory, the category, the codes.
    pub fn display_name(self) -> String {
        self.category_friendly_name.or(self.subcategory).or(self.category).unwrap_or(self.nigp_codes)
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// `01000 | 2000` → `1000|2000` (integers, as the original stored them), or why not: the one
/// spelling of a category's NIGP codes, for the importer and the back-office alike.
pub fn nigp_codes(raw: &str) -> Result<String, String> {
    let mut codes = Vec::new();
    for part in raw.split('|') {
        let part = part.trim();
        match part.parse::<i64>() {
            Ok(n) => codes.push(n.to_string()),
            Err(_) => return Err(format!("code {part:?} is not a number")),
        }
    }
    Ok(codes.join("|"))
}
