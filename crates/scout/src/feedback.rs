//! "Tell us about this contract": a message from anyone, emailed to the site's admins (one
//! email each, replying to the sender), rate-limited per client.

use minijinja::context;
use model::entities::{role, user, user_role};
use platform::jobs;
use platform::mail::{Email, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};

/// Messages one client may send per hour.
pub const PER_HOUR: u64 = 5;
pub const MAX_CHARS: usize = 2_000;

/// Who gets feedback: the `ADMINS` addresses, else every active admin and superadmin.
async fn recipients(db: &DatabaseConnection, config: &platform::Config) -> Result<Vec<String>, sea_orm::DbErr> {
    if !config.admins.is_empty() {
        return Ok(config.admins.iter().map(|a| a.email.clone()).collect());
    }
    let admin_roles: Vec<i32> = role::Entity::find()
        .filter(role::Column::Name.is_in(["admin", "superadmin"]))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let user_ids: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::RoleId.is_in(admin_roles))
        .all(db)
        .await?
        .into_iter()
        .map(|ur| ur.user_id)
        .collect();
    let mut emails: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    emails.sort();
    emails.dedup();
    Ok(emails)
}

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
    db: &DatabaseConnection,
    templates: &Templates,
    config: &platform::Config,
    contract: (i32, Option<String>),
    sender: &str,
    message: &str,
) -> anyhow::Result<usize> {
    let sender = accounts::users::normalize_email(sender).map_err(|p| anyhow::anyhow!(p))?;
    let to = recipients(db, config).await?;
    let link = config.site.app_url.join(&format!("/scout/contracts/{}", contract.0))?;
    let txn = db.begin().await?;
    for address in &to {
        let ctx = context! { sender => sender.clone(), message => message.trim(), description => contract.1.clone(), link => link.as_str() };
        let mut email = Email::render(
            templates,
            "scout/emails/feedback",
            ctx,
            Sender::Default,
            vec![address.clone()],
            config.site.host(),
        )?;
        email.reply_to = Some(sender.clone());
        jobs::enqueue(&txn, &SendEmail(email)).await?;
    }
    txn.commit().await?;
    Ok(to.len())
}
