//! Emails as their recipients get them. [`Mail`] is one message read back from its MIME form:
//! the `.eml` files a worker wrote to the app's outbox, or a queued `platform.send_email`
//! payload built into the message a worker would send (`Email::to_message`), so both read the
//! same, prefix, headers and all.
//!
//! The reader handles what lettre writes: folded headers, RFC 2047 encoded words, a single
//! part, `multipart/alternative`, or `multipart/mixed` (the text or the alternative, then
//! attached files), and 7bit, quoted-printable or base64 bodies.

use std::path::Path;

use base64::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub reply_to: Option<String>,
    /// With the configured prefix, as the recipient sees it.
    pub subject: String,
    pub message_id: String,
    /// On bulk mail (RFC 2369 and RFC 8058).
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    /// The text part, with `\n` line endings.
    pub text: String,
    /// The HTML part, if the message has one.
    pub html: Option<String>,
    /// Written to the outbox (by a worker), not still queued.
    pub delivered: bool,
    /// The attached files, in order.
    pub attachments: Vec<MailAttachment>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Mail {
    /// Reads a message as lettre formats it.
    pub fn parse(raw: &[u8], delivered: bool) -> Mail {
        let raw = String::from_utf8_lossy(raw);
        let (headers, body) = split_headers(&raw);
        let header = |name: &str| header(&headers, name);
        let (text, html, attachments) = if content_type(&headers).starts_with("multipart/") {
            let mut found = Parts::default();
            found.read(&headers, body, &raw);
            (found.text.unwrap_or_else(|| panic!("no text part in\n{raw}")), found.html, found.attachments)
        } else {
            // lettre ends a part with a line break of its own (before a boundary, or here).
            (decode_body(&headers, body.strip_suffix("\r\n").unwrap_or(body)), None, Vec::new())
        };
        Mail {
            from: header("From").unwrap_or_default(),
            to: header("To").map(|v| addresses(&v)).unwrap_or_default(),
            cc: header("Cc").map(|v| addresses(&v)).unwrap_or_default(),
            reply_to: header("Reply-To"),
            subject: header("Subject").unwrap_or_default(),
            message_id: header("Message-ID").unwrap_or_default(),
            list_unsubscribe: header("List-Unsubscribe"),
            list_unsubscribe_post: header("List-Unsubscribe-Post"),
            text,
            html,
            delivered,
            attachments,
        }
    }

    /// The message a worker would send for `email`, read back.
    pub fn of_queued(email: &platform::mail::Email, config: &platform::config::MailConfig) -> Mail {
        let message = email.to_message(config).unwrap_or_else(|e| panic!("queued email cannot be sent: {e}"));
        let mail = Mail::parse(&message.formatted(), false);
        // The reader must give back exactly what was queued.
        assert_eq!(mail.text, email.text.replace("\r\n", "\n"), "the text part reads back as queued");
        assert_eq!(mail.html, email.html.as_ref().map(|h| h.replace("\r\n", "\n")), "the HTML part too");
        mail
    }

    /// The messages in an outbox folder, in the order they were written.
    pub fn outbox(dir: &Path) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .map(|p| (std::fs::metadata(&p).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), p))
            .collect();
        files.sort();
        files.iter().map(|(_, p)| Mail::parse(&std::fs::read(p).expect("read .eml"), true)).collect()
    }

    /// The link in the text that contains `part`, from `part` up to the next whitespace.
    pub fn link(&self, part: &str) -> Option<String> {
        link_in(&self.text, part)
    }
}

/// What the parts of a multipart message hold.
#[derive(Default)]
struct Parts {
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<MailAttachment>,
}

impl Parts {
    /// Reads the multipart body `body` under `headers`, and the multiparts inside it.
    fn read(&mut self, headers: &[(String, String)], body: &str, raw: &str) {
        let boundary = parameter(&header(headers, "Content-Type").unwrap_or_default(), "boundary")
            .unwrap_or_else(|| panic!("a multipart message without a boundary:\n{raw}"));
        for part in parts(body, &boundary) {
            let (part_headers, part_body) = split_headers(part);
            let kind = content_type(&part_headers);
            let disposition = header(&part_headers, "Content-Disposition").unwrap_or_default();
            if kind.starts_with("multipart/") {
                self.read(&part_headers, part_body, raw);
            } else if disposition.starts_with("attachment") {
                let filename = parameter(&disposition, "filename").unwrap_or_else(|| panic!("unnamed file in\n{raw}"));
                let bytes = decode_bytes(&part_headers, part_body);
                self.attachments.push(MailAttachment { filename, content_type: kind, bytes });
            } else {
                let decoded = decode_body(&part_headers, part_body);
                match kind.as_str() {
                    "text/plain" => self.text = Some(decoded),
                    "text/html" => self.html = Some(decoded),
                    other => panic!("unexpected part {other} in\n{raw}"),
                }
            }
        }
    }
}

/// From `part` up to the next whitespace, in `text`.
pub fn link_in(text: &str, part: &str) -> Option<String> {
    let start = text.find(part)?;
    let rest = &text[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// The unfolded headers, and the body after the blank line.
fn split_headers(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")).unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| decode_words(v))
}

fn content_type(headers: &[(String, String)]) -> String {
    header(headers, "Content-Type")
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_else(|| "text/plain".to_owned())
}

/// A `name=value` parameter of a header value, unquoted.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The parts of a multipart body.
fn parts<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    body.split(delimiter.as_str())
        .skip(1)
        .take_while(|p| !p.starts_with("--"))
        .map(|p| p.strip_prefix("\r\n").unwrap_or(p))
        .map(|p| p.strip_suffix("\r\n").unwrap_or(p))
        .collect()
}

fn decode_body(headers: &[(String, String)], body: &str) -> String {
    String::from_utf8(decode_bytes(headers, body)).expect("a UTF-8 body").replace("\r\n", "\n")
}

fn decode_bytes(headers: &[(String, String)], body: &str) -> Vec<u8> {
    let encoding = header(headers, "Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
    match encoding.as_str() {
        "quoted-printable" => quoted_printable(body, false),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(compact).expect("a base64 body")
        }
        _ => body.as_bytes().to_vec(),
    }
}

/// Quoted-printable (RFC 2045), or the "Q" encoding of header words (RFC 2047) when `words`.
fn quoted_printable(text: &str, words: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' => {
                let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                if bytes[i + 1..].starts_with(b"\r\n") {
                    i += 3;
                } else if bytes[i + 1..].starts_with(b"\n") {
                    i += 2;
                } else if let Some(hex) = hex {
                    out.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("00"), 16).unwrap_or(0));
                    i += 3;
                } else {
                    out.push(b'=');
                    i += 1;
                }
            }
            b'_' if words => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`); whitespace between two of them goes.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let Some(word) = encoded_word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            after_word = false;
            continue;
        };
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        out.push_str(&word.0);
        rest = &rest[start + word.1..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `text`: its text and its length.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (_charset, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let data = &rest[..end];
    let bytes = match encoding {
        "b" | "B" => base64::engine::general_purpose::STANDARD.decode(data).ok()?,
        "q" | "Q" => quoted_printable(data, true),
        _ => return None,
    };
    let len = 2 + (inner.len() - rest.len()) + end + 2;
    Some((String::from_utf8(bytes).ok()?, len))
}

/// The addresses of an address-list header, as written.
fn addresses(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut angle = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}
