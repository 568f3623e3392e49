//! Feedback to the city's purchasing staff: "Tell us about this contract", and "Tell us" from a
//! search that found nothing (carrying the search). Every message is kept in the `feedback`
//! table, read and marked handled in the back-office (`admin/feedback.rs`), and emailed to the
//! admins (one email each, replying to the sender) in the same transaction, when there are any:
//! the `ADMINS` addresses, else every active admin. With nobody to email it is kept all the
//! same, and the sender is told so: [`Answer::Saved`], not "sent"; once there are admins, the
//! nightly [`WaitingFeedback`] emails them what waited (each message once: `emailed_at`).
//!
//! Anyone can type any address, so messages are limited per sender address and per client by
//! [`LIMIT`]: over it nothing is stored or sent, and the sender is told so ([`Answer::TooMany`])
//! with the form and its text still there, to send later. (Unlike Beacon's sign-up, which must
//! answer alike whatever happened because it mails the address typed, feedback mails only the
//! city's staff: saying the limit was reached tells nobody anything about an address.)

use accounts::throttle::{self, Limit};
use chrono::{Duration, Utc};
use model::entities::{contract, feedback};
use model::{Stamp, StampUpdate};
use platform::jobs::{self, Job, JobContext};
use platform::mail::{Email, EmailTemplate, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::emails::{Feedback, SiteFeedback};

/// Messages per hour from one sender address, and from one client.
pub const LIMIT: Limit = Limit {
    action: "scout.feedback",
    per_email: 5,
    email_window: Duration::hours(1),
    per_client: 5,
    client_window: Duration::hours(1),
};
pub const MAX_CHARS: usize = 2_000;
/// The most of a search that is kept with a message.
pub const MAX_QUERY_CHARS: usize = 500;

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

/// `query` as it is kept with a message: on one line, spaces collapsed, at most
/// [`MAX_QUERY_CHARS`].
pub fn kept_query(query: &str) -> String {
    query.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_QUERY_CHARS).collect()
}

/// What a message is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    /// A contract: its id and description.
    Contract(i32, Option<String>),
    /// Scout in general, from a search (what was searched for, if anything).
    Search(String),
}

/// A message as submitted (its [`problems`] already found to be none).
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub sender: &'a str,
    pub text: &'a str,
    pub about: About,
    /// The signed-in user who sent it, if any.
    pub actor: Option<i32>,
}

/// What the sender is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Kept, and emailed to the admins.
    Emailed,
    /// Kept in the back-office; there was nobody to email it to.
    Saved,
    /// Neither kept nor sent: over [`LIMIT`].
    TooMany,
}

/// Keeps `message` from `client` and queues one email per admin, with `db` (the caller's
/// transaction). Over [`LIMIT`] nothing is kept or sent: [`Answer::TooMany`].
pub async fn submit(
    db: &impl ConnectionTrait,
    templates: &Templates,
    config: &platform::Config,
    message: Message<'_>,
    client: &str,
) -> anyhow::Result<Answer> {
    let sender = platform::mail::address(message.sender).map_err(|p| anyhow::anyhow!(p))?;
    let to = accounts::users::admin_emails(db, config).await?;
    let answer = if to.is_empty() { Answer::Saved } else { Answer::Emailed };
    if !throttle::allow(db, &LIMIT, &sender, client).await? {
        return Ok(Answer::TooMany);
    }
    let now = Utc::now();
    let text = message.text.trim().to_owned();
    let (contract_id, search_query) = match &message.about {
        About::Contract(id, _) => (Some(*id), None),
        About::Search(q) => (None, Some(kept_query(q)).filter(|q| !q.is_empty())),
    };
    let kept = feedback::ActiveModel {
        sender: Set(sender),
        message: Set(text),
        contract_id: Set(contract_id),
        search_query: Set(search_query),
        emailed_at: Set((!to.is_empty()).then_some(now)),
        handled_at: Set(None),
        ..Stamp::created(message.actor, now)
    }
    .insert(db)
    .await?;
    let description = match message.about {
        About::Contract(_, description) => description,
        About::Search(_) => None,
    };
    email_admins(db, templates, config, &kept, description, &to).await?;
    Ok(answer)
}

