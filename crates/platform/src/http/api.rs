//! What every JSON API endpoint shares: the error object's shape (written by the error layer in
//! [`super::errors`]), record ids in paths read as the document describes them ([`PathId`]),
//! and detail responses with an `ETag` that `If-None-Match` can revalidate.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AppError;

/// The largest id a path may name: ids are `int32` in the database and the document.
pub const MAX_ID: i32 = i32::MAX;

/// A record id in an API path (`/api/v1/contracts/{id}`): a whole number from 1 to [`MAX_ID`],
/// or a 400 that names the parameter and its range, exactly as the OpenAPI document states them
/// (`minimum: 1`, `format: int32`). Without it, `abc` or `2147483648` got the framework's
/// unnamed 400 that the document did not mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathId(pub i32);

impl PathId {
    /// The message for an id that is not one.
    pub fn invalid() -> AppError {
        AppError::BadRequest(format!("`id` must be a whole number from 1 to {MAX_ID}."))
    }

    pub fn parse(raw: &str) -> Result<PathId, AppError> {
        raw.parse::<i32>().ok().filter(|id| *id >= 1).map(PathId).ok_or_else(PathId::invalid)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| PathId::invalid())?;
        PathId::parse(&raw)
    }
}

/// The body of every API error (4xx and 5xx), whichever layer produced it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ApiError {
    /// The HTTP status, repeated.
    pub status: u16,
    /// A short title for the status ("Page not found", "Bad request").
    pub error: String,
    /// What went wrong, for a person to read.
    pub message: String,
    /// The request's id, as in the `X-Request-Id` header and the server's log.
    pub request_id: String,
}

/// A JSON `body` with a strong `ETag` over its bytes; `304 Not Modified` (no body) when the
/// request's `If-None-Match` already names that tag.
pub fn json_with_etag(request: &HeaderMap, body: String) -> Result<Response, AppError> {
    let tag = etag_of(&body);
    let etag = HeaderValue::from_str(&tag).map_err(|e| AppError::Internal(e.into()))?;
    let matched = request.get_all(header::IF_NONE_MATCH).iter().any(|v| matches(v, &tag));
    let mut response = if matched {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    // Revalidate every time: contracts change, and a 304 costs no body.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// A write's answer, or a read of what a write will change: `value` as JSON with its strong
/// `ETag` (what `If-Match` names next), `Location` if given, and never kept by a cache.
pub fn private_json_with_etag<T: serde::Serialize>(
    status: StatusCode,
    value: &T,
    location: Option<&str>,
) -> Result<Response, AppError> {
    let body = serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))?;
    let tag = HeaderValue::from_str(&etag_of(&body)).map_err(|e| AppError::Internal(e.into()))?;
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::ETAG, tag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::LOCATION, value);
    }
    Ok(response)
}

/// The `ETag` [`private_json_with_etag`] gives `value`.
pub fn etag_of_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map(|b| etag_of(&b)).map_err(|e| AppError::Internal(e.into()))
}

