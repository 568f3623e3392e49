//! Email: rendered from templates in the request (or job) that decides to send it, and sent by
//! a worker through the [`SendEmail`] job, never in a request.
//!
//! Each message has the templates `<crate>/emails/<name>/subject.txt`, `body.txt` and optionally
//! `body.html`. Every `body.txt` extends `platform/emails/base.txt` and fills its `body` block;
//! emails that end alike share a layout that fills its `footer` block once (Beacon's to vendors
//! extend `beacon/emails/vendor.txt`). Every message is sent as multipart/alternative with an
//! HTML part on the one layout `platform/emails/base.html`: its own `body.html` (extending the
//! layout) where a message needs markup of its own, otherwise the text made into HTML by
//! [`text_to_html`] (paragraphs, line breaks, links), so the two parts never say different things. In code each email is a struct of what its templates use,
//! implementing [`EmailTemplate`]; [`Email::compose`] renders it. Every message gets a
//! Message-ID of our own, stable across retries, so support can trace it; bulk mail carries
//! `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058) for one-click unsubscribe.
//!
//! How to add an email:
//! 1. `templates/<crate>/emails/<name>/`: `subject.txt`, and a `body.txt` that extends the base (or a layout).
//! 2. `<crate>/src/emails.rs`: `#[derive(Serialize)] struct Name {..}`, `impl EmailTemplate` with that folder.
//! 3. Where it is decided: `Email::compose(templates, &Name {..}, sender, to, host)`, queued as [`SendEmail`].
//!
//! Attachments: a message may carry stored files ([`Attachment`], a `stored_files` record by
//! id), never their bytes: the job payload stays small, and the [`SendEmail`] job loads each
//! file from the [`Storage`] when it sends, as a `multipart/mixed` message (the text, or text and
//! HTML as `multipart/alternative`, then the files). A file that is gone fails the job, which
//! retries and then stays failed for the team to see: a message is never sent without a file it
//! names.
//!
//! Transport: SMTP (STARTTLS, TLS, or plain to a local relay) with pooled connections when
//! `MAIL_SERVER` is configured, otherwise `.eml` files in `MAIL_OUTBOX`.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::Value;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use crate::config::{MailConfig, SmtpSecurity};
use crate::jobs::{Job, JobContext, JobSettings};
use crate::storage::Storage;
use crate::templates::Templates;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("email template {0}: {1}")]
    Template(String, minijinja::Error),
    #[error("{field}: {value:?} is not an email address")]
    Address { field: &'static str, value: String },
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("writing the .eml file: {0}")]
    File(#[from] lettre::transport::file::Error),
    #[error("cannot create the outbox folder {0}: {1}")]
    Outbox(String, std::io::Error),
    /// A file the message names cannot be read: the message is not sent without it.
    #[error("attachment {filename:?} (stored file {file_id}) cannot be attached: {reason}")]
    Attachment { file_id: i64, filename: String, reason: String },
    /// The message was built without the contents of the files it names (see
    /// [`Email::to_message_with`]).
    #[error("the message names {expected} attachment(s) but {loaded} were loaded")]
    AttachmentsNotLoaded { expected: usize, loaded: usize },
}

/// Which configured sender a message goes out as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    Default,
    Beacon,
    Conductor,
}

/// One-click unsubscribe for bulk mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribe {
    /// An https URL that unsubscribes on POST (RFC 8058) and shows a page on GET.
    pub url: String,
    pub mailto: Option<String>,
}

/// One kind of email, as a value: its fields are what its templates use (serialized, they are
/// the templates' context; globals such as `site_name` come from the environment).
pub trait EmailTemplate: Serialize {
    /// The folder of its templates, `<crate>/emails/<name>`.
    const TEMPLATE: &'static str;
}

/// A stored file a message carries: its `stored_files` record, by id, with the name and type the
/// recipient sees. The job reads the file when it sends (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_id: i64,
    pub filename: String,
    pub content_type: String,
}

/// A rendered message, ready to be queued (it is the [`SendEmail`] job's payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub sender: Sender,
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Without the configured prefix; it is added when sending.
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub unsubscribe: Option<Unsubscribe>,
    /// `<uuid@host>`, set when rendered so every retry sends the same id.
    pub message_id: String,
    /// Stored files sent with it, in order (payloads queued before attachments existed have
    /// none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// An email's text as HTML: paragraphs (split at blank lines); within one, lines that were only
