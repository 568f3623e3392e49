//! Running the real `procure` binary: commands, servers, plain HTTP over a socket.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_procure");

/// `procure ARGS` in a fresh folder with a clean environment plus `env`. The binary is this
/// build's, or `PROCURE_TEST_BIN` (the benchmarks run a release build this way).
pub fn procure(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(std::env::var("PROCURE_TEST_BIN").unwrap_or_else(|_| BIN.to_owned()));
    cmd.args(args).current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    procure(dir, args, env).output().expect("run procure")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`; panics naming `what` after
/// `limit`.
pub fn wait_for_port(port: u16, limit: Duration, what: &str) {
    let deadline = Instant::now() + limit;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Minimal HTTP/1.1 GET over a fresh connection: (status, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: procure-test\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// A running `procure` process, killed if the test fails before stopping it.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let port_s = port.to_string();
        let mut env = env.to_vec();
        env.push(("PORT", &port_s));
        let child =
            procure(dir, args, &env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn procure");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if http_get(port, "/__lbheartbeat__").is_some_and(|(s, _)| s == 200) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("procure did not start listening on {port}");
    }

    /// Sends SIGTERM and waits; returns (exit success, stdout, stderr).
    pub fn stop(mut self) -> (bool, String, String) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let mut out = String::new();
                let mut err = String::new();
                if let Some(mut o) = self.child.stdout.take() {
                    let _ = o.read_to_string(&mut out);
                }
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return (status.success(), out, err);
            }
            assert!(Instant::now() < deadline, "procure did not stop within 15 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
