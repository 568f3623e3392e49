//! Sign-in by emailed link, sign-out, and the profile page.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use platform::http::{AppError, AppState};
use platform::jobs;
use platform::mail::{Email, SendEmail, Sender};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use tower_sessions::Session;

use crate::emails::SignInLink;
use crate::links::{self, Refused};
use crate::render::{page, page_with_status};
use crate::throttle::{self, ClientIp};
use crate::users::{self, ProfileForm};
use crate::viewer::{SESSION_EPOCH, SESSION_USER, SignedIn, Viewer, safe_next};

/// The session key of the nonce that binds a sign-in link to the browser that asked for it.
const SESSION_NONCE: &str = "sign_in_nonce";

fn internal(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(e.into())
}

fn session_of(viewer: &Viewer) -> Result<&Session, AppError> {
    viewer.session.as_ref().ok_or_else(|| internal(anyhow::anyhow!("the session layer is not installed")))
}

/// Whether to send vendors (who do not sign in) to Beacon's page that emails them the link to
/// manage their subscription: when this deployment mounts Beacon.
fn vendors_manage(state: &AppState) -> bool {
    state.nav.iter().any(|w| w.path == "/beacon/")
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

pub async fn sign_in_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(q.next.as_deref());
    if viewer.user.is_some() {
        return Ok(Redirect::to(next.unwrap_or("/")).into_response());
    }
    let password_login = state.config.security.password_login;
    let ctx = context! { next, asked => next.is_some(), password_login, vendors_manage => vendors_manage(&state) };
    Ok(page(&state, &viewer, "accounts/sign_in.html", ctx)?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub email: String,
    pub next: Option<String>,
}

/// Emails a link to anyone who may sign in, and answers everyone the same way (also when the
/// request is over its [`throttle::SIGN_IN_LINK`] limit and nothing is sent), so the form
/// cannot be used to find out who has an account. Nobody is created here: a link for a new
/// address at an accepted domain creates its user when it is first used ([`links::resolve`]).
pub async fn request_link(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let email = match platform::mail::address(&form.email) {
        Ok(email) => email,
        Err(problem) => {
            let ctx = context! {
                next, email => form.email, error => problem.to_string(),
                password_login => state.config.security.password_login, vendors_manage => vendors_manage(&state),
            };
            return page_with_status(&state, &viewer, StatusCode::BAD_REQUEST, "accounts/sign_in.html", ctx);
        }
    };

    // Every request gets its browser nonce (and so its session cookie), whether or not a link
    // goes out: the response's headers must not tell either.
    let session = session_of(&viewer)?;
    let nonce = match session.get::<String>(SESSION_NONCE).await.map_err(internal)? {
        Some(nonce) => nonce,
        None => {
            let nonce = links::random_token()?;
            session.insert(SESSION_NONCE, &nonce).await.map_err(internal)?;
            nonce
        }
    };
    let txn = platform::db::begin_write(&state.db).await?;
    if throttle::allow(&txn, &throttle::SIGN_IN_LINK, &email, &client).await? {
        // Some(user id or None for a user still to be made), or None: no link for this address.
        let link_for = match users::find_by_email(&txn, &email).await? {
            Some(user) => user.active.then_some(Some(user.id)),
            None => users::domain_is_accepted(&txn, &email).await?.then_some(None),
        };
        if let Some(user_id) = link_for {
            let token = links::issue(&txn, &email, user_id, Some(&nonce), next).await?;
            let mut link = state.config.site.app_url.join("/sign-in/link").map_err(internal)?;
            link.query_pairs_mut().append_pair("token", &token);
            let message = SignInLink { link: link.into(), minutes: links::LIFETIME.num_minutes() };
            let email = Email::compose(
                &state.templates,
                &message,
                Sender::Default,
                vec![email.clone()],
                state.config.site.host(),
            )
            .map_err(internal)?;
            jobs::enqueue(&txn, &SendEmail(email)).await.map_err(internal)?;
        }
    }
    txn.commit().await?;
    let ctx = context! { email, vendors_manage => vendors_manage(&state) };
    Ok(page(&state, &viewer, "accounts/sign_in_sent.html", ctx)?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    #[serde(default)]
    pub token: String,
}

fn refused_page(state: &AppState, viewer: &Viewer, why: Refused) -> Result<Response, AppError> {
    let (title, message) = match why {
        Refused::Unknown => {
            ("This sign-in link is not valid", "Check that you copied the whole link, or ask for a new one.")
        }
        Refused::Used => ("This sign-in link has already been used", "Each link works once. Ask for a new one."),
        Refused::Expired => ("This sign-in link has expired", "Links work for 15 minutes. Ask for a new one."),
        Refused::OtherBrowser => (
            "Open this link in the browser where you asked for it",
            "For your safety a link only works in the browser that requested it. Ask for a new link in this browser.",
        ),
    };
    page_with_status(state, viewer, StatusCode::BAD_REQUEST, "accounts/link_refused.html", context! { title, message })
}

async fn browser_nonce(viewer: &Viewer) -> Result<Option<String>, AppError> {
    match &viewer.session {
        Some(session) => session.get::<String>(SESSION_NONCE).await.map_err(internal),
        None => Ok(None),
    }
}

/// The link from the email: a page with one button. Opening the link uses nothing up, so mail
/// scanners that fetch links cannot spend it; the button's POST signs in.
pub async fn confirm_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<TokenParams>,
) -> Result<Response, AppError> {
    let nonce = browser_nonce(&viewer).await?;
    match links::check(&state.db, &q.token, nonce.as_deref()).await? {
        Ok(valid) => {
            // A link for a user whose address has changed (or who left) signs nobody in.
            if let Some(id) = valid.user_id
                && users::current_user(&state.db, id).await?.is_none_or(|u| u.email != valid.email)
            {
                return refused_page(&state, &viewer, Refused::Unknown);
            }
            let ctx = context! { token => q.token, email => valid.email };
            Ok(page(&state, &viewer, "accounts/link.html", ctx)?.into_response())
        }
        Err(why) => refused_page(&state, &viewer, why),
    }
}

/// Uses the link up and signs its user in, creating a new staff user if the link was for an
/// address without one (one transaction: the link is spent exactly when the user exists).
pub async fn use_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TokenParams>,
) -> Result<Response, AppError> {
    let nonce = browser_nonce(&viewer).await?;
    let txn = platform::db::begin_write(&state.db).await?;
    let valid = match links::redeem(&txn, &form.token, nonce.as_deref()).await? {
        Ok(valid) => valid,
        Err(why) => {
            txn.rollback().await?;
            return refused_page(&state, &viewer, why);
        }
    };
    let Some(user) = links::resolve(&txn, &valid).await? else {
        txn.rollback().await?;
        return refused_page(&state, &viewer, Refused::Unknown);
    };
    users::record_sign_in(&txn, user.id).await?;
    txn.commit().await?;
    // After the commit: on SQLite the session store writes through another connection.
    start_session(&viewer, &user, valid.next.as_deref(), "link").await
}

