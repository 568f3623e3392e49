//! Middleware: one decision, for every response, about what a shared cache (a proxy, a CDN, a
//! city's web filter) may keep.
//!
//! `Cache-Control: private, no-store` when the answer may be someone's own: the request was made
//! in a signed-in session or with an `Authorization` header (an API token), the response sets a
//! cookie, the address carries a credential
//! (`token`, `sig`: sign-in links, a vendor's manage link, signed downloads), the request is not
//! a `GET`/`HEAD` (the page after a form), the handler marked the response [`Private`], or it is a
//! server error. A handler's own `private`/`no-store` header is kept as it is.
//!
//! Anything else is an anonymous answer, the same for everyone who asks: the handler's own header
//! stands (assets are immutable, the API says `no-cache` beside its ETag); otherwise it says
//! `public, no-cache`, so a cache may keep it but asks each time (public data changes the moment
//! it is written, see `freshness`), with `Vary: Cookie` so a signed-in visitor is never handed the
//! anonymous copy. Responses marked [`Shared`] (static assets) are the same for every viewer,
//! signed in or not, and keep their header.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::middleware::{LogUser, SECRET_PARAMS};

/// Set on a response that is someone's own even though no one is signed in.
#[derive(Debug, Clone, Copy)]
pub struct Private;

/// Set on a response whose bytes are the same for every viewer (static assets).
#[derive(Debug, Clone, Copy)]
pub struct Shared;

pub const PRIVATE: &str = "private, no-store";
pub const PUBLIC: &str = "public, no-cache";

/// Applies the decision of the module header.
pub async fn cache_control(request: Request, next: Next) -> Response {
    let readonly = matches!(*request.method(), Method::GET | Method::HEAD);
    let credential =
        request.uri().query().is_some_and(carries_credential) || request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    let ext = response.extensions();
    if ext.get::<Shared>().is_some() {
        return response;
    }
    let private = !readonly
        || credential
        || ext.get::<LogUser>().is_some()
        || ext.get::<Private>().is_some()
        || response.headers().contains_key(header::SET_COOKIE)
        || response.status().is_server_error();
    let headers = response.headers_mut();
    let own = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    if private {
        if !own.is_some_and(|v| v.contains("private") || v.contains("no-store")) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
        }
    } else if own.is_none() {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC));
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    response
}

/// Whether a query string names one of the credential parameters (with any value).
fn carries_credential(query: &str) -> bool {
    query.split('&').any(|pair| SECRET_PARAMS.contains(&pair.split_once('=').map_or(pair, |(k, _)| k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_found_by_parameter_name_only() {
        assert!(carries_credential("token=abc"));
        assert!(carries_credential("next=%2F&sig=x"));
        assert!(carries_credential("sig"));
        assert!(!carries_credential("q=token&signature=1"));
        assert!(!carries_credential(""));
    }
}
