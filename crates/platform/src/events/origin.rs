//! Which socket client a request comes from, so the events it causes are not echoed back.
//!
//! A page with a live socket learns its client id in the socket's `hello` frame and sends it
//! as `X-Client-Id` on its own requests. [`layer`] keeps that id for the request's task, where
//! [`super::record`] finds it; and when the request recorded an event, it wakes this
//! process's relays once the response is ready, which is after the handler committed.

use std::cell::Cell;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-client-id";

/// The longest client id taken from a request; socket ids are 32 hex digits.
const MAX_LEN: usize = 64;

struct Scope {
    client: Option<String>,
    recorded: Cell<bool>,
}

tokio::task_local! {
    static REQUEST: Scope;
}

/// The current request's socket client, if it sent a well-formed one.
pub(crate) fn current() -> Option<String> {
    REQUEST.try_with(|scope| scope.client.clone()).ok().flatten()
}

pub(crate) fn mark_recorded() {
    let _ = REQUEST.try_with(|scope| scope.recorded.set(true));
}

/// Middleware: runs the rest of the request in a scope holding its client id.
pub async fn layer(request: Request, next: Next) -> Response {
    let client = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_LEN && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned);
    let scope = Scope { client, recorded: Cell::new(false) };
    REQUEST
        .scope(scope, async move {
            let response = next.run(request).await;
            if REQUEST.try_with(|scope| scope.recorded.get()).unwrap_or(false) {
                super::nudge();
            }
            response
        })
        .await
}
