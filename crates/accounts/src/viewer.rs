//! Who is asking: the signed-in user (from the session), as handlers and templates see them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use platform::flash::{Flash, Slot};
use platform::http::{AppError, AppState, wants_json};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::nav::{NavLink, UserLinks};
use crate::policy::Role;
use crate::users;

/// The session key that holds the signed-in user's id.
pub(crate) const SESSION_USER: &str = platform::sessions::USER_KEY;
/// The session key that holds the user's session epoch at sign-in: the session stands only
/// while it is still the user's (sessions from before epochs existed read as 0).
pub(crate) const SESSION_EPOCH: &str = "epoch";

/// A signed-in, active user with their roles and department.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i32,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department_id: Option<i32>,
    pub department: Option<String>,
    pub roles: Vec<Role>,
    /// See `users.session_epoch`.
    #[serde(skip)]
    pub session_epoch: i32,
}

impl CurrentUser {
    /// Staff who signed themselves up wait in "New User" until they pick their department.
    pub fn needs_profile(&self) -> bool {
        self.department.as_deref().is_none_or(|d| d == users::NEW_USER_DEPARTMENT)
    }

    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) if !f.is_empty() && !l.is_empty() => format!("{f} {l}"),
            _ => self.email.clone(),
        }
    }
}

/// What templates get as `viewer`.
#[derive(Debug, Clone, Serialize)]
pub struct ViewerContext {
    pub signed_in: bool,
    pub email: Option<String>,
    pub name: Option<String>,
    pub is_admin: bool,
    pub is_conductor_level: bool,
    /// The wings' header links for this user ([`crate::nav`]).
    pub links: Vec<NavLink>,
    /// The request's path, so the header can mark the section the page is in.
    pub path: String,
}

/// The requester, signed in or not. Never rejects (except on a database error).
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<CurrentUser>,
    pub session: Option<Session>,
    /// The wings' header links for the user (none when anonymous).
    pub links: Vec<NavLink>,
    /// The request's path.
    pub path: String,
    /// The one-time message waiting for this browser, which [`crate::page`] shows.
    pub flash: Slot,
}

impl Viewer {
    /// Keeps `flash` for the next page this browser renders (after the redirect a form answers
    /// with): `viewer.set_flash(Flash::success("Saved.")).await?`. Signed in or not; shown once,
    /// by any page rendered with [`crate::page`] (see [`platform::flash`]).
    pub async fn set_flash(&self, flash: Flash) -> Result<(), AppError> {
        let session = self
            .session
            .as_ref()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the session layer is not installed")))?;
        platform::flash::set(session, &flash).await.map_err(|e| AppError::Internal(e.into()))
    }

    pub fn context(&self) -> ViewerContext {
        match &self.user {
            Some(u) => ViewerContext {
                signed_in: true,
                email: Some(u.email.clone()),
                name: Some(u.display_name()),
                is_admin: u.is_admin(),
                is_conductor_level: u.is_conductor_level(),
                links: self.links.clone(),
                path: self.path.clone(),
            },
            None => ViewerContext {
                signed_in: false,
                email: None,
                name: None,
                is_admin: false,
                is_conductor_level: false,
                links: Vec::new(),
                path: self.path.clone(),
            },
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // A handler that takes both `SignedIn` and `Viewer` looks the user up once.
        if let Some(known) = parts.extensions.get::<Viewer>() {
            return Ok(known.clone());
        }
        let path = parts.uri.path().to_owned();
        let flash = parts.extensions.get::<Slot>().cloned().unwrap_or_default();
        let Some(session) = parts.extensions.get::<Session>().cloned() else {
            return Ok(Viewer { user: None, session: None, links: Vec::new(), path, flash });
        };
        let uid: Option<i32> = session.get(SESSION_USER).await.map_err(|e| AppError::Internal(e.into()))?;
        let user = match uid {
            Some(id) => {
                let epoch: i32 =
                    session.get(SESSION_EPOCH).await.map_err(|e| AppError::Internal(e.into()))?.unwrap_or(0);
                users::current_user_cached(state, id).await?.filter(|u| u.session_epoch == epoch)
            }
            None => None,
        };
        if uid.is_some() && user.is_none() {
            // Deleted, deactivated or its address changed since signing in: the session no
            // longer means anything.
            session.flush().await.map_err(|e| AppError::Internal(e.into()))?;
        }
        let mut links = Vec::new();
        if let Some(user) = &user {
            for contributed in state.contributions.all::<UserLinks>() {
                links.extend(contributed.0.links(state, user).await?);
            }
        }
        flash.load(&session).await.map_err(|e| AppError::Internal(e.into()))?;
        let viewer = Viewer { user, session: Some(session), links, path, flash };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// A handler argument that requires a signed-in user. Anonymous browsers are sent to sign in
/// and brought back; API clients get 401.
#[derive(Debug, Clone)]
pub struct SignedIn(pub CurrentUser);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match viewer.user {
            Some(user) => Ok(SignedIn(user)),
            None if wants_json(&parts.headers, parts.uri.path()) => Err(AppError::Unauthorized.into_response()),
            None => {
                let back = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                Err(Redirect::to(&sign_in_url(back)).into_response())
            }
        }
    }
}

/// `/sign-in?next=…` for a same-site path.
pub fn sign_in_url(next: &str) -> String {
    with_next("/sign-in", safe_next(Some(next)).unwrap_or("/"))
}

/// `path?next=…`, or `path` alone when `next` is the home page.
pub fn with_next(path: &str, next: &str) -> String {
    if next == "/" {
        return path.to_owned();
    }
    format!("{path}?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish())
}

/// `next` if it is a path on this site; anything else (another host, a scheme, `//host`,
/// backslashes that some browsers read as slashes, control characters) is dropped.
pub fn safe_next(next: Option<&str>) -> Option<&str> {
    let next = next?;
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 2000;
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_kept() {
        for good in ["/", "/admin/", "/scout/contracts/3?x=1"] {
            assert_eq!(safe_next(Some(good)), Some(good));
        }
        for bad in ["https://evil.example/", "//evil.example/", "/\\evil.example", "evil", "/a\nb", ""] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(sign_in_url("/admin/?q=a b"), "/sign-in?next=%2Fadmin%2F%3Fq%3Da+b");
        assert_eq!(sign_in_url("//evil"), "/sign-in");
    }
}
