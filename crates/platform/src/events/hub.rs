//! A process's hub: hears the fan-out, mends it from the outbox, and hands every event to the
//! process's sockets once, in `seq` order.
//!
//! The hub keeps `last`, the highest `seq` handed on. An event at or below it is a repeat and
//! is dropped; one above `last + 1` reveals a gap, which is read from the outbox first. The
//! outbox is also read when the subscription is made (again), when it reports a loss, and on a
//! timer: every 25 ms when the fan-out stays inside one process (so processes sharing a SQLite file
//! see each other's events), rarely otherwise. Sockets read the hub through a bounded
//! broadcast ring: a socket that falls behind it loses the oldest events from the ring, and
//! reads them from the outbox instead (see `socket.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{OnceCell, broadcast};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::fanout::{Fanout, Heard};
use super::{Event, outbox};

/// How many events a socket may be behind before it loses some.
pub const SOCKET_QUEUE: usize = 4_096;
/// Events read from the outbox at a time.
const READ_BATCH: u32 = 1_000;

/// An event on its way to sockets, with its frame serialised once for all of them.
#[derive(Debug)]
pub struct Outgoing {
    pub event: Event,
    pub frame: Utf8Bytes,
}

impl Outgoing {
    fn new(event: Event) -> Outgoing {
        let frame = Outgoing::frame_of(&event);
        Outgoing { event, frame }
    }

    /// The `event` frame sockets send for `event`.
    pub(crate) fn frame_of(event: &Event) -> Utf8Bytes {
        serde_json::json!({
            "type": "event",
            "id": event.seq,
            "kind": event.kind,
            "subject": event.subject,
            "data": event.payload,
        })
        .to_string()
        .into()
    }
}

/// Cheap to clone; one per process.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    fanout: Fanout,
    retention: Duration,
    tx: broadcast::Sender<Arc<Outgoing>>,
    last: AtomicI64,
    started: OnceCell<String>,
    /// Cancelled at shutdown: sockets say goodbye (1001) and the listener stops.
    closing: CancellationToken,
    /// Every open socket, so shutdown can wait for their goodbyes.
    sockets: TaskTracker,
}

impl Hub {
    pub fn new(db: DatabaseConnection, fanout: Fanout, retention: Duration) -> Hub {
        let (tx, _) = broadcast::channel(SOCKET_QUEUE);
        Hub(Arc::new(Inner {
            db,
            fanout,
            retention,
            tx,
            last: AtomicI64::new(0),
            started: OnceCell::new(),
            closing: CancellationToken::new(),
            sockets: TaskTracker::new(),
        }))
    }

    /// Starts listening (once; later calls return at once).
    pub async fn start(&self) -> Result<(), DbErr> {
        self.0
            .started
            .get_or_try_init(|| async {
                let (stream, last) = outbox::position(&self.0.db).await?;
                self.0.last.store(last, Ordering::SeqCst);
                tokio::spawn(listen(self.clone(), stream.clone()));
                Ok::<_, DbErr>(stream)
            })
            .await?;
        Ok(())
    }

    /// The highest `seq` handed to sockets.
    pub fn last(&self) -> i64 {
        self.0.last.load(Ordering::SeqCst)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Outgoing>> {
        self.0.tx.subscribe()
    }

    /// The fan-out this hub listens to (a relay in the same process publishes to it).
    pub fn fanout(&self) -> &Fanout {
        &self.0.fanout
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    pub(crate) fn retention(&self) -> Duration {
        self.0.retention
    }

    pub fn closing(&self) -> CancellationToken {
        self.0.closing.clone()
    }

    /// Counts an open socket until the returned token drops.
    pub(crate) fn track(&self) -> tokio_util::task::task_tracker::TaskTrackerToken {
        self.0.sockets.token()
    }

    /// Sockets open now.
    pub fn sockets(&self) -> usize {
        self.0.sockets.len()
    }

    /// Tells every socket to close (1001) and waits up to `grace` for them to finish.
    pub async fn close(&self, grace: Duration) {
        self.0.closing.cancel();
        self.0.sockets.close();
        if tokio::time::timeout(grace, self.0.sockets.wait()).await.is_err() {
            tracing::warn!(open = self.sockets(), "websockets still open after the shutdown grace were dropped");
        }
    }

    /// Hands `event` on if it is the next one; reads the outbox first when it is beyond.
    async fn deliver(&self, event: Event) {
        let last = self.last();
        if event.seq <= last {
            return;
        }
        if event.seq > last + 1 {
            self.catch_up().await;
            if event.seq != self.last() + 1 {
                // Still not next: the outbox read failed or is behind; the timer reads again.
                return;
            }
        }
        self.hand_on(event);
    }

    fn hand_on(&self, event: Event) {
        self.0.last.store(event.seq, Ordering::SeqCst);
        // No socket listening is not an error.
        let _ = self.0.tx.send(Arc::new(Outgoing::new(event)));
    }

    /// Hands on everything the outbox holds after `last`.
    async fn catch_up(&self) {
        loop {
            let after = self.last();
            match outbox::after(&self.0.db, after, READ_BATCH).await {
                Ok(events) => {
                    let full = events.len() == READ_BATCH as usize;
                    for event in events {
                        if event.seq == self.last() + 1 {
                            self.hand_on(event);
                        }
                    }
                    if !full {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the event outbox; will retry");
                    return;
                }
            }
        }
    }
}

/// The hub's one listening task: subscribe, hear, mend; subscribe again after a loss.
async fn listen(hub: Hub, stream: String) {
    let fanout = hub.0.fanout.clone();
    // Processes sharing a database without a shared fan-out see each other through the outbox.
    let tail = if fanout.crosses_processes() { Duration::from_secs(5) } else { super::relay::SQLITE_POLL };
    let closing = hub.closing();
    while !closing.is_cancelled() {
        let mut subscription = match fanout.subscribe(&stream).await {
            Ok(s) => {
                tracing::info!(fanout = fanout.name(), "listening for events");
                s
            }
            Err(e) => {
                tracing::warn!(fanout = fanout.name(), error = %e, "cannot listen for events; reading the outbox meanwhile");
                hub.catch_up().await;
                tokio::select! {
                    () = closing.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
        };
        // Whatever happened before this subscription began.
        hub.catch_up().await;
        let mut next_read = tokio::time::Instant::now() + tail;
        loop {
            let wait = next_read.saturating_duration_since(tokio::time::Instant::now());
            let heard = tokio::select! {
                () = closing.cancelled() => return,
                heard = subscription.next(wait) => heard,
            };
            match heard {
                Ok(Heard::Events(events)) => {
                    for event in events {
                        hub.deliver(event).await;
                    }
                }
                Ok(Heard::Missed) => hub.catch_up().await,
                Ok(Heard::Quiet) => {}
                Err(e) => {
                    tracing::warn!(fanout = fanout.name(), error = %e, "lost the event subscription; reconnecting");
                    break;
                }
            }
            if tokio::time::Instant::now() >= next_read {
                hub.catch_up().await;
                next_read = tokio::time::Instant::now() + tail;
            }
        }
    }
}
