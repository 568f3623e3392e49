//! `docs/configuration.md` and `.env.example` name exactly the variables the code reads.
//!
//! How the code's side is known, without reading Rust source for names:
//!
//! - Inside `platform::config`, every read goes through the declared table in `var.rs`: the
//!   reading helpers of [`Vars`](super::Vars) take a [`Var`](super::Var), and a `Var` can only be
//!   made in that module, so an undeclared name cannot be read at all (it does not compile).
//!   [`var::ALL`] lists the table's names.
//! - The other direction (a declared name that is never read, which would let the docs keep a
//!   dead variable) is [`every_declared_variable_is_asked_for`]: it builds `Config` through a
//!   recording [`EnvSource`] over environments that reach every conditional read, and requires
//!   the names asked for to be exactly the table. (Unused constants are also dead-code warnings.)
//! - Outside the table, the process environment is read in a few known places: `ProcessEnv`
//!   itself, clap's `env = "SEEDEMAIL"` in `procure createsuperuser`, and the build script.
//!   They are listed in [`OTHER_READERS`] with the names they read. Those crates cannot be asked
//!   at run time from here, so [`the_environment_is_read_only_in_known_places`] is a tripwire: it
//!   scans every `crates/*/src/**.rs` and `crates/*/build.rs` for the ways Rust and clap read the
//!   environment and fails on any occurrence not listed, and on any listed one that is gone. It
//!   looks for reads, it does not extract names; the build script's names are checked against
//!   its `cargo:rerun-if-env-changed=` lines, Cargo's own declaration of what it reads.
//!
//! Not configuration, and so neither scanned nor documented: variables read only by test code
//! under `crates/*/tests/` (`TEST_DATABASE_URL`, `TEST_REDIS_URL`, `TEST_AMQP_URL`,
//! `PROCURE_TEST_REQUIRE`, `PROCURE_TEST_BIN`, `BENCH_VENDORS`, `BENCH_DATABASE`, `PATH`), the
//! `CARGO_*` values `env!` takes from Cargo at compile time, and whatever third-party libraries
//! look up on their own (for example proxies); Procure passes its backends explicit settings.
//! `DYNO` is configuration: it is read through the table (it selects production mode and the
//! Heroku deploy checks), so it is documented like any other variable.
//!
//! How the docs' side is read, in the formats those files use:
//!
//! - `docs/configuration.md`: every Markdown table whose header has a column starting with
//!   "Variable"; in that column, each backticked span is a name (`A` → `B` lists aliases in
//!   precedence order; `+`, `(`, `)` and `,` join related names). A capitalised name outside
//!   backticks, or a backticked span that is not a name, is an error rather than skipped, so a
//!   row cannot be missed silently. The section decides the meaning: "Build time" rows are the
//!   build script's variables, "Not read by Procure" rows must not be read (`NAME_*` there is a
//!   prefix), every other table is run-time configuration.
//! - `.env.example`: lines `NAME=value` or `# NAME=value` (commented out), `NAME` in capitals.
//!   Names a `.env` file cannot hold (dotenvy rejects them; asked of dotenvy itself, not listed
//!   here) and names read before `.env` is loaded must not be there; every other run-time name
//!   must.
//!
//! Why it cannot pass vacuously: the code's side is a non-empty compile-time table, and each
//! direction is checked, so if a file were not found or its format were misread, every declared
//! name would be reported missing. The tripwire fails if a listed reader is not found, so a scan
//! that sees no files fails too.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::var::ALL;
use super::{Config, EnvSource};

const DOCS: &str = "docs/configuration.md";
const ENV_EXAMPLE: &str = ".env.example";
const BUILD_SCRIPT: &str = "crates/procure/build.rs";
const NOT_READ_SECTION: &str = "Not read by Procure";
const BUILD_TIME_SECTION: &str = "Build time";
/// This file contains the patterns it looks for.
const THIS_FILE: &str = "crates/platform/src/config/docs_tests.rs";

/// What a place outside the table reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// `ProcessEnv`: whatever the table asks for.
    Table,
    /// Run-time configuration read before `.env` is loaded, so only the real environment can
    /// supply it (and `.env.example` must not offer it).
    BeforeDotenv(&'static [&'static str]),
    /// Read by the build script when the binary is compiled.
    BuildTime(&'static [&'static str]),
}