/// wrapped for width (long ones) flow together, while short lines and a line with an address
/// keep their breaks; a
/// paragraph whose lines are all indented (a listed item) is set off as a block; every
/// `http(s)://` address is a link to itself (a sentence's closing punctuation left outside).
/// Everything else is escaped.
pub fn text_to_html(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n").map(|p| p.trim_matches('\n')).filter(|p| !p.trim().is_empty()) {
        let lines: Vec<&str> = paragraph.lines().collect();
        let item = lines.iter().all(|l| l.starts_with("  "));
        // Prose wrapped for width has long lines (all but its last); short lines are a list
        // or a block of "label: value" lines, whose breaks mean something.
        let wrapped = lines.len() > 1 && lines[..lines.len() - 1].iter().all(|l| l.trim_end().chars().count() >= 60);
        out.push_str(if item {
            "<p style=\"margin-left:4px;padding-left:12px;border-left:3px solid #dfe1e2;\">"
        } else {
            "<p>"
        });
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                let own_line = item || !wrapped || line.contains("://") || lines[i - 1].contains("://");
                out.push_str(if own_line { "<br>\n" } else { " " });
            }
            linkify(line.trim(), &mut out);
        }
        out.push_str("</p>\n");
    }
    out.trim_end().to_owned()
}

/// `line`, escaped, with its addresses as links.
fn linkify(line: &str, out: &mut String) {
    let mut rest = line;
    while let Some(start) = ["https://", "http://"].iter().filter_map(|p| rest.find(p)).min() {
        out.push_str(&crate::text::html_escape(&rest[..start]));
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '"', '\'']);
        let url_e = crate::text::html_escape(url);
        out.push_str(&format!("<a href=\"{url_e}\">{url_e}</a>"));
        rest = &tail[url.len()..];
    }
    out.push_str(&crate::text::html_escape(rest));
}

impl Email {
    /// Renders `message`'s templates ([`EmailTemplate::TEMPLATE`]) with its fields. `host` names
    /// the Message-ID's domain.
    pub fn compose<M: EmailTemplate>(
        templates: &Templates,
        message: &M,
        sender: Sender,
        to: Vec<String>,
        host: &str,
    ) -> Result<Email, MailError> {
        Email::render(templates, M::TEMPLATE, Value::from(Serde(message)), sender, to, host)
    }

    /// Renders `<template>/subject.txt`, `body.txt` and (if it exists) `body.html` with an
    /// untyped `ctx`, e.g. `template = "platform/emails/server_error"`; the app sends typed
    /// messages through [`Email::compose`]. `host` names the Message-ID's domain.
    pub fn render(
        templates: &Templates,
        template: &str,
        ctx: Value,
        sender: Sender,
        to: Vec<String>,
        host: &str,
    ) -> Result<Email, MailError> {
        let render = |part: &str| {
            let name = format!("{template}/{part}");
            templates.render(&name, ctx.clone()).map_err(|e| MailError::Template(name, e))
        };
        let subject =
            render("subject.txt")?.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
        let text = render("body.txt")?;
        let html_name = format!("{template}/body.html");
        let html = match templates.environment().get_template(&html_name) {
            Ok(t) => t.render(ctx.clone()).map_err(|e| MailError::Template(html_name, e))?,
            Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => {
                let derived = "platform/emails/derived.html";
                let ctx = minijinja::context! { content => Value::from_safe_string(text_to_html(&text)), subject => &subject };
                templates.render(derived, ctx).map_err(|e| MailError::Template(derived.to_owned(), e))?
            }
            Err(e) => return Err(MailError::Template(html_name, e)),
        };
        let html = Some(html);
        Ok(Email {
            sender,
            to,
            cc: Vec::new(),
            reply_to: None,
            subject,
            text,
            html,
            unsubscribe: None,
            message_id: format!("<{}@{host}>", uuid::Uuid::new_v4().simple()),
            attachments: Vec::new(),
        })
    }

    /// The MIME message of an email without attachments, with the configured sender and
    /// subject prefix; one that names files needs their contents: [`Email::to_message_with`].
    pub fn to_message(&self, config: &MailConfig) -> Result<Message, MailError> {
        self.to_message_with(config, &[])
    }

