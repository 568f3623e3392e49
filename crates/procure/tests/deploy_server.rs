//! The server path (seeds 001/002 on EC2, and seed 004's nginx): the shipped `deploy/nginx.conf`
//! run by a real nginx in front of `procure web`, `worker` and `websocket` on PostgreSQL, with
//! the settings in a `.env` file as the seed reads them; and the shipped systemd units checked
//! by `systemd-analyze verify`.
//!
//! The nginx file is used as shipped but for what a site changes anyway: its host name, ports
//! (high ones here), certificate and log paths, and the ACME folder. The certificate is a
//! self-signed one made with `openssl` for `procure.test`, which the client resolves to
//! loopback. The client connects from 127.0.0.2, so the address nginx forwards differs from
//! nginx's own (127.0.0.1).

mod common;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::bin::free_port;
use common::journey::{self, Live, Site};
use common::smtp::SmtpSink;
use common::{Backend, Deployment};

const HOST: &str = "procure.test";
const CLIENT: &str = "127.0.0.2";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// nginx on two free ports with the shipped site file; stopped on drop.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    http: u16,
    https: u16,
}

impl Nginx {
    /// The site file as a site would install it: the shipped one with its names, ports and
    /// paths replaced, and the `http { }` context Debian's nginx.conf gives it.
    fn start(app: u16, ws: u16) -> Option<Nginx> {
        if Command::new("nginx").arg("-v").stderr(Stdio::null()).status().is_err() {
            common::skip_unless_required("nginx", "nginx is not installed (apt-get install nginx)");
            return None;
        }
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        // nginx's workers run as nobody and must reach the ACME folder.
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        for sub in ["logs", "tls", "acme/.well-known/acme-challenge", "temp"] {
            std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        }
        make_certificate(&d.join("tls"));
        let (http, https) = (free_port(), free_port());
        let shipped = std::fs::read_to_string(repo().join("deploy/nginx.conf")).expect("deploy/nginx.conf");
        let site = shipped
            .replace("example.gov", HOST)
            .replace(&format!("/etc/letsencrypt/live/{HOST}/"), &format!("{}/tls/", d.display()))
            .replace("/var/log/nginx/", &format!("{}/logs/", d.display()))
            .replace("/var/www/letsencrypt", &format!("{}/acme", d.display()))
            .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
            .replace("listen [::]:80;", &format!("listen [::1]:{http};"))
            .replace("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl"))
            .replace("listen [::]:443 ssl", &format!("listen [::1]:{https} ssl"))
            .replace("127.0.0.1:8000", &format!("127.0.0.1:{app}"))
            .replace("127.0.0.1:5001", &format!("127.0.0.1:{ws}"));
        let directives: String =
            site.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
        for shipped_value in ["example.gov", "/var/log", "/etc/letsencrypt", ":8000;", ":5001;", " 80;", " 443 "] {
            assert!(!directives.contains(shipped_value), "{shipped_value} was left in the site file");
        }
        std::fs::write(d.join("procure.conf"), site).expect("site file");
        let temp = d.join("temp");
        let main = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n\
             client_body_temp_path {t}/body;\n  proxy_temp_path {t}/proxy;\n  fastcgi_temp_path {t}/fastcgi;\n\
             uwsgi_temp_path {t}/uwsgi;\n  scgi_temp_path {t}/scgi;\n  access_log {d}/logs/access.log;\n\
             include {d}/procure.conf;\n}}\n",
            d = d.display(),
            t = temp.display(),
        );
        std::fs::write(d.join("nginx.conf"), main).expect("nginx.conf");
        let check = Command::new("nginx").arg("-t").arg("-p").arg(d).arg("-c").arg(d.join("nginx.conf")).output();
        let check = check.expect("nginx -t");
        assert!(check.status.success(), "nginx -t: {}", String::from_utf8_lossy(&check.stderr));
        let child = Command::new("nginx")
            .arg("-p")
            .arg(d)
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        common::bin::wait_for_port(https, Duration::from_secs(10), "nginx");
        Some(Nginx { child, dir, http, https })
    }

    /// The test CA's certificate, which the clients trust.
    fn certificate(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("tls/ca.pem")).expect("certificate")
    }

    fn base(&self) -> String {
        format!("https://{HOST}:{}", self.https)
    }

    /// A client that finds `procure.test` on loopback, trusts the test certificate, and
    /// connects from [`CLIENT`].
    fn client(&self) -> reqwest::ClientBuilder {
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        reqwest::Client::builder()
            .resolve(HOST, loopback(self.https))
            .add_root_certificate(reqwest::Certificate::from_pem(&self.certificate()).expect("PEM"))
            .local_address(CLIENT.parse::<IpAddr>().expect("address"))
    }

    /// Plain http on port "80", no redirects followed.
    async fn plain(&self, path: &str) -> reqwest::Response {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(HOST, SocketAddr::from(([127, 0, 0, 1], self.http)))
            .build()
            .expect("client")
            .get(format!("http://{HOST}:{}{path}", self.http))
            .send()
            .await
            .expect("plain http")
    }

    /// The live socket over TLS, through nginx.
    async fn live(&self) -> Live {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        let pem = self.certificate();
        for cert in rustls_pem_certs(&pem) {
            roots.add(cert).expect("root");
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.https)).await.expect("connect to nginx");
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(HOST).expect("name");
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.expect("TLS with nginx");
        // The handshake speaks over the TLS stream made here.
        Live::open_over(&format!("wss://{HOST}:{}/ws", self.https), tls).await
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("logs/procure.access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed CA and a certificate for [`HOST`] it signed, made by `openssl` in `dir`:
/// `ca.pem`, and `fullchain.pem` with `privkey.pem` where the site file expects them.
fn make_certificate(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
        &[
            &["req", "-x509"],
            &key[..],
            &["-days", "2", "-subj", "/CN=Procure test CA", "-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat(),
    );
    openssl(
        &[&["req"], &key[..], &["-subj", &format!("/CN={HOST}"), "-keyout", "privkey.pem", "-out", "site.csr"]]
            .concat(),
    );
    let ext = format!("subjectAltName=DNS:{HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    std::fs::write(dir.join("site.ext"), ext).expect("extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "site.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "site.ext",
        "-out",
        "fullchain.pem",
    ]);
}

/// The certificates in a PEM file.
fn rustls_pem_certs(pem: &[u8]) -> Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    tokio_rustls::rustls::pki_types::CertificateDer::pem_slice_iter(pem).map(|c| c.expect("a certificate")).collect()
}

