//! Server-side sessions (tower-sessions) in the database by default, or Redis when configured.
//!
//! The cookie (`procure_session`) holds only the session id, signed with a key derived from the
//! application secret; it is HttpOnly, SameSite=Lax, and Secure when the site is https. A
//! session ends after `SESSION_IDLE_TIMEOUT` without use, and in any case `SESSION_MAX_AGE`
//! after it began (the absolute limit is kept by the store, which tower-sessions does not do).
//!
//! The published stores for tower-sessions 0.15 do not build against it yet (stack.md P1), so
//! both stores are here.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::service::SignedCookie;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::Config;
use crate::config::Secret;
use crate::jobs::queue::stmt;
use crate::jobs::{Job, JobContext};

pub const COOKIE_NAME: &str = "procure_session";

/// The session key holding the signed-in user's id (written by `accounts` at sign-in; read here
/// only to name the user in the request log).
pub const USER_KEY: &str = "uid";

/// The session key holding when a signed-in session was last renewed (Unix milliseconds).
pub const RENEWED_KEY: &str = "renewed";

/// Middleware inside the session layer, for a signed-in session: keeps it alive while it is
/// used, and names its user in `request.summary` (the `uid` field, set on the response).
///
/// A session ends `SESSION_IDLE_TIMEOUT` after it was last saved, and the browser drops its
/// cookie at the same moment, so a session in use must be saved (and its cookie sent) again
/// from time to time. Saving on every request would be a database write per page; it is saved
/// when a tenth of the idle timeout has passed since it was last renewed, so a session ends
/// between 90 % and 100 % of the idle timeout after its last use (and in any case at
/// `SESSION_MAX_AGE`).
pub async fn signed_in(
    axum::extract::State(idle): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let session = request.extensions().get::<tower_sessions::Session>().cloned();
    if let Some(session) = &session
        && let Ok(Some(_)) = session.get::<i32>(USER_KEY).await
    {
        let now = crate::jobs::now_ms();
        let renewed = session.get::<i64>(RENEWED_KEY).await.ok().flatten().unwrap_or(0);
        let every = i64::try_from(idle.as_millis() / 10).unwrap_or(i64::MAX);
        if now.saturating_sub(renewed) >= every
            && let Err(e) = session.insert(RENEWED_KEY, now).await
        {
            tracing::warn!(error = %e, "could not renew the session");
        }
    }
    let mut response = next.run(request).await;
    if let Some(session) = session
        && let Ok(Some(uid)) = session.get::<i32>(USER_KEY).await
    {
        response.extensions_mut().insert(crate::http::middleware::LogUser(uid.to_string()));
    }
    response
}

/// The store of this deployment, with the absolute session lifetime it enforces.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    max_age_ms: i64,
}

#[derive(Debug, Clone)]
enum Backend {
    /// The pool, and the SQLite file it opens (read in place on load, [`crate::db::inline`]).
    Database(DatabaseConnection, Option<std::path::PathBuf>),
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

/// Builds the session layer: the store for this configuration, and the cookie settings.
pub async fn layer(
    config: &Config,
    secret: &Secret,
    db: DatabaseConnection,
) -> anyhow::Result<SessionManagerLayer<Store, SignedCookie>> {
    let backend = match &config.redis {
        Some(redis) => {
            let client = redis::Client::open(redis.url.expose())?;
            let conn = redis::aio::ConnectionManager::new_lazy_with_config(
                client,
                redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(Duration::from_secs(2))),
            )?;
            Backend::Redis { conn, prefix: "procure:session:".to_owned() }
        }
        None => Backend::Database(db, config.database.sqlite_path().map(ToOwned::to_owned)),
    };
    let store = Store { backend, max_age_ms: i64::try_from(config.sessions.max_age.as_millis()).unwrap_or(i64::MAX) };
    // cookie's Key wants 64 bytes: two derived halves.
    let mut material = crate::secrets::derive_key(secret, "procure/sessions/signing");
    material.extend(crate::secrets::derive_key(secret, "procure/sessions/encryption"));
    let key = Key::from(&material);
    let idle = time::Duration::try_from(config.sessions.idle_timeout).unwrap_or(time::Duration::hours(2));
    Ok(SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.site.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
        .with_signed(key))
}

fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// What the Redis store keeps per session.
#[derive(Serialize, Deserialize)]
struct Stored {
    record: Record,
    absolute_expires_at: i64,
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = crate::jobs::now_ms();
        let absolute = now.saturating_add(self.max_age_ms);
        loop {
            let inserted = match &self.backend {
                Backend::Database(db, _) => {
                    let _turn = crate::db::turn_to_write(db).await.map_err(backend)?;
                    let data =
                        serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
                    db.execute_raw(stmt(
                        db.get_database_backend(),
                        "INSERT INTO sessions (id, data, expires_at, absolute_expires_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (id) DO NOTHING",
                        vec![record.id.to_string().into(), data.into(), ms(record.expiry_date).into(), absolute.into()],
                    ))
                    .await
                    .map_err(backend)?
                    .rows_affected()
                        == 1
                }
                Backend::Redis { conn, prefix } => {
                    let stored = Stored { record: record.clone(), absolute_expires_at: absolute };
                    let json =
                        serde_json::to_string(&stored).map_err(|e| session_store::Error::Encode(e.to_string()))?;
                    let mut conn = conn.clone();
                    let ttl = ttl_ms(record.expiry_date, absolute);
                    let set: Option<String> = redis::cmd("SET")
                        .arg(format!("{prefix}{}", record.id))
                        .arg(json)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl)
                        .query_async(&mut conn)
                        .await
                        .map_err(backend)?;
                    set.is_some()
                }
            };
            if inserted {
                return Ok(());
            }
            // An id collision (vanishingly rare): take another.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match &self.backend {
            Backend::Database(db, _) => {
                let data =
                    serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
                let turn = crate::db::turn_to_write(db).await.map_err(backend)?;
                let result = db
                    .execute_raw(stmt(
                        db.get_database_backend(),
                        "UPDATE sessions SET data = $1, expires_at = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $3",
                        vec![data.into(), ms(record.expiry_date).into(), record.id.to_string().into()],
                    ))
                    .await
                    .map_err(backend)?;
                drop(turn);
                if result.rows_affected() == 0 {
                    // Saved after being cycled or purged: start it as a new session.
                    let mut fresh = record.clone();
                    return self.create(&mut fresh).await;
                }
                Ok(())
            }
            Backend::Redis { conn, prefix } => {
                let key = format!("{prefix}{}", record.id);
                let mut c = conn.clone();
                let existing: Option<String> = c.get(&key).await.map_err(backend)?;
                let absolute = existing
                    .and_then(|j| serde_json::from_str::<Stored>(&j).ok())
                    .map_or_else(|| crate::jobs::now_ms().saturating_add(self.max_age_ms), |s| s.absolute_expires_at);
                let json = serde_json::to_string(&Stored { record: record.clone(), absolute_expires_at: absolute })
                    .map_err(|e| session_store::Error::Encode(e.to_string()))?;
                let ttl = ttl_ms(record.expiry_date, absolute);
                let _: () = redis::cmd("SET")
                    .arg(&key)
                    .arg(json)
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut c)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = crate::jobs::now_ms();
        match &self.backend {
            Backend::Database(db, file) => {
                let sql = "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2 AND absolute_expires_at > $2";
                let key = id.to_string();
                let read = file.as_deref().and_then(|path| {
                    let params = rusqlite::params![key, now];
                    crate::db::inline::row(path, sql, params, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                });
                let row = match read {
                    Some(row) => row,
                    None => match db
                        .query_one_raw(stmt(db.get_database_backend(), sql, vec![key.into(), now.into()]))
                        .await
                        .map_err(backend)?
                    {
                        Some(row) => Some((
                            row.try_get_by_index::<String>(0).map_err(backend)?,
                            row.try_get_by_index::<i64>(1).map_err(backend)?,
                        )),
                        None => None,
                    },
                };
                let Some((data, expires)) = row else { return Ok(None) };
                let data = serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
                let expiry_date =
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires) * 1_000_000).map_err(backend)?;
                Ok(Some(Record { id: *id, data, expiry_date }))
            }
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                let json: Option<String> = c.get(format!("{prefix}{id}")).await.map_err(backend)?;
                let Some(json) = json else { return Ok(None) };
                let stored: Stored =
                    serde_json::from_str(&json).map_err(|e| session_store::Error::Decode(e.to_string()))?;
                Ok((stored.absolute_expires_at > now && ms(stored.record.expiry_date) > now).then_some(stored.record))
            }
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match &self.backend {
            Backend::Database(db, _) => {
                let _turn = crate::db::turn_to_write(db).await.map_err(backend)?;
                db.execute_raw(stmt(
                    db.get_database_backend(),
                    "DELETE FROM sessions WHERE id = $1",
                    vec![id.to_string().into()],
                ))
                .await
                .map_err(backend)?;
            }
            Backend::Redis { conn, prefix } => {
                let mut c = conn.clone();
                let _: () = c.del(format!("{prefix}{id}")).await.map_err(backend)?;
            }
        }
        Ok(())
    }
}

/// Redis keeps a session until the earlier of its two expiries.
fn ttl_ms(idle_expiry: OffsetDateTime, absolute_ms: i64) -> i64 {
    (ms(idle_expiry).min(absolute_ms) - crate::jobs::now_ms()).max(1)
}

/// Nightly: deletes expired sessions from the database (Redis expires its own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeExpiredSessions {}

impl Job for PurgeExpiredSessions {
    const NAME: &'static str = "platform.purge_sessions";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let db = &ctx.env.db;
        let now = crate::jobs::now_ms();
        let result = db
            .execute_raw(stmt(
                db.get_database_backend(),
                "DELETE FROM sessions WHERE expires_at <= $1 OR absolute_expires_at <= $1",
                vec![now.into()],
            ))
            .await?;
        tracing::info!(deleted = result.rows_affected(), "expired sessions purged");
        Ok(())
    }
}
