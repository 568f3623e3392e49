//! `POST /api/oauth/token`: the OAuth 2 client-credentials grant (RFC 6749 §4.4). The client
//! authenticates with HTTP Basic (`client_id:client_secret`, each form-encoded first, §2.3.1) or
//! with `client_id` and `client_secret` in the form, never both; it may ask for fewer scopes
//! than it has. Answers are the RFC's: `{access_token, token_type, expires_in, scope}`, or
//! `{error, error_description}` with 400, 401 (`invalid_client`, with a Basic challenge) or 429,
//! and are never stored by any cache (`Cache-Control: no-store`, `Pragma: no-cache`).
//!
//! Invariants: one transaction per request, holding the attempt's count (every attempt counts
//! against the client id and the caller's address, `throttle::API_TOKEN`), the configured
//! client's row and the token. Which check refused a client is logged, never answered.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use platform::http::{AppError, AppState};
use serde::Serialize;

use super::clients::{self, Refused};
use super::scopes::Scopes;
use super::tokens;
use crate::throttle;

/// The RFC's error codes we answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantError {
    InvalidRequest,
    InvalidClient,
    UnsupportedGrantType,
    InvalidScope,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: GrantError,
    error_description: String,
}

#[derive(Debug, Serialize)]
struct TokenBody {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn refuse(status: StatusCode, error: GrantError, description: &str) -> Response {
    let body = ErrorBody { error, error_description: description.to_owned() };
    let mut response = (status, axum::Json(body)).into_response();
    if error == GrantError::InvalidClient {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Procure API\""));
    }
    no_store(response)
}

/// The request's form and credentials, read without touching the database.
#[derive(Debug, PartialEq, Eq)]
struct Asked {
    client_id: String,
    secret: String,
    /// The scopes asked for, if the form named any.
    scope: Option<String>,
}

/// Reads a token request, or says what is wrong with it.
fn read(headers: &HeaderMap, body: &[u8]) -> Result<Asked, (StatusCode, GrantError, String)> {
    let bad = |m: &str| (StatusCode::BAD_REQUEST, GrantError::InvalidRequest, m.to_owned());
    let form_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form_type {
        return Err(bad("Send the request as application/x-www-form-urlencoded."));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if params.iter().any(|(n, _)| *n == name) {
            return Err(bad(&format!("The parameter {name} is given more than once.")));
        }
        params.push((name.into_owned(), value.into_owned()));
    }
    let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    match param("grant_type").as_deref() {
        None | Some("") => return Err(bad("grant_type is missing: send grant_type=client_credentials.")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err((
                StatusCode::BAD_REQUEST,
                GrantError::UnsupportedGrantType,
                "Only grant_type=client_credentials is supported.".to_owned(),
            ));
        }
    }
    let basic = basic_credentials(headers);
    let in_form = (param("client_id"), param("client_secret"));
    let (client_id, secret) = match (basic, in_form) {
        (Some(Ok(_)), (Some(_), _) | (_, Some(_))) => {
            return Err(bad("Send the client's credentials once: in the Authorization header or in the form."));
        }
        (Some(Ok(pair)), _) => pair,
        (Some(Err(())), _) => {
            return Err((
                StatusCode::UNAUTHORIZED,
                GrantError::InvalidClient,
                "The Authorization header is not Basic client_id:client_secret.".to_owned(),
            ));
        }
        (None, (Some(id), Some(secret))) => (id, secret),
        (None, _) => {
            return Err((
                StatusCode::UNAUTHORIZED,
                GrantError::InvalidClient,
                "Authenticate the client: HTTP Basic, or client_id and client_secret in the form.".to_owned(),
            ));
        }
    };
    Ok(Asked { client_id, secret, scope: param("scope") })
}

/// `Authorization: Basic …` as (client_id, secret), each form-decoded.
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Some(Err(()));
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return Some(Err(())) };
    let Ok(text) = String::from_utf8(decoded) else { return Some(Err(())) };
    let Some((id, secret)) = text.split_once(':') else { return Some(Err(())) };
    let decode = |s: &str| url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    match (decode(id), decode(secret)) {
        (Some(id), Some(secret)) if !id.is_empty() => Some(Ok((id, secret))),
        _ => Some(Err(())),
    }
}