/// Queues kept message `kept` to each of `to`: about its contract (whose description is given),
/// or about Scout and the search it came from.
async fn email_admins(
    db: &impl ConnectionTrait,
    templates: &Templates,
    config: &platform::Config,
    kept: &feedback::Model,
    description: Option<String>,
    to: &[String],
) -> anyhow::Result<()> {
    let site = &config.site.app_url;
    let (sender, message) = (kept.sender.clone(), kept.message.clone());
    match kept.contract_id {
        Some(id) => {
            let link = site.join(&format!("/scout/contracts/{id}"))?.into();
            let email = Feedback { sender: sender.clone(), message, description, link };
            queue(db, templates, config, &email, to, &sender).await
        }
        None => {
            let search_link = match &kept.search_query {
                Some(q) => {
                    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("q", q).finish();
                    Some(site.join(&format!("/scout/search?{query}"))?.into())
                }
                None => None,
            };
            let inbox_link = site.join(&format!("/admin/feedback/{}/edit", kept.id))?.into();
            let query = kept.search_query.clone();
            let email = SiteFeedback { sender: sender.clone(), message, query, search_link, inbox_link };
            queue(db, templates, config, &email, to, &sender).await
        }
    }
}

/// Nightly: emails the admins the messages kept while there was nobody to email them to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaitingFeedback {}

impl Job for WaitingFeedback {
    const NAME: &'static str = "scout.waiting_feedback";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let sent = send_waiting(&ctx.env.db, ctx.env.templates()?, &ctx.env.config).await?;
        tracing::info!(sent, "waiting feedback emailed");
        Ok(())
    }
}

/// Emails the admins, if there are any now, each kept message not yet emailed nor handled: one
/// transaction per message, which marks it emailed (a guarded update, so each goes once however
/// many run). Returns how many messages went.
pub async fn send_waiting(
    db: &DatabaseConnection,
    templates: &Templates,
    config: &platform::Config,
) -> anyhow::Result<u64> {
    let waiting = feedback::Entity::find()
        .filter(feedback::Column::EmailedAt.is_null())
        .filter(feedback::Column::HandledAt.is_null())
        .order_by_asc(feedback::Column::Id)
        .all(db)
        .await?;
    let mut sent = 0;
    for kept in waiting {
        let txn = platform::db::begin_write(db).await?;
        let to = accounts::users::admin_emails(&txn, config).await?;
        if to.is_empty() {
            return Ok(sent);
        }
        let now = Utc::now();
        let marked = feedback::Entity::update_many()
            .col_expr(feedback::Column::EmailedAt, Expr::value(Some(now)))
            .stamped(None, now)
            .filter(feedback::Column::Id.eq(kept.id))
            .filter(feedback::Column::EmailedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 1 {
            let description = match kept.contract_id {
                Some(id) => contract::Entity::find_by_id(id).one(&txn).await?.and_then(|c| c.description),
                None => None,
            };
            email_admins(&txn, templates, config, &kept, description, &to).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// Queues `email` to each of `to`, replying to `sender`.
async fn queue<T: EmailTemplate>(
    db: &impl ConnectionTrait,
    templates: &Templates,
    config: &platform::Config,
    email: &T,
    to: &[String],
    sender: &str,
) -> anyhow::Result<()> {
    for address in to {
        let mut message = Email::compose(templates, email, Sender::Default, vec![address.clone()], config.site.host())?;
        message.reply_to = Some(sender.to_owned());
        jobs::enqueue(db, &SendEmail(message)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_limit_fits_in_what_the_throttle_keeps() {
        let kept = accounts::throttle::KEPT_FOR;
        assert!(super::LIMIT.email_window <= kept && super::LIMIT.client_window <= kept);
    }

    #[test]
    fn a_search_is_kept_trimmed_and_bounded() {
        assert_eq!(super::kept_query("  road salt "), "road salt");
        assert_eq!(super::kept_query("road\r\nSubject: x\tsalt"), "road Subject: x salt", "one line");
        assert_eq!(super::kept_query(&"é".repeat(900)).chars().count(), super::MAX_QUERY_CHARS);
    }
}
