//! A TCP proxy that can cut a backend off and restore it, to show what the app does when its
//! database disappears and comes back (crates.io's ChaosProxy idea, on loopback only).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Links {
    up: bool,
    open: Vec<JoinHandle<()>>,
}

pub struct ChaosProxy {
    pub addr: SocketAddr,
    links: Arc<Mutex<Links>>,
}

impl ChaosProxy {
    /// Listens on 127.0.0.1 (random port) and forwards to `target`.
    pub async fn start(target: SocketAddr) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let links = Arc::new(Mutex::new(Links { up: true, open: Vec::new() }));
        let accepted = links.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                // Checked and recorded under the lock, so a connection accepted while `cut` runs
                // is either refused here or closed by `cut`, never left open.
                let mut links = accepted.lock().expect("proxy lock");
                if !links.up {
                    drop(client);
                    continue;
                }
                links.open.retain(|task| !task.is_finished());
                links.open.push(tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else { return };
                    let mut client = client;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }));
            }
        });
        ChaosProxy { addr, links }
    }

    /// Refuses new connections and closes every open one; when this returns, both ends of each
    /// open connection have been dropped, so the next request through it fails.
    pub async fn cut(&self) {
        let open = {
            let mut links = self.links.lock().expect("proxy lock");
            links.up = false;
            std::mem::take(&mut links.open)
        };
        for task in open {
            task.abort();
            let _ = task.await;
        }
    }

    pub fn restore(&self) {
        self.links.lock().expect("proxy lock").up = true;
    }
}
