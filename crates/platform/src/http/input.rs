//! Middleware: the one place every request's text passes through before a handler sees it,
//! applying [`crate::text`]'s rule.
//!
//! - The query string and `application/x-www-form-urlencoded` and JSON bodies lose their
//!   forbidden control characters (the rest of the text is kept: a vendor who pasted a form
//!   feed from a PDF loses nothing they can see). Multipart text fields are cleaned by the
//!   upload kit, which is the only reader of multipart bodies.
//! - A path that carries a control character of any kind is refused with 400: no page's
//!   address has one.
//!
//! Invariant: a request is rewritten only when it carries a forbidden character, so clean
//! requests (nearly all) pass with their bytes untouched; bodies are read only when they are a
//! form or JSON, and inside the body-size limit layer, so the limit still bounds them.

use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use url::form_urlencoded;

use super::errors::error_response;
use crate::text::{is_forbidden, strip_controls, strip_controls_in_place};

/// Cleans the request's text (see the module header), then runs the rest of the stack.
pub async fn clean_text(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if may_hide_control(parts.uri.path().as_bytes(), true) {
        let message = "This address contains a control character, which no page's address has. Check the link.";
        return error_response(StatusCode::BAD_REQUEST, Some(message.to_owned()));
    }
    if let Some(query) = parts.uri.query()
        && may_hide_control(query.as_bytes(), false)
        && let Some(cleaned) = clean_pairs(query.as_bytes())
        && let Some(uri) = with_query(&parts.uri, &cleaned)
    {
        parts.uri = uri;
    }
    let kind = body_kind(parts.headers.get(header::CONTENT_TYPE));
    if kind == BodyKind::Other {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(&e),
    };
    let cleaned = match kind {
        BodyKind::Form if may_hide_control(&bytes, false) => clean_pairs(&bytes).map(Bytes::from),
        BodyKind::Json if may_hide_control_json(&bytes) => clean_json(&bytes).map(Bytes::from),
        _ => None,
    };
    let bytes = match cleaned {
        Some(cleaned) => {
            if let Ok(len) = HeaderValue::from_str(&cleaned.len().to_string()) {
                parts.headers.insert(header::CONTENT_LENGTH, len);
            }
            cleaned
        }
        None => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(content_type: Option<&HeaderValue>) -> BodyKind {
    let ct = content_type.and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if essence == "application/json" || essence.ends_with("+json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

/// A body that could not be read: too large for the limit layer, or cut off.
fn unreadable(e: &axum::Error) -> Response {
    let too_large = std::error::Error::source(e)
        .is_some_and(|s| s.downcast_ref::<http_body_util::LengthLimitError>().is_some())
        || e.to_string().contains("length limit");
    if too_large {
        error_response(StatusCode::PAYLOAD_TOO_LARGE, None)
    } else {
        error_response(StatusCode::BAD_REQUEST, Some("The request's body could not be read.".to_owned()))
    }
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Whether percent-encoded `raw` may decode to a forbidden character (or, for a path, to any
/// control character): a raw control byte, or `%00`–`%1F`. A cheap scan, so that clean input is
/// never parsed twice.
fn may_hide_control(raw: &[u8], any_control: bool) -> bool {
    let bad = |b: u8| b < 0x20 && (any_control || is_forbidden(char::from(b)));
    raw.iter().enumerate().any(|(i, &b)| {
        bad(b)
            || (b == b'%'
                && matches!(raw.get(i + 1), Some(b'0' | b'1'))
                && raw.get(i + 2).copied().and_then(hex).is_some_and(|lo| {
                    let hi = if raw.get(i + 1) == Some(&b'1') { 0x10 } else { 0 };
                    bad(hi | lo)
                }))
    })
}

/// `raw` (`a=b&c=d`) with forbidden characters removed from names and values, re-encoded; `None`
/// when nothing had to go.
fn clean_pairs(raw: &[u8]) -> Option<String> {
    let mut changed = false;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw)
        .map(|(k, v)| {
            let (k, v) = (strip_controls(&k), strip_controls(&v));
            // `strip_controls` borrows exactly when it removed nothing.
            changed |= matches!(k, Cow::Owned(_)) || matches!(v, Cow::Owned(_));
            (k.into_owned(), v.into_owned())
        })
        .collect();
    changed.then(|| form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish())
}

fn with_query(uri: &Uri, query: &str) -> Option<Uri> {
    let path = uri.path();
    let pq = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(pq.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// Whether a JSON text may carry a forbidden character: JSON strings can hold one only as a
/// `\u00XX` escape (raw control characters are invalid JSON, which the handler refuses).
fn may_hide_control_json(raw: &[u8]) -> bool {
    raw.windows(4).any(|w| w[0] == b'\\' && w[1] == b'u' && w[2] == b'0' && w[3] == b'0')
}

/// The JSON document with forbidden characters removed from every string (keys too); `None`
/// when it is not JSON (the handler answers that) or nothing had to go.
fn clean_json(raw: &[u8]) -> Option<String> {
    fn walk(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => strip_controls_in_place(s),
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, v| walk(v) | changed),
            serde_json::Value::Object(map) => {
                let mut changed = false;
                let entries: Vec<_> = std::mem::take(map).into_iter().collect();
                for (mut key, mut v) in entries {
                    changed |= strip_controls_in_place(&mut key);
                    changed |= walk(&mut v);
                    map.insert(key, v);
                }
                changed
            }
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(raw).ok()?;
    walk(&mut value).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_encoded_and_raw_controls_and_nothing_else() {
        for raw in ["q=%00", "q=a%1b", "q=%1F", "a=%0B&b=c", "q=\u{1}"] {
            assert!(may_hide_control(raw.as_bytes(), false), "{raw}");
        }
        for raw in ["q=%09%0A%0d", "q=%20%7F", "q=%2", "q=%", "q=%1", "q=road+salt", "q=%E2%80%A8"] {
            assert!(!may_hide_control(raw.as_bytes(), false), "{raw}");
        }
        assert!(may_hide_control(b"/scout/%0A", true), "a path may carry no control at all");
        assert!(!may_hide_control(b"/scout/contracts/12", true));
    }

    #[test]
    fn pairs_lose_only_the_forbidden_characters() {
        assert_eq!(clean_pairs(b"q=road%00salt&type=a%1Bb").as_deref(), Some("q=roadsalt&type=ab"));
        assert_eq!(clean_pairs(b"notes=line%0D%0Anext%0C").as_deref(), Some("notes=line%0D%0Anext"));
        assert_eq!(clean_pairs(b"q=plain+text&x=%09"), None);
    }

    #[test]
    fn json_strings_and_keys_are_cleaned_and_other_values_kept() {
        let cleaned =
            clean_json(br#"{"title":"Salt\u0000 bid","n":3,"tags":["a\u001b","b"],"k\u0001":true}"#).expect("changed");
        let value: serde_json::Value = serde_json::from_str(&cleaned).expect("json");
        assert_eq!(value, serde_json::json!({ "title": "Salt bid", "n": 3, "tags": ["a", "b"], "k": true }));
        assert_eq!(clean_json(br#"{"title":"tab\u0009ok"}"#), None);
        assert_eq!(clean_json(b"not json \\u0000"), None);
    }

    #[test]
    fn queries_are_rewritten_in_place() {
        let uri: Uri = "/scout/search?q=a%00b".parse().expect("uri");
        let cleaned = clean_pairs(uri.query().unwrap_or("").as_bytes()).expect("changed");
        assert_eq!(with_query(&uri, &cleaned).expect("uri").to_string(), "/scout/search?q=ab");
    }
}
