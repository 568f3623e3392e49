//! One journey through a deployed Procure over real HTTP, shared by the deployment paths' tests
//! (the container image, the Procfile, nginx in front): a vendor signs up and confirms from the
//! email, the first admin signs in with `createsuperuser`'s link and approves a draft, and the
//! announcement reaches the vendor. Every page is asked of the web role; every email is sent by
//! the worker role to a real SMTP sink. Nothing here knows how the processes were started.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use accounts::Role;
use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::builders::{Category, Db, Opportunity, User};
use super::mail::Mail;

/// A browser without a browser: a base URL, a cookie jar, no redirects followed.
pub struct Site {
    http: reqwest::Client,
    /// The public URL (APP_URL): links in emails start with it.
    pub base: String,
    /// Where requests really go: `base`, or the app behind a router that ends TLS.
    connect: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// One answer.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }
}

impl Site {
    pub fn new(base: &str) -> Site {
        Self::with_client(base, reqwest::Client::builder())
    }

    /// With a client configured by the caller (a root certificate, a name resolved to loopback).
    pub fn with_client(base: &str, builder: reqwest::ClientBuilder) -> Site {
        Self::routed(base, base, builder)
    }

    /// A site whose public URL is `public` while requests go to `connect`, as behind Heroku's
    /// router (the caller's client adds what the router would, such as `X-Forwarded-Proto`).
    pub fn routed(public: &str, connect: &str, builder: reqwest::ClientBuilder) -> Site {
        let http = builder
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Site {
            http,
            base: public.trim_end_matches('/').to_owned(),
            connect: connect.trim_end_matches('/').to_owned(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    fn url(&self, path_or_url: &str) -> String {
        if let Some(rest) = path_or_url.strip_prefix(&self.base) {
            format!("{}{rest}", self.connect)
        } else if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.connect)
        }
    }

    pub async fn get(&self, path_or_url: &str) -> Page {
        self.send(self.http.get(self.url(path_or_url))).await
    }

    /// A form posted from one of the site's pages (the CSRF check reads `Origin`).
    pub async fn post(&self, path_or_url: &str, form: &[(&str, &str)]) -> Page {
        self.post_with(path_or_url, form, &[]).await
    }

    /// [`Site::post`] with extra request headers.
    pub async fn post_with(&self, path_or_url: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.post_bytes_with(path_or_url, body.into_bytes(), headers).await
    }

    /// A form body of raw bytes (too large ones, say).
    pub async fn post_bytes(&self, path_or_url: &str, body: Vec<u8>) -> Page {
        self.post_bytes_with(path_or_url, body, &[]).await
    }

    async fn post_bytes_with(&self, path_or_url: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .http
            .post(self.url(path_or_url))
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let jar = {
            let cookies = self.cookies.lock().expect("cookies");
            cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
        };
        // As a browser asks for pages (error pages are HTML for it, JSON for API clients).
        let request = request.header("accept", "text/html,application/xhtml+xml");
        let request = if jar.is_empty() { request } else { request.header("cookie", jar) };
        let response = request.send().await.unwrap_or_else(|e| panic!("request to {}: {e:?}", self.base));
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        };
        let mut cookies = self.cookies.lock().expect("cookies");
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || set.to_ascii_lowercase().contains("max-age=0") {
                    cookies.remove(name.trim());
                } else {
                    cookies.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        page
    }
}

/// The messages an SMTP sink has accepted so far, oldest first.
pub fn delivered(sink: &Path) -> Vec<Mail> {
    super::smtp::eml_files(sink).iter().map(|p| Mail::parse(&std::fs::read(p).expect("read .eml"), true)).collect()
}

/// Waits (at most 60 s) for a message to `to` whose subject starts with `subject`.
pub async fn wait_for_mail(sink: &Path, to: &str, subject: &str) -> Mail {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(m) =
            delivered(sink).into_iter().find(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
        {
            return m;
        }
        let seen: Vec<String> = delivered(sink).iter().map(|m| format!("{:?} {}", m.to, m.subject)).collect();
        assert!(Instant::now() < deadline, "no email to {to} about {subject:?} within 60 s; the sink has {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The message is from `name <address>` (lettre quotes a name with a space), whole: a sender
/// set with quotes in an env file would show them here.
pub fn assert_sender(mail: &Mail, name: &str, address: &str) {
    let expected = [format!("{name} <{address}>"), format!("\"{name}\" <{address}>")];
    assert!(expected.contains(&mail.from), "From: {} (expected {name} <{address}>)", mail.from);
}

/// A database the builders can write to, outside any test app.
pub struct Store<'a> {
    pub db: &'a DatabaseConnection,
}

impl Db for Store<'_> {
    fn db(&self) -> &DatabaseConnection {
        self.db
    }
    fn timezone(&self) -> chrono_tz::Tz {
        chrono_tz::America::New_York
    }
}

/// What the journey saw, for the path's own checks.
pub struct Walked {
    /// The vendor's confirmation link, as emailed.
    pub confirm_link: String,
    /// The announcement of the approved opportunity, as the vendor received it.
    pub announcement: Mail,
    /// The admin's sign-in answer (its cookies).
    pub signed_in: Page,
}

/// The journey. `admin_link` is the one-time link `procure createsuperuser` printed; `sink` is
/// the folder the SMTP sink writes to; `db` is the deployment's database.
pub async fn sign_up_and_publish(site: &Site, db: &DatabaseConnection, sink: &Path, admin_link: &str) -> Walked {
    let store = Store { db };
    let paving = Category::new("Paving").codes("91300").insert_in(db).await;

    // A vendor signs up for Paving and confirms from the email the worker sent.
    let form = site.get("/beacon/sign-up").await;
    assert_eq!(form.status, 200, "the sign-up page: {}", form.body);
    assert!(form.body.contains(&format!("value=\"{paving}\"")), "Paving is offered on the sign-up page");
    let vendor = "bids@keystone-paving.example";
    let category = paving.to_string();
    let done = site
        .post("/beacon/sign-up", &[("business_name", "Keystone Paving"), ("email", vendor), ("category", &category)])
        .await;
    assert_eq!(done.status, 200, "sign-up: {}", done.body);
    let confirm = wait_for_mail(sink, vendor, "Confirm").await;
    // Links in emails are absolute, on APP_URL.
    let confirm_link = confirm
        .link(&format!("{}/beacon/vendors/", site.base))
        .unwrap_or_else(|| panic!("a confirmation link on {}:\n{}", site.base, confirm.text));
    assert_eq!(site.get(&confirm_link).await.status, 200);
    let confirmed = site.post(&confirm_link, &[]).await;
    assert_eq!(confirmed.status, 200, "confirming: {}", confirmed.body);

    // A staff member's draft, in the database as the Beacon pages would leave it.
    let works = "Department of Public Works";
    let staff = User::new("staff@pittsburghpa.gov").roles(&[Role::Staff]).department(works).insert(&store).await;
    let today = Utc::now().with_timezone(&chrono_tz::America::New_York).date_naive();
    let draft = Opportunity::new("Bridge lighting and paving")
        .description("Repaving and new lights on three bridges.")
        .categories(&[paving])
        .today(today)
        .opens_on(today)
        .closes_at(Utc::now() + chrono::Duration::days(30))
        .create(&store, &staff)
        .await;

    // The first admin signs in with createsuperuser's link and approves it.
    assert!(admin_link.starts_with(&site.base), "createsuperuser's link uses APP_URL: {admin_link}");
    let token = url::Url::parse(admin_link)
        .expect("a link")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a token in the link");
    assert_eq!(site.get(admin_link).await.status, 200, "the sign-in link's page");
    let signed_in = site.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(signed_in.status, 303, "signing in: {}", signed_in.body);
    let approved = site.post(&format!("/beacon/admin/{}/approve", draft.id), &[]).await;
    assert!(approved.status == 200 || approved.status == 303, "approving: {} {}", approved.status, approved.body);

    let announcement = wait_for_mail(sink, vendor, "New bid opportunity").await;
    let page = announcement
        .link(&format!("{}/beacon/opportunities/", site.base))
        .unwrap_or_else(|| panic!("a link to the opportunity on {}:\n{}", site.base, announcement.text));
    let public = site.get(&page).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Bridge lighting and paving"));
    Walked { confirm_link, announcement, signed_in }
}

type Frames = std::pin::Pin<
    Box<
        dyn futures_util::Stream<
                Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
            > + Send,
    >,
>;

/// An anonymous visitor's live-pages socket (`/ws`), read only (the library answers pings).
pub struct Live {
    frames: Frames,
}

impl Live {
    /// Opens `url` (no `Origin`: not a browser) and reads the server's hello.
    pub async fn open(url: &str) -> Live {
        let (ws, _) = tokio::time::timeout(Duration::from_secs(20), tokio_tungstenite::connect_async(url))
            .await
            .unwrap_or_else(|_| panic!("no websocket at {url} within 20 s"))
            .unwrap_or_else(|e| panic!("websocket at {url}: {e}"));
        Self::greeted(url, Box::pin(ws)).await
    }

    /// Opens `url` over `stream`, a connection the caller made (TLS with nginx, say).
    pub async fn open_over<S>(url: &str, stream: S) -> Live
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (ws, _) = tokio::time::timeout(Duration::from_secs(20), tokio_tungstenite::client_async(url, stream))
            .await
            .unwrap_or_else(|_| panic!("no websocket at {url} within 20 s"))
            .unwrap_or_else(|e| panic!("websocket at {url}: {e}"));
        Self::greeted(url, Box::pin(ws)).await
    }

    async fn greeted(url: &str, frames: Frames) -> Live {
        let mut live = Live { frames };
        let hello = live.next().await.unwrap_or_else(|| panic!("no hello frame from {url}"));
        assert_eq!(hello["type"], "hello", "{hello}");
        live
    }

    async fn next(&mut self) -> Option<serde_json::Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match tokio::time::timeout(Duration::from_secs(30), self.frames.next()).await.ok()?? {
                Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits for an event of `kind`; panics if the socket ends or 30 s pass without one.
    pub async fn hear(&mut self, kind: &str) -> serde_json::Value {
        let mut heard = Vec::new();
        while let Some(frame) = self.next().await {
            if frame["type"] == "event" && frame["kind"] == kind {
                return frame;
            }
            heard.push(frame);
        }
        panic!("no {kind} event on the live socket; heard {heard:?}");
    }
}
