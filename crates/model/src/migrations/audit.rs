//! The audit columns every table carries: who created and last changed a row, and when.
//! The service layer fills `created_by`/`updated_by`; the database fills the times on insert.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer_null, timestamp_with_time_zone_default_now};

#[derive(DeriveIden)]
enum Audit {
    CreatedAt,
    UpdatedAt,
    CreatedBy,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// Adds `created_at`, `updated_at`, `created_by`, `updated_by` to `table`. The `*_by` columns
/// point at `users` and become NULL when that user is deleted, so history never blocks a delete.
pub fn audited(table: &mut TableCreateStatement, name: &str) -> TableCreateStatement {
    table
        .col(timestamp_with_time_zone_default_now(Audit::CreatedAt))
        .col(timestamp_with_time_zone_default_now(Audit::UpdatedAt))
        .col(integer_null(Audit::CreatedBy))
        .col(integer_null(Audit::UpdatedBy))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_created_by"))
                .from_col(Audit::CreatedBy)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_updated_by"))
                .from_col(Audit::UpdatedBy)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .to_owned()
}
