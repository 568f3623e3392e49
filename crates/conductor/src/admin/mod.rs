//! Conductor's tables in the back-office, for conductor-level users (`AdminArea::Workflow`):
//! stages (made and edited here, never deleted: flows share them and work went through them)
//! and flows (made here with their stages in order, renamed and archived; one that any work
//! item followed is never deleted).

mod flows;
mod stages;

use admin::BackOffice;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

pub const RESOURCES: BackOffice = BackOffice(&[&stages::Stages, &flows::Flows]);

/// "yes" or "no", as list cells say it.
fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// Whether a record other than `id` has `name` in `column`, whatever the case: "Review" and
/// "review" would be the same step to the people choosing it.
async fn name_taken<C>(
    db: &DatabaseTransaction,
    column: C,
    name: &str,
    id: Option<i32>,
    id_column: C,
) -> Result<bool, DbErr>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
    <C::EntityName as EntityTrait>::Model: Sync,
{
    let mut query = <C::EntityName as EntityTrait>::find()
        .filter(Expr::expr(Func::lower(Expr::col(column))).eq(name.to_lowercase()));
    if let Some(id) = id {
        query = query.filter(id_column.ne(id));
    }
    Ok(query.count(db).await? > 0)
}
