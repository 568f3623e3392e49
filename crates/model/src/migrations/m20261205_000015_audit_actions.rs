//! The audit log records every change people make (issue 13), not only the back-office's
//! create, update and delete: an approval, a publication, an import (`admin::audit::
//! record_action`). `audit_log.action` was checked against those three words; it is now any
//! word of 1 to 40 characters, and `after` holds the action's facts. Existing entries are kept.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// Quoted: `before` and `after` are words of SQLite's own.
const COLUMNS: &str = r#""id", "actor_id", "action", "resource", "record_id", "summary", "before", "after",
    "created_at", "updated_at", "created_by", "updated_by""#;

/// `audit_log` under `name`, its action checked by `check` (SQLite rebuilds the table).
fn audit_log(name: &str, check: SimpleExpr) -> TableCreateStatement {
    audited(
        Table::create()
            .table(Alias::new(name))
            .col(pk_auto(Alias::new("id")))
            .col(integer_null(Alias::new("actor_id")))
            .col(string(Alias::new("action")).check(check))
            .col(string(Alias::new("resource")))
            .col(string(Alias::new("record_id")))
            .col(string(Alias::new("summary")))
            .col(text_null(Alias::new("before")))
            .col(text_null(Alias::new("after")))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_audit_log_actor")
                    .from_col(Alias::new("actor_id"))
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            ),
        "audit_log",
    )
}

fn any_word() -> SimpleExpr {
    Expr::cust("length(action) BETWEEN 1 AND 40")
}

fn the_three() -> SimpleExpr {
    Expr::col(Alias::new("action")).is_in(["create", "update", "delete"])
}

/// SQLite cannot change a column's check: the table is rebuilt, its entries kept. As one batch on
/// one connection: a pooled connection that sat idle through a schema change still prepares
/// against the schema it knew, and would refuse the rename ("there is already another table").
async fn rebuild_on_sqlite(manager: &SchemaManager<'_>, check: SimpleExpr) -> Result<(), DbErr> {
    let create = audit_log("audit_log_new", check).to_string(SqliteQueryBuilder);
    let index = Index::create()
        .name("idx_audit_log_record")
        .table(Alias::new("audit_log"))
        .col(Alias::new("resource"))
        .col(Alias::new("record_id"))
        .to_string(SqliteQueryBuilder);
    let batch = [
        // Makes this connection read the schema as it is now.
        "SELECT count(*) FROM sqlite_master".to_owned(),
        // Left by an attempt that stopped half-way (SQLite migrates without a transaction).
        "DROP TABLE IF EXISTS audit_log_new".to_owned(),
        create,
        format!("INSERT INTO audit_log_new ({COLUMNS}) SELECT {COLUMNS} FROM audit_log"),
        "DROP TABLE audit_log".to_owned(),
        "ALTER TABLE audit_log_new RENAME TO audit_log".to_owned(),
        index,
    ];
    manager.get_connection().execute_unprepared(&batch.join(";\n")).await?;
    Ok(())
}

/// PostgreSQL changes the check in place (the name is the one it gave the column's check).
async fn replace_check_on_postgres(manager: &SchemaManager<'_>, check: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared("ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_action_check").await?;
    db.execute_unprepared(&format!("ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK ({check})"))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_on_sqlite(manager, any_word()).await,
            _ => replace_check_on_postgres(manager, "char_length(action) BETWEEN 1 AND 40").await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Entries of other actions cannot go back under the old rule.
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM audit_log WHERE action NOT IN ('create', 'update', 'delete')").await?;
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_on_sqlite(manager, the_three()).await,
            _ => replace_check_on_postgres(manager, "action IN ('create', 'update', 'delete')").await,
        }
    }
}
