//! Email addresses and sign-in, hardened (issue 12):
//! - `throttle_hits` replaces `sign_in_attempts`: every anonymous action that sends email is
//!   limited per address and per client, each under its own action name (the last day's
//!   sign-in attempts are carried over as `accounts.sign_in_link`).
//! - `sign_in_tokens.email`, and `user_id` may be NULL: a link asked for by an address at an
//!   accepted domain that has no user yet names the address, and the user is created when the
//!   link is first used, not when it is asked for.
//! - `users.session_epoch`: a session is valid only while it carries its user's epoch; changing
//!   a user's address raises it, which ends every session of that user at once, whichever
//!   store holds them.
//! - Stored addresses become what the one address parser (`platform::mail::address`) returns:
//!   bare (`Name <a@b.example>` → `a@b.example`) and lower-cased. Duplicates that this reveals:
//!   * vendors: the confirmed one (the earliest confirmed, else the oldest) is kept, with the
//!     categories and follows of the other confirmed ones added to it; the rest are deleted
//!     (an unconfirmed record's choices were never confirmed by the mailbox's owner);
//!   * users: the one that already had the bare address keeps it; the other is deactivated and
//!     left as it was, for an admin to merge by hand (roles, notes and history are theirs).
//! - A vendor address the parser refuses can never be mailed: the vendor is marked unsubscribed
//!   so no send job fails on it, until an admin corrects it. Users and company contacts whose
//!   address is refused are left alone (a user with one cannot sign in by link anyway).
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ThrottleHits {
    Table,
    Id,
    Action,
    Email,
    ClientIp,
}

#[derive(DeriveIden)]
enum SignInTokens {
    Table,
    Email,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    SessionEpoch,
}

/// `sign_in_tokens` as it is after this migration, under `name` (SQLite rebuilds the table).
fn sign_in_tokens(name: &str) -> TableCreateStatement {
    audited(
        Table::create()
            .table(Alias::new(name))
            .col(pk_auto(Alias::new("id")))
            .col(integer_null(Alias::new("user_id")))
            .col(string(Alias::new("email")))
            .col(string_uniq(Alias::new("token_hash")))
            .col(string_null(Alias::new("browser_hash")))
            .col(string_null(Alias::new("next_path")))
            .col(timestamp_with_time_zone(Alias::new("expires_at")))
            .col(timestamp_with_time_zone_null(Alias::new("used_at")))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_sign_in_tokens_user")
                    .from_col(Alias::new("user_id"))
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            ),
        "sign_in_tokens",
    )
}

/// A statement with `$n` placeholders for either backend (SQLite reads them as `?n`).
fn stmt(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
    Statement::from_sql_and_values(backend, sql, values)
}

/// What was typed, without a display name: `Name <a@b>` → `a@b`, trimmed. The parser then
/// decides whether it is an address.
fn without_display_name(raw: &str) -> &str {
    let raw = raw.trim();
    match (raw.rfind('<'), raw.strip_suffix('>')) {
        (Some(open), Some(inner)) if open < inner.len() => inner[open + 1..].trim(),
        _ => raw,
    }
}

/// The stored form of `raw`, or None if the parser refuses it.
fn stored_form(raw: &str) -> Option<String> {
    platform::mail::address(without_display_name(raw)).ok()
}

async fn rows(db: &impl ConnectionTrait, sql: &str) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await
}

async fn vendors(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // Keepers first: confirmed before unconfirmed, the earliest confirmed, then the oldest.
    let found = rows(
        db,
        "SELECT id, email, CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END AS confirmed FROM vendors \
         ORDER BY CASE WHEN confirmed_at IS NULL THEN 1 ELSE 0 END, confirmed_at, id",
    )
    .await?;
    let mut groups: BTreeMap<String, Vec<(i32, String, bool)>> = BTreeMap::new();
    let mut refused = Vec::new();
    for row in found {
        let id: i32 = row.try_get("", "id")?;
        let email: String = row.try_get("", "email")?;
        let confirmed: i32 = row.try_get("", "confirmed")?;
        match stored_form(&email) {
            Some(bare) => groups.entry(bare).or_default().push((id, email, confirmed == 1)),
            None => refused.push(id),
        }
    }
    let (mut merged, mut changed) = (0, 0);
    for (bare, members) in groups {
        let Some(((keeper, keeper_email, _), others)) = members.split_first() else { continue };
        for (other, _, confirmed) in others {
            if *confirmed {
                for (table, col) in [("vendor_categories", "category_id"), ("vendor_opportunities", "opportunity_id")] {
                    let sql = format!(
                        "INSERT INTO {table} (vendor_id, {col}) SELECT $1, {col} FROM {table} WHERE vendor_id = $2 \
                         AND {col} NOT IN (SELECT {col} FROM {table} WHERE vendor_id = $1)"
                    );
                    db.execute_raw(stmt(backend, &sql, vec![(*keeper).into(), (*other).into()])).await?;
                }
            }
            db.execute_raw(stmt(backend, "DELETE FROM vendors WHERE id = $1", vec![(*other).into()])).await?;
            merged += 1;
        }
        if *keeper_email != bare {
            let sql = "UPDATE vendors SET email = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2";
            db.execute_raw(stmt(backend, sql, vec![bare.into(), (*keeper).into()])).await?;
            changed += 1;
        }
    }
    for id in &refused {
        let sql = "UPDATE vendors SET unsubscribed_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP \
                   WHERE id = $1 AND unsubscribed_at IS NULL";
        db.execute_raw(stmt(backend, sql, vec![(*id).into()])).await?;
    }
    tracing::info!(changed, merged, unmailable = ?refused, "vendor addresses made bare and lower-cased");
    Ok(())
}

