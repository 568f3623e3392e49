//! Two rows of `data_versions` that the database raises itself, so values cached under them are
//! never older than the data:
//! - `people`: whenever who someone is changes (a user's address, name, activity, department or
//!   session epoch; their roles; a department's name). The signed-in viewer and the lists of
//!   people are cached under it (`accounts::users::PEOPLE`).
//! - `conductor`: whenever Conductor's work moves (a work item, a stage row, a stage's name or
//!   target, a flow's stages). Its metrics are cached under it (`conductor::metrics`).
//!
//! Invariant: each version is raised by triggers, in the transaction of the change, whoever
//! makes it (a page, the back-office, the importer, a script); no code needs to remember to.
//! A sign-in (which stamps `last_sign_in_at`) does not raise `people`.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A trigger: its name, the change it follows, its table.
type Trigger = (&'static str, &'static str, &'static str);

/// Each version with its triggers.
const VERSIONS: [(&str, &[Trigger]); 2] = [
    (
        "people",
        &[
            ("people_user_added", "INSERT", "users"),
            (
                "people_user_changed",
                "UPDATE OF email, first_name, last_name, active, department_id, session_epoch",
                "users",
            ),
            ("people_user_deleted", "DELETE", "users"),
            ("people_role_added", "INSERT", "user_roles"),
            ("people_role_changed", "UPDATE", "user_roles"),
            ("people_role_removed", "DELETE", "user_roles"),
            ("people_department_changed", "UPDATE OF name", "departments"),
        ],
    ),
    (
        "conductor",
        &[
            ("conductor_item_added", "INSERT", "work_items"),
            (
                "conductor_item_changed",
                "UPDATE OF contract_id, parent_id, flow_id, current_stage_id, assignee_id, department_id, status",
                "work_items",
            ),
            ("conductor_item_deleted", "DELETE", "work_items"),
            ("conductor_row_added", "INSERT", "work_item_stages"),
            ("conductor_row_changed", "UPDATE", "work_item_stages"),
            ("conductor_row_deleted", "DELETE", "work_item_stages"),
            ("conductor_stage_changed", "UPDATE OF name, target_days", "stages"),
            ("conductor_flow_stage_added", "INSERT", "flow_stages"),
            ("conductor_flow_stage_changed", "UPDATE", "flow_stages"),
            ("conductor_flow_stage_deleted", "DELETE", "flow_stages"),
        ],
    ),
];

fn bump(version: &str) -> String {
    format!("UPDATE data_versions SET version = version + 1 WHERE name = '{version}'")
}

/// PostgreSQL runs one function per version, once per statement (a bulk change raises the
/// version once).
fn function(version: &str) -> String {
    format!("{version}_version_bump")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for (version, triggers) in VERSIONS {
            db.execute_unprepared(&format!("INSERT INTO data_versions (name, version) VALUES ('{version}', 0)"))
                .await?;
            let (bump, function) = (bump(version), function(version));
            if backend == DbBackend::Postgres {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN {bump}; RETURN NULL; END $fn$"
                ))
                .await?;
            }
            for (name, event, table) in triggers {
                let sql = match backend {
                    DbBackend::Postgres => format!(
                        "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                    ),
                    _ => format!("CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {bump}; END"),
                };
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for (version, triggers) in VERSIONS {
            for (name, _, table) in triggers {
                let sql = match backend {
                    DbBackend::Postgres => format!("DROP TRIGGER IF EXISTS {name} ON {table}"),
                    _ => format!("DROP TRIGGER IF EXISTS {name}"),
                };
                db.execute_unprepared(&sql).await?;
            }
            if backend == DbBackend::Postgres {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {}()", function(version))).await?;
            }
            db.execute_unprepared(&format!("DELETE FROM data_versions WHERE name = '{version}'")).await?;
        }
        Ok(())
    }
}
