//! Front-end assets (USWDS, htmx, our CSS), embedded in the binary and served under a
//! content-hashed path: `/assets/<bundle hash>/<path>`.
//!
//! The hash is one digest over every file, so the stylesheet's relative `url(../fonts/…)`
//! references keep working and any change anywhere gives every file a new URL. That is what
//! makes `Cache-Control: immutable` safe.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

#[derive(rust_embed::RustEmbed)]
#[folder = "../../assets/"]
#[exclude = "*.sh"]
struct Embedded;

/// URL prefix of every asset.
pub const PREFIX: &str = "/assets";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[derive(Clone)]
pub struct Assets {
    hash: Arc<str>,
}

impl Assets {
    /// Computes the bundle hash (release builds read per-file digests computed at compile time).
    pub fn load() -> Assets {
        let mut names: Vec<_> = Embedded::iter().collect();
        names.sort();
        let mut digest = Sha256::new();
        for name in names {
            if let Some(file) = Embedded::get(&name) {
                digest.update(name.as_bytes());
                digest.update(file.metadata.sha256_hash());
            }
        }
        let hash = hex::encode(&digest.finalize()[..6]);
        Assets { hash: hash.into() }
    }

    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The public URL of an asset, e.g. `url("vendor/htmx/htmx.min.js")`.
    pub fn url(&self, path: &str) -> String {
        format!("{PREFIX}/{}/{}", self.hash, path.trim_start_matches('/'))
    }
}

/// `GET /assets/{hash}/{*path}`. A stale hash (a page rendered by the previous release during a
/// deploy) still gets the current file, but without the long cache lifetime.
pub async fn serve(State(assets): State<Assets>, Path((hash, path)): Path<(String, String)>) -> Response {
    let Some(file) = Embedded::get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if hash == *assets.hash { IMMUTABLE } else { "no-cache" };
    let mime = file.metadata.mimetype();
    let body = match file.data {
        Cow::Borrowed(b) => Bytes::from_static(b),
        Cow::Owned(v) => Bytes::from(v),
    };
    let mut response = body.into_response();
    response.extensions_mut().insert(crate::http::caching::Shared);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    response
}
