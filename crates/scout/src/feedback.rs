//! "Tell us about this contract": a message from anyone, emailed to the site's admins (one
//! email each, replying to the sender), rate-limited per client.

use platform::jobs;
use platform::mail::{Email, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::ConnectionTrait;

use crate::emails::Feedback;

/// Messages one client may send per hour.
pub const PER_HOUR: u64 = 5;
pub const MAX_CHARS: usize = 2_000;

/// What is wrong with a message, per field.
pub fn problems(sender: &str, message: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if accounts::users::normalize_email(sender).is_err() {
        out.push(("sender", "Enter your email address, so we can answer."));
    }
    let message = message.trim();
    if message.is_empty() {
        out.push(("message", "Write your message."));
    } else if message.chars().count() > MAX_CHARS {
        out.push(("message", "Keep your message under 2,000 characters."));
    }
    out
}

/// Queues one email per recipient about contract `contract` (its id and description).
pub async fn send(
    db: &impl ConnectionTrait,
    templates: &Templates,
    config: &platform::Config,
    contract: (i32, Option<String>),
    sender: &str,
    message: &str,
) -> anyhow::Result<usize> {
    let sender = accounts::users::normalize_email(sender).map_err(|p| anyhow::anyhow!(p))?;
    let to = accounts::users::admin_emails(db, config).await?;
    let link = config.site.app_url.join(&format!("/scout/contracts/{}", contract.0))?;
    let feedback = Feedback {
        sender: sender.clone(),
        message: message.trim().to_owned(),
        description: contract.1,
        link: link.into(),
    };
    for address in &to {
        let mut email =
            Email::compose(templates, &feedback, Sender::Default, vec![address.clone()], config.site.host())?;
        email.reply_to = Some(sender.clone());
        jobs::enqueue(db, &SendEmail(email)).await?;
    }
    Ok(to.len())
}
