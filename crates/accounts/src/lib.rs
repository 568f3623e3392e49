//! Staff accounts: sign-in by one-time emailed link, sign-out, the profile page (with the lists
//! other wings add to it, [`profile::ProfileSection`]), users, roles and departments, the
//! permission policy every service asks ([`policy::can`]), and showing the browser's one-time
//! message ([`Viewer::set_flash`], shown by [`page`]).

pub mod api;
pub mod emails;
pub mod links;
pub mod live;
pub mod nav;
mod pages;
pub mod passwords;
pub mod policy;
pub mod profile;
pub mod render;
pub mod service;
pub mod throttle;
pub mod users;
pub mod viewer;

use platform::Wing;
use platform::http::Routes;
use platform::jobs::{Job, JobContext};
use platform::mail::{Email, SendEmail, Sender};
use serde::{Deserialize, Serialize};

pub use platform::flash::Flash;
pub use policy::{Action, AdminArea, Denied, Resource, Role, authorize, can};
pub use render::{page, page_with_status, public_page};
pub use service::ServiceError;
pub use viewer::{CurrentUser, SignedIn, Viewer};

/// The accounts' manifest: sign-in, the profile, and the nightly purge of sign-in records.
pub fn wing() -> Wing {
    Wing::new("accounts")
        .routes(routes())
        .templates(platform::template_source!())
        .nightly("accounts.purge_sign_in_records", PurgeSignInRecords {})
        .job::<NotifyEmailChanged>()
        .openapi(<api::me::ApiDoc as utoipa::OpenApi>::openapi())
}

fn routes() -> Routes {
    Routes::new()
        .get("/sign-in", pages::sign_in_form)
        .post("/sign-in", pages::request_link)
        .get("/sign-in/link", pages::confirm_link)
        .post("/sign-in/link", pages::use_link)
        .post("/sign-in/password", pages::sign_in_with_password)
        .post("/sign-out", pages::sign_out)
        .get("/profile", pages::profile)
        .post("/profile", pages::save_profile)
        .post("/profile/password", pages::set_password)
        .post("/profile/{section}/{id}/remove", pages::remove_from_section)
        .post("/profile/tokens", pages::create_token)
        .post("/profile/tokens/{id}/revoke", pages::revoke_token)
        .post("/api/oauth/token", api::grant::token)
        .get("/api/v1/me", api::me::me)
        .merge(live::routes())
}

/// `procure createsuperuser --email E`: makes `email` a superadmin (creating the user if needed)
/// and, if `with_link`, returns a one-time sign-in URL for it, not bound to any browser; also
/// whether the user was created.
pub async fn create_superuser(
    db: &sea_orm::DatabaseConnection,
    config: &platform::Config,
    email: &str,
    with_link: bool,
) -> anyhow::Result<(Option<String>, bool)> {
    let email = platform::mail::address(email).map_err(|problem| anyhow::anyhow!("{problem}"))?;
    let (user, created) = users::ensure_superadmin(db, &email).await?;
    if !with_link {
        return Ok((None, created));
    }
    let token = links::issue(db, &user.email, Some(user.id), None, None).await?;
    let mut url = config.site.app_url.join("/sign-in/link")?;
    url.query_pairs_mut().append_pair("token", &token);
    Ok((Some(url.into()), created))
}

/// Nightly: forgets sign-in links and link requests older than a day.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeSignInRecords {}

impl Job for PurgeSignInRecords {
    const NAME: &'static str = "accounts.purge_sign_in_records";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let links = links::purge(&ctx.env.db).await?;
        let attempts = throttle::purge(&ctx.env.db).await?;
        let now = chrono::Utc::now();
        let tokens = api::tokens::purge(&ctx.env.db, now).await?;
        let windows = api::rate::purge(&ctx.env.db, ctx.env.config.api.rate_limit, now).await?;
        tracing::info!(links, attempts, tokens, windows, "old sign-in records and API tokens purged");
        Ok(())
    }
}

/// Tells a user's old address that it is no longer theirs here (queued by
/// [`users::change_email`] in the change's transaction). Rendered by the worker, since the
/// back-office that changes addresses has no templates; its Message-ID is fixed when queued,
/// so a rerun does not send it twice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyEmailChanged {
    pub old_email: String,
    pub message: emails::EmailChanged,
    /// The Message-ID's left part.
    pub message_key: String,
}

impl Job for NotifyEmailChanged {
    const NAME: &'static str = "accounts.notify_email_changed";

    fn settings() -> platform::jobs::JobSettings {
        <SendEmail as Job>::settings()
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let templates =
            ctx.env.templates.as_ref().ok_or_else(|| anyhow::anyhow!("the worker was started without templates"))?;
        let host = ctx.env.config.site.host();
        let mut email = Email::compose(templates, &self.message, Sender::Default, vec![self.old_email], host)?;
        email.message_id = format!("<{}@{host}>", self.message_key);
        SendEmail(email).run(ctx).await
    }
}