struct Reader {
    file: &'static str,
    /// Text of the source line that reads the environment.
    code: &'static str,
    reads: Reads,
}

/// Every place in non-test code that reads the process environment.
const OTHER_READERS: &[Reader] = &[
    Reader { file: "crates/platform/src/config/env.rs", code: "std::env::var(name)", reads: Reads::Table },
    // `procure createsuperuser --email`; clap parses the command line before `load_dotenv`.
    Reader {
        file: "crates/procure/src/cli.rs",
        code: "env = \"SEEDEMAIL\"",
        reads: Reads::BeforeDotenv(&["SEEDEMAIL"]),
    },
    // `from_env_or_git(var, …)`, called with these two.
    Reader {
        file: BUILD_SCRIPT,
        code: "std::env::var(var)",
        reads: Reads::BuildTime(&["PROCURE_GIT_SHA", "PROCURE_SOURCE_URL"]),
    },
    Reader {
        file: BUILD_SCRIPT,
        code: "std::env::var(\"PROCURE_BUILD_URL\")",
        reads: Reads::BuildTime(&["PROCURE_BUILD_URL"]),
    },
];

/// How Rust, clap and tracing read the environment.
const READ_PATTERNS: &[&str] = &[
    "env::var(",
    "env::var_os(",
    "env::vars(",
    "env::vars_os(",
    "env = \"",
    "env=\"",
    "option_env!(",
    "from_default_env",
    "dotenvy::var(",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

fn declared() -> BTreeSet<&'static str> {
    ALL.iter().flat_map(|names| names.iter().copied()).collect()
}

fn other_names(pick: fn(Reads) -> Option<&'static [&'static str]>) -> BTreeSet<&'static str> {
    OTHER_READERS.iter().filter_map(|r| pick(r.reads)).flatten().copied().collect()
}

fn before_dotenv() -> BTreeSet<&'static str> {
    other_names(|r| if let Reads::BeforeDotenv(n) = r { Some(n) } else { None })
}

fn build_time() -> BTreeSet<&'static str> {
    other_names(|r| if let Reads::BuildTime(n) = r { Some(n) } else { None })
}

/// Every run-time configuration variable: the table plus the few read elsewhere.
fn runtime() -> BTreeSet<&'static str> {
    declared().into_iter().chain(before_dotenv()).collect()
}

/// A variable name as these files write it; `*` ends a prefix (allowed only where noted).
fn is_name(s: &str) -> bool {
    let s = s.strip_suffix('*').unwrap_or(s);
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Whether a `.env` file can set `name` (dotenvy, which loads it, decides).
fn dotenv_can_hold(name: &str) -> bool {
    let parsed: Vec<_> = dotenvy::from_read_iter(format!("{name}=x\n").as_bytes()).collect();
    matches!(parsed.as_slice(), [Ok((n, v))] if n == name && v == "x")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Runtime,
    BuildTime,
    NotRead,
}

#[derive(Debug)]
struct Row {
    line: usize,
    kind: Kind,
    names: Vec<String>,
    /// Written `A` → `B`: aliases in precedence order.
    aliases: bool,
}

/// The Variable column of every table in `docs/configuration.md`.
fn doc_rows(text: &str, problems: &mut Vec<String>) -> Vec<Row> {
    let mut section = "";
    let mut table: Option<Option<usize>> = None; // Some(column of "Variable…") while in a table
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading.trim();
        }
        let Some(inner) = line.trim().strip_prefix('|') else {
            table = None;
            continue;
        };
        let cells: Vec<&str> = inner.strip_suffix('|').unwrap_or(inner).split('|').map(str::trim).collect();
        let Some(column) = table else {
            table = Some(cells.iter().position(|c| c.starts_with("Variable")));
            continue;
        };
        if cells.iter().all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':')) {
            continue;
        }
        let Some(column) = column else { continue };
        let kind = match section {
            NOT_READ_SECTION => Kind::NotRead,
            BUILD_TIME_SECTION => Kind::BuildTime,
            _ => Kind::Runtime,
        };
        let cell = cells.get(column).copied().unwrap_or_default();
        let parts: Vec<&str> = cell.split('`').collect();
        if parts.len().is_multiple_of(2) {
            problems.push(format!("{DOCS}:{line_no}: unbalanced backticks in {cell:?}"));
            continue;
        }
        let mut names = Vec::new();
        for (k, part) in parts.iter().enumerate() {
            if k % 2 == 1 {
                if !is_name(part) {
                    problems.push(format!("{DOCS}:{line_no}: `{part}` in the Variable column is not a variable name"));
                } else if part.ends_with('*') && kind != Kind::NotRead {
                    problems.push(format!("{DOCS}:{line_no}: name each variable instead of `{part}`"));
                } else {
                    names.push((*part).to_owned());
                }
            } else {
                for word in part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
                    if word.len() >= 3 && is_name(word) {
                        problems.push(format!("{DOCS}:{line_no}: write the variable name {word} in backticks"));
                    }
                }
            }
        }
        rows.push(Row { line: line_no, kind, names, aliases: cell.contains('→') });
    }
    rows
}

