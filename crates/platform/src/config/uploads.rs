//! Request bodies and local files: `MAX_CONTENT_LENGTH`, `UPLOAD_FOLDER` (alias `MEDIA_ROOT`).
//!
//! Rules: the size is bytes or has a K/M/G suffix (powers of 1024), default 2 MiB, and 0 is
//! rejected; the folder defaults to `$DATA_DIR/uploads` and is used only without S3.

use std::path::{Path, PathBuf};

use super::env::Vars;
use super::var;

pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// Largest request body accepted, in bytes (413 above it).
    pub max_content_length: u64,
    pub folder: PathBuf,
}

impl UploadConfig {
    pub(super) fn read(vars: &mut Vars<'_>, data_dir: &Path) -> Self {
        let max_content_length = match vars.first(var::MAX_CONTENT_LENGTH) {
            None => DEFAULT_MAX_CONTENT_LENGTH,
            Some((name, raw)) => match parse_size(&raw) {
                Some(0) | None => {
                    vars.error(name, format!("{raw:?} is not a size in bytes (e.g. 2097152, 2MiB, 10M)"));
                    DEFAULT_MAX_CONTENT_LENGTH
                }
                Some(n) => n,
            },
        };
        let folder = vars.string(var::UPLOAD_FOLDER).map_or_else(|| data_dir.join("uploads"), PathBuf::from);
        UploadConfig { max_content_length, folder }
    }
}

/// Bytes, optionally with a K/M/G suffix (powers of 1024, as nginx reads `client_max_body_size`).
pub fn parse_size(raw: &str) -> Option<u64> {
    let s = raw.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}