    /// The contents of every attached file, in order, read from `storage`; an error names the
    /// first file that is gone (its record or its object) or unreadable.
    pub async fn load_attachments(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        storage: &Storage,
    ) -> Result<Vec<bytes::Bytes>, MailError> {
        let mut contents = Vec::with_capacity(self.attachments.len());
        for a in &self.attachments {
            let fail =
                |reason: String| MailError::Attachment { file_id: a.file_id, filename: a.filename.clone(), reason };
            let record = crate::files::find(db, a.file_id)
                .await
                .map_err(|e| fail(format!("reading its record: {e}")))?
                .ok_or_else(|| fail("its stored file record is gone".to_owned()))?;
            let object = storage.get(&record.key).await.map_err(|e| fail(format!("reading {}: {e}", record.key)))?;
            contents.push(object.bytes().await.map_err(|e| fail(format!("reading {}: {e}", record.key)))?);
        }
        Ok(contents)
    }

    /// The MIME message, with the configured sender and subject prefix; `contents` holds each
    /// attachment's bytes, in order ([`Email::load_attachments`]).
    pub fn to_message_with(&self, config: &MailConfig, contents: &[bytes::Bytes]) -> Result<Message, MailError> {
        if contents.len() != self.attachments.len() {
            return Err(MailError::AttachmentsNotLoaded { expected: self.attachments.len(), loaded: contents.len() });
        }
        let from = match self.sender {
            Sender::Default => &config.default_sender,
            Sender::Beacon => &config.beacon_sender,
            Sender::Conductor => &config.conductor_sender,
        };
        let mut builder = Message::builder()
            .from(mailbox("sender", from)?)
            .subject(format!("{}{}", config.subject_prefix, self.subject))
            .message_id(Some(self.message_id.clone()));
        for to in &self.to {
            builder = builder.to(mailbox("to", to)?);
        }
        for cc in &self.cc {
            builder = builder.cc(mailbox("cc", cc)?);
        }
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(mailbox("reply_to", reply_to)?);
        }
        let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(self.text.clone());
        let alternative = self.html.as_ref().map(|html| {
            MultiPart::alternative()
                .singlepart(text.clone())
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone()))
        });
        let mut message = if self.attachments.is_empty() {
            match alternative {
                Some(alternative) => builder.multipart(alternative)?,
                None => builder.singlepart(text)?,
            }
        } else {
            let mut mixed = match alternative {
                Some(alternative) => MultiPart::mixed().multipart(alternative),
                None => MultiPart::mixed().singlepart(text),
            };
            for (a, body) in self.attachments.iter().zip(contents) {
                let content_type = ContentType::parse(&a.content_type).map_err(|e| MailError::Attachment {
                    file_id: a.file_id,
                    filename: a.filename.clone(),
                    reason: format!("{:?} is not a content type: {e}", a.content_type),
                })?;
                let part = lettre::message::Attachment::new(a.filename.clone()).body(body.to_vec(), content_type);
                mixed = mixed.singlepart(part);
            }
            builder.multipart(mixed)?
        };
        if let Some(u) = &self.unsubscribe {
            let mut value = format!("<{}>", u.url);
            if let Some(mailto) = &u.mailto {
                value.push_str(&format!(", <mailto:{mailto}>"));
            }
            let headers = message.headers_mut();
            headers.insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), value));
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
        }
        Ok(message)
    }
}

fn mailbox(field: &'static str, value: &str) -> Result<Mailbox, MailError> {
    value.parse().map_err(|_| MailError::Address { field, value: value.to_owned() })
}

/// Why [`address`] refused a value; the message is for a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadAddress {
    #[error("Enter your email address.")]
    Empty,
    #[error("Enter an email address like name@example.gov.")]
    Invalid,
}

/// The one address parser: what a person typed into any email field, as the bare address we
/// store and send to, lower-cased (so one mailbox is one record, whatever the case it was typed
/// in), or why not.
///
/// It accepts only what the mailer sends: lettre's [`lettre::Address`] (RFC 5321 local part and
/// domain, no display name, no comments, no angle brackets), and within that only what every
/// SMTP server takes: ASCII (no SMTPUTF8 needed), a domain with a dot (no `user@localhost`),
/// no IP literal, at most 254 characters. So a display name can never reach a `To:` header
/// through a form, and an address a form took never fails in the send job.
pub fn address(raw: &str) -> Result<String, BadAddress> {
    let email = raw.trim().to_ascii_lowercase();
    if email.is_empty() {
        return Err(BadAddress::Empty);
    }
    if email.len() > 254 || !email.is_ascii() {
        return Err(BadAddress::Invalid);
    }
    let parsed: lettre::Address = email.parse().map_err(|_| BadAddress::Invalid)?;
    let domain = parsed.domain();
    if !domain.contains('.') || domain.starts_with('[') || domain.parse::<std::net::IpAddr>().is_ok() {
        return Err(BadAddress::Invalid);
    }
    Ok(email)
}