/// How many TCP connections from nginx to `port` are open right now (kept-alive ones included).
fn connections_to(port: u16) -> usize {
    let out = Command::new("ss").args(["-Htn", "state", "established", &format!("( dport = :{port} )")]).output();
    let out = String::from_utf8_lossy(&out.expect("ss").stdout).into_owned();
    eprintln!("connections to {port}:\n{out}");
    out.lines().filter(|l| !l.trim().is_empty()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_shipped_nginx_conf_procure_serves_https_with_the_clients_address() {
    let Some(sink) = SmtpSink::start() else { return };
    let (app, ws) = (free_port(), free_port());
    // nginx first: APP_URL needs its https port.
    let Some(nginx) = Nginx::start(app, ws) else { return };
    let app_url = nginx.base();
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let (app_s, ws_s) = (app.to_string(), ws.to_string());
    let vars = [
        ("PROCURE_ENV", "production"),
        ("SECRET_KEY", secret.as_str()),
        ("APP_URL", app_url.as_str()),
        ("BIND_ADDRESS", "127.0.0.1"),
        ("PORT", app_s.as_str()),
        ("WEBSOCKET_PORT", ws_s.as_str()),
        ("SHUTDOWN_TIMEOUT", "5"),
    ];
    let Some(d) = Deployment::new(Backend::Postgres, &vars).await else { return };
    // Seed 001: the mail settings come from the .env file in the working directory.
    let dotenv = format!(
        "# written as .env.example teaches: no quotes\nMAIL_SERVER=127.0.0.1\nMAIL_PORT={}\nMAIL_USE_TLS=false\n\
         MAIL_DEFAULT_SENDER=purchasing@example.gov\n",
        sink.port
    );
    std::fs::write(d.dir.path().join(".env"), dotenv).expect(".env");
    let mut web = d.spawn("web", &["web"]);
    let mut worker = d.spawn("worker", &["worker"]);
    let mut websocket = d.spawn("websocket", &["websocket"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while common::bin::http_get(app, "/__lbheartbeat__").is_none_or(|(s, _)| s != 200) {
        assert!(Instant::now() < deadline, "procure web did not start:\n{}", d.log("web"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Port 80: https for everything but ACME challenges and the load balancer's heartbeat.
    let redirect = nginx.plain("/beacon/?page=2").await;
    assert_eq!(redirect.status().as_u16(), 301);
    assert_eq!(redirect.headers()["location"], format!("https://{HOST}/beacon/?page=2").as_str());
    std::fs::write(nginx.dir.path().join("acme/.well-known/acme-challenge/t0k3n"), "t0k3n.thumbprint")
        .expect("challenge");
    let challenge = nginx.plain("/.well-known/acme-challenge/t0k3n").await;
    assert_eq!(challenge.status().as_u16(), 200);
    assert_eq!(challenge.text().await.expect("body"), "t0k3n.thumbprint");
    let lb = nginx.plain("/__lbheartbeat__").await;
    assert_eq!(lb.status().as_u16(), 200, "the load balancer's check is answered over http, not redirected");

    // The app sends a request its proxy says came over http to https; through nginx, which
    // says https, the same page is served.
    let direct = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("http://127.0.0.1:{app}/beacon/"))
        .header("host", format!("{HOST}:{}", nginx.https))
        .header("x-forwarded-proto", "http")
        .send()
        .await
        .expect("direct");
    assert!(direct.status().is_redirection(), "the app redirects plain http: {}", direct.status());
    let site = Site::with_client(&app_url, nginx.client());
    let home = site.get("/beacon/").await;
    assert_eq!(home.status, 200, "through nginx: {}", home.body);
    assert!(home.header("strict-transport-security").contains("max-age="), "HSTS over https");

    // The live socket upgrades through nginx.
    let mut live = nginx.live().await;

    // The journey, over https through nginx; the emails are sent by the worker.
    let link = common::bin::run(d.dir.path(), &["createsuperuser", "--email", "first-admin@example.gov"], &d.env());
    assert!(link.status.success(), "createsuperuser: {}", common::bin::text(&link.stderr));
    let admin_link = common::bin::text(&link.stdout).trim().to_owned();
    let walked = journey::sign_up_and_publish(&site, &d.db, sink.dir.path(), &admin_link).await;
    assert!(walked.confirm_link.starts_with("https://"), "{}", walked.confirm_link);
    assert_eq!(walked.announcement.from, "purchasing@example.gov", "the sender from .env");
    let cookies = walked.signed_in.set_cookies();
    assert!(!cookies.is_empty() && cookies.iter().all(|c| c.contains("Secure")), "secure cookies: {cookies:?}");
    live.hear("beacon.opportunity.published").await;

    // The client's address, not nginx's, even when the client sends its own X-Forwarded-For:
    // in the sign-up limit's records and in the request log.
    let spoofed = site
        .post_with("/sign-in", &[("email", "someone@pittsburghpa.gov")], &[("x-forwarded-for", "203.0.113.9")])
        .await;
    assert!(spoofed.status < 500, "{}", spoofed.body);
    let clients = d.count("SELECT COUNT(DISTINCT client_ip) AS n FROM throttle_hits").await;
    let ours = d.count(&format!("SELECT COUNT(*) AS n FROM throttle_hits WHERE client_ip = '{CLIENT}'")).await;
    assert_eq!((clients, ours >= 2), (1, true), "every limited request counted under {CLIENT}");
    let log = d.log("web");
    assert!(log.contains(&format!("client=\"{CLIENT}\"")) || log.contains(&format!("client={CLIENT}")), "{log}");
    assert!(!log.contains("203.0.113.9"), "a client's own X-Forwarded-For is not believed");
    assert!(nginx.access_log().contains(CLIENT), "nginx logs the client too");

    // Bodies: over MAX_CONTENT_LENGTH (2 MiB) the app refuses with its own page; over nginx's
    // ceiling nginx refuses before the app sees it.
    let over = vec![b'a'; 2 * 1024 * 1024 + 1];
    let refused = site.post_bytes("/beacon/sign-up", over).await;
    assert_eq!(refused.status, 413);
    assert!(
        refused.header("x-request-id").len() >= 8 && refused.body.contains("<html"),
        "the app's page: {}",
        refused.body
    );
    let huge = vec![b'a'; 11 * 1024 * 1024];
    let refused = site.post_bytes("/beacon/sign-up", huge).await;
    assert_eq!(refused.status, 413, "nginx's ceiling");

    // Upstream keep-alive: after a few requests, nginx holds idle connections to the app.
    for _ in 0..5 {
        assert_eq!(site.get("/beacon/").await.status, 200);
    }
    let open = connections_to(app);
    assert!(open >= 1, "nginx keeps connections to the app open ({open})");

    for (name, child) in [("web", &mut web), ("worker", &mut worker), ("websocket", &mut websocket)] {
        common::signal(child, "-TERM");
        let status = child.wait().expect("wait");
        assert!(status.success(), "{name} stopped cleanly:\n{}", d.log(name));
    }
}

/// `systemd-analyze verify` accepts every unit in deploy/ as installed (the binary in
/// /usr/local/bin, the units in /etc/systemd/system) and says nothing about them.
#[test]
fn systemd_accepts_the_shipped_units() {
    if Command::new("systemd-analyze").arg("--version").stdout(Stdio::null()).status().is_err() {
        common::skip_unless_required("systemd", "systemd-analyze is not installed");
        return;
    }
    let root = tempfile::tempdir().expect("root");
    let r = root.path();
    for dir in ["usr/local/bin", "etc/systemd/system", "lib/systemd"] {
        std::fs::create_dir_all(r.join(dir)).expect("mkdir");
    }
    // The units' dependencies (network-online.target, …) as this machine's systemd ships them.
    let copied = Command::new("cp").arg("-a").arg("/lib/systemd/system").arg(r.join("lib/systemd/")).status();
    assert!(copied.expect("cp").success());
    std::fs::copy(env!("CARGO_BIN_EXE_procure"), r.join("usr/local/bin/procure")).expect("binary");
    let mut units = Vec::new();
    for entry in std::fs::read_dir(repo().join("deploy")).expect("deploy/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "service") {
            let to = r.join("etc/systemd/system").join(path.file_name().expect("name"));
            std::fs::copy(&path, &to).expect("unit");
            units.push(to);
        }
    }
    assert_eq!(units.len(), 4, "web, worker, scheduler and websocket units");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", r.display()))
        .args(&units)
        .output();
    let out = out.expect("systemd-analyze");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify:\n{said}");
}
