//! The server loop: listen, serve each connection with hyper, and on shutdown let in-flight
//! requests finish (up to the grace period).
//!
//! Every connection is bounded in time whatever its client does:
//! - a request's headers must arrive within [`Limits::header_read`] of its first byte, or the
//!   connection is dropped (a "slowloris" sending headers a byte at a time, a stalled client);
//! - a connection waiting for its next request is closed after [`Limits::keep_alive`] (idle
//!   keep-alive connections, or sockets that never send anything);
//! - while a request is being handled (headers parsed, response not yet fully written) neither
//!   applies: the request timeout layer bounds that.
//!
//! hyper's own `header_read_timeout` cannot express the two: its clock starts when a connection
//! becomes ready for a request, so it is the idle limit and the header limit in one. Instead each
//! connection shares an [`Activity`] with its socket wrapper (which sees the first byte of a
//! request) and its service (which sees the headers complete and the response end), and a
//! watcher in the connection's task closes it when the phase it is in has lasted too long.

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
use http::{Request, Response};
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
}

impl Limits {
    pub fn from_config(server: &crate::config::ServerConfig) -> Limits {
        Limits {
            grace: server.shutdown_grace,
            header_read: server.header_read_timeout,
            keep_alive: server.keep_alive_timeout,
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
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let service = ConnectionService { router, remote, activity: activity.clone() };
    let conn = builder.serve_connection(io, service);
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
    /// `requests` requests are being handled or their responses written.
    Busy { requests: usize },
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

    /// Bytes arrived on the socket.
    fn received(&self) {
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
    }

    /// A request's headers were parsed: it is being handled until the guard drops.
    fn begin(self: &Arc<Self>) -> InFlight {
        self.with(|phase| {
            *phase = match *phase {
                Phase::Busy { requests } => Phase::Busy { requests: requests + 1 },
                Phase::Idle { .. } | Phase::Head { .. } => Phase::Busy { requests: 1 },
            }
        });
        self.changed.notify_one();
        InFlight(self.clone())
    }

    fn end(&self) {
        self.with(|phase| {
            *phase = match *phase {
                Phase::Busy { requests } if requests > 1 => Phase::Busy { requests: requests - 1 },
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
            Phase::Busy { .. } => None,
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

/// The socket, reporting incoming bytes to the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
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
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
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