/// The strong ETag of `body`, as [`json_with_etag`] sends it.
pub fn etag_of(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!("\"{}\"", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// A write's conditions (RFC 9110 §13.1), against `current`, the ETag of the record as it stands
/// (`None`: there is no record yet). `If-Match` must name that tag, by strong comparison, or be
/// `*` while the record exists; `If-None-Match: *` means "only if there is none". A failed
/// condition is 412 and nothing is written: two systems cannot overwrite each other unseen.
pub fn check_preconditions(request: &HeaderMap, current: Option<&str>) -> Result<(), AppError> {
    let values = |name| {
        request
            .get_all(name)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("").split(',').map(|t| t.trim().to_owned()).collect::<Vec<_>>())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
    };
    let if_match = values(header::IF_MATCH);
    if !if_match.is_empty() {
        let holds = match current {
            None => false,
            Some(tag) => if_match.iter().any(|t| t == "*" || t == tag),
        };
        if !holds {
            return Err(AppError::PreconditionFailed(match current {
                None => "If-Match names a version, but there is no such record yet.".to_owned(),
                Some(tag) => format!(
                    "The record changed since the version in If-Match; it is now {tag}. Read it again, \
                     apply your change to what is there, and send it with the new ETag."
                ),
            }));
        }
    }
    if current.is_some() && values(header::IF_NONE_MATCH).iter().any(|t| t == "*") {
        return Err(AppError::PreconditionFailed(
            "If-None-Match: * asks to create the record only if there is none, and there is one.".to_owned(),
        ));
    }
    Ok(())
}

/// Whether an `If-None-Match` value names `tag` (weak comparison, as RFC 9110 §13.1.2 asks).
fn matches(value: &HeaderValue, tag: &str) -> bool {
    let Ok(value) = value.to_str() else { return false };
    value.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_positive_int32_and_anything_else_names_the_parameter() {
        assert_eq!(PathId::parse("1").ok(), Some(PathId(1)));
        assert_eq!(PathId::parse("2147483647").ok(), Some(PathId(i32::MAX)));
        for bad in ["0", "-1", "2147483648", "abc", "", "1.5", " 1", "99999999999999999999"] {
            match PathId::parse(bad) {
                Err(AppError::BadRequest(m)) => assert_eq!(m, "`id` must be a whole number from 1 to 2147483647."),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    fn headers(inm: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = inm {
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn write_conditions_hold_only_for_the_current_version() {
        let with = |name, value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            h
        };
        let tag = "\"abc\"";
        assert!(check_preconditions(&HeaderMap::new(), Some(tag)).is_ok(), "no condition");
        assert!(check_preconditions(&HeaderMap::new(), None).is_ok());
        assert!(check_preconditions(&with(header::IF_MATCH, "\"abc\""), Some(tag)).is_ok());
        assert!(check_preconditions(&with(header::IF_MATCH, "\"x\", \"abc\""), Some(tag)).is_ok());
        assert!(check_preconditions(&with(header::IF_MATCH, "*"), Some(tag)).is_ok());
        for (headers, current) in [
            (with(header::IF_MATCH, "\"old\""), Some(tag)),
            (with(header::IF_MATCH, "W/\"abc\""), Some(tag)),
            (with(header::IF_MATCH, "*"), None),
            (with(header::IF_MATCH, "\"abc\""), None),
            (with(header::IF_NONE_MATCH, "*"), Some(tag)),
        ] {
            match check_preconditions(&headers, current) {
                Err(AppError::PreconditionFailed(_)) => {}
                other => panic!("{headers:?} against {current:?}: {other:?}"),
            }
        }
        assert!(check_preconditions(&with(header::IF_NONE_MATCH, "*"), None).is_ok());
    }

    #[test]
    fn a_matching_tag_is_answered_with_304_and_any_other_with_the_body() {
        let value = || serde_json::json!({ "id": 1 }).to_string();
        let first = json_with_etag(&headers(None), value()).expect("response");
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers().get(header::ETAG).expect("etag").to_str().expect("ascii").to_owned();
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        let listed: &'static str = Box::leak(format!("\"other\", W/{tag}").into_boxed_str());
        assert_eq!(
            json_with_etag(&headers(Some(listed)), value()).expect("response").status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(json_with_etag(&headers(Some("*")), value()).expect("response").status(), StatusCode::NOT_MODIFIED);
        assert_eq!(json_with_etag(&headers(Some("\"other\"")), value()).expect("response").status(), StatusCode::OK);
        let changed =
            json_with_etag(&headers(Some(listed)), serde_json::json!({ "id": 2 }).to_string()).expect("response");
        assert_eq!(changed.status(), StatusCode::OK);
        assert_ne!(changed.headers().get(header::ETAG).and_then(|v| v.to_str().ok()), Some(tag.as_str()));
    }
}
