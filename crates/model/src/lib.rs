//! Procure's data: entities and the one migration set that serves SQLite and PostgreSQL.
//!
//! Schema rules (so both backends behave alike): text plus CHECK instead of enums, no arrays,
//! timestamps in UTC, integer keys; backend-specific SQL only inside a migration that branches
//! on `manager.get_database_backend()`.

pub mod audit;
pub mod entities;
pub mod migrations;
pub mod stamp;

pub use migrations::{MigrationState, Migrator, migrate, migration_state};
pub use stamp::{Stamp, StampUpdate};
