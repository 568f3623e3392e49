//! Conductor's emails, one struct each: its fields are what its templates
//! (`templates/conductor/emails/<name>/`) use. All go out as `Sender::Conductor`
//! (`CONDUCTOR_SENDER`), queued in the transaction of the change that causes them, through
//! [`Mailing`] (what a service needs to render and queue them, as Beacon's services get it).
//!
//! The assignment email ([`Assigned`], [`assigned`]) goes to the assignee when work starts and
//! each time it is given to someone new, once per assignment; never to a user about their own
//! action (assigning work to oneself sends nothing).

use accounts::{CurrentUser, ServiceError};
use model::entities::{contract, stage, work_item};
use platform::http::AppState;
use platform::jobs;
use platform::mail::{Attachment, Email, EmailTemplate, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde::Serialize;

/// What a service needs to queue Conductor's emails: the templates, and the site's settings
/// (its address for links, the mail settings).
#[derive(Clone, Copy)]
pub struct Mailing<'a> {
    pub templates: &'a Templates,
    pub config: &'a platform::Config,
}

impl<'a> Mailing<'a> {
    /// A request's mailing.
    pub fn of(state: &'a AppState) -> Mailing<'a> {
        Mailing { templates: &state.templates, config: &state.config }
    }

    /// The absolute address of `path` on this site (`APP_URL`).
    pub fn link(&self, path: &str) -> Result<String, ServiceError> {
        self.config.site.app_url.join(path).map(String::from).map_err(|e| failed("a link", e))
    }

    /// Renders `message` from Conductor's sender to `to`, copied to `cc`, replies going to
    /// `reply_to`, carrying `attachments`, and queues it on `db` (the caller's transaction).
    pub async fn queue<M: EmailTemplate>(
        &self,
        db: &impl ConnectionTrait,
        message: &M,
        to: Vec<String>,
        cc: Vec<String>,
        reply_to: Option<String>,
        attachments: Vec<Attachment>,
    ) -> Result<(), ServiceError> {
        let mut email = Email::compose(self.templates, message, Sender::Conductor, to, self.config.site.host())
            .map_err(|e| failed(M::TEMPLATE, e))?;
        email.cc = cc;
        email.reply_to = reply_to;
        email.attachments = attachments;
        jobs::enqueue(db, &SendEmail(email)).await.map_err(|e| failed(M::TEMPLATE, e))?;
        Ok(())
    }
}

/// A failure to render or queue an email, as the service's error (the transaction rolls back).
fn failed(what: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Db(DbErr::Custom(format!("queueing the email ({what}): {e}")))
}

/// What an email calls a user: their name, else their address.
pub(crate) fn name_of(user: &CurrentUser) -> String {
    match (user.first_name.as_deref().map(str::trim), user.last_name.as_deref().map(str::trim)) {
        (Some(first), Some(last)) if !first.is_empty() && !last.is_empty() => format!("{first} {last}"),
        _ => user.email.clone(),
    }
}

/// Queues [`Assigned`] to `assignee` for `item`, which `by` has just given them; nothing when
/// they gave it to themselves.
pub(crate) async fn assigned(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    by: &CurrentUser,
    assignee: &CurrentUser,
    item: &work_item::Model,
) -> Result<(), ServiceError> {
    if by.id == assignee.id {
        return Ok(());
    }
    let description = contract::Entity::find_by_id(item.contract_id).one(db).await?.and_then(|c| c.description);
    let stage = match item.current_stage_id {
        Some(id) => stage::Entity::find_by_id(id).one(db).await?.map(|s| s.name),
        None => None,
    };
    let message = Assigned {
        description: description.unwrap_or_else(|| format!("Item #{}", item.id)),
        by: name_of(by),
        stage: stage.unwrap_or_default(),
        link: mail.link(&format!("/conductor/items/{}", item.id))?,
    };
    // Replies go to whoever assigned it.
    mail.queue(db, &message, vec![assignee.email.clone()], Vec::new(), Some(by.email.clone()), Vec::new()).await
}

/// To the assignee of a work item (on start and on every reassignment to someone new).
#[derive(Debug, Clone, Serialize)]
pub struct Assigned {
    /// The work's description.
    pub description: String,
    /// Who assigned it (name or email).
    pub by: String,
    /// The stage it is at.
    pub stage: String,
    /// Its page in Conductor.
    pub link: String,
}

impl EmailTemplate for Assigned {
    const TEMPLATE: &'static str = "conductor/emails/assigned";
}

/// The update email of the detail page (the original's C1): the user's own subject and text,
/// sent as one message with every To and Cc visible, replies going to the user.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub subject: String,
    pub body: String,
}

impl EmailTemplate for Update {
    const TEMPLATE: &'static str = "conductor/emails/update";
}

/// A contract as the follower email shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ContractSummary {
    pub description: String,
    /// In words, in the display time zone; None when it has none.
    pub expiration: Option<String>,
    pub controller_number: Option<String>,
    pub spec_number: Option<String>,
    /// The companies holding it.
    pub companies: Vec<String>,
    /// Its Scout page.
    pub link: String,
}

/// To each former follower of a renewed contract, once, when the completion wizard finishes
/// (the original's C2, which it addressed to nobody): the old contract and every successor.
#[derive(Debug, Clone, Serialize)]
pub struct ContractUpdated {
    pub previous: ContractSummary,
    pub successors: Vec<ContractSummary>,
}

impl EmailTemplate for ContractUpdated {
    const TEMPLATE: &'static str = "conductor/emails/contract_updated";
}
