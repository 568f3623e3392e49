//! The server loop: listen, serve each connection with hyper, and on shutdown let in-flight
//! requests finish (up to the grace period).
//!
//! Every connection is bounded in time whatever its client does:
//! - a request's headers must arrive within [`Limits::header_read`] of its first byte, or the
//!   connection is dropped (a "slowloris" sending headers a byte at a time, a stalled client);
//! - a connection waiting for its next request is closed after [`Limits::keep_alive`] (idle
//!   keep-alive connections, or sockets that never send anything);
//! - while a request is being handled (headers parsed, response not yet fully written), the
//!   request timeout layer bounds the handler, and the connection is dropped when no byte has
//!   moved either way for [`Limits::stall`] (a client that stopped reading its response).
//!
//! hyper's own `header_read_timeout` cannot express the two: its clock starts when a connection
//! becomes ready for a request, so it is the idle limit and the header limit in one. Instead each
//! connection shares an [`Activity`] with its socket wrapper (which sees the first byte of a
//! request) and its service (which sees the headers complete and the response end), and a
//! watcher in the connection's task closes it when the phase it is in has lasted too long.
//!
//! A request hyper refuses before it reaches the service (an address of 64 KiB or more, headers
//! over its buffer, a malformed request line) is answered by hyper itself with a bare status
//! line. The socket wrapper recognises that answer (a body-less 4xx head written while a head is
//! arriving and no request of ours has begun) and writes instead what the router answers to a stand-in request
//! carrying [`RefusedHead`]: the same error body, security headers and log line as any error.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long connections may take, and how long shutdown waits for them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// After shutdown begins, how long open requests get to finish.
    pub grace: Duration,
    /// From a request's first byte to the end of its headers.
    pub header_read: Duration,
    /// How long a connection may wait for its (next) request.
    pub keep_alive: Duration,
    /// How long a busy connection may go without a byte moving either way.
    pub stall: Duration,
}

impl Limits {
    pub fn from_config(server: &crate::config::ServerConfig) -> Limits {
        Limits {
            grace: server.shutdown_grace,
            header_read: server.header_read_timeout,
            keep_alive: server.keep_alive_timeout,
            // Never shorter than a handler may take, so only a stalled client is cut off.
            stall: server.keep_alive_timeout.max(server.request_timeout),
        }
    }
}

/// Binds `addr`, with an error that says what to do about a port in use.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            " (another process uses it; set PORT to a free port)"
        } else {
            ""
        };
        anyhow::anyhow!("cannot listen on {addr}: {e}{hint}")
    })
}

/// Serves until `shutdown` is cancelled, then stops accepting, closes idle connections, lets
/// open requests finish and returns; requests still running after `limits.grace` are abandoned.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    limits: Limits,
) -> anyhow::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The limits are ours (see the module docs); hyper's would close idle connections early.
    builder.http1().header_read_timeout(None);
    let builder = Arc::new(builder);
    let connections = TaskTracker::new();
    loop {
        let (stream, remote) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Small responses go out at once rather than waiting for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(builder.clone(), stream, remote, router.clone(), shutdown.clone(), limits));
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(limits.grace, connections.wait()).await.is_err() {
        tracing::warn!(
            grace_secs = limits.grace.as_secs(),
            "requests still running after the shutdown grace period were abandoned"
        );
    }
    Ok(())
}

/// One connection, from accept to close, under the limits (see the module docs).
async fn connection(
    builder: Arc<auto::Builder<TokioExecutor>>,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    shutdown: CancellationToken,
    limits: Limits,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
        router: router.clone(),
        remote,
        head_start: Vec::new(),
        rewrite: None,
    });
    let service = ConnectionService { router, remote, activity: activity.clone() };
    // With upgrades: `/ws` takes the socket over; this task ends and the websocket lives on in
    // its own (bounded by its pings and `events::Hub::close`, not by the limits above).
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let deadline = activity.deadline(limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                return;
            }
            () = shutdown.cancelled(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = activity.changed.notified() => {}
            () = sleep_until(deadline) => match activity.expired(limits) {
                Some(Phase::Head { .. }) => {
                    tracing::debug!(%remote, "request headers not received in time; connection dropped");
                    return;
                }
                Some(Phase::Busy { .. }) => {
                    tracing::debug!(%remote, "nothing moved on a busy connection in time; connection dropped");
                    return;
                }
                Some(Phase::Idle { .. }) if !closing => {
                    closing = true;
                    // Closes at once: the connection has no request in progress.
                    conn.as_mut().graceful_shutdown();
                }
                _ => {}
            },
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is between requests.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's first byte since `since`.
    Idle { since: Instant },
    /// A request's first bytes arrived at `since`; its headers have not been parsed yet.
    Head { since: Instant },
    /// `requests` requests are being handled or their responses written; bytes last moved on
    /// the socket at `progress`.
    Busy { requests: usize, progress: Instant },
}

