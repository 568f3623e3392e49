//! What this build is: the `version.json` of Dockerflow, and `procure version`.

use serde_json::{Value, json};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("PROCURE_GIT_SHA");
pub const SOURCE: &str = env!("PROCURE_SOURCE_URL");
const BUILD: &str = env!("PROCURE_BUILD_URL");

/// `{"source", "version", "commit", "build"}` as Dockerflow specifies.
pub fn version_json() -> Value {
    json!({ "source": SOURCE, "version": VERSION, "commit": COMMIT, "build": BUILD })
}

/// `procure 0.1.0 (1a2b3c4d5e6f)`.
pub fn one_line() -> String {
    if COMMIT.is_empty() {
        format!("procure {VERSION}")
    } else {
        format!("procure {VERSION} ({})", &COMMIT[..COMMIT.len().min(12)])
    }
}