/// `NAME=…` and `# NAME=…` lines of `.env.example`, with their line numbers.
fn env_example_names(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rest = line.strip_prefix("# ").unwrap_or(line);
            let (name, _) = rest.split_once('=')?;
            is_name(name).then(|| (i + 1, name.to_owned()))
        })
        .collect()
}

/// Every disagreement between the code and the two documents.
fn mismatches(docs: &str, env_example: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let runtime = runtime();
    let build = build_time();
    let rows = doc_rows(docs, &mut problems);

    let mut documented: BTreeMap<Kind, BTreeMap<&str, usize>> = BTreeMap::new();
    for row in &rows {
        for name in &row.names {
            if let Some(first) = documented.entry(row.kind).or_default().insert(name, row.line) {
                problems.push(format!("{DOCS}:{}: {name} is already documented on line {first}", row.line));
            }
        }
    }
    let doc_runtime = documented.remove(&Kind::Runtime).unwrap_or_default();
    let doc_build = documented.remove(&Kind::BuildTime).unwrap_or_default();
    let doc_not_read = documented.remove(&Kind::NotRead).unwrap_or_default();

    for name in runtime.iter().filter(|n| !doc_runtime.contains_key(*n)) {
        problems.push(format!("{name} is read by the code but not documented in a table of {DOCS}"));
    }
    for (name, line) in doc_runtime.iter().filter(|(n, _)| !runtime.contains(*n)) {
        problems.push(format!("{DOCS}:{line}: documents {name}, which the code does not read"));
    }
    for name in build.iter().filter(|n| !doc_build.contains_key(*n)) {
        problems
            .push(format!("{name} is read by {BUILD_SCRIPT} but not in the \"{BUILD_TIME_SECTION}\" table of {DOCS}"));
    }
    for (name, line) in doc_build.iter().filter(|(n, _)| !build.contains(*n)) {
        problems.push(format!(
            "{DOCS}:{line}: documents {name} as a build-time variable, which {BUILD_SCRIPT} does not read"
        ));
    }
    for (pattern, line) in &doc_not_read {
        let prefix = pattern.strip_suffix('*');
        for name in runtime.iter().chain(&build) {
            if prefix.map_or(name == pattern, |p| name.starts_with(p)) {
                problems.push(format!("{DOCS}:{line}: says {pattern} is not read, but the code reads {name}"));
            }
        }
    }

    // Precedence: each `A` → `B` row is one declared setting, in its order, and each setting
    // with aliases has such a row.
    let alias_rows: Vec<&Row> = rows.iter().filter(|r| r.kind == Kind::Runtime && r.aliases).collect();
    for row in &alias_rows {
        if !ALL.iter().any(|names| names.iter().eq(row.names.iter())) {
            let code = ALL.iter().find(|names| names.iter().any(|n| row.names.contains(&(*n).to_owned())));
            problems.push(format!(
                "{DOCS}:{}: lists {} in this precedence, but the code reads {}",
                row.line,
                row.names.join(" → "),
                code.map_or_else(|| "none of them".to_owned(), |names| names.join(" → "))
            ));
        }
    }
    for names in ALL.iter().filter(|names| names.len() > 1) {
        if !alias_rows.iter().any(|r| names.iter().eq(r.names.iter())) {
            problems.push(format!("{DOCS} has no row `{}` giving these aliases' precedence", names.join("` → `")));
        }
    }

    let listed = env_example_names(env_example);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (line, name) in &listed {
        if let Some(first) = seen.insert(name, *line) {
            problems.push(format!("{ENV_EXAMPLE}:{line}: {name} is already listed on line {first}"));
        }
        let problem = if build.contains(name.as_str()) {
            "is read when the binary is compiled, not from .env"
        } else if before_dotenv().contains(name.as_str()) {
            "is read before .env is loaded, so a .env file cannot supply it"
        } else if !runtime.contains(name.as_str()) {
            "is not read by the code"
        } else if !dotenv_can_hold(name) {
            "cannot be held in a .env file (dotenvy rejects the name)"
        } else {
            continue;
        };
        problems.push(format!("{ENV_EXAMPLE}:{line}: lists {name}, which {problem}"));
    }
    let expected = runtime.iter().filter(|n| !before_dotenv().contains(*n) && dotenv_can_hold(n));
    for name in expected.filter(|n| !seen.contains_key(*n)) {
        problems.push(format!("{name} is read by the code but not listed in {ENV_EXAMPLE} (as {name}= or # {name}=)"));
    }
    problems
}

