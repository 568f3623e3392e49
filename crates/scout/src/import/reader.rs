//! Reading the original's CSV files as its importers did (Python 2 `csv.DictReader` over a file
//! opened in universal-newline mode): CR, LF or CRLF line endings, rows keyed by header, an empty
//! cell or the text `None` read as no value, line breaks inside quoted cells read as `\n`.
//!
//! Whatever the bytes, reading ends in a [`Table`] or an error that says what is wrong with the
//! file, never a panic (the property tests in `tests/importers.rs` feed it anything). Cells lose
//! the control characters `platform::text` forbids, as all text from outside does, and a file
//! larger than any real one ([`MAX_COLUMNS`], [`MAX_ROWS`]) is refused before anything is
//! imported, with a message that does not repeat it.

use std::collections::HashMap;

/// One data row: its line in the file (1-based, counting the header as line 1) and its cells by
/// header. A header that appears twice keeps its last column, as a Python dict did.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    cells: HashMap<String, String>,
}

impl Row {
    /// The cell under `header`: `None` when the column is missing, the cell is empty or it holds
    /// the text `None`. Values are not trimmed (a cell of spaces is a value).
    pub fn get(&self, header: &str) -> Option<&str> {
        self.cells.get(header).map(String::as_str)
    }

    /// As [`Row::get`], matching the header without regard to case.
    pub fn get_any_case(&self, header: &str) -> Option<&str> {
        self.get(header)
            .or_else(|| self.cells.iter().find(|(k, _)| k.eq_ignore_ascii_case(header)).map(|(_, v)| v.as_str()))
    }

    /// Every (header, value) pair with a value.
    pub fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cells.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A row the reader could not read (not UTF-8, broken quoting), with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub line: u64,
    pub reason: String,
}

/// The file's headers (normalised like cells) and its rows, or why the file cannot be read.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Result<Row, Unreadable>>,
}

/// More columns than this is not a data file of ours (the widest real one, a COSTARS list, has
/// 35); a file with 60,000 columns was once read for minutes.
pub const MAX_COLUMNS: usize = 500;
/// More data rows than this is refused too (the City's list has under 500).
pub const MAX_ROWS: usize = 100_000;

fn normalise(raw: &str) -> String {
    platform::text::strip_controls(raw).replace("\r\n", "\n").replace('\r', "\n")
}

fn value(raw: &str) -> Option<String> {
    let text = normalise(raw);
    (!text.is_empty() && text != "None").then_some(text)
}

/// Lines are counted by hand, as the reader moves forward: `csv` counts only `\n`, and most of
/// these files end lines with CR.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line `offset` is on; offsets must not go backwards.
    fn line_of(&mut self, offset: u64) -> u64 {
        let end = usize::try_from(offset).unwrap_or(usize::MAX).min(self.bytes.len());
        while self.at < end {
            match self.bytes[self.at] {
                // CRLF is one line break, even when a record starts between its two bytes.
                b'\r' if self.bytes.get(self.at + 1) == Some(&b'\n') => {
                    self.line += 1;
                    self.at += 1;
                }
                b'\r' | b'\n' => self.line += 1,
                _ => {}
            }
            self.at += 1;
        }
        self.line
    }
}

