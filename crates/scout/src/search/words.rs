//! Words as the in-memory index sees them, one rule for indexed text and for searches.
//!
//! A word is a run of letters and digits (combining marks stay inside it); everything else
//! separates words. Its key is the word lower-cased, without diacritics ("Café" and "cafe" are
//! one word, as FTS5's `remove_diacritics` made them) and stemmed by Snowball's English stemmer
//! ("trucks" and "truck" are one word, as PostgreSQL's `english` configuration and FTS5's porter
//! tokenizer made them). Positions count words from 0 in each field.

use std::ops::Range;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Combining diacritical marks: part of the word they follow, dropped from its key.
fn combining(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || combining(c)
}

/// The byte ranges of `text`'s words, in order.
pub fn spans(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let start = loop {
            let (i, c) = chars.next()?;
            if word_char(c) {
                break i;
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !word_char(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some(start..end)
    })
}

/// The key of `word` (a span of [`spans`], or a word of a search): lower-cased, folded, stemmed.
/// Empty when nothing in it is a letter or digit.
pub fn key(word: &str) -> String {
    let folded: String =
        word.nfd().flat_map(char::to_lowercase).filter(|c| !combining(*c) && c.is_alphanumeric()).collect();
    if folded.chars().any(char::is_alphabetic) { STEMMER.stem(&folded).into_owned() } else { folded }
}

/// The keys of `text`'s words, in order.
pub fn keys(text: &str) -> impl Iterator<Item = String> + '_ {
    spans(text).map(|span| key(&text[span])).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_folded_and_stemmed() {
        let text = "SNOW-PLOW trucks, Café  déjà-vu 42nd";
        let words: Vec<&str> = spans(text).map(|s| &text[s]).collect();
        assert_eq!(words, ["SNOW", "PLOW", "trucks", "Café", "déjà", "vu", "42nd"]);
        assert_eq!(keys(text).collect::<Vec<_>>(), ["snow", "plow", "truck", "cafe", "deja", "vu", "42nd"]);
        assert_eq!(key("Protective"), key("protection"));
        assert_eq!(key("1002"), "1002");
        assert_eq!(key("—"), "");
    }

    #[test]
    fn combining_marks_stay_in_their_word() {
        // "e" followed by a combining acute accent is one word, keyed as "cafe".
        let text = "cafe\u{301} bar";
        let words: Vec<&str> = spans(text).map(|s| &text[s]).collect();
        assert_eq!(words, ["cafe\u{301}", "bar"]);
        assert_eq!(key(words[0]), "cafe");
    }
}