async fn users(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let found = rows(db, "SELECT id, email FROM users ORDER BY id").await?;
    let mut taken: BTreeMap<String, i32> = BTreeMap::new();
    let mut wanted = Vec::new();
    for row in &found {
        let id: i32 = row.try_get("", "id")?;
        let email: String = row.try_get("", "email")?;
        match stored_form(&email) {
            Some(bare) if bare == email => {
                taken.insert(bare, id);
            }
            Some(bare) => wanted.push((id, bare)),
            None => tracing::warn!(user = id, "a user's address is not an address; left as it is"),
        }
    }
    for (id, bare) in wanted {
        if let Some(holder) = taken.get(&bare) {
            tracing::warn!(user = id, holder, "a user's address, made bare, is another user's: deactivated");
            let sql = "UPDATE users SET active = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2";
            db.execute_raw(stmt(backend, sql, vec![false.into(), id.into()])).await?;
        } else {
            let sql = "UPDATE users SET email = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2";
            db.execute_raw(stmt(backend, sql, vec![bare.clone().into(), id.into()])).await?;
            taken.insert(bare, id);
        }
    }
    Ok(())
}

async fn company_contacts(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for row in rows(db, "SELECT id, email FROM company_contacts WHERE email IS NOT NULL").await? {
        let id: i32 = row.try_get("", "id")?;
        let email: String = row.try_get("", "email")?;
        if let Some(bare) = stored_form(&email).filter(|bare| *bare != email) {
            let sql = "UPDATE company_contacts SET email = $1, updated_at = CURRENT_TIMESTAMP WHERE id = $2";
            db.execute_raw(stmt(backend, sql, vec![bare.into(), id.into()])).await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration's default there is none): the table
    /// rebuild must see its own DROP, and a failure must leave nothing half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();

        manager
            .create_table(audited(
                Table::create()
                    .table(ThrottleHits::Table)
                    .col(pk_auto(ThrottleHits::Id))
                    .col(string(ThrottleHits::Action))
                    .col(string(ThrottleHits::Email))
                    .col(string(ThrottleHits::ClientIp)),
                "throttle_hits",
            ))
            .await?;
        for (name, col) in
            [("idx_throttle_hits_email", ThrottleHits::Email), ("idx_throttle_hits_client", ThrottleHits::ClientIp)]
        {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ThrottleHits::Table)
                        .col(ThrottleHits::Action)
                        .col(col)
                        .col(Alias::new("created_at"))
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared(
            "INSERT INTO throttle_hits (action, email, client_ip, created_at, updated_at) \
             SELECT 'accounts.sign_in_link', email, client_ip, created_at, updated_at FROM sign_in_attempts",
        )
        .await?;
        manager.drop_table(Table::drop().table(Alias::new("sign_in_attempts")).to_owned()).await?;

        // Links name their address; the user may not exist yet.
        match backend {
            DatabaseBackend::Sqlite => {
                // SQLite cannot drop a NOT NULL: rebuild the table, keeping today's links.
                manager.create_table(sign_in_tokens("sign_in_tokens_new")).await?;
                db.execute_unprepared(
                    "INSERT INTO sign_in_tokens_new (id, user_id, email, token_hash, browser_hash, next_path, \
                     expires_at, used_at, created_at, updated_at, created_by, updated_by) \
                     SELECT t.id, t.user_id, u.email, t.token_hash, t.browser_hash, t.next_path, t.expires_at, \
                     t.used_at, t.created_at, t.updated_at, t.created_by, t.updated_by \
                     FROM sign_in_tokens t JOIN users u ON u.id = t.user_id",
                )
                .await?;
                db.execute_unprepared("DROP TABLE sign_in_tokens").await?;
                db.execute_unprepared("ALTER TABLE sign_in_tokens_new RENAME TO sign_in_tokens").await?;
            }
            _ => {
                db.execute_unprepared("ALTER TABLE sign_in_tokens ALTER COLUMN user_id DROP NOT NULL").await?;
                db.execute_unprepared("ALTER TABLE sign_in_tokens ADD COLUMN email varchar NULL").await?;
                db.execute_unprepared(
                    "UPDATE sign_in_tokens SET email = (SELECT email FROM users WHERE users.id = sign_in_tokens.user_id)",
                )
                .await?;
                db.execute_unprepared("ALTER TABLE sign_in_tokens ALTER COLUMN email SET NOT NULL").await?;
            }
        }

        manager
            .alter_table(
                Table::alter().table(Users::Table).add_column(integer(Users::SessionEpoch).default(0)).to_owned(),
            )
            .await?;

        vendors(db).await?;
        users(db).await?;
        company_contacts(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The addresses stay as they were made; the schema goes back.
        let db = manager.get_connection();
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::SessionEpoch).to_owned()).await?;
        db.execute_unprepared("DELETE FROM sign_in_tokens WHERE user_id IS NULL").await?;
        manager
            .alter_table(Table::alter().table(SignInTokens::Table).drop_column(SignInTokens::Email).to_owned())
            .await?;
        if db.get_database_backend() != DatabaseBackend::Sqlite {
            db.execute_unprepared("ALTER TABLE sign_in_tokens ALTER COLUMN user_id SET NOT NULL").await?;
        }
        manager
            .create_table(audited(
                Table::create()
                    .table(Alias::new("sign_in_attempts"))
                    .col(pk_auto(Alias::new("id")))
                    .col(string(Alias::new("email")))
                    .col(string(Alias::new("client_ip"))),
                "sign_in_attempts",
            ))
            .await?;
        manager.drop_table(Table::drop().table(ThrottleHits::Table).to_owned()).await
    }
}