pub fn read(bytes: &[u8]) -> anyhow::Result<Table> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("the header row cannot be read: {e}"))?
        .iter()
        .map(normalise)
        .collect();
    anyhow::ensure!(headers.iter().any(|h| !h.is_empty()), "the file has no header row");
    anyhow::ensure!(
        headers.len() <= MAX_COLUMNS,
        "the file has {} columns; a data file may have at most {MAX_COLUMNS}",
        headers.len()
    );
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter { bytes, at: 0, line: 1 };
    loop {
        let offset = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The record's own start, past any blank lines the reader skipped.
                let start = record.position().map_or(offset, csv::Position::byte);
                let line = lines.line_of(start);
                if record.iter().all(<[u8]>::is_empty) {
                    continue;
                }
                anyhow::ensure!(rows.len() < MAX_ROWS, "the file has more than {MAX_ROWS} rows; import it in parts");
                let mut cells = HashMap::new();
                let mut bad = None;
                for (i, raw) in record.iter().enumerate() {
                    let Some(header) = headers.get(i) else { continue };
                    match std::str::from_utf8(raw) {
                        Ok(text) => {
                            if let Some(v) = value(text) {
                                cells.insert(header.clone(), v);
                            } else {
                                cells.remove(header);
                            }
                        }
                        Err(_) => bad = Some(format!("the cell under {header:?} is not UTF-8 text")),
                    }
                }
                rows.push(match bad {
                    Some(reason) => Err(Unreadable { line, reason }),
                    None => Ok(Row { line, cells }),
                });
            }
            Err(e) => {
                let line = lines.line_of(e.position().map_or(offset, csv::Position::byte));
                rows.push(Err(Unreadable { line, reason: format!("the row cannot be read: {e}") }));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
    }
    Ok(Table { headers, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_lf_and_crlf_files_read_alike_with_lines_counted() {
        for sep in ["\r", "\n", "\r\n"] {
            let text = format!("A,B{sep}1,\"two{sep}lines\"{sep}None,{sep}x,y{sep}");
            let table = read(text.as_bytes()).expect("table");
            assert_eq!(table.headers, ["A", "B"]);
            let rows: Vec<_> = table.rows.into_iter().map(|r| r.expect("row")).collect();
            assert_eq!(rows.len(), 3, "{sep:?}");
            assert_eq!(rows[0].get("B"), Some("two\nlines"));
            assert_eq!(rows[0].line, 2);
            assert_eq!((rows[1].get("A"), rows[1].get("B")), (None, None), "None and empty are no value");
            assert_eq!(rows[1].line, 4, "the quoted line break counts");
            assert_eq!(rows[2].line, 5);
        }
    }

    #[test]
    fn spaces_are_values_and_duplicate_headers_keep_the_last() {
        let table = read(b"A,,\n , x,y\n").expect("table");
        let row = table.rows[0].as_ref().expect("row");
        assert_eq!(row.get("A"), Some(" "));
        assert_eq!(row.get(""), Some("y"));
    }

    #[test]
    fn control_characters_are_dropped_from_headers_and_cells() {
        let table = read(b"A\x00,B\n\x01x\x02,\x1b\n").expect("table");
        assert_eq!(table.headers, ["A", "B"]);
        let row = table.rows[0].as_ref().expect("row");
        assert_eq!((row.get("A"), row.get("B")), (Some("x"), None), "a cell of controls alone is empty");
    }

    #[test]
    fn files_wider_or_longer_than_any_real_one_are_refused_briefly() {
        let wide = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
        let error = read(wide.as_bytes()).err().expect("too wide").to_string();
        assert_eq!(
            error,
            format!("the file has {} columns; a data file may have at most {MAX_COLUMNS}", MAX_COLUMNS + 1)
        );
        let long = format!("A\n{}", "x\n".repeat(MAX_ROWS + 1));
        assert!(read(long.as_bytes()).err().expect("too long").to_string().contains("more than 100000 rows"));
        let most = format!("A\n{}", "x\n".repeat(MAX_ROWS));
        assert_eq!(read(most.as_bytes()).expect("at the limit").rows.len(), MAX_ROWS);
    }

    #[test]
    fn bytes_that_are_not_utf8_make_that_row_unreadable_only() {
        let table = read(b"A\nok\n\xff\xfe\nfine\n").expect("table");
        assert_eq!(table.rows.len(), 3);
        assert!(table.rows[1].as_ref().is_err_and(|e| e.line == 3 && e.reason.contains("UTF-8")));
        assert!(table.rows[2].is_ok());
    }
}