/// A connection's phase, shared by its socket, its service and its watcher.
struct Activity {
    phase: Mutex<Phase>,
    /// Woken when the phase changes in a way that moves the deadline.
    changed: Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity { phase: Mutex::new(Phase::Idle { since: Instant::now() }), changed: Notify::new() }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Phase) -> T) -> T {
        f(&mut self.phase.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Bytes arrived on the socket; whether they are the first of a request's head.
    fn received(&self) -> bool {
        let started = self.with(|phase| match *phase {
            Phase::Idle { .. } => {
                *phase = Phase::Head { since: Instant::now() };
                true
            }
            _ => false,
        });
        if started {
            self.changed.notify_one();
        }
        started
    }

    /// Bytes moved while busy: the stall deadline starts again. (The watcher rereads the
    /// deadline when the old one passes, so this needs no wake-up.)
    fn progressed(&self) {
        self.with(|phase| {
            if let Phase::Busy { progress, .. } = phase {
                *progress = Instant::now();
            }
        });
    }

    /// Whether a request's head is arriving and has not reached the service: the only time
    /// hyper writes a response of its own (a response of ours is written while busy, or just
    /// after, when idle).
    fn in_head(&self) -> bool {
        self.with(|phase| matches!(phase, Phase::Head { .. }))
    }

    /// A request's headers were parsed: it is being handled until the guard drops.
    fn begin(self: &Arc<Self>) -> InFlight {
        self.with(|phase| {
            *phase = match *phase {
                Phase::Busy { requests, .. } => Phase::Busy { requests: requests + 1, progress: Instant::now() },
                Phase::Idle { .. } | Phase::Head { .. } => Phase::Busy { requests: 1, progress: Instant::now() },
            }
        });
        self.changed.notify_one();
        InFlight(self.clone())
    }

    fn end(&self) {
        self.with(|phase| {
            *phase = match *phase {
                Phase::Busy { requests, progress } if requests > 1 => Phase::Busy { requests: requests - 1, progress },
                _ => Phase::Idle { since: Instant::now() },
            }
        });
        self.changed.notify_one();
    }

    /// When the current phase runs out, if it can.
    fn deadline(&self, limits: Limits) -> Option<Instant> {
        self.with(|phase| match *phase {
            Phase::Idle { since } => Some(since + limits.keep_alive),
            Phase::Head { since } => Some(since + limits.header_read),
            Phase::Busy { progress, .. } => Some(progress + limits.stall),
        })
    }

    /// The current phase if it has lasted longer than allowed.
    fn expired(&self, limits: Limits) -> Option<Phase> {
        let phase = self.with(|phase| *phase);
        let deadline = self.deadline(limits)?;
        (Instant::now() >= deadline).then_some(phase)
    }
}

/// Held while a request is handled and its response body written.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The socket, reporting incoming bytes to the connection's [`Activity`] and answering the
/// requests hyper refuses itself (see the module docs).
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
    router: Router,
    remote: SocketAddr,
    /// The first bytes of the current request's head (`GET /api/…`), to answer a refused one in
    /// its kind (JSON under `/api/`).
    head_start: Vec<u8>,
    /// Our answer to a refused request, replacing hyper's bare one.
    rewrite: Option<Rewrite>,
}

/// Bytes of a request head kept to tell where it was going.
const HEAD_START: usize = 16;

enum Rewrite {
    Rendering(Pin<Box<dyn Future<Output = Vec<u8>> + Send>>),
    Writing { bytes: Vec<u8>, written: usize },
}

