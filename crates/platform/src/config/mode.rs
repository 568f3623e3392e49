//! The mode the process runs in: `PROCURE_ENV`, else the markers the seeds' platforms set
//! (`DYNO`, `PITTSBURGH-PURCHASING-SUITE_ENV`, `DJANGO_SETTINGS_MODULE`).
//!
//! Rules: an explicit `PROCURE_ENV` always wins and any value other than production/prod,
//! development/dev or test is an error; otherwise a marker means production, and nothing means
//! development.

use super::env::Vars;
use super::var;

/// Which mode the process runs in. Production refuses to start without its essentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn is_production(self) -> bool {
        self == Environment::Production
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

/// Production is chosen by `PROCURE_ENV`, or by a marker one of the seeds' platforms sets:
/// Heroku's `DYNO`, the original suite's `PITTSBURGH-PURCHASING-SUITE_ENV=prod`, or a Django
/// production settings module. An explicit `PROCURE_ENV` always wins.
pub(super) fn environment(vars: &mut Vars<'_>) -> (Environment, String) {
    if let Some((name, raw)) = vars.first(var::PROCURE_ENV) {
        return match raw.to_ascii_lowercase().as_str() {
            "production" | "prod" => (Environment::Production, format!("{name}={raw}")),
            "development" | "dev" => (Environment::Development, format!("{name}={raw}")),
            "test" => (Environment::Test, format!("{name}={raw}")),
            _ => {
                vars.error(name, format!("expected production, development or test, got {raw:?}"));
                (Environment::Development, String::new())
            }
        };
    }
    if vars.first(var::DYNO).is_some() {
        return (Environment::Production, "DYNO is set (Heroku)".to_owned());
    }
    if let Some((name, raw)) = vars.first(var::PITTSBURGH_PURCHASING_SUITE_ENV)
        && (raw.eq_ignore_ascii_case("prod") || raw.eq_ignore_ascii_case("production"))
    {
        return (Environment::Production, format!("{name}={raw}"));
    }
    if let Some((name, raw)) = vars.first(var::DJANGO_SETTINGS_MODULE)
        && (raw.ends_with("production") || raw.ends_with(".prod"))
    {
        return (Environment::Production, format!("{name}={raw}"));
    }
    (Environment::Development, "default".to_owned())
}
