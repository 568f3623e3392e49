//! Small pieces every back-office resource needs: a case-insensitive search condition, one page
//! of a query with its total, the record to edit (or a new one), a unique-value check, and
//! reading form values.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, PaginatorTrait, PrimaryKeyToColumn,
    PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::resource::Values;

/// `LOWER(column) LIKE '%search%'`, with the search's own `%`, `_` and `\` taken literally.
pub fn contains(column: impl sea_orm::sea_query::IntoColumnRef, search: &str) -> Expr {
    let escaped: String = search
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// One page of `query` ordered by `order` (ascending), and how many rows match in all.
pub async fn page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    order: E::Column,
    offset: u64,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E::Model: Sync,
{
    let total = query.clone().count(db).await?;
    let rows = query.order_by_asc(order).offset(offset).limit(limit).all(db).await?;
    Ok((rows, total))
}

/// The stored record `id` to change, or a new one when creating (`id` None).
pub async fn editing<E>(db: &impl ConnectionTrait, id: Option<i32>) -> Result<E::ActiveModel, DbErr>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E> + From<E::Model> + Default,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    match id {
        Some(id) => {
            let found = E::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
            Ok(found.into())
        }
        None => Ok(<E::ActiveModel as Default>::default()),
    }
}

/// Whether a record other than `id` already has `value` in `column` (for "a department with
/// this name already exists").
pub async fn taken<C>(db: &impl ConnectionTrait, column: C, value: &str, id: Option<i32>) -> Result<bool, DbErr>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
    <C::EntityName as EntityTrait>::Model: Sync,
{
    let mut query = <C::EntityName as EntityTrait>::find().filter(column.eq(value));
    if let Some(id) = id {
        for key in <<C::EntityName as EntityTrait>::PrimaryKey as Iterable>::iter() {
            query = query.filter(key.into_column().ne(id));
        }
    }
    Ok(query.count(db).await? > 0)
}

/// Blank form text as NULL.
pub fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// "1 vendor", "3 vendors".
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checked ids from a checkbox group; anything that is not a number is `Err` with the value.
pub fn ids(values: &Values, field: &str) -> Result<Vec<i32>, String> {
    let mut ids = Vec::new();
    for raw in values.get(field).into_iter().flatten() {
        ids.push(raw.trim().parse::<i32>().map_err(|_| raw.clone())?);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
