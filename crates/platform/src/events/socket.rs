//! One websocket at `/ws`: what a page hears about changes it may see.
//!
//! Frames from the server, all JSON text:
//! - `{"type":"hello","client":ID,"last":N}` first: the client's id (sent back as `X-Client-Id`
//!   on the page's own requests, so the events they cause are not echoed) and the last event;
//! - `{"type":"event","id":N,"kind":K,"subject":S,"data":{…}}` for each event the reader may
//!   see, in `id` order;
//! - `{"type":"error","code":C,"message":M}`: `bad-message` (the client's frame was not
//!   understood), `unavailable` (missed events cannot be read just now);
//! - `{"type":"reset","message":M}`: events the client missed cannot be sent (no longer kept,
//!   or it fell too far behind): reload.
//!
//! A client that reads more slowly than events come falls behind the hub's queue; the events
//! it missed are then read from the outbox and sent in order, so every client gets each event
//! once and in order, or a `reset`.
//!
//! Frames from the client: `{"type":"resume","after":N}` (send what I missed after event `N`)
//! and `{"type":"subscribe","kinds":["beacon.", …]}` (only kinds starting with these). A
//! client that reconnects should rather open `/ws?after=N`: the events it missed then come
//! first, in order, before any new one (a `resume` frame can arrive after newer events went
//! out, and the missed ones then follow them).
//!
//! The server pings every 30 s and says goodbye with close code 1001 when it shuts down. A
//! client that does not take a frame within 10 s is disconnected.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::SinkExt;
use futures_util::future::BoxFuture;
use http::HeaderMap;
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::hub::{Hub, Outgoing};
use super::{Event, Reader, outbox};

pub const PING_EVERY: Duration = Duration::from_secs(30);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest frame a client may send.
const MAX_CLIENT_FRAME: usize = 16 * 1024;
/// The most kinds a client may subscribe to, and the most events a resume replays.
const MAX_KINDS: usize = 32;
const MAX_REPLAY: u32 = 1_000;
/// The most events a socket that fell behind is sent from the outbox before it is told to
/// reload instead.
const MAX_MEND: u32 = 10_000;
/// The most waiting events written together.
const READY_BATCH: usize = 512;

