//! `/ws`: the websocket of live pages (see `platform::events::socket` for what it says).
//!
//! The socket opens only from the site's own pages or an `ALLOWED_ORIGINS` entry (403
//! otherwise), and hears only what the viewer may read: who that is comes from the session
//! cookie when the socket opens, and is looked up again at every ping (30 s), so a user signed
//! out elsewhere, deactivated or stripped of a role stops hearing staff events within a ping.

use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use platform::events::Reader;
use platform::events::socket::{self, Recheck};
use platform::http::{AppError, AppState, Routes};

use crate::viewer::{CurrentUser, Viewer};

pub fn routes() -> Routes {
    Routes::new().get("/ws", open)
}

/// What `user` may hear.
pub fn reader(user: Option<&CurrentUser>) -> Reader {
    let Some(user) = user else { return Reader::default() };
    Reader {
        user: Some(i64::from(user.id)),
        staff: user.has(crate::Role::Staff),
        conductor: user.is_conductor_level(),
        admin: user.is_admin(),
    }
}

/// `/ws?after=N`: resume after event `N`.
#[derive(Debug, serde::Deserialize)]
struct Resume {
    after: Option<i64>,
}

async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
    viewer: Viewer,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    if !socket::origin_allowed(&state.config, &headers) {
        tracing::info!("websocket refused: foreign origin");
        return Err(AppError::Forbidden);
    }
    let upgrade = upgrade.map_err(|e| AppError::BadRequest(format!("This address is a websocket: {e}.")))?;
    let recheck: Option<Recheck> = viewer.user.as_ref().map(|user| {
        let (db, id, epoch) = (state.db.clone(), user.id, user.session_epoch);
        let recheck: Recheck = Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                match crate::users::current_user(&db, id).await {
                    Ok(user) => Some(reader(user.filter(|u| u.session_epoch == epoch).as_ref())),
                    // Unknown for now: keep what the socket had.
                    Err(_) => None,
                }
            })
        });
        recheck
    });
    Ok(socket::accept(upgrade, state.events.clone(), reader(viewer.user.as_ref()), recheck, resume.after))
}
