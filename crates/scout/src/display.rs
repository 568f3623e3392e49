//! How Scout's pages write stored text. Much of the city's imported data is in ALL CAPS
//! ("FIREFIGHTERS' PROTECTIVE GEAR", "3 RIVERS FIRE EQUIPMENT, INC."), which reads badly;
//! [`title_case`] writes such text in title case for display. Stored text, the search index
//! and the JSON API keep the source's letters: this is for pages only.

use std::borrow::Cow;

/// Words kept in capitals although they have vowels: acronyms and codes of the city's data.
const ACRONYMS: &[&str] = &[
    "ADA", "AED", "AV", "BBI", "COSTARS", "CSI", "CWCOG", "DBA", "DEP", "DOT", "DQE", "ELA", "EMS", "EMT", "EOC",
    "EPA", "ERP", "FEMA", "GIS", "GSA", "HUD", "HVAC", "IBM", "ID", "II", "III", "IP", "IT", "ITQ", "IV", "LAN", "LED",
    "MBE", "MCI", "MRO", "MSA", "NIGP", "OEM", "OSHA", "PA", "PBOE", "PENNDOT", "PEPPM", "PO", "PWSA", "SAP", "SCBA",
    "SUV", "UPS", "URA", "US", "USA", "UTV", "UV", "VI", "VII", "VIII", "WAN", "WBE", "XI", "XII",
];

/// Words without a vowel that are abbreviations to write in lower case, not acronyms (every
/// other vowelless word, such as LLC, PQ or PPG, stays in capitals).
const ABBREVIATIONS: &[&str] = &[
    "BLDG", "BLDGS", "BLVD", "DEPT", "DR", "FT", "HWY", "JR", "LBS", "LTD", "MFG", "MGT", "MGMT", "MR", "MRS", "MS",
    "PGH", "PKG", "RD", "SQ", "SR", "ST", "YD", "YDS",
];

/// Web domains, written in lower case after a full stop ("Promotions.com").
const DOMAINS: &[&str] = &["COM", "ORG", "NET", "GOV", "EDU", "BIZ", "INFO"];

/// Short words written in lower case inside a title.
const SMALL: &[&str] =
    &["A", "AN", "AND", "AS", "AT", "BY", "FOR", "IN", "OF", "ON", "OR", "PER", "THE", "TO", "VIA", "WITH"];

/// `text` in title case if it has no lower-case letter (and at least one capital); otherwise
/// `text` as it is. Acronyms and codes stay readable: a word with a digit is left alone
/// ("A-070-09", "3M"), known acronyms and words without a vowel stay in capitals (LLC, HVAC,
/// IT, PA, PPG), initials keep their capitals (E.H., O'Brien), and short words inside a title
/// are lower case ("Rental of Water Cooler Units").
pub fn title_case(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_lowercase) || !text.chars().any(char::is_uppercase) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut first = true;
    let mut after_colon = false;
    let mut rest = text;
    while !rest.is_empty() {
        let space = rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
        out.push_str(&rest[..space]);
        rest = &rest[space..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..end];
        rest = &rest[end..];
        out.push_str(&word(token, first || after_colon));
        if token.chars().any(char::is_alphanumeric) {
            first = false;
            after_colon = token.ends_with(':');
        }
    }
    if out == text { Cow::Borrowed(text) } else { Cow::Owned(out) }
}

/// One whitespace-delimited token of an all-caps text; `starts` if it begins the title (or
/// follows a colon), where a short word is capitalised too.
fn word(token: &str, starts: bool) -> String {
    if token.chars().any(|c| c.is_ascii_digit()) {
        return token.to_owned();
    }
    let runs: Vec<(usize, usize)> = letter_runs(token);
    // AT&T, R&B: initials joined by an ampersand.
    let joined_initials = runs.len() > 1
        && runs.iter().all(|(s, e)| token[*s..*e].chars().count() <= 2)
        && runs.windows(2).all(|w| &token[w[0].1..w[1].0] == "&");
    if joined_initials {
        return token.to_owned();
    }
    if let [(start, end)] = runs[..] {
        let only = &token[start..end];
        // "A" and "OF", not an initial ("A.") or "(OR".
        if !starts && token.trim_end_matches(',') == only && SMALL.contains(&only) {
            return token.to_lowercase();
        }
    }
    let mut out = String::with_capacity(token.len());
    let mut at = 0;
    let mut previous_len = 0;
    for (start, end) in runs {
        let between = &token[at..start];
        out.push_str(between);
        let letters = &token[start..end];
        // After an apostrophe inside a word, a capital follows an initial only (O'Brien, but
        // Leslie's and Gen'l); after a full stop, anything but a web domain (St.Sweeper, E.H.,
        // but Promotions.com).
        let after_apostrophe =
            previous_len > 1 && !between.is_empty() && between.chars().all(|c| c == '\'' || c == '’');
        let domain = between == "." && previous_len > 1 && DOMAINS.contains(&letters);
        let n = letters.chars().count();
        if kept(letters) {
            out.push_str(letters);
        } else if after_apostrophe || domain {
            out.push_str(&letters.to_lowercase());
        } else if let Some(rest) = letters.strip_prefix("MC").filter(|r| r.chars().count() > 1) {
            // McNabb, McDonald.
            out.push_str("Mc");
            out.push_str(&capitalised(rest));
        } else {
            out.push_str(&capitalised(letters));
        }
        previous_len = n;
        at = end;
    }
    out.push_str(&token[at..]);
    out
}

