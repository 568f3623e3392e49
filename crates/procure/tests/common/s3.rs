//! A real S3-compatible server for tests: moto's, on a free port.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bucket every test server starts with.
pub const BUCKET: &str = "procure-test";

/// moto's S3 server on a free port, with a bucket ([`BUCKET`]); killed on drop.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

impl S3Server {
    pub async fn start() -> Option<S3Server> {
        if Command::new("moto_server").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            super::skip_unless_required("s3", "moto_server is not installed");
            return None;
        }
        let port = super::bin::free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let created = reqwest::Client::new().put(format!("{endpoint}/{BUCKET}")).send().await.expect("create bucket");
        assert!(created.status().is_success(), "{}", created.status());
        Some(S3Server { child, endpoint })
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// The keys of every object in [`BUCKET`] (one page of a ListObjectsV2).
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(format!("{}/{BUCKET}?list-type=2", self.endpoint))
            .await
            .expect("list the bucket")
            .text()
            .await
            .expect("listing");
        listing.split("<Key>").skip(1).filter_map(|s| s.split_once("</Key>")).map(|(k, _)| k.to_owned()).collect()
    }
}
