//! Domain events: what changed, announced to the pages people watch (`/ws`).
//!
//! Invariants:
//! - A service records an event with [`record`] and the caller's transaction, into the
//!   `events` outbox: an event exists exactly when the change that caused it committed, whoever
//!   made it (a request, a job, an import, the back-office).
//! - A relay ([`relay`]) numbers committed events (`seq`, gapless, in the order they became
//!   visible) and publishes them through the configured fan-out ([`fanout`]). Any process may
//!   relay; they take turns on a lock.
//! - Every process serving `/ws` keeps one [`Hub`]: it hands its sockets each event once, in
//!   `seq` order, whatever the fan-out did (a message lost, repeated or early is mended from the
//!   outbox), and after an outage it reads what it missed from the outbox.
//! - A socket sends an event only to a reader its [`Audience`] admits, and never to the client
//!   whose request caused it ([`origin`]).
//! - Delivered events are forgotten after `EVENTS_RETENTION_HOURS`.

pub mod fanout;
mod hub;
pub mod origin;
pub mod outbox;
pub mod relay;
pub mod socket;

use std::sync::LazyLock;

use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

pub use hub::Hub;

/// The most a payload may hold, serialised: events say what changed, pages fetch the rest
/// (PostgreSQL's `NOTIFY` carries at most 8,000 bytes with the rest of the event).
pub const MAX_PAYLOAD_BYTES: usize = 4_096;

/// Who may receive an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "audience", content = "user", rename_all = "lowercase")]
pub enum Audience {
    /// Anyone, signed in or not.
    Public,
    /// Signed-in city staff (the staff role or any conductor-level role).
    Staff,
    /// Conductor, admin and superadmin.
    Conductor,
    /// Admins and superadmins.
    Admin,
    /// One user, by id.
    User(i64),
}

impl Audience {
    fn column(self) -> (&'static str, Option<i64>) {
        match self {
            Audience::Public => ("public", None),
            Audience::Staff => ("staff", None),
            Audience::Conductor => ("conductor", None),
            Audience::Admin => ("admin", None),
            Audience::User(id) => ("user", Some(id)),
        }
    }

    fn from_column(name: &str, user: Option<i64>) -> Option<Audience> {
        Some(match (name, user) {
            ("public", _) => Audience::Public,
            ("staff", _) => Audience::Staff,
            ("conductor", _) => Audience::Conductor,
            ("admin", _) => Audience::Admin,
            ("user", Some(id)) => Audience::User(id),
            _ => return None,
        })
    }
}

/// Who is listening on a socket, as the accounts crate knows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reader {
    pub user: Option<i64>,
    pub staff: bool,
    pub conductor: bool,
    pub admin: bool,
}

impl Reader {
    pub fn may_read(&self, audience: Audience) -> bool {
        match audience {
            Audience::Public => true,
            Audience::Staff => self.staff || self.conductor || self.admin,
            Audience::Conductor => self.conductor || self.admin,
            Audience::Admin => self.admin,
            Audience::User(id) => self.user == Some(id),
        }
    }
}

/// An event to record: `kind` is `<wing>.<thing>.<what happened>`, e.g.
/// `beacon.opportunity.published`; `subject` the id of the thing.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: &'static str,
    pub subject: Option<i64>,
    pub audience: Audience,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: &'static str, subject: impl Into<Option<i64>>, audience: Audience) -> NewEvent {
        NewEvent { kind, subject: subject.into(), audience, payload: serde_json::Value::Null }
    }

    pub fn with(mut self, payload: serde_json::Value) -> NewEvent {
        self.payload = payload;
        self
    }
}

/// A committed, numbered event, as relays publish it and sockets read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub kind: String,
    pub subject: Option<i64>,
    #[serde(flatten)]
    pub audience: Audience,
    pub payload: serde_json::Value,
    /// The socket client whose request caused it, if one did.
    pub origin: Option<String>,
    /// When it was recorded, in milliseconds since the epoch.
    pub at: i64,
}

/// Records `event` with `db`, the transaction of the change that causes it. The request's
/// socket client (if any, see [`origin`]) is kept so it is not told what it did itself.
pub async fn record(db: &impl ConnectionTrait, event: NewEvent) -> Result<(), DbErr> {
    let payload = event.payload.to_string();
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(DbErr::Custom(format!(
            "the payload of event {} is {} bytes, over {MAX_PAYLOAD_BYTES}",
            event.kind,
            payload.len()
        )));
    }
    outbox::insert(db, &event, &payload, origin::current().as_deref()).await?;
    origin::mark_recorded();
    Ok(())
}

/// Wakes this process's relays: something may have committed events (a request that recorded
/// one has ended, a job has finished). Cheap, and harmless when nothing did.
pub fn nudge() {
    NUDGE.notify_waiters();
    NUDGE.notify_one();
}

pub(crate) static NUDGE: LazyLock<Notify> = LazyLock::new(Notify::new);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_audience_admits_exactly_its_readers() {
        let anonymous = Reader::default();
        let county = Reader { user: Some(1), ..Reader::default() };
        let staff = Reader { user: Some(2), staff: true, ..Reader::default() };
        let conductor = Reader { user: Some(3), conductor: true, ..Reader::default() };
        let admin = Reader { user: Some(4), conductor: true, admin: true, ..Reader::default() };
        let readers = [anonymous, county, staff, conductor, admin];
        let table = [
            (Audience::Public, [true, true, true, true, true]),
            (Audience::Staff, [false, false, true, true, true]),
            (Audience::Conductor, [false, false, false, true, true]),
            (Audience::Admin, [false, false, false, false, true]),
            (Audience::User(2), [false, false, true, false, false]),
        ];
        for (audience, expected) in table {
            let got = readers.map(|r| r.may_read(audience));
            assert_eq!(got, expected, "{audience:?}");
        }
    }

    #[test]
    fn events_cross_the_fan_out_unchanged() {
        for audience in [Audience::Public, Audience::Staff, Audience::Conductor, Audience::Admin, Audience::User(9)] {
            let event = Event {
                seq: 12,
                kind: "beacon.opportunity.published".into(),
                subject: Some(3),
                audience,
                payload: serde_json::json!({ "done": 200 }),
                origin: Some("abc".into()),
                at: 1_700_000_000_000,
            };
            let text = serde_json::to_string(&event).expect("serialise");
            assert_eq!(serde_json::from_str::<Event>(&text).expect("deserialise"), event, "{text}");
            let (name, user) = audience.column();
            assert_eq!(Audience::from_column(name, user), Some(audience));
        }
        assert_eq!(Audience::from_column("user", None), None, "a user audience names its user");
        assert_eq!(Audience::from_column("everyone", None), None);
    }
}