/// `letters` with its first letter a capital and the others lower case.
fn capitalised(letters: &str) -> String {
    let mut chars = letters.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars.as_str().to_lowercase().chars()).collect(),
        None => String::new(),
    }
}

/// Whether an all-caps word stays in capitals: an acronym, or a word of two letters or more
/// without a vowel that is not a known abbreviation.
fn kept(letters: &str) -> bool {
    if ACRONYMS.contains(&letters) {
        return true;
    }
    let vowelless = !letters.chars().any(|c| "AEIOUY".contains(c) || !c.is_ascii());
    vowelless && letters.chars().count() > 1 && !ABBREVIATIONS.contains(&letters)
}

/// The byte ranges of the runs of letters in `token`.
fn letter_runs(token: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in token.char_indices() {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, token.len()));
    }
    runs
}

/// [`title_case`] for a highlighted passage (HTML-escaped text with matches in `<mark>`, as
/// the search makes them): the passage's text in title case if it is all caps, marks kept.
pub fn title_case_passage(passage: &str) -> String {
    // Most passages are not all caps: tell without unescaping (the marks and entities are
    // lower case, so they are skipped).
    let mut in_markup = false;
    let mut upper = false;
    for c in passage.chars() {
        match c {
            '<' | '&' => in_markup = true,
            '>' | ';' if in_markup => in_markup = false,
            c if !in_markup && c.is_lowercase() => return passage.to_owned(),
            c if !in_markup && c.is_uppercase() => upper = true,
            _ => {}
        }
    }
    if !upper {
        return passage.to_owned();
    }
    let raw = crate::search::unhighlight(passage);
    match title_case(&raw) {
        Cow::Borrowed(_) => passage.to_owned(),
        Cow::Owned(titled) => crate::search::highlight(&titled),
    }
}

/// A line item's price as people write it: "$1,250.00 per ton", "$89.50 each", "20% off"; None
/// without a price.
pub fn price(amount: Option<f64>, percentage: bool, unit: Option<&str>) -> Option<String> {
    let amount = amount.filter(|a| a.is_finite())?;
    if percentage {
        let percent = format!("{amount:.2}");
        return Some(format!("{}% off", percent.trim_end_matches('0').trim_end_matches('.')));
    }
    let cents = format!("{:.2}", amount.abs());
    let (whole, fraction) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    let per = match unit.map(str::trim) {
        None | Some("") | Some("each") | Some("ea") => " each".to_owned(),
        Some(unit) => format!(" per {unit}"),
    };
    Some(format!("{sign}${grouped}.{fraction}{per}"))
}

#[cfg(test)]
mod tests {
    use super::{price, title_case, title_case_passage};

    #[test]
    fn prices_are_written_as_people_write_them() {
        for ((amount, percentage, unit), shown) in [
            ((Some(1_368_880.0), false, Some("each")), Some("$1,368,880.00 each")),
            ((Some(106.126), false, Some("hour")), Some("$106.13 per hour")),
            ((Some(0.12), false, Some("gallon")), Some("$0.12 per gallon")),
            ((Some(999.999), false, None), Some("$1,000.00 each")),
            ((Some(-5.0), false, Some("ton")), Some("-$5.00 per ton")),
            ((Some(20.0), true, None), Some("20% off")),
            ((Some(12.5), true, Some("")), Some("12.5% off")),
            ((None, false, Some("ton")), None),
            ((Some(f64::NAN), false, None), None),
        ] {
            assert_eq!(price(amount, percentage, unit).as_deref(), shown, "{amount:?} {percentage} {unit:?}");
        }
    }

