//! The one rule for which characters text from outside may carry.
//!
//! People type tab, newline and (from browsers' textareas) carriage return; every other C0
//! control character (U+0000–U+001F) is invisible, means nothing in a contract title or a
//! vendor's name, and breaks what the text later passes through: PostgreSQL refuses U+0000 in
//! text columns, XML 1.0 forbids the rest, and Scout's search uses U+0001/U+0002 as its own
//! highlight markers. So such characters are removed wherever text enters: every request's query
//! string and form or JSON body (`http::input`), the upload kit's text fields, and the
//! importers. Output formats with their own rules (Atom, iCalendar) apply [`xml_safe`] and
//! [`line_endings`] as well, for text stored before the rule existed.

use std::borrow::Cow;

/// Whether `c` is a character text may not carry (a C0 control other than tab, LF and CR).
pub fn is_forbidden(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// The first forbidden character in `s`, if any.
pub fn first_forbidden(s: &str) -> Option<char> {
    s.chars().find(|&c| is_forbidden(c))
}

/// `s` without its forbidden characters (borrowed when it has none, which is nearly always).
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if first_forbidden(s).is_none() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| !is_forbidden(c)).collect())
    }
}

/// Removes forbidden characters from `s` in place; whether any were there.
pub fn strip_controls_in_place(s: &mut String) -> bool {
    if first_forbidden(s).is_none() {
        return false;
    }
    s.retain(|c| !is_forbidden(c));
    true
}

/// `s` with only the characters XML 1.0 allows (§2.2): no forbidden controls, no U+FFFE/U+FFFF.
pub fn xml_safe(s: &str) -> Cow<'_, str> {
    let bad = |c: char| is_forbidden(c) || matches!(c, '\u{FFFE}' | '\u{FFFF}');
    if s.chars().any(bad) { Cow::Owned(s.chars().filter(|&c| !bad(c)).collect()) } else { Cow::Borrowed(s) }
}

/// `s` with CRLF and lone CR as LF: for formats whose lines end at a CR (iCalendar's content
/// lines), where a stray CR would start a line of the text's own making.
pub fn line_endings(s: &str) -> Cow<'_, str> {
    if s.contains('\r') { Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n")) } else { Cow::Borrowed(s) }
}

/// `text` as a spreadsheet will read it safely: a cell that would run as a formula (`=`, `+`,
/// `-`, `@`, or a tab or carriage return first) is prefixed with `'`. For exports people open in
/// spreadsheets, whose cells come from what anyone typed.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `s` escaped for HTML text and attribute values: `&`, `<`, `>`, `"` and `'`. Unlike minijinja's
/// own escaping, `/` stays as it is, so a link reads `https://…` in the page source and in mail
/// programs that show an HTML part's links as text.
pub fn html_escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_leaves_slashes_alone() {
        assert_eq!(
            html_escape(r#"<a href="x">Tom's & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;"
        );
        assert_eq!(html_escape("https://example.gov/beacon/"), "https://example.gov/beacon/");
        assert!(matches!(html_escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn only_the_invisible_controls_are_forbidden() {
        for c in ['\0', '\u{1}', '\u{2}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}'] {
            assert!(is_forbidden(c), "{c:?}");
        }
        for c in ['\t', '\n', '\r', ' ', 'a', 'é', '\u{7f}', '\u{85}', '\u{2028}'] {
            assert!(!is_forbidden(c), "{c:?}");
        }
    }

    #[test]
    fn stripping_keeps_everything_else_and_borrows_when_clean() {
        assert_eq!(strip_controls("Road\0 salt\u{1b}\r\n\tbid"), "Road salt\r\n\tbid");
        assert!(matches!(strip_controls("plain text"), Cow::Borrowed(_)));
        let mut s = String::from("a\u{1}b\u{2}c");
        assert!(strip_controls_in_place(&mut s));
        assert_eq!(s, "abc");
        assert!(!strip_controls_in_place(&mut s));
    }

    #[test]
    fn xml_and_calendar_text_lose_what_their_formats_cannot_carry() {
        assert_eq!(xml_safe("a\u{1}\u{b}\u{1b}b\u{FFFF}"), "ab");
        assert_eq!(line_endings("one\r\ntwo\rthree\nfour"), "one\ntwo\nthree\nfour");
    }
}
