//! A cache of short-lived values (the original cached for 30 s): in memory by default, Redis
//! when configured. The cache is never essential: when Redis is unreachable every read is a
//! miss and every write is dropped, pages keep being served, the heartbeat reports the cache at
//! warning level, and the connection manager reconnects by itself when Redis returns.
//!
//! Concurrent misses of one key in one process are made once: the first maker holds the key's
//! turn, and those that arrive meanwhile find its value when they get theirs (see
//! [`Cache::get_or_make`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::RedisConfig;
use crate::health::{CheckFuture, CheckLevel, CheckResult, HealthCheck};

/// Bytes the in-memory cache may hold (keys and values): a few hundred pages. It was 32 MB,
/// which searches that differ on every request fill with pages nobody asks for again, all of it
/// held by the web process (issue 18, bench/RESULTS.md).
const MEMORY_CAPACITY: u64 = 8 * 1024 * 1024;

/// How long a cache call may take before it counts as a miss.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct Cache {
    store: Store,
    making: Arc<Making>,
}

#[derive(Clone)]
enum Store {
    Memory(moka::future::Cache<String, (Arc<str>, Duration)>),
    Redis { conn: ConnectionManager, prefix: String, healthy: Arc<AtomicBool> },
}

/// The keys being made in this process, each with the turn its makers wait for.
#[derive(Default)]
struct Making(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

/// A place in the queue of makers of one key; leaving it (even by a cancelled request) drops
/// the key from [`Making`] once nobody else waits for it.
struct Turn<'a> {
    making: &'a Making,
    key: &'a str,
    lock: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl<'a> Turn<'a> {
    fn join(making: &'a Making, key: &'a str) -> Turn<'a> {
        let lock = making.0.lock().map(|mut keys| keys.entry(key.to_owned()).or_default().clone()).ok();
        Turn { making, key, lock }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Ok(mut keys) = self.making.0.lock() {
            self.lock = None;
            if keys.get(self.key).is_some_and(|lock| Arc::strong_count(lock) == 1) {
                keys.remove(self.key);
            }
        }
    }
}

/// Per-entry lifetimes for the in-memory cache.
struct PerEntryTtl;

impl moka::Expiry<String, (Arc<str>, Duration)> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, value: &(Arc<str>, Duration), _: std::time::Instant) -> Option<Duration> {
        Some(value.1)
    }
}

impl Cache {
    pub fn memory() -> Cache {
        Cache::of(Store::Memory(
            moka::future::Cache::builder()
                // Bounded by size, not count: cached pages are tens of kilobytes each.
                .weigher(|key: &String, value: &(Arc<str>, Duration)| {
                    u32::try_from(key.len() + value.0.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(MEMORY_CAPACITY)
                .expire_after(PerEntryTtl)
                .build(),
        ))
    }

    fn of(store: Store) -> Cache {
        Cache { store, making: Arc::default() }
    }

    /// Redis at `config`. Fails only on a malformed URL: an unreachable server is a degraded
    /// cache, not a reason to stop.
    pub async fn redis(config: &RedisConfig, prefix: &str) -> Result<Cache, redis::RedisError> {
        let client = redis::Client::open(config.url.expose())?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let healthy = Arc::new(AtomicBool::new(true));
        let conn = match client.get_connection_manager_with_config(manager_config.clone()).await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "Redis cache unreachable at start-up; serving without a cache until it answers");
                healthy.store(false, Ordering::SeqCst);
                // A manager that connects lazily keeps retrying in the background.
                ConnectionManager::new_lazy_with_config(client, manager_config)?
            }
        };
        Ok(Cache::of(Store::Redis { conn, prefix: format!("{prefix}:cache:"), healthy }))
    }

