//! One-time messages ("Saved.", "You are signed out.") for the page a browser lands on after a
//! form: kept in the session by the handler that redirects, shown once by the next page that
//! renders the base layout, then gone. No JavaScript: the message is in that page's HTML.
//!
//! How it flows: [`set`] writes the message into the session. On each request, [`carry`] (a
//! middleware inside the session layer) puts an empty [`Slot`] in the request; whoever reads the
//! session for the page (`accounts::Viewer`) [`Slot::load`]s the waiting message into it, and
//! the page renderer [`Slot::take`]s it into the page. After the handler, `carry` removes a
//! message that was taken from the session and marks the response [`Private`], so it is never
//! kept by a shared cache. A message that no page took (a redirect, an error, a JSON answer)
//! waits for the next page.
//!
//! Pages cached for anonymous visitors are made once for everyone: while one is made
//! ([`shared`], which [`crate::cache::Cache::get_or_make`] wraps its `make` in) nothing is
//! taken, so no visitor's message is ever written into a page others get.

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::http::caching::Private;

/// The session key of the waiting message.
pub const KEY: &str = "flash";

/// How the message is shown: the USWDS alert of that name (`usa-alert--success`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Success,
    Info,
    Warning,
    Error,
}

/// A message for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub text: String,
}

impl Flash {
    /// Something the user did worked: "Saved.", "Deleted department “Parks”.".
    pub fn success(text: impl Into<String>) -> Flash {
        Flash { level: Level::Success, text: text.into() }
    }
    /// Neutral news: "You are signed out.".
    pub fn info(text: impl Into<String>) -> Flash {
        Flash { level: Level::Info, text: text.into() }
    }
    pub fn warning(text: impl Into<String>) -> Flash {
        Flash { level: Level::Warning, text: text.into() }
    }
    pub fn error(text: impl Into<String>) -> Flash {
        Flash { level: Level::Error, text: text.into() }
    }
}

/// Keeps `flash` in `session` for the next page (replacing one still waiting).
pub async fn set(session: &Session, flash: &Flash) -> Result<(), tower_sessions::session::Error> {
    session.insert(KEY, flash).await
}

#[derive(Debug, Default)]
struct State {
    waiting: Option<Flash>,
    taken: bool,
    /// A request that shows no message (a live region fetching itself): nothing is taken.
    silent: bool,
}

/// This request's view of the waiting message (see the module's header). Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Slot(Arc<Mutex<State>>);

impl Slot {
    /// Reads the waiting message, if any, from `session` (nothing is removed yet). A message that
    /// cannot be read (written by another version) is dropped.
    pub async fn load(&self, session: &Session) -> Result<(), tower_sessions::session::Error> {
        let waiting = match session.get::<Flash>(KEY).await {
            Ok(found) => found,
            Err(tower_sessions::session::Error::SerdeJson(_)) => {
                session.remove_value(KEY).await?;
                None
            }
            Err(e) => return Err(e),
        };
        self.lock().waiting = waiting;
        Ok(())
    }

    /// The message for the page being rendered, which from then on counts as shown; `None` while
    /// a page for everyone is being made ([`shared`]).
    pub fn take(&self) -> Option<Flash> {
        if making_shared() {
            return None;
        }
        let mut state = self.lock();
        if state.silent {
            return None;
        }
        if state.waiting.is_some() {
            state.taken = true;
        }
        state.waiting.clone()
    }

    /// Whether a message waits (a page would show it).
    pub fn is_waiting(&self) -> bool {
        self.lock().waiting.is_some()
    }

    fn taken(&self) -> bool {
        self.lock().taken
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two plain fields; a panic elsewhere cannot leave it half-written.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

tokio::task_local! {
    static SHARED: ();
}

/// Runs `make` as the making of an answer for everyone (a cached public page): no message is
/// taken while it runs.
pub async fn shared<F: std::future::Future>(make: F) -> F::Output {
    SHARED.scope((), make).await
}

fn making_shared() -> bool {
    SHARED.try_with(|()| ()).is_ok()
}

/// The header a live page's region sends when it fetches itself again after an event.
pub const LIVE_REFRESH: &str = "x-live-refresh";

/// Middleware inside the session layer: gives the request its [`Slot`] and, once a page has
/// shown the message, removes it from the session and keeps the response out of shared caches.
pub async fn carry(mut request: Request, next: Next) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let slot = Slot::default();
    // A part of a page fetching itself again (`assets/js/live.js`) shows no message, so it
    // must not use one up.
    slot.lock().silent = request.headers().contains_key(LIVE_REFRESH);
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if slot.taken()
        && let Some(session) = session
    {
        // (After signing out the session is left empty, and expires as any idle session does:
        // the session offers no way to tell whether it holds anything else, such as a pending
        // sign-in's nonce, so it is not ended here.)
        if let Err(e) = session.remove_value(KEY).await {
            tracing::warn!(error = %e, "could not clear a shown message from the session");
        }
        response.extensions_mut().insert(Private);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_is_not_taken_while_a_page_for_everyone_is_made() {
        let slot = Slot::default();
        slot.lock().waiting = Some(Flash::success("Saved."));
        assert_eq!(shared(async { slot.take() }).await, None);
        assert!(!slot.taken(), "still waiting for a page of the visitor's own");
        assert_eq!(slot.take(), Some(Flash::success("Saved.")));
        assert!(slot.taken());
    }

    #[test]
    fn an_empty_slot_takes_nothing() {
        let slot = Slot::default();
        assert_eq!(slot.take(), None);
        assert!(!slot.taken() && !slot.is_waiting());
    }
}