/// How many messages one worker sends at once, one pooled SMTP connection each. Per connection
/// a message costs several round trips plus, with lettre 0.11, a ~40 ms stall: it writes the
/// end-of-data marker separately on a socket without TCP_NODELAY, which meets the server's
/// delayed ACK. Parallel connections hide that (see bench/RESULTS.md: 40 sent about 530 a
/// second with the sent-message record, 64 about 680, which publishing to 10,000 vendors in
/// under 20 s needs).
const MAX_CONNECTIONS: u32 = 64;

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(Arc<AsyncSmtpTransport<Tokio1Executor>>),
    Files(Arc<AsyncFileTransport<Tokio1Executor>>, std::path::PathBuf),
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Mailer, MailError> {
        let Some(smtp) = &config.smtp else {
            std::fs::create_dir_all(&config.outbox)
                .map_err(|e| MailError::Outbox(config.outbox.display().to_string(), e))?;
            return Ok(Mailer::Files(Arc::new(AsyncFileTransport::new(&config.outbox)), config.outbox.clone()));
        };
        let mut builder = match smtp.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).tls(Tls::None),
        };
        if smtp.security == SmtpSecurity::StartTls {
            // Required, not opportunistic: never send credentials or mail in the clear.
            builder = builder.tls(Tls::Required(TlsParameters::new(smtp.host.clone())?));
        }
        builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(20)))
            .pool_config(PoolConfig::new().max_size(MAX_CONNECTIONS).idle_timeout(Duration::from_secs(60)));
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(Mailer::Smtp(Arc::new(builder.build())))
    }

    /// Sends `email`, which has no attachments (see [`Mailer::send_message`]).
    pub async fn send(&self, email: &Email, config: &MailConfig) -> Result<(), MailError> {
        self.send_message(email.to_message(config)?).await
    }

    /// Sends a built message ([`Email::to_message_with`]).
    pub async fn send_message(&self, message: Message) -> Result<(), MailError> {
        match self {
            Mailer::Smtp(t) => {
                t.send(message).await?;
            }
            Mailer::Files(t, _) => {
                t.send(message).await?;
            }
        }
        Ok(())
    }
}

/// The job that sends one message. Retries follow the queue's backoff; the Message-ID stays
/// the same, so a receiving server can tell a resend.
///
/// Sent once, not once per run: the Message-ID goes into `sent_emails` as soon as the server
/// accepts the message, and a run that finds it there sends nothing. That covers the long
/// window, a worker dying between the send and the queue deleting the job (the job runs again
/// when its lease expires). What remains is inherent to SMTP: a worker killed in the instant
/// between the server's acceptance and that insert resends the message, under the same
/// Message-ID. The other choice, recording before sending, would lose mail instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmail(pub Email);

impl Job for SendEmail {
    const NAME: &'static str = "platform.send_email";

    fn settings() -> JobSettings {
        JobSettings {
            retries: 5,
            retry_base: Duration::from_secs(30),
            // Beyond the SMTP client's own timeouts. (A dead worker's messages wait out the
            // claim's lease, JOB_LEASE, not this.)
            timeout: Duration::from_secs(30),
            concurrency: MAX_CONNECTIONS as usize,
            priority: 1,
        }
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let db = &ctx.env.db;
        let id = &self.0.message_id;
        if sent::contains(db, id).await? {
            tracing::info!(message_id = %id, "email already sent; not sending it again");
            return Ok(());
        }
        // Each attached file, read now; one that is gone fails the job (it retries), so the
        // message never goes out without it.
        let contents = self.0.load_attachments(db, &ctx.env.storage).await?;
        let message = self.0.to_message_with(&ctx.env.config.mail, &contents)?;
        ctx.env.mailer.send_message(message).await?;
        // Failing the job now would send the message again: report, and count it as sent.
        if let Err(e) = sent::record(db, id).await {
            tracing::error!(message_id = %id, error = %e, "email sent, but it could not be recorded as sent");
        }
        tracing::info!(message_id = %id, recipients = self.0.to.len() + self.0.cc.len(), "email sent");
        Ok(())
    }
}

