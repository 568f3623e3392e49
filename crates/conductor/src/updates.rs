//! The update email (the original's C1): a conductor-level user writes to the people working on
//! a contract from the current stage of work in progress, in the caller's transaction.
//!
//! Rules (research/conductor.md §3.3, with Procure's corrections): To is required; To and Cc are
//! lists separated by `;`, every address one the mailer can send to ("One of the supplied
//! emails is invalid!" on the field otherwise); Cc is empty unless filled (the sender is the
//! Reply-To); subject and body are required; at most [`MAX_ATTACHMENTS`] files. One message
//! goes out, every To and Cc visible, from `CONDUCTOR_SENDER` with replies to the sender, the
//! subject as typed (the platform adds the configured prefix). The log keeps who it went to
//! (Cc too), what it said and the attachments' names (the original lost both, bugs 10); each
//! attachment is kept with the work item (`work_item_files`), linked to that entry, so it can
//! be downloaded later.

use accounts::{Action, CurrentUser, Resource, ServiceError, authorize};
use chrono::{DateTime, Utc};
use model::entities::{work_item, work_item_file};
use platform::events::{self, Audience, NewEvent};
use platform::mail::Attachment;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::activity::Activity;
use crate::emails::{Mailing, Update};
use crate::notes::NOTED_EVENT;
use crate::store;

/// The most files one update carries.
pub const MAX_ATTACHMENTS: usize = 10;
/// The longest subject kept (one line).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// What a list with an address the mailer cannot send to is told (the original's words).
pub const INVALID_ADDRESS: &str = "One of the supplied emails is invalid!";
/// What a blank required field is told.
pub const REQUIRED: &str = "This field is required.";

/// The form, as typed.
#[derive(Debug, Clone, Default)]
pub struct UpdateForm {
    /// Addresses separated by `;`.
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
}

/// What was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub subject: String,
    /// To and Cc, each address once.
    pub recipients: usize,
}

/// The addresses of a `;`-separated list, each once, in order (blank entries, as after a
/// trailing `;`, are skipped); `None` when one is not an address.
pub fn addresses(list: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in list.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let address = platform::mail::address(part).ok()?;
        if !out.contains(&address) {
            out.push(address);
        }
    }
    Some(out)
}

/// The checked form: To, Cc (without those already in To), subject, body.
fn check(form: &UpdateForm, attachments: usize) -> Result<(Vec<String>, Vec<String>, String, String), ServiceError> {
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let to = addresses(&form.to);
    match &to {
        None => problems.push(("to", INVALID_ADDRESS.into())),
        Some(to) if to.is_empty() => problems.push(("to", REQUIRED.into())),
        Some(_) => {}
    }
    let cc = addresses(&form.cc);
    if cc.is_none() {
        problems.push(("cc", INVALID_ADDRESS.into()));
    }
    // One line: a pasted line break becomes a space.
    let subject = form.subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        problems.push(("subject", REQUIRED.into()));
    } else if subject.chars().count() > MAX_SUBJECT_CHARS {
        problems.push(("subject", format!("A subject holds at most {MAX_SUBJECT_CHARS} characters.")));
    }
    let body = form.body.replace("\r\n", "\n").trim_end().trim_start_matches('\n').to_owned();
    if body.trim().is_empty() {
        problems.push(("body", REQUIRED.into()));
    }
    if attachments > MAX_ATTACHMENTS {
        problems.push(("attachments", format!("Attach at most {MAX_ATTACHMENTS} files.")));
    }
    match (to, cc) {
        (Some(to), Some(cc)) if problems.is_empty() => {
            let cc = cc.into_iter().filter(|c| !to.contains(c)).collect();
            Ok((to, cc, subject, body))
        }
        _ => Err(ServiceError::Invalid(problems)),
    }
}