#[test]
fn docs_and_env_example_name_exactly_the_variables_the_code_reads() {
    assert!(declared().len() > 80, "the declared table is unexpectedly small: {}", declared().len());
    let problems = mismatches(&read(DOCS), &read(ENV_EXAMPLE));
    assert!(
        problems.is_empty(),
        "{DOCS} and {ENV_EXAMPLE} disagree with the code ({} problems):\n  - {}\n\
         Variables are declared in crates/platform/src/config/var.rs; see docs_tests.rs for the rules.",
        problems.len(),
        problems.join("\n  - ")
    );
}

#[test]
fn the_check_sees_each_kind_of_mismatch() {
    let docs = read(DOCS);
    let env = read(ENV_EXAMPLE);

    // A variable the docs drop, a variable they invent, an alias order they swap.
    let dropped = docs.replace("| `BEACON_SENDER` |", "| |");
    assert!(mismatches(&dropped, &env).iter().any(|p| p.starts_with("BEACON_SENDER is read by the code")));
    let invented = docs.replace("| `BEACON_SENDER` |", "| `BEACON_SENDER` + `BEACON_REPLY_TO` |");
    assert!(mismatches(&invented, &env).iter().any(|p| p.contains("documents BEACON_REPLY_TO, which the code")));
    let swapped = docs.replace("`ADMINS` → `DJANGO_ADMINS`", "`DJANGO_ADMINS` → `ADMINS`");
    assert!(mismatches(&swapped, &env).iter().any(|p| p.contains("lists DJANGO_ADMINS → ADMINS")));
    let unquoted = docs.replace("| `BEACON_SENDER` |", "| BEACON_SENDER |");
    assert!(
        mismatches(&unquoted, &env).iter().any(|p| p.contains("write the variable name BEACON_SENDER in backticks"))
    );

    // The same in .env.example, commented out or not.
    let dropped = env.replace("# BEACON_SENDER=", "# BEACON_SENDER is gone");
    assert!(mismatches(&docs, &dropped).iter().any(|p| p.contains("BEACON_SENDER is read by the code but not listed")));
    let invented = format!("{env}\nBEACON_REPLY_TO=x\n");
    assert!(mismatches(&docs, &invented).iter().any(|p| p.contains("lists BEACON_REPLY_TO, which is not read")));
    let hyphen = format!("{env}\n# PITTSBURGH-PURCHASING-SUITE_SECRET=x\n");
    assert!(mismatches(&docs, &hyphen).iter().any(|p| p.contains("cannot be held in a .env file")));
    assert!(!dotenv_can_hold("PITTSBURGH-PURCHASING-SUITE_SECRET") && dotenv_can_hold("SECRET_KEY"));
}

/// An [`EnvSource`] that remembers every name it is asked for.
struct Recording {
    env: HashMap<&'static str, &'static str>,
    asked: RefCell<BTreeSet<String>>,
}

impl EnvSource for Recording {
    fn get(&self, name: &str) -> Option<String> {
        self.asked.borrow_mut().insert(name.to_owned());
        self.env.get(name).map(|v| (*v).to_owned())
    }
}

