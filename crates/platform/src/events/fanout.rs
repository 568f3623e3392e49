//! Fan-out: how a relay's numbered events reach every process serving `/ws`
//! (`REALTIME_FANOUT`, see `config/realtime.rs`).
//!
//! Messages are JSON arrays of [`Event`]s of one outbox (`stream`), each under 7,900 bytes
//! (PostgreSQL's `NOTIFY` limit is 8,000). Delivery here is best effort on every backend: a
//! listener that loses its subscription, or a message, reads the outbox instead (see the hub),
//! so nothing here needs to be durable.
//!
//! - in-process: a broadcast channel in this process;
//! - PostgreSQL: `NOTIFY procure_events` (channels are per database);
//! - Redis: `PUBLISH procure.events.<stream>`;
//! - RabbitMQ: the fanout exchange `procure.events.<stream>`, into which each listening process
//!   binds an exclusive, auto-delete queue of its own.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, ExchangeKind};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use super::Event;
use crate::config::Fanout as FanoutConfig;
use crate::jobs::broker::{AmqpLink, BrokerError};

/// PostgreSQL channel the relays publish on.
pub const PG_CHANNEL: &str = "procure_events";
/// The largest message sent.
const MAX_MESSAGE_BYTES: usize = 7_900;

#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sea_orm::sqlx::Error),
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Broker(#[from] BrokerError),
    #[error("RabbitMQ: {0}")]
    Amqp(#[from] lapin::Error),
    #[error("the subscription ended")]
    Ended,
    #[error("the database is not PostgreSQL")]
    NotPostgres,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Message {
    stream: String,
    events: Vec<Event>,
}

/// This process's in-process channel: what its relays publish, its hub hears.
static LOCAL: LazyLock<broadcast::Sender<Arc<Message>>> = LazyLock::new(|| broadcast::channel(1024).0);

/// A connection to the fan-out, shared by a process's relay and hub.
#[derive(Clone)]
pub enum Fanout {
    Process,
    Postgres(DatabaseConnection),
    Redis { client: Box<redis::Client>, publisher: Arc<tokio::sync::OnceCell<redis::aio::ConnectionManager>> },
    Amqp(Arc<AmqpLink>),
}

impl Fanout {
    /// The configured backend. Connections are made on first use, so a broker that is down
    /// delays events (listeners read the outbox meanwhile) and never stops a process starting.
    pub fn new(config: &FanoutConfig, db: &DatabaseConnection) -> Result<Fanout, FanoutError> {
        Ok(match config {
            FanoutConfig::Process => Fanout::Process,
            FanoutConfig::Postgres => {
                if db.get_database_backend() != sea_orm::DbBackend::Postgres {
                    return Err(FanoutError::NotPostgres);
                }
                Fanout::Postgres(db.clone())
            }
            FanoutConfig::Redis { url } => {
                let client = redis::Client::open(url.expose())?;
                Fanout::Redis { client: Box::new(client), publisher: Arc::default() }
            }
            FanoutConfig::Amqp { url } => Fanout::Amqp(Arc::new(AmqpLink::new(url.expose()))),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Fanout::Process => "in-process",
            Fanout::Postgres(_) => "PostgreSQL",
            Fanout::Redis { .. } => "Redis",
            Fanout::Amqp(_) => "RabbitMQ",
        }
    }

    /// Whether listeners in other processes hear what this process publishes. When not, they
    /// read the outbox often instead.
    pub fn crosses_processes(&self) -> bool {
        !matches!(self, Fanout::Process)
    }

    /// Publishes `events` of outbox `stream`.
    pub async fn publish(&self, stream: &str, events: &[Event]) -> Result<(), FanoutError> {
        let messages = pack(stream, events);
        match self {
            Fanout::Process => {
                for message in messages {
                    // No listener in this process is not an error.
                    let _ = LOCAL.send(Arc::new(message));
                }
            }
            Fanout::Postgres(db) => {
                let pool = db.get_postgres_connection_pool();
                let texts: Vec<String> = messages.iter().filter_map(|m| serde_json::to_string(m).ok()).collect();
                sea_orm::sqlx::query("SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m")
                    .bind(PG_CHANNEL)
                    .bind(&texts)
                    .execute(pool)
                    .await?;
            }
            Fanout::Redis { client, publisher } => {
                let mut conn = publisher.get_or_try_init(|| client.get_connection_manager()).await?.clone();
                let channel = channel_name(stream);
                let mut pipe = redis::pipe();
                for message in &messages {
                    if let Ok(text) = serde_json::to_string(message) {
                        pipe.publish(&channel, text).ignore();
                    }
                }
                let () = pipe.query_async(&mut conn).await?;
            }
            Fanout::Amqp(link) => {
                link.bounded("publishing events to RabbitMQ", async {
                    let (_, channel) = link.live().await?;
                    let exchange = channel_name(stream);
                    declare_exchange(&channel, &exchange).await?;
                    let mut confirms = Vec::with_capacity(messages.len());
                    for message in &messages {
                        let Ok(text) = serde_json::to_vec(message) else { continue };
                        confirms.push(
                            channel
                                .basic_publish(
                                    exchange.as_str().into(),
                                    "".into(),
                                    BasicPublishOptions::default(),
                                    &text,
                                    BasicProperties::default(),
                                )
                                .await?,
                        );
                    }
                    for confirm in confirms {
                        confirm.await?;
                    }
                    Ok::<_, FanoutError>(())
                })
                .await?
            }
        }
        Ok(())
    }

    /// Starts listening for events of outbox `stream`.
    pub async fn subscribe(&self, stream: &str) -> Result<Subscription, FanoutError> {
        let inner = match self {
            Fanout::Process => Inner::Process(LOCAL.subscribe()),
            Fanout::Postgres(db) => {
                let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
                listener.listen(PG_CHANNEL).await?;
                Inner::Postgres(Box::new(listener))
            }
            Fanout::Redis { client, .. } => {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(channel_name(stream)).await?;
                Inner::Redis(Box::pin(pubsub.into_on_message()))
            }
            Fanout::Amqp(link) => {
                link.bounded("subscribing to RabbitMQ", async {
                    let (connection, _) = link.live().await?;
                    let channel = connection.create_channel().await?;
                    let exchange = channel_name(stream);
                    declare_exchange(&channel, &exchange).await?;
                    let queue = channel
                        .queue_declare(
                            "".into(),
                            QueueDeclareOptions {
                                exclusive: true,
                                auto_delete: true,
                                ..QueueDeclareOptions::default()
                            },
                            FieldTable::default(),
                        )
                        .await?;
                    channel
                        .queue_bind(
                            queue.name().as_str().into(),
                            exchange.as_str().into(),
                            "".into(),
                            QueueBindOptions::default(),
                            FieldTable::default(),
                        )
                        .await?;
                    let consumer = channel
                        .basic_consume(
                            queue.name().as_str().into(),
                            "".into(),
                            BasicConsumeOptions { no_ack: true, exclusive: true, ..BasicConsumeOptions::default() },
                            FieldTable::default(),
                        )
                        .await?;
                    Ok::<_, FanoutError>(Inner::Amqp { _channel: Box::new(channel), consumer: Box::new(consumer) })
                })
                .await?
            }
        };
        Ok(Subscription { stream: stream.to_owned(), inner })
    }
}

fn channel_name(stream: &str) -> String {
    format!("procure.events.{stream}")
}

async fn declare_exchange(channel: &lapin::Channel, exchange: &str) -> Result<(), FanoutError> {
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions { auto_delete: true, ..ExchangeDeclareOptions::default() },
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

/// Splits `events` into messages under [`MAX_MESSAGE_BYTES`] (an event alone is always under
/// it: payloads are at most 4 KiB).
fn pack(stream: &str, events: &[Event]) -> Vec<Message> {
    let overhead = stream.len() + 32;
    let mut messages = Vec::new();
    let mut current: Vec<Event> = Vec::new();
    let mut size = overhead;
    for event in events {
        let len = serde_json::to_string(event).map_or(0, |s| s.len()) + 1;
        if !current.is_empty() && size + len > MAX_MESSAGE_BYTES {
            messages.push(Message { stream: stream.to_owned(), events: std::mem::take(&mut current) });
            size = overhead;
        }
        size += len;
        current.push(event.clone());
    }
    if !current.is_empty() {
        messages.push(Message { stream: stream.to_owned(), events: current });
    }
    messages
}

enum Inner {
    Process(broadcast::Receiver<Arc<Message>>),
    Postgres(Box<PgListener>),
    Redis(std::pin::Pin<Box<dyn futures_util::Stream<Item = redis::Msg> + Send>>),
    Amqp { _channel: Box<lapin::Channel>, consumer: Box<lapin::Consumer> },
}

/// A live subscription.
pub struct Subscription {
    stream: String,
    inner: Inner,
}

/// What a subscription heard.
pub enum Heard {
    Events(Vec<Event>),
    /// Something may have been missed (a lagging channel, a reconnected listener): read the
    /// outbox.
    Missed,
    /// Nothing within the wait.
    Quiet,
}

impl Subscription {
    /// The next events, waiting at most `wait`. An error means the subscription is gone: make
    /// a new one.
    pub async fn next(&mut self, wait: Duration) -> Result<Heard, FanoutError> {
        let text = match &mut self.inner {
            Inner::Process(rx) => match tokio::time::timeout(wait, rx.recv()).await {
                Err(_) => return Ok(Heard::Quiet),
                Ok(Ok(message)) => return Ok(self.filter((*message).clone())),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => return Ok(Heard::Missed),
                Ok(Err(broadcast::error::RecvError::Closed)) => return Err(FanoutError::Ended),
            },
            Inner::Postgres(listener) => match tokio::time::timeout(wait, listener.try_recv()).await {
                Err(_) => return Ok(Heard::Quiet),
                // The connection was lost and is being remade: notifications meanwhile are gone.
                Ok(Ok(None)) => return Ok(Heard::Missed),
                Ok(Ok(Some(notification))) => notification.payload().to_owned(),
                Ok(Err(e)) => return Err(e.into()),
            },
            Inner::Redis(stream) => match tokio::time::timeout(wait, stream.next()).await {
                Err(_) => return Ok(Heard::Quiet),
                Ok(None) => return Err(FanoutError::Ended),
                Ok(Some(message)) => message.get_payload::<String>()?,
            },
            Inner::Amqp { consumer, .. } => match tokio::time::timeout(wait, consumer.next()).await {
                Err(_) => return Ok(Heard::Quiet),
                Ok(None) => return Err(FanoutError::Ended),
                Ok(Some(delivery)) => String::from_utf8_lossy(&delivery?.data).into_owned(),
            },
        };
        match serde_json::from_str::<Message>(&text) {
            Ok(message) => Ok(self.filter(message)),
            Err(e) => {
                tracing::warn!(error = %e, "an unreadable realtime message was ignored");
                Ok(Heard::Missed)
            }
        }
    }

    fn filter(&self, message: Message) -> Heard {
        if message.stream == self.stream { Heard::Events(message.events) } else { Heard::Quiet }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Audience;

    fn event(seq: i64, payload_bytes: usize) -> Event {
        Event {
            seq,
            kind: "test.big".into(),
            subject: None,
            audience: Audience::Public,
            payload: serde_json::Value::String("x".repeat(payload_bytes)),
            origin: None,
            at: 0,
        }
    }

    #[test]
    fn messages_stay_under_the_notify_limit_and_keep_every_event_in_order() {
        let events: Vec<Event> = (1..=40).map(|i| event(i, 4_000)).collect();
        let messages = pack("stream", &events);
        assert!(messages.len() >= 20, "about two events of 4 KB per message: {}", messages.len());
        for m in &messages {
            let len = serde_json::to_string(m).expect("json").len();
            assert!(len <= MAX_MESSAGE_BYTES, "{len} bytes");
        }
        let seqs: Vec<i64> = messages.iter().flat_map(|m| m.events.iter().map(|e| e.seq)).collect();
        assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
        let small: Vec<Event> = (1..=100).map(|i| event(i, 10)).collect();
        assert!(pack("stream", &small).len() < 5, "small events share messages");
        assert!(pack("stream", &[]).is_empty());
    }
}
