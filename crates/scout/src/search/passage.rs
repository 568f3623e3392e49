//! A highlighted passage of a field's text, built in Rust from the positions the index matched
//! (no `snippet()` or `ts_headline` per hit): a window of [`WORDS`] words holding the most
//! matches, its words at matched positions between \x01 and \x02 (turned into `<mark>` by
//! `super::highlight` after escaping), with "…" where the text goes on.
//!
//! The text is the one the index matched (it holds it), so the positions fit it. Every marked
//! word is still checked against the search's keys, and if one does not fit, the positions are
//! found again in the text itself: a passage never marks a word the search did not ask for.

use std::ops::Range;

use super::index::Query;
use super::words;

/// Words in a passage (as FTS5's `snippet(…, 16)` showed).
pub const WORDS: usize = 16;

/// Words shown before the first match of the window, so a match has its context.
const LEAD: u32 = 2;

/// The passage of `text` around `positions` (word positions, sorted), with matches marked.
pub fn passage(text: &str, positions: &[u32], query: &Query) -> String {
    let spans: Vec<Range<usize>> = words::spans(text).take(window_end(positions) + 1).collect();
    let fits = positions.iter().all(|p| spans.get(*p as usize).is_some_and(|s| is_key(&text[s.clone()], query)));
    if fits && !positions.is_empty() {
        return build(text, &spans, positions);
    }
    let found = find(text, query);
    if found.is_empty() {
        return String::new();
    }
    let spans: Vec<Range<usize>> = words::spans(text).take(window_end(&found) + 1).collect();
    build(text, &spans, &found)
}

/// The start of the window of [`WORDS`] holding the most of `positions` (the earliest of equals).
fn window_start(positions: &[u32]) -> u32 {
    let mut best = (0usize, 0u32);
    for p in positions {
        let start = p.saturating_sub(LEAD);
        let held = positions.iter().filter(|q| **q >= start && **q < start + WORDS as u32).count();
        if held > best.0 {
            best = (held, start);
        }
    }
    best.1
}

/// One past the last word the passage can need.
fn window_end(positions: &[u32]) -> usize {
    window_start(positions) as usize + WORDS
}

fn build(text: &str, spans: &[Range<usize>], positions: &[u32]) -> String {
    // Where the text ends inside the window, the window ends with it (a short text is whole).
    let start = (window_start(positions) as usize).min(spans.len().saturating_sub(WORDS));
    let Some(first) = spans.get(start) else { return String::new() };
    let shown = &spans[start..spans.len().min(start + WORDS)];
    let mut out = String::with_capacity(text.len().min(400));
    if start > 0 {
        out.push('…');
    }
    let mut at = first.start;
    for (i, span) in shown.iter().enumerate() {
        out.push_str(&text[at..span.start]);
        let marked = u32::try_from(start + i).is_ok_and(|p| positions.binary_search(&p).is_ok());
        if marked {
            out.push('\u{1}');
        }
        out.push_str(&text[span.clone()]);
        if marked {
            out.push('\u{2}');
        }
        at = span.end;
    }
    if spans.len() > start + WORDS {
        out.push('…');
    }
    out
}

fn is_key(word: &str, query: &Query) -> bool {
    let key = words::key(word);
    query.phrases().any(|phrase| phrase.contains(&key))
}

/// The positions of `query`'s phrases in `text`, found by reading it.
fn find(text: &str, query: &Query) -> Vec<u32> {
    let keys: Vec<String> = words::spans(text).map(|s| words::key(&text[s])).collect();
    let mut found = Vec::new();
    for phrase in query.phrases() {
        for start in 0..keys.len() {
            if keys[start..].starts_with(phrase) {
                found.extend((start..start + phrase.len()).filter_map(|p| u32::try_from(p).ok()));
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::Parsed;

    fn q(text: &str) -> Query {
        Query::of(&Parsed::parse(text))
    }

    #[test]
    fn a_short_text_is_shown_whole_with_its_matches_marked() {
        assert_eq!(passage("ACME FIRE EQUIPMENT", &[1], &q("fire")), "ACME \u{1}FIRE\u{2} EQUIPMENT");
        assert_eq!(passage("snow plow trucks", &[0, 1], &q("\"snow plows\"")), "\u{1}snow\u{2} \u{1}plow\u{2} trucks");
    }

    #[test]
    fn a_long_text_is_cut_around_the_most_matches() {
        let text = (0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ; ");
        let shown = passage(&text, &[20, 25], &q("w20 OR w25"));
        assert!(shown.starts_with("…w18 ; w19 ; \u{1}w20\u{2}"), "{shown}");
        assert!(shown.contains("\u{1}w25\u{2}") && shown.ends_with("w33…"), "{shown}");
        let start = passage(&text, &[1], &q("w1"));
        assert!(start.starts_with("w0 ; \u{1}w1\u{2}") && start.ends_with("w15…"), "{start}");
        let end = passage(&text, &[39], &q("w39"));
        assert!(end.starts_with("…w24 ;") && end.ends_with("\u{1}w39\u{2}"), "{end}");
        let short = "Road salt and grit for winter";
        assert_eq!(passage(short, &[5], &q("winter")), "Road salt and grit for \u{1}winter\u{2}");
    }

    #[test]
    fn positions_that_no_longer_fit_the_text_are_found_again() {
        // The index matched "fire" at word 1, but the text has changed since.
        assert_eq!(passage("Fire hoses and nozzles", &[1], &q("fire")), "\u{1}Fire\u{2} hoses and nozzles");
        assert_eq!(passage("nothing here", &[0], &q("fire")), "");
    }
}