/// Together these reach every read: the empty one every unconditional read and every alias
/// (nothing is set, so no lookup stops early), the other every read that depends on another
/// variable being set (`SITE_SCHEME` with `SITE_DOMAIN`, the SMTP settings with a server, …).
const ENVIRONMENTS: &[&[(&str, &str)]] = &[
    &[],
    &[
        ("SITE_DOMAIN", "buy.example.gov"),
        ("AUTH_WALL_USERNAME", "u"),
        ("AUTH_WALL_PASSWORD", "p"),
        ("MAIL_SERVER", "smtp.example.gov"),
        ("REDIS_HOST", "cache.internal"),
        ("BROKER_URL", "redis://cache.internal:6379/1"),
        ("S3_BUCKET", "documents"),
        ("SENTRY_DSN", "https://key@sentry.example.gov/1"),
        ("STATSD_HOST", "127.0.0.1"),
    ],
];

#[test]
fn every_declared_variable_is_asked_for() {
    let mut asked = BTreeSet::new();
    for pairs in ENVIRONMENTS {
        let source = Recording { env: pairs.iter().copied().collect(), asked: RefCell::default() };
        let _ = Config::from_source(&source);
        asked.extend(source.asked.into_inner());
    }
    let declared: BTreeSet<String> = declared().into_iter().map(str::to_owned).collect();
    let never: Vec<_> = declared.difference(&asked).collect();
    assert!(never.is_empty(), "declared in var.rs but never read (remove them, or extend ENVIRONMENTS): {never:?}");
    let undeclared: Vec<_> = asked.difference(&declared).collect();
    assert!(undeclared.is_empty(), "read but not declared in var.rs: {undeclared:?}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_environment_is_read_only_in_known_places() {
    let root = root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).expect("crates/").flatten() {
        rust_files(&krate.path().join("src"), &mut files);
        let build = krate.path().join("build.rs");
        if build.is_file() {
            files.push(build);
        }
    }
    let mut problems = Vec::new();
    let mut found = vec![false; OTHER_READERS.len()];
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap_or(file).to_string_lossy().replace('\\', "/");
        if rel == THIS_FILE {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{rel}: {e}"));
        for (i, line) in text.lines().enumerate() {
            let code = line.trim();
            if code.starts_with("//") || !READ_PATTERNS.iter().any(|p| code.contains(p)) {
                continue;
            }
            match OTHER_READERS.iter().position(|r| r.file == rel && code.contains(r.code)) {
                Some(k) => found[k] = true,
                None => problems.push(format!(
                    "{rel}:{}: reads the environment outside the declared table: {code}\n    \
                     read it through config::var (or, if it cannot be, add it to OTHER_READERS) and document it",
                    i + 1
                )),
            }
        }
    }
    for (reader, found) in OTHER_READERS.iter().zip(found) {
        if !found {
            problems.push(format!("{}: no longer contains `{}`; update OTHER_READERS", reader.file, reader.code));
        }
    }
    let rerun: BTreeSet<String> = read(BUILD_SCRIPT)
        .lines()
        .filter_map(|l| l.split_once("cargo:rerun-if-env-changed=").map(|(_, rest)| rest))
        .map(|rest| rest.trim_end_matches(['"', ')', ';']).to_owned())
        .collect();
    let listed: BTreeSet<String> = build_time().into_iter().map(str::to_owned).collect();
    if rerun != listed {
        problems.push(format!(
            "{BUILD_SCRIPT} declares rerun-if-env-changed for {rerun:?}, OTHER_READERS lists {listed:?}"
        ));
    }
    assert!(files.len() > 50, "found only {} source files under {}", files.len(), root.display());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Heroku's app.json asks a deployer only for variables the code reads (a renamed variable
/// would otherwise be set on every review app and silently ignored).
#[test]
fn app_json_names_only_variables_the_code_reads() {
    let manifest: serde_json::Value = serde_json::from_str(&read("app.json")).expect("app.json is JSON");
    let env = manifest["env"].as_object().expect("app.json has env");
    let known = runtime();
    let unknown: Vec<&String> = env.keys().filter(|name| !known.contains(name.as_str())).collect();
    assert!(unknown.is_empty(), "app.json names variables Procure does not read: {unknown:?}");
    // The essentials production refuses to start without are there (DATABASE_URL comes from the
    // Postgres add-on).
    for name in ["SECRET_KEY", "APP_URL"] {
        assert!(env.contains_key(name), "app.json sets {name}");
    }
}