    pub fn describe(&self) -> &'static str {
        match &self.store {
            Store::Memory(_) => "in-memory",
            Store::Redis { .. } => "Redis",
        }
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        match &self.store {
            Store::Memory(m) => m.get(key).await.map(|(v, _)| v.to_string()),
            Store::Redis { conn, prefix, healthy } => {
                let mut conn = conn.clone();
                let result =
                    tokio::time::timeout(REDIS_TIMEOUT, conn.get::<_, Option<String>>(format!("{prefix}{key}"))).await;
                note(healthy, result.map_err(|_| "timed out".to_owned()).and_then(|r| r.map_err(|e| e.to_string())))
                    .flatten()
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        match &self.store {
            Store::Memory(m) => m.insert(key.to_owned(), (value.into(), ttl)).await,
            Store::Redis { conn, prefix, healthy } => {
                let mut conn = conn.clone();
                let secs = ttl.as_secs().max(1);
                let result =
                    tokio::time::timeout(REDIS_TIMEOUT, conn.set_ex::<_, _, ()>(format!("{prefix}{key}"), value, secs))
                        .await;
                note(healthy, result.map_err(|_| "timed out".to_owned()).and_then(|r| r.map_err(|e| e.to_string())));
            }
        }
    }

    /// The value under `key`; on a miss, `make`'s, stored for `ttl`. `make` answering `None`
    /// (nothing worth keeping, such as a page that does not exist) is passed on, not stored.
    /// Misses of one key at one moment take turns: the first makes the value, the rest find it
    /// (unless it was `None` or an error, which each then makes for itself).
    pub async fn get_or_make<F, Fut, E>(&self, key: &str, ttl: Duration, make: F) -> Result<Option<String>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<String>, E>>,
    {
        if let Some(hit) = self.get(key).await {
            metrics::counter!("cache.hit").increment(1);
            return Ok(Some(hit));
        }
        let turn = Turn::join(&self.making, key);
        let _held = match &turn.lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        // Made by the one before us in the queue?
        if let Some(hit) = self.get(key).await {
            metrics::counter!("cache.hit").increment(1);
            return Ok(Some(hit));
        }
        metrics::counter!("cache.miss").increment(1);
        // Made for everyone: no visitor's one-time message goes into it.
        let made = crate::flash::shared(make()).await?;
        if let Some(value) = &made {
            self.set(key, value, ttl).await;
        }
        Ok(made)
    }

    pub async fn delete(&self, key: &str) {
        match &self.store {
            Store::Memory(m) => m.invalidate(key).await,
            Store::Redis { conn, prefix, healthy } => {
                let mut conn = conn.clone();
                let result = tokio::time::timeout(REDIS_TIMEOUT, conn.del::<_, ()>(format!("{prefix}{key}"))).await;
                note(healthy, result.map_err(|_| "timed out".to_owned()).and_then(|r| r.map_err(|e| e.to_string())));
            }
        }
    }

    /// A round trip to Redis (always fine in memory).
    pub async fn ping(&self) -> Result<(), String> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::Redis { conn, healthy, .. } => {
                let mut conn = conn.clone();
                let result =
                    tokio::time::timeout(REDIS_TIMEOUT, redis::cmd("PING").query_async::<String>(&mut conn)).await;
                let result = result.map_err(|_| "timed out".to_owned()).and_then(|r| r.map_err(|e| e.to_string()));
                note(healthy, result.clone());
                result.map(|_| ())
            }
        }
    }
}

/// Tracks Redis's health from call results, logging each change of state once.
fn note<T>(healthy: &AtomicBool, result: Result<T, String>) -> Option<T> {
    match result {
        Ok(v) => {
            if !healthy.swap(true, Ordering::SeqCst) {
                tracing::info!("Redis cache is back");
            }
            Some(v)
        }
        Err(e) => {
            if healthy.swap(false, Ordering::SeqCst) {
                tracing::warn!(error = %e, "Redis cache unreachable; serving without it");
            }
            None
        }
    }
}

