//! Calling the API as a registered client: a client row, the client-credentials grant, and
//! requests with a bearer token.

use accounts::api::{clients, tokens};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use chrono::Utc;
use model::Stamp;
use model::entities::api_client;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use super::{Response, TestApp};

/// A client registered for `owner` with `scopes`: (its id, its client_id, its secret).
pub async fn client(app: &TestApp, name: &str, owner: i32, scopes: &str) -> (i32, String, String) {
    let (client_id, secret) = (clients::new_client_id().expect("id"), clients::new_secret().expect("secret"));
    let now = Utc::now();
    let row = api_client::ActiveModel {
        name: Set(name.into()),
        client_id: Set(client_id.clone()),
        secret_hash: Set(tokens::digest(&secret)),
        scopes: Set(scopes.into()),
        owner_id: Set(Some(owner)),
        is_active: Set(true),
        secret_made_at: Set(now),
        ..Stamp::created(None, now)
    }
    .insert(&app.state.db)
    .await
    .expect("client");
    (row.id, client_id, secret)
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

/// `POST /api/oauth/token` with `form`, and HTTP Basic credentials if given.
pub async fn grant(app: &TestApp, form: &[(&str, &str)], credentials: Option<(&str, &str)>) -> Response {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut request = Request::post("/api/oauth/token").header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = credentials {
        request = request.header("authorization", basic(id, secret));
    }
    app.request(request.body(Body::from(body)).expect("request")).await
}

/// A token from the grant (the test fails if there is none).
pub async fn token_for(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> String {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let answer = grant(app, &form, Some((id, secret))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["access_token"].as_str().expect("a token").to_owned()
}

pub async fn get_with(app: &TestApp, path: &str, token: &str) -> Response {
    app.request(
        Request::get(path).header("authorization", format!("Bearer {token}")).body(Body::empty()).expect("request"),
    )
    .await
}

/// `method path` with a bearer token, a JSON body if given, and extra headers.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    app.request(request.body(body).expect("request")).await
}

/// `method path` with a bearer token and a body of `content_type`.
pub async fn call_raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Response {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request");
    app.request(request).await
}

/// A small valid PDF, for document uploads.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A multipart body of text `fields` and, if given, one file (field, file name, bytes): its
/// content type and bytes.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "procure-api-boundary-41c9";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((field, filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
