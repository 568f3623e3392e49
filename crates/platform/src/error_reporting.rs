//! Sentry, when `SENTRY_DSN` is set: every `ERROR` log event becomes a Sentry event (server
//! errors, panics, jobs that failed for good), warnings become breadcrumbs, and 4xx responses
//! are never reported. Release is the version and commit; environment from `SENTRY_ENVIRONMENT`.
//! Before anything leaves the process, cookies, authorization headers, the user's address and
//! every email address in the text are removed.

use std::borrow::Cow;
use std::sync::Arc;

use sentry::protocol::Event;

use crate::Config;

/// Starts the Sentry client; keep the guard for the life of the process (dropping it flushes).
pub fn init(config: &Config, release: &str) -> Option<sentry::ClientInitGuard> {
    let sentry_config = config.sentry.as_ref()?;
    let mut options = sentry::ClientOptions::default();
    options.release = Some(Cow::Owned(release.to_owned()));
    options.environment = Some(Cow::Owned(sentry_config.environment.clone()));
    options.send_default_pii = false;
    options.attach_stacktrace = true;
    options.before_send = Some(Arc::new(|event| Some(scrub(event))));
    Some(sentry::init((sentry_config.dsn.expose(), options)))
}

/// Removes what must not leave the process (see the module docs).
pub fn scrub(mut event: Event<'static>) -> Event<'static> {
    if let Some(request) = event.request.as_mut() {
        request.cookies = None;
        request.headers.retain(|name, _| {
            !matches!(
                name.to_ascii_lowercase().as_str(),
                "cookie" | "authorization" | "proxy-authorization" | "x-api-key"
            )
        });
        if let Some(q) = request.query_string.as_mut() {
            *q = redact_emails(q);
        }
    }
    if let Some(user) = event.user.as_mut() {
        user.email = None;
        user.ip_address = None;
    }
    if let Some(message) = event.message.as_mut() {
        *message = redact_emails(message);
    }
    if let Some(logentry) = event.logentry.as_mut() {
        logentry.message = redact_emails(&logentry.message);
    }
    for exception in event.exception.values.iter_mut() {
        if let Some(value) = exception.value.as_mut() {
            *value = redact_emails(value);
        }
    }
    event.extra.values_mut().for_each(redact_value);
    // Tracing fields arrive as an "other" context (a plain map).
    for context in event.contexts.values_mut() {
        if let sentry::protocol::Context::Other(map) = context {
            map.values_mut().for_each(redact_value);
        }
    }
    for breadcrumb in event.breadcrumbs.values.iter_mut() {
        if let Some(message) = breadcrumb.message.as_mut() {
            *message = redact_emails(message);
        }
        breadcrumb.data.values_mut().for_each(redact_value);
    }
    event
}

fn redact_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => *text = redact_emails(text),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_value),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_value),
        _ => {}
    }
}

/// Replaces every `local@domain.tld` with `[email]`.
pub fn redact_emails(text: &str) -> String {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = out.len();
            let local: Vec<char> = out.chars().rev().take_while(|&c| is_local(c)).collect();
            let mut end = i + 1;
            while end < chars.len() && is_domain(chars[end]) {
                end += 1;
            }
            let domain: String = chars[i + 1..end].iter().collect();
            let domain = domain.trim_end_matches('.');
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') {
                start -= local.iter().map(|c| c.len_utf8()).sum::<usize>();
                out.truncate(start);
                out.push_str("[email]");
                i += 1 + domain.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_redacted_and_the_rest_kept() {
        assert_eq!(redact_emails("send to ada.l+bids@example.gov now."), "send to [email] now.");
        assert_eq!(redact_emails("a@b.co, c@d.org"), "[email], [email]");
        assert_eq!(redact_emails("no address @ here, user@localhost"), "no address @ here, user@localhost");
    }

    #[test]
    fn requests_lose_cookies_and_credentials() {
        let mut event = Event::new();
        event.message = Some("failed for ada@example.gov".into());
        let mut request =
            sentry::protocol::Request { cookies: Some("procure_session=abc".into()), ..Default::default() };
        request.headers.insert("Authorization".into(), "Bearer secret".into());
        request.headers.insert("User-Agent".into(), "test".into());
        event.request = Some(request);
        let event = scrub(event);
        assert_eq!(event.message.as_deref(), Some("failed for [email]"));
        let request = event.request.expect("request");
        assert_eq!(request.cookies, None);
        assert!(!request.headers.contains_key("Authorization"));
        assert!(request.headers.contains_key("User-Agent"));
    }
}
