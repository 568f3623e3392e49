//! The search box's language, parsed once for both databases: words are AND-ed, `OR` between
//! two terms makes either do, `"quoted words"` are a phrase, `-word` excludes. Anything else
//! (stray quotes, operators alone, punctuation, 10 KB of text) is tolerated, never an error.

/// A word, or several that must appear together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term(pub Vec<String>);

/// A parsed search: every group must match (a group matches when any of its terms does), and
/// no excluded term may.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub groups: Vec<Vec<Term>>,
    pub excluded: Vec<Term>,
}

/// Longer input is cut: no real search needs more.
const MAX_CHARS: usize = 500;
const MAX_TERMS: usize = 32;

/// The words of `text`, lower-cased. Lower-casing comes first, as it can make characters that
/// are not letters ("İ" becomes "i" and a combining dot above): combining diacritical marks are
/// dropped (the indexes drop diacritics too), anything else that is not a letter or digit
/// separates words.
fn words(text: &str) -> Vec<String> {
    let lower: String = text.to_lowercase().chars().filter(|c| !('\u{300}'..='\u{36f}').contains(c)).collect();
    lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

impl Parsed {
    pub fn parse(input: &str) -> Parsed {
        let input: String = input.chars().take(MAX_CHARS).collect();
        let mut parsed = Parsed::default();
        let mut pending_or = false;
        let mut chars = input.chars().peekable();
        let mut count = 0;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                continue;
            }
            let negated = c == '-';
            if negated {
                chars.next();
            }
            let raw: String = if chars.peek() == Some(&'"') {
                chars.next();
                let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
                phrase
            } else {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                if !negated && word.eq_ignore_ascii_case("or") {
                    pending_or = !parsed.groups.is_empty();
                    continue;
                }
                word
            };
            let term = Term(words(&raw));
            if term.0.is_empty() {
                continue;
            }
            count += 1;
            if count > MAX_TERMS {
                break;
            }
            if negated {
                parsed.excluded.push(term);
                pending_or = false;
            } else if pending_or {
                if let Some(last) = parsed.groups.last_mut() {
                    last.push(term);
                }
                pending_or = false;
            } else {
                parsed.groups.push(vec![term]);
            }
        }
        parsed
    }

    /// Nothing to look for: no positive term (an exclusion alone finds nothing, on purpose).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// An FTS5 MATCH expression: every term quoted, so nothing the user typed is syntax.
    pub fn fts5(&self) -> String {
        let quote = |t: &Term| format!("\"{}\"", t.0.join(" ").replace('"', "\"\""));
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let alts: Vec<String> = g.iter().map(quote).collect();
                if alts.len() == 1 { alts[0].clone() } else { format!("({})", alts.join(" OR ")) }
            })
            .collect();
        let mut expr = groups.join(" AND ");
        for ex in &self.excluded {
            expr = format!("({expr}) NOT {}", quote(ex));
        }
        expr
    }

    /// The same search as a PostgreSQL `to_tsquery` expression, parenthesised exactly as the
    /// FTS5 one (`&` binds tighter than `|` there, so a plain websearch string would regroup
    /// `a b OR c`). Words are alphanumeric, so quoting them is enough to keep them literal.
    pub fn tsquery(&self) -> String {
        let term = |t: &Term| {
            let words: Vec<String> = t.0.iter().map(|w| format!("'{w}'")).collect();
            if words.len() == 1 { words[0].clone() } else { format!("({})", words.join(" <-> ")) }
        };
        let mut parts: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let alts: Vec<String> = g.iter().map(term).collect();
                if alts.len() == 1 { alts[0].clone() } else { format!("({})", alts.join(" | ")) }
            })
            .collect();
        parts.extend(self.excluded.iter().map(|t| format!("!{}", term(t))));
        parts.join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(words: &[&str]) -> Term {
        Term(words.iter().map(|w| (*w).to_owned()).collect())
    }

    #[test]
    fn lower_casing_that_makes_a_combining_mark_drops_it() {
        // Found by the property below: "İ" lower-cases to "i" and U+0307, which is no letter.
        assert_eq!(words("İstanbul"), vec!["istanbul".to_owned()]);
        assert_eq!(Parsed::parse("İ").tsquery(), "'i'");
    }

    #[test]
    fn words_phrases_or_and_exclusion() {
        let p = Parsed::parse(r#"Fire "protective gear" OR boots -county"#);
        assert_eq!(p.groups, vec![vec![t(&["fire"])], vec![t(&["protective", "gear"]), t(&["boots"])]]);
        assert_eq!(p.excluded, vec![t(&["county"])]);
        assert_eq!(p.fts5(), r#"("fire" AND ("protective gear" OR "boots")) NOT "county""#);
        assert_eq!(p.tsquery(), "'fire' & (('protective' <-> 'gear') | 'boots') & !'county'");
    }

    #[test]
    fn punctuation_makes_phrases_and_junk_is_dropped() {
        assert_eq!(Parsed::parse("A-070-09").groups, vec![vec![t(&["a", "070", "09"])]]);
        for junk in ["", "\"", "\"\"\"", "OR", "or or", "- -", "&&& |||", "(((", "*", "NEAR(a b)"] {
            let p = Parsed::parse(junk);
            assert!(p.fts5().chars().filter(|c| *c == '"').count() % 2 == 0, "{junk}: {}", p.fts5());
            if junk == "NEAR(a b)" {
                assert_eq!(p.groups.len(), 2);
            } else {
                assert!(p.is_empty(), "{junk:?} → {p:?}");
            }
        }
        assert!(Parsed::parse("-county").is_empty(), "an exclusion alone finds nothing");
        assert_eq!(Parsed::parse("unbalanced \"quote here").groups.len(), 2);
    }

    /// Text with every kind of character the parser treats specially, often.
    fn search_box() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("\"".to_owned()),
            Just("-".to_owned()),
            Just(" OR ".to_owned()),
            Just("or".to_owned()),
            Just(" ".to_owned()),
            Just("'".to_owned()),
            Just("NEAR(".to_owned()),
            Just("*".to_owned()),
            Just("\u{0}".to_owned()),
            "[a-zé0-9]{1,8}".prop_map(|s| s),
            any::<String>(),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    /// Whether `expr` is FTS5 syntax made of quoted strings joined by AND, OR, NOT and
    /// parentheses only, with every quote closed and every parenthesis matched.
    fn well_formed_fts5(expr: &str) -> bool {
        let mut depth = 0i32;
        let mut chars = expr.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                        }
                        Some('"') => break,
                        Some(_) => {}
                        None => return false,
                    }
                },
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
                ' ' | 'A' | 'N' | 'D' | 'O' | 'R' | 'T' => {}
                _ => return false,
            }
        }
        depth == 0
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// Any input parses, and renders to expressions whose only syntax is ours: every term
        /// quoted (FTS5) or made of letters and digits in single quotes (tsquery).
        #[test]
        fn any_input_renders_valid_expressions(input in search_box()) {
            let parsed = Parsed::parse(&input);
            let fts5 = parsed.fts5();
            proptest::prop_assert!(parsed.is_empty() || well_formed_fts5(&fts5), "{input:?} → {fts5}");
            let tsquery = parsed.tsquery();
            let mut in_word = false;
            for c in tsquery.chars() {
                if c == '\'' {
                    in_word = !in_word;
                } else if in_word {
                    proptest::prop_assert!(c.is_alphanumeric(), "{input:?} → {tsquery}");
                } else {
                    proptest::prop_assert!(" &|!()<->".contains(c), "{input:?} → {tsquery}");
                }
            }
            proptest::prop_assert!(!in_word);
            let terms = parsed.groups.iter().map(Vec::len).sum::<usize>() + parsed.excluded.len();
            proptest::prop_assert!(terms <= MAX_TERMS);
        }
    }

    #[test]
    fn very_long_input_is_cut() {
        let long = "word ".repeat(2_000);
        let p = Parsed::parse(&long);
        assert_eq!(p.groups.len(), MAX_TERMS);
    }
}
