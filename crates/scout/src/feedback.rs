//! "Tell us about this contract": a message from anyone, emailed to the site's admins (one
//! email each, replying to the sender), limited per sender address and per client by
//! [`LIMIT`]; over it nothing is sent and the page says the same as when it was.

use accounts::throttle::{self, Limit};
use chrono::Duration;
use platform::jobs;
use platform::mail::{Email, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::ConnectionTrait;

use crate::emails::Feedback;

/// Messages per hour from one sender address, and from one client.
pub const LIMIT: Limit = Limit {
    action: "scout.feedback",
    per_email: 5,
    email_window: Duration::hours(1),
    per_client: 5,
    client_window: Duration::hours(1),
};
pub const MAX_CHARS: usize = 2_000;

/// What is wrong with a message, per field.
pub fn problems(sender: &str, message: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if platform::mail::address(sender).is_err() {
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

/// Queues one email per recipient about contract `contract` (its id and description), sent by
/// `client`; returns how many, 0 when over [`LIMIT`].
pub async fn send(
    db: &impl ConnectionTrait,
    templates: &Templates,
    config: &platform::Config,
    contract: (i32, Option<String>),
    (sender, client): (&str, &str),
    message: &str,
) -> anyhow::Result<usize> {
    let sender = platform::mail::address(sender).map_err(|p| anyhow::anyhow!(p))?;
    if !throttle::allow(db, &LIMIT, &sender, client).await? {
        return Ok(0);
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_limit_fits_in_what_the_throttle_keeps() {
        let kept = accounts::throttle::KEPT_FOR;
        assert!(super::LIMIT.email_window <= kept && super::LIMIT.client_window <= kept);
    }
}
