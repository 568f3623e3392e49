//! Reading variables: one lookup function, aliases, and parse errors that name the variable.
//!
//! Configuration never reads `std::env` directly: it asks an [`EnvSource`], so tests can build a
//! `Config` from a plain map without touching the process environment. The helpers take a
//! [`Var`] from the declared table (`var.rs`), never a bare name.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use super::var::Var;

/// Where variables come from: the process environment (after `.env`), or a map in tests.
pub trait EnvSource {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment. `.env` is loaded into it by [`load_dotenv`] before anything reads it.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl EnvSource for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).map(|v| (*v).to_owned())
    }
}

/// Loads `./.env` (if present) into the process environment. Variables already set win, as with
/// python-dotenv in the seeds. A malformed `.env` is an error that names the line.
pub fn load_dotenv() -> Result<Option<std::path::PathBuf>, ConfigError> {
    match dotenvy::dotenv() {
        Ok(path) => Ok(Some(path)),
        Err(e) if e.not_found() => Ok(None),
        Err(e) => Err(ConfigError::new(".env", e.to_string())),
    }
}

/// A configuration problem, always naming the variable at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: impl Into<String>, message: impl Into<String>) -> Self {
        Self { var: var.into(), message: message.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found while reading the configuration, reported together so an operator fixes
/// them in one pass rather than one restart per variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// Whether any error names `var`.
    pub fn names(&self, var: &str) -> bool {
        self.0.iter().any(|e| e.var == var)
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A reader over an [`EnvSource`] that collects errors instead of stopping at the first one.
pub struct Vars<'a> {
    source: &'a dyn EnvSource,
    pub errors: Vec<ConfigError>,
}

impl<'a> Vars<'a> {
    pub fn new(source: &'a dyn EnvSource) -> Self {
        Self { source, errors: Vec::new() }
    }

    /// The first of `var`'s names that is set to a non-blank value, with the name that supplied
    /// it. Blank values count as unset: Heroku config and `.env` files often carry `VAR=`.
    pub fn first(&self, var: Var) -> Option<(&'static str, String)> {
        var.names().iter().find_map(|name| {
            self.source.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).map(|v| (*name, v))
        })
    }

    pub fn string(&self, var: Var) -> Option<String> {
        self.first(var).map(|(_, v)| v)
    }

    pub fn string_or(&self, var: Var, default: &str) -> String {
        self.string(var).unwrap_or_else(|| default.to_owned())
    }

    /// Parses the first set name of `var`; a bad value is recorded as an error naming it.
    pub fn parsed<T>(&mut self, var: Var) -> Option<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let (name, raw) = self.first(var)?;
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(name, format!("cannot parse {raw:?}: {e}"));
                None
            }
        }
    }

    pub fn parsed_or<T>(&mut self, var: Var, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.parsed(var).unwrap_or(default)
    }

    /// Booleans the way the seeds write them: 1/0, true/false, yes/no, on/off, y/n.
    pub fn flag(&mut self, var: Var, default: bool) -> bool {
        let Some((name, raw)) = self.first(var) else {
            return default;
        };
        match parse_bool(&raw) {
            Some(v) => v,
            None => {
                self.error(name, format!("expected true or false, got {raw:?}"));
                default
            }
        }
    }

    /// A comma- or whitespace-separated list.
    pub fn list(&self, var: Var) -> Vec<String> {
        self.string(var).map(|v| split_list(&v)).unwrap_or_default()
    }

    pub fn error(&mut self, var: &str, message: impl Into<String>) {
        self.errors.push(ConfigError::new(var, message));
    }
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_skips_blank_values_and_reports_which_alias_was_used() {
        let env: HashMap<&str, &str> = HashMap::from([("A", "  "), ("B", "x")]);
        let vars = Vars::new(&env);
        assert_eq!(vars.first(Var::ad_hoc(&["A", "B"])), Some(("B", "x".to_owned())));
        assert_eq!(vars.first(Var::ad_hoc(&["C"])), None);
    }

    #[test]
    fn bad_numbers_and_flags_are_errors_naming_the_variable() {
        let env: HashMap<&str, &str> = HashMap::from([("PORT", "eighty"), ("FLAG", "maybe")]);
        let mut vars = Vars::new(&env);
        assert_eq!(vars.parsed_or::<u16>(Var::ad_hoc(&["PORT"]), 8000), 8000);
        assert!(vars.flag(Var::ad_hoc(&["FLAG"]), true));
        let named: Vec<_> = vars.errors.iter().map(|e| e.var.as_str()).collect();
        assert_eq!(named, ["PORT", "FLAG"]);
    }

    #[test]
    fn lists_split_on_commas_and_spaces() {
        assert_eq!(split_list("a.com, b.com  c.com,,"), ["a.com", "b.com", "c.com"]);
    }
}
