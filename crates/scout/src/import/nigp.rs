//! NIGP categories (`2015-07-01-nigp-cleaned.csv`).

use sea_orm::ConnectionTrait;

use super::reader::Row;
use super::store::{Category, Store};
use super::{Outcome, Report, RowResult};

pub use model::entities::category::nigp_codes as codes;

pub(crate) async fn row(db: &impl ConnectionTrait, st: &mut Store, row: &Row, _report: &mut Report) -> RowResult {
    let Some(raw) = row.get("code") else {
        return Ok(Outcome::Skipped("code is empty".into()));
    };
    let nigp_codes = match codes(raw) {
        Ok(codes) => codes,
        Err(reason) => return Ok(Outcome::Skipped(reason)),
    };
    let category = Category {
        nigp_codes,
        category: row.get("parent_category").map(str::to_owned),
        subcategory: row.get("category").map(str::to_owned),
        friendly_name: row.get("category_friendly_name").map(str::to_owned),
        examples: row.get("examples").map(str::to_owned),
    };
    Ok(if st.category(db, &category).await? { Outcome::Created } else { Outcome::Unchanged })
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_integers_joined_by_pipes() {
        assert_eq!(super::codes("01000").as_deref(), Ok("1000"));
        assert_eq!(super::codes(" 2000 | 02005 ").as_deref(), Ok("2000|2005"));
        assert!(super::codes("20x0").is_err());
    }
}
