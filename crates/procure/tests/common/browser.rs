//! A browser over a [`TestApp`]: keeps cookies, sends forms as a same-site page would, and can
//! sign in as a user with given roles (through the real link flow).

use std::collections::BTreeMap;
use std::sync::Mutex;

use accounts::Role;
use axum::body::Body;
use axum::http::Request;

use super::{Response, TestApp};

pub struct Browser<'a> {
    pub app: &'a TestApp,
    cookies: Mutex<BTreeMap<String, String>>,
    /// Sent as `X-Forwarded-For` when set (the test app has no peer address: a local proxy).
    pub forwarded_for: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { app, cookies: Mutex::new(BTreeMap::new()), forwarded_for: None }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("cookies").get(name).cloned()
    }

    pub fn clear_cookies(&self) {
        self.cookies.lock().expect("cookies").clear();
    }

    pub async fn send(&self, builder: axum::http::request::Builder, body: Body) -> Response {
        let mut builder = builder.header("accept", "text/html");
        let jar = self.cookies.lock().expect("cookies").iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        if !jar.is_empty() {
            builder = builder.header("cookie", jar.join("; "));
        }
        if let Some(ip) = &self.forwarded_for {
            builder = builder.header("x-forwarded-for", ip);
        }
        let response = self.app.request(builder.body(body).expect("request")).await;
        for set in response.headers.get_all("set-cookie") {
            let text = set.to_str().expect("cookie");
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let mut jar = self.cookies.lock().expect("cookies");
                if value.is_empty() || text.contains("Max-Age=0") {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        response
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Request::get(path), Body::empty()).await
    }

    /// POSTs `form` as a page of this site would (`Origin` and `Sec-Fetch-Site: same-origin`).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let builder = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "http://localhost")
            .header("sec-fetch-site", "same-origin");
        self.send(builder, Body::from(body)).await
    }

    /// POSTs a multipart form with text `fields` and one `file` (field, file name, bytes).
    pub async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Response {
        let boundary = "procure-test-boundary-7f3a";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (field, filename, bytes) = file;
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let builder = Request::post(path)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .header("origin", "http://localhost")
            .header("sec-fetch-site", "same-origin");
        self.send(builder, Body::from(body)).await
    }

    /// Creates `email` with `roles` (in "Other", so no profile step) and signs in with a link.
    pub async fn sign_in_as(app: &'a TestApp, email: &str, roles: &[Role]) -> Browser<'a> {
        let user = super::builders::User::new(email).roles(roles).insert(app).await;
        let browser = Browser::new(app);
        browser.sign_in(user.id).await;
        browser
    }

    /// Signs in as user `id` with a link no browser is bound to (as `createsuperuser` prints).
    pub async fn sign_in(&self, id: i32) {
        use sea_orm::EntityTrait;
        let db = &self.app.state.db;
        let user = model::entities::user::Entity::find_by_id(id).one(db).await.expect("q").expect("user");
        let token = accounts::links::issue(db, &user.email, Some(id), None, None).await.expect("link");
        let response = self.post("/sign-in/link", &[("token", &token)]).await;
        assert_eq!(response.status.as_u16(), 303, "sign-in failed: {}", response.body);
    }
}

/// The newest queued email (the `jobs` table holds the rendered message until a worker sends
/// it), as JSON: `to`, `subject`, `text`, `html`.
pub async fn last_email(app: &TestApp) -> Option<serde_json::Value> {
    app.queued_emails().await.pop().map(|email| serde_json::to_value(email).expect("json"))
}

/// How many emails are queued.
pub async fn queued_emails(app: &TestApp) -> i64 {
    app.queued_emails().await.len() as i64
}

/// The `token` of a sign-in link in an email's text.
pub fn token_in(email: &serde_json::Value) -> Option<String> {
    let text = email["text"].as_str()?;
    let start = text.find("token=")? + "token=".len();
    Some(text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
}