/// Values this process made, kept as they are (not serialized, never in Redis): for values too
/// large to parse on every request, such as a flow's metrics. Keys name a data version (see
/// [`crate::freshness::shared`]), so each process's copy is as fresh as a shared one would be.
/// Bounded by the bytes its callers say their values hold.
#[derive(Clone)]
pub struct Local(moka::future::Cache<String, (Arc<dyn std::any::Any + Send + Sync>, u32)>);

/// Bytes [`Local`] keeps, by its callers' estimates.
const LOCAL_CAPACITY: u64 = 16 * 1024 * 1024;

impl Local {
    pub fn new(ttl: Duration) -> Local {
        Local(
            moka::future::Cache::builder()
                .weigher(|key: &String, value: &(Arc<dyn std::any::Any + Send + Sync>, u32)| {
                    u32::try_from(key.len()).unwrap_or(u32::MAX).saturating_add(value.1)
                })
                .max_capacity(LOCAL_CAPACITY)
                .time_to_live(ttl)
                .build(),
        )
    }

    /// The value under `key`, or `make`'s, made once however many ask at the same moment;
    /// `bytes` estimates what a value holds (its heap included), which bounds what is kept.
    pub async fn get_or_make<T, F>(&self, key: &str, bytes: fn(&T) -> usize, make: F) -> Result<Arc<T>, String>
    where
        T: Send + Sync + 'static,
        F: std::future::Future<Output = Result<T, String>>,
    {
        // The type is part of the key: two callers' values under one name never meet.
        let key = format!("{key}#{}", std::any::type_name::<T>());
        let made = async {
            make.await.map(|v| {
                let weight = u32::try_from(bytes(&v)).unwrap_or(u32::MAX);
                (Arc::new(v) as Arc<dyn std::any::Any + Send + Sync>, weight)
            })
        };
        let (value, _) = self.0.try_get_with(key, made).await.map_err(|e| e.to_string())?;
        value.downcast::<T>().map_err(|_| "a cached value of another type".to_owned())
    }
}

/// The cache in the heartbeat: a failure is a warning, never an error.
pub struct CacheCheck(pub Cache);

impl HealthCheck for CacheCheck {
    fn name(&self) -> &'static str {
        "cache"
    }

    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match self.0.ping().await {
                Ok(()) => CheckResult::ok(),
                Err(e) => CheckResult::new(CheckLevel::Warning, "cache.W001", format!("Redis cache unreachable: {e}")),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_entries_expire_after_their_own_ttl() {
        let cache = Cache::memory();
        cache.set("short", "a", Duration::from_millis(50)).await;
        cache.set("long", "b", Duration::from_secs(60)).await;
        assert_eq!(cache.get("short").await.as_deref(), Some("a"));
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(cache.get("short").await, None);
        assert_eq!(cache.get("long").await.as_deref(), Some("b"));
        cache.delete("long").await;
        assert_eq!(cache.get("long").await, None);
        assert!(cache.ping().await.is_ok());
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_key_are_made_once() {
        use std::sync::atomic::AtomicUsize;
        let cache = Cache::memory();
        let made = AtomicUsize::new(0);
        let make = || async {
            made.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ()>(Some("page".to_owned()))
        };
        let all =
            futures_util::future::join_all((0..50).map(|_| cache.get_or_make("k", Duration::from_secs(60), make)));
        assert!(all.await.iter().all(|r| r.as_ref().is_ok_and(|v| v.as_deref() == Some("page"))));
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert!(cache.making.0.lock().is_ok_and(|keys| keys.is_empty()), "no key is left behind");
        // A value that is not kept is made by each.
        let none = || async {
            made.fetch_add(1, Ordering::SeqCst);
            Ok::<Option<String>, ()>(None)
        };
        let all =
            futures_util::future::join_all((0..5).map(|_| cache.get_or_make("gone", Duration::from_secs(60), none)));
        assert!(all.await.iter().all(|r| r.as_ref().is_ok_and(Option::is_none)));
        assert_eq!(made.load(Ordering::SeqCst), 6);
    }
}
