//! The feedback forms: "Tell us about this contract" (`/scout/contracts/{id}/feedback`) and
//! "Tell us" from a search (`/scout/feedback?q=…`, the search carried into the form). The
//! answer says what happened: sent to the purchasing staff, or saved for them when nobody could
//! be emailed (see [`crate::feedback`]).

use accounts::throttle::ClientIp;
use accounts::{Viewer, page_with_status};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Serde;
use model::entities::contract;
use platform::http::{AppError, AppState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::display::title_case;
use crate::feedback::{self, About, Answer, Message};

/// `/scout/feedback?q=…`: the form, carrying the search `q` (none when empty).
pub fn link(q: &str) -> String {
    let q = feedback::kept_query(q);
    if q.is_empty() {
        return "/scout/feedback".to_owned();
    }
    format!("/scout/feedback?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("q", &q).finish())
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FeedbackForm {
    #[serde(default)]
    pub sender: String,
    #[serde(default)]
    pub message: String,
    /// What the sender searched for (the general form only).
    #[serde(default)]
    pub q: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct FeedbackQuery {
    #[serde(default)]
    pub q: String,
}

async fn visible_contract(state: &AppState, id: i32) -> Result<contract::Model, AppError> {
    contract::Entity::find_by_id(id)
        .filter(contract::Column::IsVisible.eq(true))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The form (or its answer) about `about`.
fn show(
    state: &AppState,
    viewer: &Viewer,
    about: &About,
    form: &FeedbackForm,
    problems: &[(&'static str, &'static str)],
    answer: Option<Answer>,
) -> Result<Response, AppError> {
    let (contract, action) = match about {
        About::Contract(id, description) => (
            Some(context! { id, title => description.as_deref().map(|d| title_case(d).into_owned()) }),
            format!("/scout/contracts/{id}/feedback"),
        ),
        About::Search(_) => (None, "/scout/feedback".to_owned()),
    };
    let mut problems = problems.to_vec();
    let status = match answer {
        Some(Answer::TooMany) => {
            problems.push(("message", TOO_MANY));
            StatusCode::TOO_MANY_REQUESTS
        }
        _ if !problems.is_empty() => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let answer = answer.and_then(|a| match a {
        Answer::Emailed => Some("emailed"),
        Answer::Saved => Some("saved"),
        Answer::TooMany => None,
    });
    let ctx =
        context! { contract, action, form => Serde(form), problems, answer, max_query => feedback::MAX_QUERY_CHARS };
    page_with_status(state, viewer, status, "scout/feedback.html", ctx)
}

/// Said under the message when it was over the limit: it was not sent, and it is still there.
const TOO_MANY: &str = "You have sent several messages in a short time, so this one was not sent. Your text is still here: send it again in an hour.";

/// An empty form: the sender's address filled in for a signed-in user.
fn blank(viewer: &Viewer, q: &str) -> FeedbackForm {
    FeedbackForm {
        sender: viewer.user.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
        message: String::new(),
        q: feedback::kept_query(q),
    }
}

/// Checks and keeps a message, in one transaction; answers with the form or what happened.
async fn receive(
    state: &AppState,
    viewer: &Viewer,
    client: &str,
    about: About,
    form: FeedbackForm,
) -> Result<Response, AppError> {
    let problems = feedback::problems(&form.sender, &form.message);
    if !problems.is_empty() {
        return show(state, viewer, &about, &form, &problems, None);
    }
    let message = Message {
        sender: &form.sender,
        text: &form.message,
        about: about.clone(),
        actor: viewer.user.as_ref().map(|u| u.id),
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let answer =
        feedback::submit(&txn, &state.templates, &state.config, message, client).await.map_err(AppError::Internal)?;
    txn.commit().await?;
    show(state, viewer, &about, &form, &[], Some(answer))
}

pub async fn feedback_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let c = visible_contract(&state, id).await?;
    show(&state, &viewer, &About::Contract(c.id, c.description), &blank(&viewer, ""), &[], None)
}

pub async fn send_feedback(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Path(id): Path<i32>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, AppError> {
    let c = visible_contract(&state, id).await?;
    receive(&state, &viewer, &client, About::Contract(c.id, c.description), form).await
}

pub async fn site_feedback_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<FeedbackQuery>,
) -> Result<Response, AppError> {
    let form = blank(&viewer, &query.q);
    show(&state, &viewer, &About::Search(form.q.clone()), &form, &[], None)
}

pub async fn send_site_feedback(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(mut form): Form<FeedbackForm>,
) -> Result<Response, AppError> {
    form.q = feedback::kept_query(&form.q);
    receive(&state, &viewer, &client, About::Search(form.q.clone()), form).await
}