/// The handler.
pub async fn token(
    State(state): State<AppState>,
    throttle::ClientIp(client_ip): throttle::ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match grant(&state, &client_ip, &headers, &body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn grant(state: &AppState, client_ip: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, AppError> {
    let asked = match read(headers, body) {
        Ok(asked) => asked,
        Err((status, error, message)) => return Ok(refuse(status, error, &message)),
    };
    let txn = platform::db::begin_write(&state.db).await?;
    if !throttle::allow(&*txn, &throttle::API_TOKEN, &asked.client_id, client_ip).await? {
        txn.commit().await?;
        tracing::warn!(client_id = asked.client_id, "token requests over the limit");
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            GrantError::InvalidRequest,
            "Too many token requests for this client. Wait a few minutes; a token lasts an hour.",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(60u32));
        return Ok(response);
    }
    let client =
        clients::authenticate(&*txn, state.config.api.client.as_ref(), &asked.client_id, &asked.secret).await?;
    let client = match client {
        Ok(client) => client,
        Err(refused) => {
            txn.commit().await?;
            tracing::info!(?refused, client_id = asked.client_id, "client credentials refused");
            let message = match refused {
                Refused::Credentials => "Unknown client, or the wrong secret.",
                Refused::Inactive | Refused::NoOwner => {
                    "This client may not get tokens now; ask the site's administrators."
                }
            };
            return Ok(refuse(StatusCode::UNAUTHORIZED, GrantError::InvalidClient, message));
        }
    };
    let allowed = Scopes::stored(&client.scopes);
    let scopes = match asked.scope.as_deref().map(Scopes::parse) {
        None => allowed,
        Some(Ok(asked)) if asked.is_subset(allowed) => asked,
        Some(Ok(_)) => {
            txn.commit().await?;
            let message = format!("This client may be given only: {allowed}.");
            return Ok(refuse(StatusCode::BAD_REQUEST, GrantError::InvalidScope, &message));
        }
        Some(Err(e)) => {
            txn.commit().await?;
            return Ok(refuse(StatusCode::BAD_REQUEST, GrantError::InvalidScope, &format!("{e}.")));
        }
    };
    let lifetime = chrono::Duration::from_std(state.config.api.token_lifetime).unwrap_or(chrono::Duration::hours(1));
    let issued = tokens::issue_for_client(&*txn, &client, scopes, lifetime).await?;
    txn.commit().await?;
    let body = TokenBody {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: lifetime.num_seconds(),
        scope: issued.scopes.to_string(),
    };
    Ok(no_store(axum::Json(body).into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)], auth: Option<&str>) -> (HeaderMap, Vec<u8>) {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).expect("ascii"));
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        (h, body.into_bytes())
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn credentials_come_from_basic_or_the_form_never_both() {
        let (h, b) = form(&[("grant_type", "client_credentials")], Some(&basic("pcc_1", "s%3Aecret")));
        assert_eq!(read(&h, &b), Ok(Asked { client_id: "pcc_1".into(), secret: "s:ecret".into(), scope: None }));
        let (h, b) = form(
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "pcc_1"),
                ("client_secret", "x"),
                ("scope", "vendors:read"),
            ],
            None,
        );
        assert_eq!(
            read(&h, &b),
            Ok(Asked { client_id: "pcc_1".into(), secret: "x".into(), scope: Some("vendors:read".into()) })
        );
        let (h, b) = form(&[("grant_type", "client_credentials"), ("client_id", "pcc_1")], Some(&basic("pcc_1", "x")));
        assert_eq!(read(&h, &b).map_err(|e| e.1), Err(GrantError::InvalidRequest));
    }

    #[test]
    fn a_malformed_request_is_named() {
        let code = |pairs: &[(&str, &str)], auth: Option<&str>| {
            let (h, b) = form(pairs, auth);
            read(&h, &b).err().map(|(s, e, _)| (s.as_u16(), e))
        };
        assert_eq!(code(&[], None), Some((400, GrantError::InvalidRequest)));
        assert_eq!(code(&[("grant_type", "password")], None), Some((400, GrantError::UnsupportedGrantType)));
        assert_eq!(code(&[("grant_type", "client_credentials")], None), Some((401, GrantError::InvalidClient)));
        assert_eq!(
            code(&[("grant_type", "client_credentials")], Some("Basic !!!")),
            Some((401, GrantError::InvalidClient))
        );
        let (h, _) = form(&[], None);
        let twice = b"grant_type=client_credentials&grant_type=client_credentials";
        assert_eq!(read(&h, twice).err().map(|e| e.1), Some(GrantError::InvalidRequest));
        let mut json = HeaderMap::new();
        json.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        assert_eq!(read(&json, b"{}").err().map(|e| e.1), Some(GrantError::InvalidRequest));
    }
}
