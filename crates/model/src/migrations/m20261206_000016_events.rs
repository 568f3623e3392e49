//! The outbox of domain events (`platform::events`): a row per event, written in the
//! transaction of the change that causes it, and the one-row sequence the relay numbers
//! committed events from.
//!
//! `seq` is NULL until a relay numbers the event, after its transaction committed; relays
//! number under a lock on `event_sequence`, so `seq` has no gaps and follows the order events
//! became visible: a reader that has seen `seq = n` has been able to see every event up to `n`.
//! `event_sequence.stream` is random per database, so processes of two deployments sharing a
//! broker ignore each other's messages. On PostgreSQL a statement trigger sends
//! `NOTIFY procure_outbox` on insert, which is delivered when (and only if) the transaction
//! commits: relays wake at once instead of waiting for their next poll. Times are integer
//! milliseconds since the epoch, as in `jobs`.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq BIGINT NULL UNIQUE,
        kind VARCHAR(100) NOT NULL,
        subject_id BIGINT NULL,
        audience VARCHAR(16) NOT NULL,
        user_id BIGINT NULL,
        payload TEXT NOT NULL,
        origin VARCHAR(64) NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL",
    "CREATE INDEX events_created ON events (created_at)",
    "CREATE TABLE event_sequence (id INTEGER PRIMARY KEY, stream VARCHAR(36) NOT NULL, last_seq BIGINT NOT NULL)",
    "INSERT INTO event_sequence (id, stream, last_seq) VALUES (1, lower(hex(randomblob(16))), 0)",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        seq BIGINT NULL UNIQUE,
        kind VARCHAR(100) NOT NULL,
        subject_id BIGINT NULL,
        audience VARCHAR(16) NOT NULL,
        user_id BIGINT NULL,
        payload TEXT NOT NULL,
        origin VARCHAR(64) NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL",
    "CREATE INDEX events_created ON events (created_at)",
    "CREATE TABLE event_sequence (id INTEGER PRIMARY KEY, stream VARCHAR(36) NOT NULL, last_seq BIGINT NOT NULL)",
    "INSERT INTO event_sequence (id, stream, last_seq) VALUES (1, replace(gen_random_uuid()::text, '-', ''), 0)",
    "CREATE FUNCTION procure_events_wake() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN PERFORM pg_notify('procure_outbox', ''); RETURN NULL; END $$",
    "CREATE TRIGGER events_wake AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION procure_events_wake()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS events_wake ON events").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS procure_events_wake()").await?;
        }
        db.execute_unprepared("DROP TABLE IF EXISTS event_sequence").await?;
        db.execute_unprepared("DROP TABLE IF EXISTS events").await?;
        Ok(())
    }
}