/// The `sent_emails` record.
pub mod sent {
    use chrono::Utc;
    use sea_orm::{ConnectionTrait, DbErr};

    use crate::db::stmt;

    /// How long a sent message is remembered: far longer than any send job can be retried.
    pub const KEPT_FOR: chrono::Duration = chrono::Duration::days(7);

    pub async fn contains(db: &impl ConnectionTrait, message_id: &str) -> Result<bool, DbErr> {
        let sql = "SELECT 1 FROM sent_emails WHERE message_id = $1";
        let found = db.query_one_raw(stmt(db.get_database_backend(), sql, vec![message_id.into()])).await?;
        Ok(found.is_some())
    }

    pub async fn record(db: &impl ConnectionTrait, message_id: &str) -> Result<(), DbErr> {
        let sql = "INSERT INTO sent_emails (message_id, sent_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        db.execute_raw(stmt(db.get_database_backend(), sql, vec![message_id.into(), Utc::now().into()])).await?;
        Ok(())
    }

    /// Forgets messages sent more than [`KEPT_FOR`] ago; returns how many.
    pub async fn purge(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        let sql = "DELETE FROM sent_emails WHERE sent_at < $1";
        let cutoff = Utc::now() - KEPT_FOR;
        Ok(db.execute_raw(stmt(db.get_database_backend(), sql, vec![cutoff.into()])).await?.rows_affected())
    }
}

/// Nightly: forgets old `sent_emails` rows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PurgeSentEmails {}

impl Job for PurgeSentEmails {
    const NAME: &'static str = "platform.purge_sent_emails";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let deleted = sent::purge(&ctx.env.db).await?;
        tracing::info!(deleted, "old sent-email records purged");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_paragraphs_and_links_escaped() {
        let text = "Hello <Ann>,\n\nOpen https://example.gov/beacon/vendors/1/manage?sig=ab&x=1.\nThanks & bye\n\n\nSee (http://a.example/x).";
        assert_eq!(
            text_to_html(text),
            "<p>Hello &lt;Ann&gt;,</p>\n<p>Open <a href=\"https://example.gov/beacon/vendors/1/manage?sig=ab&amp;x=1\">https://example.gov/beacon/vendors/1/manage?sig=ab&amp;x=1</a>.<br>\nThanks &amp; bye</p>\n<p>See (<a href=\"http://a.example/x\">http://a.example/x</a>).</p>"
        );
        // Wrapped lines flow; an indented item is a block with its lines kept.
        let long = "A sentence wrapped for width, as the text of every email is, at about ninety";
        let wrapped =
            text_to_html(&format!("{long}\ncharacters.\n\n  Item title\n  Its department\n\nWhat:  500\nWhen:  noon"));
        assert!(wrapped.starts_with(&format!("<p>{long} characters.</p>")), "{wrapped}");
        assert!(wrapped.ends_with("<p>What:  500<br>\nWhen:  noon</p>"), "short lines keep their breaks: {wrapped}");
        assert!(wrapped.contains("border-left") && wrapped.contains("Item title<br>\nIts department</p>"), "{wrapped}");
    }