/// Whether a websocket from `headers` may open: a browser's `Origin` must be the site's own
/// (`APP_URL`), one of `ALLOWED_ORIGINS`, or the page's own address: an origin whose host and
/// port are the `Host` the request was sent to (which the site guard has checked against
/// `ALLOWED_HOSTS`), as when a developer browses `127.0.0.1` rather than `localhost`. A
/// client without `Origin` is not a browser, and cannot be made to open a socket with someone
/// else's cookies.
pub fn origin_allowed(config: &crate::Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(http::header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    let origin = origin.trim_end_matches('/');
    let own = config.site.app_url.origin().ascii_serialization();
    if origin.eq_ignore_ascii_case(&own)
        || config.security.allowed_origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    match (url::Url::parse(origin), host) {
        (Ok(parsed), Some(host)) if matches!(parsed.scheme(), "http" | "https") => {
            let authority = match (parsed.host_str(), parsed.port()) {
                (Some(h), Some(port)) => format!("{h}:{port}"),
                (Some(h), None) => h.to_owned(),
                _ => return false,
            };
            authority.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// Says again who is listening (at every ping): `None` when it cannot tell just now.
pub type Recheck = Arc<dyn Fn() -> BoxFuture<'static, Option<Reader>> + Send + Sync>;

/// Accepts the upgrade and serves the socket for `reader`, asking `recheck` again at every
/// ping. Buffers are small: most sockets sit idle, and a client has nothing big to say.
pub fn accept(
    upgrade: WebSocketUpgrade,
    hub: Hub,
    reader: Reader,
    recheck: Option<Recheck>,
    after: Option<i64>,
) -> Response {
    upgrade
        .read_buffer_size(4 * 1024)
        // Frames of a burst are written together, 4 KiB at a time: the buffer keeps the
        // capacity it grew to, so a larger one would stay with every socket that ever got a
        // burst (16 KiB cost 20 KB a socket, bench/RESULTS.md). A client that stops reading
        // holds at most the max in memory before its socket is dropped.
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| serve(socket, hub, reader, recheck, after))
}

/// Counts the socket in the gauge while it lives.
struct Open;

impl Open {
    fn new() -> Open {
        metrics::gauge!("ws.clients").increment(1.0);
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!("ws.clients").decrement(1.0);
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientFrame {
    Resume { after: i64 },
    Subscribe { kinds: Vec<String> },
}

struct Socket {
    ws: WebSocket,
    hub: Hub,
    reader: Reader,
    client: String,
    /// Kinds asked for (prefixes); all when empty.
    kinds: Vec<String>,
    /// The last event id this socket has dealt with (sent or filtered out).
    done: i64,
}

/// Why the loop ended.
enum End {
    Gone,
    Shutdown,
}

async fn serve(ws: WebSocket, hub: Hub, reader: Reader, recheck: Option<Recheck>, after: Option<i64>) {
    let _tracked = hub.track();
    let _open = Open::new();
    if let Err(e) = hub.start().await {
        tracing::warn!(error = %e, "cannot start listening for events");
    }
    let mut rx = hub.subscribe();
    let client = uuid::Uuid::new_v4().simple().to_string();
    let done = hub.last();
    let mut socket = Socket { ws, hub: hub.clone(), reader, client, kinds: Vec::new(), done };
    let hello = serde_json::json!({ "type": "hello", "client": socket.client, "last": socket.done });
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    // Resuming at the handshake (`/ws?after=N`): what was missed goes out before anything new.
    if let Some(after) = after
        && socket.resume(after).await.is_err()
    {
        return;
    }
    let closing = hub.closing();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let end = loop {
        let step = tokio::select! {
            () = closing.cancelled() => Err(End::Shutdown),
            _ = ping.tick() => {
                if let Some(recheck) = &recheck
                    && let Some(reader) = recheck().await
                {
                    socket.reader = reader;
                }
                socket.send(Message::Ping(Default::default())).await
            }
            received = rx.recv() => match received {
                // Whatever else is ready goes out with it, in one write.
                Ok(out) => socket.offer_ready(&out, &mut rx).await,
                Err(RecvError::Lagged(missed)) => socket.mend(missed).await,
                Err(RecvError::Closed) => Err(End::Gone),
            },
            message = socket.ws.recv() => match message {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Err(End::Gone),
                Some(Ok(Message::Text(text))) => socket.heard(&text).await,
                Some(Ok(Message::Binary(_))) => socket.error("bad-message", "Send JSON text frames.").await,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
            },
        };
        if let Err(end) = step {
            break end;
        }
    };
    if let End::Shutdown = end {
        let goodbye = CloseFrame { code: close_code::AWAY, reason: Utf8Bytes::from_static("server shutting down") };
        let _ = socket.send(Message::Close(Some(goodbye))).await;
    }
}

impl Socket {
    async fn send(&mut self, message: Message) -> Result<(), End> {
        match tokio::time::timeout(SEND_TIMEOUT, self.ws.send(message)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    async fn error(&mut self, code: &str, message: &str) -> Result<(), End> {
        let frame = serde_json::json!({ "type": "error", "code": code, "message": message });
        self.send(Message::Text(frame.to_string().into())).await
    }

    fn wants(&self, event: &Event) -> bool {
        self.reader.may_read(event.audience)
            && event.origin.as_deref() != Some(self.client.as_str())
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| event.kind.starts_with(k.as_str())))
    }

    /// Queues `event` for sending if this socket has not dealt with it and its reader wants it.
    async fn offer(&mut self, event: &Event, frame: &Utf8Bytes) -> Result<(), End> {
        if event.seq <= self.done {
            return Ok(());
        }
        self.done = event.seq;
        if !self.wants(event) {
            return Ok(());
        }
        metrics::counter!("ws.events_sent").increment(1);
        match tokio::time::timeout(SEND_TIMEOUT, self.ws.feed(Message::Text(frame.clone()))).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    /// Offers `first` and every event already waiting in the queue (a burst), then writes them.
    async fn offer_ready(
        &mut self,
        first: &Outgoing,
        rx: &mut tokio::sync::broadcast::Receiver<Arc<Outgoing>>,
    ) -> Result<(), End> {
        self.offer(&first.event, &first.frame).await?;
        for _ in 0..READY_BATCH {
            match rx.try_recv() {
                Ok(out) => self.offer(&out.event, &out.frame).await?,
                Err(TryRecvError::Lagged(missed)) => self.mend(missed).await?,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return Err(End::Gone),
            }
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), End> {
        match tokio::time::timeout(SEND_TIMEOUT, self.ws.flush()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    /// The socket fell `missed` events behind the hub's queue (it read too slowly): the events
    /// after the last one it dealt with are read from the outbox and sent in order, so the
    /// client still gets each once, in order. A client too far behind for that (more than
    /// [`MAX_MEND`]) is told to reload, and what it skipped is counted as dropped.
    async fn mend(&mut self, missed: u64) -> Result<(), End> {
        metrics::counter!("ws.events_lagged").increment(missed);
        let db = self.hub.db().clone();
        let target = self.hub.last();
        let mut read: u32 = 0;
        while self.done < target {
            if read >= MAX_MEND {
                let skipped = u64::try_from(target - self.done).unwrap_or(0);
                metrics::counter!("ws.events_dropped").increment(skipped);
                self.done = target;
                let frame = serde_json::json!({
                    "type": "reset",
                    "message": "This connection fell too far behind and missed events: reload.",
                });
                return self.send(Message::Text(frame.to_string().into())).await;
            }
            let Ok(batch) = outbox::after(&db, self.done, MAX_REPLAY).await else {
                let frame = serde_json::json!({
                    "type": "reset", "message": "Missed events cannot be read now: reload.",
                });
                self.done = target;
                return self.send(Message::Text(frame.to_string().into())).await;
            };
            if batch.is_empty() {
                break;
            }
            read += u32::try_from(batch.len()).unwrap_or(u32::MAX);
            for event in batch {
                let frame = super::hub::Outgoing::frame_of(&event);
                self.offer(&event, &frame).await?;
            }
        }
        self.flush().await
    }

    async fn heard(&mut self, text: &str) -> Result<(), End> {
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(ClientFrame::Subscribe { kinds })
                if kinds.len() <= MAX_KINDS && kinds.iter().all(|k| k.len() <= 100) =>
            {
                self.kinds = kinds;
                Ok(())
            }
            Ok(ClientFrame::Subscribe { .. }) => {
                self.error("bad-message", &format!("Subscribe to at most {MAX_KINDS} kinds of up to 100 characters."))
                    .await
            }
            Ok(ClientFrame::Resume { after }) => self.resume(after).await,
            Err(_) => {
                self.error(
                    "bad-message",
                    r#"Expected {"type":"resume","after":<event id>} or {"type":"subscribe","kinds":[…]}."#,
                )
                .await
            }
        }
    }

    /// Sends what the client missed after `after`, from the outbox.
    async fn resume(&mut self, after: i64) -> Result<(), End> {
        if after < 0 || after > self.hub.last() {
            return self.error("bad-message", "No event has that id: reload.").await;
        }
        if after >= self.done {
            return Ok(());
        }
        let db = self.hub.db().clone();
        let oldest = match outbox::oldest_kept(&db).await {
            Ok(n) => n,
            Err(_) => return self.error("unavailable", "Missed events cannot be read now: reload.").await,
        };
        let gone = oldest > after + 1 || (oldest == 0 && self.done > after);
        let missed = if gone { None } else { outbox::after(&db, after, MAX_REPLAY).await.ok() };
        let Some(missed) = missed.filter(|m| m.last().is_some_and(|e| e.seq >= self.done)) else {
            let hours = self.hub.retention().as_secs() / 3600;
            let frame = serde_json::json!({
                "type": "reset",
                "message": format!("Events are kept for {hours} hours and some you missed are gone: reload."),
            });
            return self.send(Message::Text(frame.to_string().into())).await;
        };
        let done = self.done;
        for event in missed.into_iter().filter(|e| e.seq <= done) {
            if self.wants(&event) {
                let frame = super::hub::Outgoing::frame_of(&event);
                self.send(Message::Text(frame)).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_site_and_allowed_origins_open_a_socket() {
        let vars: std::collections::HashMap<String, String> = [
            ("APP_URL".to_owned(), "https://purchasing.example.gov".to_owned()),
            ("ALLOWED_ORIGINS".to_owned(), "https://partner.example.org".to_owned()),
        ]
        .into();
        let config = crate::Config::from_source(&vars).expect("config");
        let with = |origin: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(o) = origin {
                headers.insert(http::header::ORIGIN, o.parse().expect("header"));
            }
            origin_allowed(&config, &headers)
        };
        assert!(with(Some("https://purchasing.example.gov")));
        assert!(with(Some("https://PURCHASING.example.gov")), "host names are case-blind");
        assert!(with(Some("https://partner.example.org")));
        assert!(with(None), "not a browser");
        assert!(!with(Some("http://purchasing.example.gov")), "another scheme is another origin");
        assert!(!with(Some("https://purchasing.example.gov.evil.example")));
        assert!(!with(Some("https://evil.example")));
        assert!(!with(Some("null")));

        // The page's own address: the Host it was sent to.
        let to = |origin: &str, host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::ORIGIN, origin.parse().expect("header"));
            headers.insert(http::header::HOST, host.parse().expect("header"));
            origin_allowed(&config, &headers)
        };
        assert!(to("http://127.0.0.1:8000", "127.0.0.1:8000"));
        assert!(to("https://www.example.gov", "www.example.gov"), "behind a proxy that keeps Host");
        assert!(!to("http://127.0.0.1:8001", "127.0.0.1:8000"), "another port");
        assert!(!to("https://evil.example", "127.0.0.1:8000"));
        assert!(!to("https://evil.example", "evil.example.gov"));
    }
}
