//! Email: the SMTP server and its credentials (`MAIL_*`, with Django's `EMAIL_*`, Mailgun's
//! `MAILGUN_SMTP_*` and SendGrid's `SENDGRID_*` names), the senders, the subject prefix and the
//! outbox.
//!
//! Rules: SMTP is used when a server is named, or when only a SendGrid-style user name is given
//! (then `smtp.sendgrid.net`); otherwise messages are written as `.eml` files to the outbox. User
//! and password come together. Port, SSL and TLS are read only with SMTP. Every sender must look
//! like a mailbox.

use std::path::{Path, PathBuf};

use super::env::Vars;
use super::secret::Secret;
use super::var;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); required, never optional.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a test sink.
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub security: SmtpSecurity,
    /// Which preset or variable named the server.
    pub preset: &'static str,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `None`: messages are written as `.eml` files to `outbox`.
    pub smtp: Option<SmtpConfig>,
    pub outbox: PathBuf,
    pub default_sender: String,
    pub beacon_sender: String,
    pub conductor_sender: String,
    pub subject_prefix: String,
    pub max_emails_per_connection: u32,
}

impl MailConfig {
    pub(super) fn read(vars: &mut Vars<'_>, data_dir: &Path) -> Self {
        let user = vars.first(var::MAIL_USERNAME);
        let pass = vars.first(var::MAIL_PASSWORD);
        let sendgrid_user = matches!(user, Some(("MAIL_USERNAME" | "SENDGRID_USERNAME", _)));
        match (&user, &pass) {
            (Some((u, _)), None) => vars.error("MAIL_PASSWORD", format!("must be set too when {u} is")),
            (None, Some((p, _))) => vars.error("MAIL_USERNAME", format!("must be set too when {p} is")),
            _ => {}
        }
        let username = user.map(|(_, v)| v);
        let password = pass.map(|(_, v)| Secret::new(v));
        let server = vars.first(var::MAIL_SERVER);
        let (host, preset) = match server {
            Some((name, host)) => (Some(host), name),
            // The original suite: a Sendgrid username and no server means Sendgrid.
            None if sendgrid_user => (Some("smtp.sendgrid.net".to_owned()), "Sendgrid preset"),
            None if username.is_some() => {
                vars.error("MAIL_SERVER", "a mail username is set but no server (MAIL_SERVER, or MAILGUN_SMTP_SERVER)");
                (None, "")
            }
            None => (None, ""),
        };
        let smtp = host.map(|host| {
            let port = vars.parsed_or::<u16>(var::MAIL_PORT, 587);
            let use_ssl = vars.flag(var::MAIL_USE_SSL, port == 465);
            let use_tls = vars.flag(var::MAIL_USE_TLS, !use_ssl);
            let security = if use_ssl {
                SmtpSecurity::Tls
            } else if use_tls {
                SmtpSecurity::StartTls
            } else {
                SmtpSecurity::None
            };
            SmtpConfig { host, port, username: username.clone(), password: password.clone(), security, preset }
        });
        let default_sender = vars.string_or(var::MAIL_DEFAULT_SENDER, "Procure <no-reply@localhost>");
        let beacon_sender = vars.string(var::BEACON_SENDER).unwrap_or_else(|| default_sender.clone());
        let conductor_sender = vars.string(var::CONDUCTOR_SENDER).unwrap_or_else(|| default_sender.clone());
        for (var, value) in [
            ("MAIL_DEFAULT_SENDER", &default_sender),
            ("BEACON_SENDER", &beacon_sender),
            ("CONDUCTOR_SENDER", &conductor_sender),
        ] {
            if let Some(problem) = sender_problem(value) {
                vars.error(var, problem);
            }
        }
        let subject_prefix = vars.first(var::MAIL_SUBJECT_PREFIX).map_or_else(
            || "[Procure] ".to_owned(),
            |(_, v)| {
                if v.ends_with(' ') || v.is_empty() { v } else { format!("{v} ") }
            },
        );
        let outbox = vars.string(var::MAIL_OUTBOX).map_or_else(|| data_dir.join("outbox"), PathBuf::from);
        MailConfig {
            smtp,
            outbox,
            default_sender,
            beacon_sender,
            conductor_sender,
            subject_prefix,
            max_emails_per_connection: vars.parsed_or(var::MAIL_MAX_EMAILS, 100),
        }
    }

    pub fn describe(&self) -> String {
        match &self.smtp {
            Some(s) => format!(
                "SMTP {}:{} ({}, {})",
                s.host,
                s.port,
                match s.security {
                    SmtpSecurity::StartTls => "STARTTLS",
                    SmtpSecurity::Tls => "TLS",
                    SmtpSecurity::None => "unencrypted",
                },
                s.preset
            ),
            None => format!(".eml files in {}", self.outbox.display()),
        }
    }
}

/// `user@host` or `Name <user@host>`: enough to catch a misplaced value, not a full RFC 5322 parse
/// (the mail library validates properly when it sends).
/// What is wrong with `value` as a sender, if anything: it must be an address the mailer sends
/// from (parsed as the mailer parses it, so the check and the sending agree), and a value
/// wrapped in quotes is named as such: an env file read by `podman`/`docker --env-file` keeps
/// quotes as part of the value, and every email would then fail.
pub fn sender_problem(value: &str) -> Option<String> {
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"')) || (value.starts_with('\'') && value.ends_with('\'')));
    if quoted {
        return Some(format!(
            "{value} is wrapped in quotes, which are then part of the value (container env files keep them): \
             remove them; in such a file, give the bare address (user@example.gov)"
        ));
    }
    match value.parse::<lettre::message::Mailbox>() {
        Ok(_) if looks_like_mailbox(value) => None,
        _ => Some(format!("{value:?} is not an address like \"Name <user@example.gov>\" or user@example.gov")),
    }
}

pub fn looks_like_mailbox(value: &str) -> bool {
    let addr = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        (None, None) => value,
        _ => return false,
    };
    match addr.trim().split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !addr.contains(char::is_whitespace),
        None => false,
    }
}