/// The status of a response that hyper wrote itself for a request it could not read: a 4xx
/// head with no body (`HTTP/1.1 414 URI Too Long\r\n…\r\n\r\n`).
fn refused_status(data: &[u8]) -> Option<StatusCode> {
    let rest = data.strip_prefix(b"HTTP/1.1 ").or_else(|| data.strip_prefix(b"HTTP/1.0 "))?;
    let code = std::str::from_utf8(rest.get(..3)?).ok()?.parse::<u16>().ok()?;
    let head_only = data.windows(4).position(|w| w == b"\r\n\r\n").is_some_and(|end| end + 4 == data.len());
    StatusCode::from_u16(code).ok().filter(|s| s.is_client_error() && head_only)
}

/// What the router answers to a stand-in for a refused request, as HTTP/1.1 bytes (the
/// connection closes after it, as it would have).
async fn render_refusal(router: Router, remote: SocketAddr, status: StatusCode, api: bool) -> Vec<u8> {
    let mut request = Request::new(Body::empty());
    *request.uri_mut() = http::Uri::from_static(if api { "/api/" } else { "/" });
    request.extensions_mut().insert(ConnectInfo(remote));
    request.extensions_mut().insert(super::middleware::RefusedHead(status));
    let Ok(response) = router.oneshot(request).await;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let mut out = format!("HTTP/1.1 {} {}\r\n", parts.status.as_u16(), parts.status.canonical_reason().unwrap_or(""));
    for (name, value) in &parts.headers {
        if name == http::header::CONTENT_LENGTH || name == http::header::CONNECTION {
            continue;
        }
        if let Ok(value) = value.to_str() {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

impl Watched {
    /// Writes our answer in place of `data` (hyper's), reporting all of `data` written when ours
    /// is. `None` when `data` is not a refusal.
    fn poll_rewrite(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Option<Poll<std::io::Result<usize>>> {
        if self.rewrite.is_none() {
            let status = self.activity.in_head().then(|| refused_status(data)).flatten()?;
            let api = self.head_start.windows(5).any(|w| w == b"/api/" || w == b"/api?");
            let render = render_refusal(self.router.clone(), self.remote, status, api);
            self.rewrite = Some(Rewrite::Rendering(Box::pin(render)));
        }
        loop {
            match self.rewrite.as_mut()? {
                Rewrite::Rendering(render) => match render.as_mut().poll(cx) {
                    Poll::Ready(bytes) => self.rewrite = Some(Rewrite::Writing { bytes, written: 0 }),
                    Poll::Pending => return Some(Poll::Pending),
                },
                Rewrite::Writing { bytes, written } => {
                    if *written == bytes.len() {
                        self.rewrite = None;
                        return Some(Poll::Ready(Ok(data.len())));
                    }
                    match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                        Poll::Ready(Ok(0)) => return Some(Poll::Ready(Ok(0))),
                        Poll::Ready(Ok(n)) => *written += n,
                        other => return Some(other),
                    }
                }
            }
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            if self.activity.received() {
                let new = &buf.filled()[before..];
                self.head_start = new[..new.len().min(HEAD_START)].to_vec();
            } else {
                self.activity.progressed();
            }
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        if let Some(poll) = self.poll_rewrite(cx, data) {
            return poll;
        }
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.progressed();
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        // A refusal is one small head, written before any request of ours: look at it whole.
        if self.activity.in_head() || self.rewrite.is_some() {
            let data: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            if let Some(poll) = self.poll_rewrite(cx, &data) {
                return poll;
            }
        }
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.progressed();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The router for one connection: gives handlers the peer address (`ConnectInfo`) and marks
/// the connection busy from the parsed headers to the end of the response.
#[derive(Clone)]
struct ConnectionService {
    router: Router,
    remote: SocketAddr,
    activity: Arc<Activity>,
}

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(self.remote));
        let response = self.router.clone().oneshot(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| Body::new(Tracked { body, _in_flight: in_flight })))
        })
    }
}

/// A response body that keeps its request counted as in flight until it is written (dropped).
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = <Body as HttpBody>::Data;
    type Error = <Body as HttpBody>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
