//! The server loop: listen, serve, and on shutdown let in-flight requests finish (up to the
//! grace period).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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

/// Serves until `shutdown` is cancelled, then stops accepting, lets open requests finish and
/// returns; requests still running after `grace` are abandoned.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    grace: Duration,
) -> anyhow::Result<()> {
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(anyhow::Error::from),
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the shutdown grace period were abandoned");
            Ok(())
        }
    }
}
