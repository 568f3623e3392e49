//! Redis or RabbitMQ as the job broker (`BROKER_URL` / `CELERY_BROKER_URL`).
//!
//! The broker only carries job ids, one queue per job type (`<prefix>.jobs.<type>`): the
//! `jobs` table stays the store of record (see `docs/decisions/0001-job-queue.md`).
//!
//! - RabbitMQ: durable queues, persistent messages, publisher confirms, manual ack after the
//!   job's outcome is recorded; an unacked message of a dead worker is redelivered. A lost
//!   connection (the broker restarted, the network) is remade on the next use, so publishing
//!   and consuming resume by themselves when the broker is back.
//! - Redis: `LPUSH` / `BRPOP`. A message popped by a worker that then dies is gone, and the relay
//!   publishes the job again once its lease expires; the table makes delivery at-least-once.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use redis::AsyncCommands;

use crate::config::{BrokerConfig, BrokerKind};

/// How long a Redis consumer blocks before checking for shutdown.
const REDIS_POP_TIMEOUT_SECS: f64 = 1.0;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("RabbitMQ: {0}")]
    Amqp(#[from] lapin::Error),
    #[error("RabbitMQ did not confirm the message")]
    NotConfirmed,
    #[error("{0}")]
    Disconnected(&'static str),
    #[error("{0}: no answer within 10 s")]
    Timeout(&'static str),
}

/// How long connecting to RabbitMQ, or any one exchange with it, may take.
const AMQP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub enum Broker {
    Redis { client: Box<redis::Client>, publisher: redis::aio::ConnectionManager, prefix: String },
    Amqp { link: Arc<AmqpLink>, prefix: String },
}

/// The RabbitMQ connection and its publishing channel, made again when lost.
pub struct AmqpLink {
    url: String,
    live: tokio::sync::Mutex<Option<(Arc<Connection>, lapin::Channel)>>,
}

impl AmqpLink {
    pub(crate) fn new(url: &str) -> AmqpLink {
        AmqpLink { url: url.to_owned(), live: tokio::sync::Mutex::new(None) }
    }

    /// The connection and the publishing channel (with publisher confirms): the current ones
    /// while they are open, otherwise new ones.
    pub(crate) async fn live(&self) -> Result<(Arc<Connection>, lapin::Channel), BrokerError> {
        let mut slot = self.live.lock().await;
        if let Some((connection, publisher)) = slot.as_ref()
            && connection.status().connected()
            && publisher.status().connected()
        {
            return Ok((connection.clone(), publisher.clone()));
        }
        if slot.take().is_some() {
            tracing::info!("reconnecting to RabbitMQ");
        }
        // Bounded: a broker host that drops packets would otherwise hold this lock (and every
        // consumer waiting to reconnect) for the system's connect timeout, minutes.
        let connect = async {
            let connection = Arc::new(Connection::connect(&self.url, ConnectionProperties::default()).await?);
            let publisher = connection.create_channel().await?;
            publisher.confirm_select(ConfirmSelectOptions::default()).await?;
            Ok::<_, lapin::Error>((connection, publisher))
        };
        let (connection, publisher) = match tokio::time::timeout(AMQP_TIMEOUT, connect).await {
            Ok(connected) => connected?,
            Err(_) => return Err(BrokerError::Timeout("connecting to RabbitMQ")),
        };
        *slot = Some((connection.clone(), publisher.clone()));
        Ok((connection, publisher))
    }

    /// Runs one exchange with the broker (a publish and its confirms, opening a consumer),
    /// bounded. A connection that died without lapin noticing can leave a confirm pending
    /// forever, and a worker waiting on it could never stop; on a timeout the connection is
    /// dropped, so the next use makes a new one.
    pub(crate) async fn bounded<T, E: From<BrokerError>>(
        &self,
        what: &'static str,
        exchange: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        match tokio::time::timeout(AMQP_TIMEOUT, exchange).await {
            Ok(result) => result,
            Err(_) => {
                if self.live.lock().await.take().is_some() {
                    tracing::warn!(what, "RabbitMQ did not answer; dropping the connection");
                }
                Err(BrokerError::Timeout(what).into())
            }
        }
    }
}

impl Broker {
    pub async fn connect(config: &BrokerConfig, prefix: &str) -> Result<Broker, BrokerError> {
        match config.kind {
            BrokerKind::Redis => {
                let client = redis::Client::open(config.url.expose())?;
                let publisher = client.get_connection_manager().await?;
                Ok(Broker::Redis { client: Box::new(client), publisher, prefix: prefix.to_owned() })
            }
            BrokerKind::Amqp => {
                let link = AmqpLink::new(config.url.expose());
                // Connect now, so a wrong URL or a broker that is down is reported at start.
                link.live().await?;
                Ok(Broker::Amqp { link: Arc::new(link), prefix: prefix.to_owned() })
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Broker::Redis { .. } => "Redis",
            Broker::Amqp { .. } => "RabbitMQ",
        }
    }

    fn queue(prefix: &str, job_type: &str) -> String {
        format!("{prefix}.jobs.{job_type}")
    }

    /// Publishes job ids; returns once the broker has them (RabbitMQ: confirmed).
    pub async fn publish(&self, job_type: &str, ids: &[i64]) -> Result<(), BrokerError> {
        if ids.is_empty() {
            return Ok(());
        }
        match self {
            Broker::Redis { publisher, prefix, .. } => {
                let mut conn = publisher.clone();
                let _: usize = conn.lpush(Self::queue(prefix, job_type), ids).await?;
                Ok(())
            }
            Broker::Amqp { link, prefix } => {
                link.bounded("publishing to RabbitMQ", async {
                    let (_, publisher) = link.live().await?;
                    let publisher = &publisher;
                    let queue = Self::queue(prefix, job_type);
                    declare(publisher, &queue).await?;
                    let mut confirms = Vec::with_capacity(ids.len());
                    for id in ids {
                        let confirm = publisher
                            .basic_publish(
                                "".into(),
                                queue.as_str().into(),
                                BasicPublishOptions::default(),
                                id.to_string().as_bytes(),
                                BasicProperties::default().with_delivery_mode(2),
                            )
                            .await?;
                        confirms.push(confirm);
                    }
                    for confirm in confirms {
                        if !confirm.await?.is_ack() {
                            return Err(BrokerError::NotConfirmed);
                        }
                    }
                    Ok(())
                })
                .await
            }
        }
    }

    /// Starts consuming the queue of `job_type`, at most `prefetch` messages unacknowledged.
    pub async fn consume(&self, job_type: &str, prefetch: u16) -> Result<Consumer, BrokerError> {
        match self {
            Broker::Redis { client, prefix, .. } => {
                // A blocking pop needs a connection of its own, with a response timeout longer
                // than the pop's.
                let config = redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(5)));
                let conn = client.get_multiplexed_async_connection_with_config(&config).await?;
                Ok(Consumer::Redis { conn, queue: Self::queue(prefix, job_type) })
            }
            Broker::Amqp { link, prefix } => {
                link.bounded("opening a RabbitMQ consumer", async {
                    let (connection, _) = link.live().await?;
                    let channel = connection.create_channel().await?;
                    channel.basic_qos(prefetch, BasicQosOptions::default()).await?;
                    let queue = Self::queue(prefix, job_type);
                    declare(&channel, &queue).await?;
                    let consumer = channel
                        .basic_consume(
                            queue.as_str().into(),
                            "".into(),
                            BasicConsumeOptions::default(),
                            FieldTable::default(),
                        )
                        .await?;
                    Ok(Consumer::Amqp { _channel: channel, consumer })
                })
                .await
            }
        }
    }

    /// A round trip, for the heartbeat.
    pub async fn ping(&self) -> Result<(), BrokerError> {
        match self {
            Broker::Redis { publisher, .. } => {
                let mut conn = publisher.clone();
                let _: String = redis::cmd("PING").query_async(&mut conn).await?;
                Ok(())
            }
            Broker::Amqp { link, .. } => {
                link.bounded("pinging RabbitMQ", async {
                    let (connection, _) = link.live().await?;
                    let channel = connection.create_channel().await?;
                    channel.close(200, "ping".into()).await?;
                    Ok(())
                })
                .await
            }
        }
    }
}

async fn declare(channel: &lapin::Channel, queue: &str) -> Result<(), BrokerError> {
    channel.queue_declare(queue.into(), QueueDeclareOptions::durable(), FieldTable::default()).await?;
    Ok(())
}

pub enum Consumer {
    Redis { conn: redis::aio::MultiplexedConnection, queue: String },
    Amqp { _channel: lapin::Channel, consumer: lapin::Consumer },
}

/// One message: a job id, and how to acknowledge it.
pub struct Delivery {
    pub id: Option<i64>,
    acker: Option<lapin::message::Delivery>,
}

impl Delivery {
    /// Acknowledges the message (RabbitMQ); nothing to do on Redis.
    pub async fn ack(self) -> Result<(), BrokerError> {
        if let Some(delivery) = self.acker {
            // Bounded like every exchange: a worker's shutdown waits for its acks.
            match tokio::time::timeout(AMQP_TIMEOUT, delivery.ack(BasicAckOptions::default())).await {
                Ok(acked) => {
                    acked?;
                }
                Err(_) => return Err(BrokerError::Timeout("acknowledging a RabbitMQ message")),
            }
        }
        Ok(())
    }
}

impl Consumer {
    /// The next message, or `None` when nothing arrived within about a second.
    pub async fn next(&mut self) -> Result<Option<Delivery>, BrokerError> {
        match self {
            Consumer::Redis { conn, queue } => {
                let popped: Option<(String, String)> = conn.brpop(queue.as_str(), REDIS_POP_TIMEOUT_SECS).await?;
                Ok(popped.map(|(_, id)| Delivery { id: id.parse().ok(), acker: None }))
            }
            Consumer::Amqp { consumer, .. } => {
                match tokio::time::timeout(Duration::from_secs(1), consumer.next()).await {
                    Err(_) => Ok(None),
                    Ok(None) => Err(BrokerError::Disconnected("the RabbitMQ consumer was cancelled")),
                    Ok(Some(delivery)) => {
                        let delivery = delivery?;
                        let id = std::str::from_utf8(&delivery.data).ok().and_then(|s| s.parse().ok());
                        Ok(Some(Delivery { id, acker: Some(delivery) }))
                    }
                }
            }
        }
    }
}
