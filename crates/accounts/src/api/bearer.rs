//! Bearer tokens on the API's requests (RFC 6750): the [`authenticate`] middleware resolves a
//! request's `Authorization: Bearer …` under `/api/v1/` to an [`ApiCaller`], counts it against
//! the token's rate limit and adds the `RateLimit-*` headers to the answer; handlers take
//! [`ApiCaller`] (401 without a token) and ask [`ApiCaller::require`] for a scope (403).
//!
//! Invariants:
//! - A request that presents a token that is not good gets 401 `invalid_token`, even where no
//!   token is needed: a client learns its token died instead of silently reading as anonymous.
//!   Other `Authorization` schemes (the basic-auth wall's `Basic`) are left alone.
//! - Every answer to a token carries `RateLimit-Limit`, `RateLimit-Remaining` and
//!   `RateLimit-Reset`; over the limit, 429 with `Retry-After`, and the handler never runs.
//! - The caller acts as a user (a personal token's, or a client's owner), so services decide with
//!   `accounts::policy` exactly as for that user's pages; scopes only narrow it.
//! - Whatever a request with a token writes to the audit log names the token's client (or "a
//!   personal access token") in `via`, whichever service writes it (`model::audit::acting_through`).
//! - An answer to a token is never kept by a shared cache (`platform::http::caching` treats any
//!   `Authorization` header as private).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use platform::http::errors::error_response;
use platform::http::{AppError, AppState};

use super::rate;
use super::scopes::{Scope, Scopes};
use super::tokens;
use crate::users;
use crate::viewer::CurrentUser;

/// The realm every challenge names.
const REALM: &str = "Procure API";

/// Who is calling the API with a good token.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The user whose permissions decide.
    pub user: CurrentUser,
    pub scopes: Scopes,
    pub token_id: i32,
    /// The client the token was issued to (id, name), for a client's token.
    pub client: Option<(i32, String)>,
    /// When the token stops working.
    pub expires_at: chrono::DateTime<Utc>,
}

impl ApiCaller {
    /// `Ok` when the token has `scope`; otherwise [`MissingScope`], answered with 403.
    pub fn require(&self, scope: Scope) -> Result<(), MissingScope> {
        if self.scopes.contains(scope) { Ok(()) } else { Err(MissingScope(scope)) }
    }

    /// How the audit log names what acted: the client, or the user's personal token.
    pub fn via(&self) -> String {
        match &self.client {
            Some((_, name)) => format!("API client “{name}”"),
            None => "a personal access token".to_owned(),
        }
    }
}

/// A token without the scope an operation needs: 403 with an `insufficient_scope` challenge
/// that names it (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingScope(pub Scope);

impl IntoResponse for MissingScope {
    fn into_response(self) -> Response {
        let name = self.0.name();
        let message = format!("This token does not have the scope {name}, which this operation needs.");
        let challenge = format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{name}\"");
        challenged(StatusCode::FORBIDDEN, message, &challenge)
    }
}

/// An error answer with a `WWW-Authenticate` challenge.
fn challenged(status: StatusCode, message: String, challenge: &str) -> Response {
    let mut response = error_response(status, Some(message));
    if let Ok(value) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The 401 for a request that needs a token and has none.
pub fn token_required() -> Response {
    challenged(
        StatusCode::UNAUTHORIZED,
        "This operation needs an access token: send `Authorization: Bearer <token>` (see /api/docs).".to_owned(),
        &format!("Bearer realm=\"{REALM}\""),
    )
}

fn invalid_token(description: &str) -> Response {
    challenged(
        StatusCode::UNAUTHORIZED,
        format!("The access token is not valid: {description}."),
        &format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\""),
    )
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case); `Err` for
/// the Bearer scheme without a token. Any other header is not ours: a site behind the
/// basic-auth wall (`AUTH_WALL_USERNAME`) sends `Basic` credentials with every request, and its
/// public API must still answer them.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    Some(if token.is_empty() { Err(()) } else { Ok(token) })
}