    #[test]
    fn addresses_are_bare_lower_cased_and_what_the_mailer_sends() {
        assert_eq!(address("  Jane.Doe@PittsburghPA.gov "), Ok("jane.doe@pittsburghpa.gov".into()));
        assert_eq!(address("o'brien+bids@example.co.uk"), Ok("o'brien+bids@example.co.uk".into()));
        assert_eq!(address(""), Err(BadAddress::Empty));
        assert_eq!(address("   "), Err(BadAddress::Empty));
        for bad in [
            // What the old validator let through and the mailer then refused, or worse.
            "x\"y@example.com",
            "a<b@example.com",
            "(c)z@example.com",
            "Friendly<crlf3@evil.example>",
            "Friendly <crlf3@evil.example>",
            "<crlf3@evil.example>",
            "a@b.example\r\nBcc: c@d.example",
            // Plain mistakes.
            "jane",
            "jane@",
            "@x.gov",
            "a b@x.gov",
            "a@x",
            "a@localhost",
            "a@b@c.gov",
            "a@x.gov,b@y.gov",
            "a@x.gov;b@y.gov",
            "a@.gov",
            "a@x.gov.",
            "a..b@x.gov",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "jos\u{e9}@example.com",
        ] {
            assert_eq!(address(bad), Err(BadAddress::Invalid), "{bad:?}");
        }
        assert!(address(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    fn test_config() -> MailConfig {
        MailConfig {
            smtp: None,
            outbox: std::path::PathBuf::from("unused"),
            default_sender: "Procure <noreply@example.gov>".into(),
            beacon_sender: "Beacon <beacon@example.gov>".into(),
            conductor_sender: "Conductor <conductor@example.gov>".into(),
            subject_prefix: "[P] ".into(),
            max_emails_per_connection: 1,
        }
    }

    fn with_attachment() -> Email {
        Email {
            sender: Sender::Conductor,
            to: vec!["a@x.org".into()],
            cc: vec!["c@x.org".into()],
            reply_to: Some("me@x.gov".into()),
            subject: "Terms".into(),
            text: "See the terms.".into(),
            html: Some("<p>See the terms.</p>".into()),
            unsubscribe: None,
            message_id: "<2@example.gov>".into(),
            attachments: vec![Attachment {
                file_id: 7,
                filename: "terms.pdf".into(),
                content_type: "application/pdf".into(),
            }],
        }
    }

    #[test]
    fn attachments_make_a_mixed_message_and_need_their_contents() {
        let config = test_config();
        let email = with_attachment();
        let err = email.to_message(&config).expect_err("the file was not loaded");
        assert!(matches!(err, MailError::AttachmentsNotLoaded { expected: 1, loaded: 0 }), "{err}");
        let pdf = bytes::Bytes::from_static(b"%PDF-1.4 terms");
        let raw = String::from_utf8(email.to_message_with(&config, &[pdf]).expect("built").formatted()).expect("utf-8");
        let mixed = raw.find("Content-Type: multipart/mixed").expect("mixed");
        let alternative = raw.find("Content-Type: multipart/alternative").expect("text and html");
        let file = raw.find("Content-Disposition: attachment; filename=\"terms.pdf\"").expect(&raw);
        assert!(mixed < alternative && alternative < file, "{raw}");
        assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
        let mut bad = email.clone();
        bad.attachments[0].content_type = "not a type".into();
        assert!(matches!(
            bad.to_message_with(&config, &[bytes::Bytes::new()]),
            Err(MailError::Attachment { file_id: 7, .. })
        ));
    }

    #[test]
    fn payloads_without_attachments_read_as_before() {
        let mut plain = with_attachment();
        plain.attachments.clear();
        let json = serde_json::to_value(&plain).expect("json");
        assert!(json.get("attachments").is_none(), "none written: {json}");
        let read: Email = serde_json::from_value(json).expect("an old payload decodes");
        assert_eq!(read, plain);
        let carried = with_attachment();
        let back: Email = serde_json::from_str(&serde_json::to_string(&carried).expect("json")).expect("decodes");
        assert_eq!(back.attachments, carried.attachments);
    }

    #[test]
    fn every_address_the_parser_accepts_builds_a_message() {
        let config = MailConfig {
            smtp: None,
            outbox: std::path::PathBuf::from("unused"),
            default_sender: "Procure <noreply@example.gov>".into(),
            beacon_sender: "Beacon <beacon@example.gov>".into(),
            conductor_sender: "Conductor <conductor@example.gov>".into(),
            subject_prefix: String::new(),
            max_emails_per_connection: 1,
        };
        for ok in ["jane.doe@pittsburghpa.gov", "o'brien+bids@example.co.uk", "a_b-c@sub.example.org"] {
            let email = Email {
                sender: Sender::Default,
                to: vec![address(ok).expect("valid")],
                cc: Vec::new(),
                reply_to: Some(address(ok).expect("valid")),
                subject: "s".into(),
                text: "t".into(),
                html: None,
                unsubscribe: None,
                message_id: "<1@example.gov>".into(),
                attachments: Vec::new(),
            };
            let message = email.to_message(&config).expect("the mailer takes it");
            let headers = String::from_utf8_lossy(&message.formatted()).to_string();
            assert!(headers.contains(&format!("To: {ok}\r\n")), "{headers}");
        }
    }
}
