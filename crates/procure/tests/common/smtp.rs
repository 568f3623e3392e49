//! A real SMTP server for tests: aiosmtpd (`tests/support/smtp_sink.py`) on a free port,
//! writing each message it accepts to a folder.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// aiosmtpd on a free port, writing what it receives to a folder; killed on drop.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start() -> Option<SmtpSink> {
        Self::start_refusing(0)
    }

    /// A sink that answers the first `refuse` messages with "451 try again later".
    pub fn start_refusing(refuse: usize) -> Option<SmtpSink> {
        let available = Command::new("python3").args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
        if !available {
            super::skip_unless_required("smtp", "python3 cannot import aiosmtpd");
            return None;
        }
        let dir = tempfile::tempdir().expect("dir");
        let port = super::bin::free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .arg(refuse.to_string())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the SMTP sink");
        super::bin::wait_for_port(port, Duration::from_secs(10), "the SMTP sink");
        Some(SmtpSink { child, port, dir })
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            // The sink writes `.<n>.eml` and renames it to `<n>.eml` when whole: skip the
            // unfinished ones, or a reader can race the rename.
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.')))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