/// Middleware: see the module header.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let token = match bearer(request.headers()) {
        None => return next.run(request).await,
        Some(Err(())) => return invalid_token("the Authorization header has no token after Bearer"),
        Some(Ok(token)) => token.to_owned(),
    };
    match resolve(&state, &token).await {
        Err(e) => e.into_response(),
        Ok(Err(response)) => response,
        Ok(Ok((caller, count))) => {
            let limit = state.config.api.rate_limit;
            if count.requests > limit.requests {
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(format!(
                        "This token made more than {} requests in {} seconds. Wait {} seconds.",
                        limit.requests,
                        limit.window.as_secs(),
                        count.reset
                    )),
                );
                rate::headers(response.headers_mut(), limit, &count);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(count.reset));
                return response;
            }
            let via = caller.via();
            request.extensions_mut().insert(caller);
            let mut response = model::audit::acting_through(via, next.run(request)).await;
            rate::headers(response.headers_mut(), limit, &count);
            response
        }
    }
}

/// The caller a token stands for and its count in this window, or the 401 to answer with.
async fn resolve(state: &AppState, token: &str) -> Result<Result<(ApiCaller, rate::Count), Response>, AppError> {
    let now = Utc::now();
    let found = match tokens::find(&state.db, token, now).await? {
        Ok(found) => found,
        Err(refused) => {
            tracing::info!(?refused, "API token refused");
            return Ok(Err(invalid_token("it is unknown, expired or revoked")));
        }
    };
    let Some(user) = users::current_user_cached(state, found.user_id).await? else {
        return Ok(Err(invalid_token("the user it acts for is not an active user")));
    };
    let count = rate::hit(&state.db, found.token.id, state.config.api.rate_limit, now).await?;
    tokens::touch(&state.db, &found.token, now).await?;
    let caller = ApiCaller {
        user,
        scopes: found.scopes,
        token_id: found.token.id,
        client: found.client.map(|c| (c.id, c.name)),
        expires_at: found.token.expires_at,
    };
    Ok(Ok((caller, count)))
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ApiCaller>().cloned().ok_or_else(token_required)
    }
}

/// The caller of an operation that a signed-in browser or a token may use (Conductor's figures
/// feed the page's charts and a city's dashboards alike): the token's user when the request has
/// a token, else the session's; 401 with neither.
#[derive(Debug, Clone)]
pub struct TokenOrSession {
    pub user: CurrentUser,
    token: Option<ApiCaller>,
}

impl TokenOrSession {
    /// A token must have `scope`; a session is decided by the policy alone.
    pub fn require(&self, scope: Scope) -> Result<&CurrentUser, MissingScope> {
        match &self.token {
            Some(caller) => caller.require(scope).map(|()| &self.user),
            None => Ok(&self.user),
        }
    }
}

impl FromRequestParts<AppState> for TokenOrSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<ApiCaller>().cloned() {
            return Ok(TokenOrSession { user: caller.user.clone(), token: Some(caller) });
        }
        let viewer =
            crate::viewer::Viewer::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        viewer.user.map(|user| TokenOrSession { user, token: None }).ok_or_else(token_required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn a_missing_scope_is_a_403_that_names_it() {
        let caller = ApiCaller {
            user: CurrentUser {
                id: 1,
                email: "a@example.gov".into(),
                first_name: None,
                last_name: None,
                department_id: None,
                department: None,
                roles: Vec::new(),
                session_epoch: 0,
            },
            scopes: Scopes::parse("vendors:read").expect("scopes"),
            token_id: 1,
            client: None,
            expires_at: Utc::now(),
        };
        assert_eq!(caller.require(Scope::VendorsRead), Ok(()));
        let refused = caller.require(Scope::ContractsWrite).expect_err("no such scope").into_response();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            refused.headers().get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()),
            Some("Bearer realm=\"Procure API\", error=\"insufficient_scope\", scope=\"contracts:write\"")
        );
    }

    #[test]
    fn only_a_bearer_header_with_a_token_is_read() {
        assert_eq!(bearer(&HeaderMap::new()), None);
        assert_eq!(bearer(&with("Bearer pcat_abc")), Some(Ok("pcat_abc")));
        assert_eq!(bearer(&with("bearer   pcat_abc ")), Some(Ok("pcat_abc")));
        for empty in ["Bearer", "Bearer ", " bearer  "] {
            assert_eq!(bearer(&with(empty)), Some(Err(())), "{empty:?}");
        }
        // Not ours: the basic-auth wall's credentials, or anything else.
        for other in ["Basic dXNlcjpwYXNz", "pcat_abc", "Token pcat_abc", ""] {
            assert_eq!(bearer(&with(other)), None, "{other:?}");
        }
    }
}