/// Signs `user` in on this browser and sends them on (to their profile first if it is not
/// complete).
async fn start_session(
    viewer: &Viewer,
    user: &crate::CurrentUser,
    next: Option<&str>,
    how: &str,
) -> Result<Response, AppError> {
    let session = session_of(viewer)?;
    // A new session id at sign-in, so an id planted before cannot ride along (session fixation).
    session.cycle_id().await.map_err(internal)?;
    session.remove::<String>(SESSION_NONCE).await.map_err(internal)?;
    session.insert(SESSION_USER, user.id).await.map_err(internal)?;
    session.insert(SESSION_EPOCH, user.session_epoch).await.map_err(internal)?;
    tracing::info!(uid = user.id, how, "signed in");
    let next = safe_next(next).unwrap_or("/");
    let to = if user.needs_profile() { crate::viewer::with_next("/profile", next) } else { next.to_owned() };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordSignIn {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    pub next: Option<String>,
}

/// `PASSWORD_LOGIN=1` only. Throttled like link requests; one answer for a wrong password and
/// an unknown email.
pub async fn sign_in_with_password(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    Form(form): Form<PasswordSignIn>,
) -> Result<Response, AppError> {
    if !state.config.security.password_login {
        return Err(AppError::NotFound);
    }
    let next = safe_next(form.next.as_deref());
    let fail = |status, error: &str| {
        let ctx = context! {
            next, email => form.email.clone(), password_error => error, password_login => true,
            vendors_manage => vendors_manage(&state),
        };
        page_with_status(&state, &viewer, status, "accounts/sign_in.html", ctx)
    };
    let Ok(email) = platform::mail::address(&form.email) else {
        return fail(StatusCode::BAD_REQUEST, "Enter your email address and password.");
    };
    if !throttle::allow(&state.db, &throttle::PASSWORD, &email, &client).await? {
        return fail(StatusCode::TOO_MANY_REQUESTS, "Too many attempts. Wait 15 minutes, then try again.");
    }
    let found = crate::passwords::check(&state.db, &email, &form.password).await?;
    let user = match found {
        Some(id) => users::current_user(&state.db, id).await?,
        None => None,
    };
    match user {
        Some(user) => {
            users::record_sign_in(&state.db, user.id).await?;
            start_session(&viewer, &user, next, "password").await
        }
        None => fail(StatusCode::BAD_REQUEST, "That email and password do not match an account."),
    }
}

/// Ends the session; the home page then says so (the message is kept in a new, anonymous
/// session).
pub async fn sign_out(viewer: Viewer) -> Result<Response, AppError> {
    if let Some(session) = &viewer.session {
        let signed_in = viewer.user.is_some();
        session.flush().await.map_err(internal)?;
        if signed_in {
            viewer.set_flash(crate::Flash::info("You are signed out.")).await?;
        }
    }
    Ok(Redirect::to("/").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfileQuery {
    pub next: Option<String>,
    pub saved: Option<String>,
}

/// What the profile's token part says after its form: the token just made (shown this once),
/// or why none was made.
#[derive(Debug, Default, serde::Serialize)]
struct TokenOutcome {
    made: Option<MadeToken>,
    errors: Vec<(&'static str, String)>,
}

#[derive(Debug, serde::Serialize)]
struct MadeToken {
    name: String,
    value: String,
    expires: String,
}

async fn profile_page(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    form: &ProfileForm,
    errors: &users::FieldErrors,
    next: Option<&str>,
    saved: bool,
) -> Result<Response, AppError> {
    profile_page_with(state, viewer, status, form, errors, next, saved, TokenOutcome::default()).await
}

#[allow(clippy::too_many_arguments)] // The page's parts, each from its own form.
async fn profile_page_with(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    form: &ProfileForm,
    errors: &users::FieldErrors,
    next: Option<&str>,
    saved: bool,
    outcome: TokenOutcome,
) -> Result<Response, AppError> {
    let departments: Vec<_> = users::departments(&state.db)
        .await?
        .into_iter()
        .map(|(id, name)| context! { id => id.to_string(), name })
        .collect();
    let errors: Vec<_> = errors.iter().map(|(field, message)| context! { field => *field, message }).collect();
    let password_login = state.config.security.password_login;
    let mut sections = Vec::new();
    let mut tokens = None;
    if let Some(me) = &viewer.user {
        let txn = state.db.begin().await?;
        for section in crate::profile::sections(&state.contributions) {
            let items = section.items(&txn, &state.config.site, me).await?;
            sections.push(context! { name => section.name(), section => Serde(items) });
        }
        tokens = crate::api::personal::shown(&txn, &state.config.site, me).await?;
        txn.commit().await?;
    }
    let token_errors: Vec<_> =
        outcome.errors.iter().map(|(field, message)| context! { field => *field, message }).collect();
    let ctx = context! {
        form => Serde(form), departments, errors, next, saved, password_login, sections,
        tokens => Serde(tokens), made_token => Serde(outcome.made), token_errors,
    };
    page_with_status(state, viewer, status, "accounts/profile.html", ctx)
}

pub async fn profile(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Query(q): Query<ProfileQuery>,
) -> Result<Response, AppError> {
    let form = ProfileForm {
        first_name: me.first_name.clone().unwrap_or_default(),
        last_name: me.last_name.clone().unwrap_or_default(),
        department: if me.needs_profile() {
            String::new()
        } else {
            me.department_id.map(|d| d.to_string()).unwrap_or_default()
        },
    };
    let next = safe_next(q.next.as_deref());
    profile_page(&state, &viewer, StatusCode::OK, &form, &Vec::new(), next, q.saved.is_some()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfilePost {
    #[serde(flatten)]
    pub form: ProfileForm,
    pub next: Option<String>,
}

pub async fn save_profile(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Form(post): Form<ProfilePost>,
) -> Result<Response, AppError> {
    let next = safe_next(post.next.as_deref());
    let txn = platform::db::begin_write(&state.db).await?;
    match users::update_profile(&txn, &me, &post.form).await? {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to(next.filter(|n| *n != "/").unwrap_or("/profile?saved=1")).into_response())
        }
        Err(errors) => {
            txn.rollback().await?;
            profile_page(&state, &viewer, StatusCode::BAD_REQUEST, &post.form, &errors, next, false).await
        }
    }
}

/// The button of a row of a profile section ([`crate::profile`]): lets go of it (unfollows a
/// contract, say) in one transaction, and comes back to the profile, which says so.
pub async fn remove_from_section(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path((name, id)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    let section =
        crate::profile::sections(&state.contributions).find(|s| s.name() == name).ok_or(AppError::NotFound)?;
    let txn = platform::db::begin_write(&state.db).await?;
    let said = section.remove(&txn, &me, id).await?;
    txn.commit().await?;
    if let Some(message) = said {
        viewer.set_flash(crate::Flash::success(message)).await?;
    }
    Ok(Redirect::to("/profile").into_response())
}

fn profile_form_of(me: &crate::CurrentUser) -> ProfileForm {
    ProfileForm {
        first_name: me.first_name.clone().unwrap_or_default(),
        last_name: me.last_name.clone().unwrap_or_default(),
        department: me.department_id.map(|d| d.to_string()).unwrap_or_default(),
    }
}

/// The profile's token form: makes a personal access token and shows it, this once, on the
/// answer (a POST's answer is never cached; the value is kept nowhere).
pub async fn create_token(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (name, days, scopes) = crate::api::personal::read_form(&pairs);
    let txn = platform::db::begin_write(&state.db).await?;
    let outcome = match crate::api::personal::create(&txn, &me, &name, &days, &scopes).await {
        Ok(issued) => {
            txn.commit().await?;
            let expires =
                issued.expires_at.with_timezone(&state.config.site.display_timezone).format("%b %-d, %Y").to_string();
            tracing::info!(uid = me.id, token_id = issued.id, "personal access token made");
            TokenOutcome { made: Some(MadeToken { name, value: issued.token, expires }), errors: Vec::new() }
        }
        Err(crate::ServiceError::Invalid(errors)) => {
            txn.rollback().await?;
            TokenOutcome { made: None, errors }
        }
        Err(other) => return Err(other.into()),
    };
    let status = if outcome.made.is_some() { StatusCode::CREATED } else { StatusCode::BAD_REQUEST };
    profile_page_with(&state, &viewer, status, &profile_form_of(&me), &Vec::new(), None, false, outcome).await
}

/// A token row's button: revokes it and comes back to the profile, which says so.
pub async fn revoke_token(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let said = crate::api::personal::revoke(&txn, &me, id).await?;
    txn.commit().await?;
    match said {
        Some(message) => viewer.set_flash(crate::Flash::success(message)).await?,
        None => return Err(AppError::NotFound),
    }
    Ok(Redirect::to("/profile#tokens").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm: String,
}

/// `PASSWORD_LOGIN=1` only: sets the signed-in user's password.
pub async fn set_password(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Form(form): Form<NewPassword>,
) -> Result<Response, AppError> {
    if !state.config.security.password_login {
        return Err(AppError::NotFound);
    }
    crate::policy::authorize(Some(&me), crate::policy::Action::Edit, crate::policy::Resource::OwnProfile)?;
    if let Some(problem) = crate::passwords::problem_with(&form.password, &form.confirm, &me.email) {
        let profile = ProfileForm {
            first_name: me.first_name.clone().unwrap_or_default(),
            last_name: me.last_name.clone().unwrap_or_default(),
            department: me.department_id.map(|d| d.to_string()).unwrap_or_default(),
        };
        let errors = vec![("password", problem.to_owned())];
        return profile_page(&state, &viewer, StatusCode::BAD_REQUEST, &profile, &errors, None, false).await;
    }
    let hashed = crate::passwords::hashed(&form.password).await.map_err(AppError::Internal)?;
    let txn = platform::db::begin_write(&state.db).await?;
    crate::passwords::set(&txn, me.id, &me.email, hashed).await.map_err(AppError::Internal)?;
    txn.commit().await?;
    tracing::info!(uid = me.id, "password set");
    Ok(Redirect::to("/profile?saved=1").into_response())
}