    #[test]
    fn all_caps_text_is_written_in_title_case() {
        for (stored, shown) in [
            ("FIREFIGHTERS' PROTECTIVE GEAR", "Firefighters' Protective Gear"),
            ("3 RIVERS FIRE EQUIPMENT", "3 Rivers Fire Equipment"),
            ("RENTAL OF WATER COOLER UNITS", "Rental of Water Cooler Units"),
            ("BAIANO CONSTRUCTION, INC", "Baiano Construction, Inc"),
            ("REPAL CONSTRUCTION CO., INC.", "Repal Construction Co., Inc."),
            ("ALLIED WASTE SYSTEMS OF PA, LLC", "Allied Waste Systems of PA, LLC"),
            ("IT & COMMUNICATIONS EQUIPMENT & SERVICES", "IT & Communications Equipment & Services"),
            (
                "REPAIR/MAINT./FURISH/INSTALL: HVAC SYSTEMS (CD AREAS)",
                "Repair/Maint./Furish/Install: HVAC Systems (CD Areas)",
            ),
            ("E.H. GRIFFITH, INC.", "E.H. Griffith, Inc."),
            ("OFFICE MAX N.A., INC.", "Office Max N.A., Inc."),
            ("LESLIE'S SWIMMING POOL SUPPLIES", "Leslie's Swimming Pool Supplies"),
            ("O'BRIEN PAVING", "O'Brien Paving"),
            ("AUTHENTIC PROMOTIONS.COM", "Authentic Promotions.com"),
            ("TYPE III AD AMBULANCE", "Type III Ad Ambulance"),
            ("COSTARS 12 - NIGHT VISION DEPOT", "COSTARS 12 - Night Vision Depot"),
            ("SPEC A-070-09 AND B-004-10**", "Spec A-070-09 and B-004-10**"),
            ("PO BOX FOR US MAIL", "PO Box for US Mail"),
            ("THE PPG PAINTS STORE", "The PPG Paints Store"),
            ("TRI-STATE SUPPLY LTD", "Tri-State Supply Ltd"),
            ("OF COUNSEL: THE LAW GROUP", "Of Counsel: The Law Group"),
            ("SNOW  PLOWS ", "Snow  Plows "),
            ("ÉQUIPEMENT MÉDICAL", "Équipement Médical"),
            ("PQ CONTRACT FOR GEN'L REHAB", "PQ Contract for Gen'l Rehab"),
            ("CHARLES A. MERLO", "Charles A. Merlo"),
            ("AT&T CORP", "AT&T Corp"),
            ("K & B OFFSET PRINTING", "K & B Offset Printing"),
            ("WATERPROOFING &ROOFING", "Waterproofing &Roofing"),
            ("ST.SWEEPER MAINTENANCE", "St.Sweeper Maintenance"),
            ("A.W. MCNABB", "A.W. McNabb"),
            ("MCI WORLDCOM", "MCI Worldcom"),
            ("PARTS, TOOLS, AND SUPPLIES", "Parts, Tools, and Supplies"),
        ] {
            assert_eq!(title_case(stored), shown, "{stored:?}");
        }
    }

    #[test]
    fn text_with_any_lower_case_letter_is_kept_as_it_is() {
        for kept in [
            "PQ CONTRACT fOR GEN'L REHAB",
            "Road salt",
            "iPhone cases",
            "SPECIALIZED CONTRACTING (pending)",
            "",
            "  ",
            "49020",
            "A-070-09",
            "—",
        ] {
            assert_eq!(title_case(kept), kept, "{kept:?}");
            assert!(matches!(title_case(kept), std::borrow::Cow::Borrowed(_)));
        }
    }

    #[test]
    fn passages_keep_their_marks() {
        let passage = "3 RIVERS <mark>FIRE</mark> EQUIPMENT &amp; CO";
        assert_eq!(title_case_passage(passage), "3 Rivers <mark>Fire</mark> Equipment &amp; Co");
        let mixed = "Road <mark>salt</mark> &lt;bulk&gt;";
        assert_eq!(title_case_passage(mixed), mixed);
        // Only the marks and entities are lower case: the text is all caps.
        assert_eq!(title_case_passage("<mark>SALT</mark> &amp; SAND"), "<mark>Salt</mark> &amp; Sand");
        assert_eq!(title_case_passage("1,000 &amp; 2"), "1,000 &amp; 2", "no letters");
    }
}
