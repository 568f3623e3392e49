//! Errors as pages: one HTML page for browsers, one JSON object for API clients, for every
//! error status, whether a handler returned it or a layer did (404 fallback, 405 from the
//! router, 408 timeout, 413 body limit, 500 panic).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::middleware::RequestId;
use super::state::AppState;

/// Marks a response as an error whose body the error-page layer should write.
#[derive(Debug, Clone, Default)]
pub struct ErrorPage {
    /// Shown to the user; `None` uses the status's standard explanation.
    pub message: Option<String>,
}

/// What a handler or service returns when it cannot answer normally.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("too many requests")]
    TooManyRequests,
    #[error("too large")]
    PayloadTooLarge,
    /// The record changed meanwhile (someone else acted first); the message says what to do.
    #[error("{0}")]
    Conflict(String),
    /// The body reads, in the documented shape, but cannot be used as it is (it names a
    /// department that does not exist, a price below zero): 422, the message naming each
    /// problem.
    #[error("{0}")]
    Unprocessable(String),
    /// A condition of the request (`If-Match`, `If-None-Match: *`) does not hold: 412, and
    /// nothing was written.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A backing service is down or full (the database unreachable, no space for a file): 503,
    /// with a message that says so; nothing for the team to fix in the code.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected; the detail is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a page says while the database cannot be reached.
const DATABASE_UNREACHABLE: &str =
    "The site cannot reach its database just now. Please try again in a minute; nothing you sent was saved.";

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, None),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, Some(m)),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, None),
            AppError::Forbidden => (StatusCode::FORBIDDEN, None),
            AppError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, None),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None),
            AppError::Conflict(m) => (StatusCode::CONFLICT, Some(m)),
            AppError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, Some(m)),
            AppError::PreconditionFailed(m) => (StatusCode::PRECONDITION_FAILED, Some(m)),
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, Some(m)),
            AppError::Internal(e)
                if e.chain().any(|c| c.downcast_ref::<sea_orm::DbErr>().is_some_and(crate::db::is_unreachable)) =>
            {
                tracing::warn!(error = format!("{e:#}"), "database unreachable");
                (StatusCode::SERVICE_UNAVAILABLE, Some(DATABASE_UNREACHABLE.to_owned()))
            }
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        error_response(status, message)
    }
}

/// An empty response with `status`, for the error-page layer to fill in.
pub fn error_response(status: StatusCode, message: Option<String>) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorPage { message });
    response
}

/// `GET` anything unknown.
pub async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, None)
}

/// JSON for API clients: paths under `/api/`, or an `Accept` that asks for JSON and not HTML.
pub fn wants_json(headers: &HeaderMap, path: &str) -> bool {
    if path.starts_with("/api/") || path == "/api" {
        return true;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// The title and standard explanation of an error status.
fn explain(status: StatusCode, max_upload: u64) -> (&'static str, String) {
    match status.as_u16() {
        400 => ("Bad request", "The request could not be understood. Check what you entered and try again.".to_owned()),
        401 => ("Please sign in", "This page is for signed-in users.".to_owned()),
        403 => ("Not allowed", "You do not have sufficient permissions to see this page.".to_owned()),
        404 => (
            "Page not found",
            "There is no page at this address. It may have moved, or the link may be mistyped.".to_owned(),
        ),
        405 => ("Method not allowed", "This page does not accept that kind of request.".to_owned()),
        408 => ("Request timed out", "The server took too long to answer. Please try again.".to_owned()),
        413 => ("Too large", format!("What you sent is larger than the {} this site accepts.", human_size(max_upload))),
        414 => (
            "Address too long",
            "The address of this request is longer than the site accepts. Shorten the search or the link.".to_owned(),
        ),
        431 => ("Request headers too large", "The request's headers are larger than the site accepts.".to_owned()),
        409 => ("Conflict", "The record is not in a state that allows this; the message says why.".to_owned()),
        412 => ("Precondition failed", "The record changed since you read it. Read it again, then retry.".to_owned()),
        415 => ("Unsupported media type", "Send the body in the format the operation takes.".to_owned()),
        422 => ("Cannot be used", "What was sent reads, but cannot be used as it is.".to_owned()),
        429 => ("Too many requests", "Please wait a minute and try again.".to_owned()),
        503 => ("Service unavailable", "The site cannot answer just now. Please try again in a minute.".to_owned()),
        s if s >= 500 => (
            "Something went wrong",
            "The server hit an error and could not finish your request. The team has been told.".to_owned(),
        ),
        _ => ("Error", status.canonical_reason().unwrap_or("Error").to_owned()),
    }
}

pub fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const KIB: u64 = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB && (bytes * 10).is_multiple_of(MIB) {
        format!("{}.{} MiB", bytes / MIB, (bytes * 10 / MIB) % 10)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Middleware: writes the body of every error response that a handler marked with
/// [`ErrorPage`] or that a framework layer produced (no content type, or plain text).
/// A handler's own HTML or JSON error body is left alone.
pub async fn render_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let json = wants_json(request.headers(), request.uri().path());
    let rid = request.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let marked = response.extensions().get::<ErrorPage>().cloned();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let layer_made = content_type.is_empty() || content_type.starts_with("text/plain");
    let Some(page) = marked.or_else(|| layer_made.then(ErrorPage::default)) else {
        return response;
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR
        && let Some(hook) = &state.on_server_error
    {
        hook(rid.clone(), format!("500 on {path}"));
    }
    let (title, standard) = explain(status, state.config.uploads.max_content_length);
    let (parts, body) = response.into_parts();
    // An API client is told what a framework layer said of its request ("missing field
    // `title`", "expected a string"): the body's plain text, within reason. Pages keep the
    // standard sentence.
    let said = if json && status.is_client_error() && content_type.starts_with("text/plain") {
        axum::body::to_bytes(body, 2_000)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let message = page.message.or(said).unwrap_or(standard);
    let mut response = if json {
        let body = super::api::ApiError { status: status.as_u16(), error: title.to_owned(), message, request_id: rid };
        Response::from_parts(parts, Body::from(serde_json::to_string(&body).unwrap_or_default()))
    } else {
        let html = state
            .templates
            .render("platform/error.html", context! { status => status.as_u16(), title, message, request_id => rid })
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "error page template failed");
                format!("<!doctype html><title>{title}</title><h1>{title}</h1>")
            });
        Response::from_parts(parts, Body::from(html))
    };
    let content_type = if json { "application/json" } else { "text/html; charset=utf-8" };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.remove(header::CONTENT_LENGTH);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(2 * 1024 * 1024), "2 MiB");
        assert_eq!(human_size(10 * 1024 * 1024 + 512 * 1024), "10.5 MiB");
        assert_eq!(human_size(512 * 1024), "512 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn json_is_chosen_by_path_or_accept() {
        let mut h = HeaderMap::new();
        assert!(wants_json(&h, "/api/contracts"));
        assert!(!wants_json(&h, "/scout/"));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(wants_json(&h, "/scout/"));
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml,application/json;q=0.9"));
        assert!(!wants_json(&h, "/scout/"));
    }
}