/// Sends `form` about item `item_id` from its current stage, with the stored files
/// `attachments` (ids of `stored_files` uploaded with the form), and logs it there.
pub async fn send(
    db: &impl ConnectionTrait,
    mail: &Mailing<'_>,
    user: Option<&CurrentUser>,
    item_id: i32,
    form: &UpdateForm,
    attachments: &[i64],
    now: DateTime<Utc>,
) -> Result<Sent, ServiceError> {
    authorize(user, Action::Create, Resource::WorkItemEntry { note: false, own: true })?;
    let Some(user) = user else { return Err(accounts::Denied::SignInRequired.into()) };
    let (to, cc, subject, body) = check(form, attachments.len())?;
    let item = store::load(db, item_id).await?.ok_or(ServiceError::NotFound)?;
    if item.work.status != work_item::IN_PROGRESS {
        return Err(ServiceError::Conflict(
            "This work is no longer in progress: no update can be sent from it.".into(),
        ));
    }
    let Some(row) = item.progress().current.and_then(|i| item.row_id(i)) else {
        return Err(ServiceError::Conflict("This work is at no stage: no update can be sent from it.".into()));
    };
    let mut files = Vec::with_capacity(attachments.len());
    for &id in attachments {
        let record = platform::files::find(db, id).await?.ok_or_else(|| {
            ServiceError::invalid("attachments", "An attached file was not kept: choose the files again.")
        })?;
        files.push(Attachment { file_id: record.id, filename: record.filename, content_type: record.content_type });
    }
    let activity = Activity::UpdateEmail {
        to: to.clone(),
        cc: cc.clone(),
        subject: subject.clone(),
        body: body.clone(),
        attachments: files.iter().map(|f| f.filename.clone()).collect(),
    };
    let entry = store::log(db, item_id, Some(row), &activity, Some(user), now).await?;
    for file in &files {
        work_item_file::ActiveModel {
            work_item_id: Set(item_id),
            activity_id: Set(Some(entry)),
            file_id: Set(file.file_id),
            created_at: Set(now),
            created_by: Set(Some(user.id)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let recipients = to.len() + cc.len();
    let message = Update { subject: subject.clone(), body };
    mail.queue(db, &message, to, cc, Some(user.email.clone()), files).await?;
    events::record(db, NewEvent::new(NOTED_EVENT, i64::from(item_id), Audience::Conductor)).await?;
    Ok(Sent { subject, recipients })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(to: &str, cc: &str) -> UpdateForm {
        UpdateForm { to: to.into(), cc: cc.into(), subject: "Renewal".into(), body: "Hello".into() }
    }

    fn fields(e: ServiceError) -> Vec<(&'static str, String)> {
        match e {
            ServiceError::Invalid(p) => p,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn lists_are_split_on_semicolons_and_every_address_checked() {
        assert_eq!(addresses(" a@x.org; B@X.org ;; a@x.org;"), Some(vec!["a@x.org".into(), "b@x.org".into()]));
        assert_eq!(addresses(""), Some(vec![]));
        assert_eq!(addresses("a@x.org; bad"), None);
        assert_eq!(addresses("a@x.org, b@x.org"), None, "a comma is not a separator");
        assert_eq!(fields(check(&form("a@x.org; bad", ""), 0).expect_err("bad")), [("to", INVALID_ADDRESS.into())]);
        assert_eq!(
            fields(check(&form(" ; ", "c@"), 0).expect_err("bad")),
            [("to", REQUIRED.into()), ("cc", INVALID_ADDRESS.into())]
        );
        let (to, cc, ..) = check(&form("a@x.org;b@x.org", "c@x.org; a@x.org"), 0).expect("valid");
        assert_eq!((to.len(), cc), (2, vec!["c@x.org".to_owned()]), "an address already in To is not copied");
    }

    #[test]
    fn subject_body_and_attachments_are_checked() {
        let blank = UpdateForm { subject: " \n ".into(), body: "\r\n ".into(), ..form("a@x.org", "") };
        let problems = fields(check(&blank, 11).expect_err("blank"));
        let names: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(names, ["subject", "body", "attachments"]);
        let typed = UpdateForm { subject: "Line\r\nbreak".into(), body: "\r\nOne\r\n\r\nTwo\r\n".into(), ..blank };
        let (_, _, subject, body) = check(&typed, 10).expect("valid");
        assert_eq!((subject.as_str(), body.as_str()), ("Line break", "One\n\nTwo"));
    }
}
