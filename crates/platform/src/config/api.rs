//! API clients and tokens: the client configured in the environment (seed 003's `CLIENT_ID` and
//! `CLIENT_SECRET`, with `CLIENT_OWNER`, the address of the user it acts for, and
//! `CLIENT_SCOPES`), how long a client's access token lives (`API_TOKEN_LIFETIME`, seconds), and
//! how many requests one token may make per window (`API_RATE_LIMIT`, `N/SECONDS`).
//!
//! Rules: `CLIENT_ID` and `CLIENT_SECRET` come together, with `CLIENT_OWNER`; the secret is at
//! least 32 characters (it is the whole of the client's proof); `CLIENT_SCOPES` is a
//! space-separated list, all scopes when unset (which names exist is the accounts crate's
//! business, so it checks them at start-up). Token lifetime 1 hour by default, from 60 s to a
//! day; the rate limit 600 requests per 60 s by default, each number at least 1.

use std::time::Duration;

use super::Secret;
use super::env::Vars;
use super::var;

/// The shortest `CLIENT_SECRET` accepted.
pub const CLIENT_SECRET_MIN_LEN: usize = 32;

/// The API client set up by the environment rather than in the back-office.
#[derive(Debug, Clone)]
pub struct ConfiguredClient {
    pub client_id: String,
    pub secret: Secret,
    /// The address of the user it acts for.
    pub owner: String,
    /// Its scopes as written; `None`: every scope.
    pub scopes: Option<Vec<String>>,
}

/// At most `requests` per token per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub client: Option<ConfiguredClient>,
    /// How long a client's access token lives.
    pub token_lifetime: Duration,
    pub rate_limit: RateLimit,
}

impl ApiConfig {
    pub(super) fn read(vars: &mut Vars<'_>) -> Self {
        let client = read_client(vars);
        let lifetime = vars.parsed_or::<u64>(var::API_TOKEN_LIFETIME, 3600);
        if !(60..=86_400).contains(&lifetime) {
            vars.error("API_TOKEN_LIFETIME", format!("{lifetime} s is outside 60 to 86400 seconds"));
        }
        let rate_limit = match vars.first(var::API_RATE_LIMIT) {
            None => RateLimit { requests: 600, window: Duration::from_secs(60) },
            Some((name, raw)) => parse_rate(&raw).unwrap_or_else(|| {
                vars.error(name, format!("{raw:?} is not REQUESTS/SECONDS, e.g. 600/60"));
                RateLimit { requests: 600, window: Duration::from_secs(60) }
            }),
        };
        ApiConfig { client, token_lifetime: Duration::from_secs(lifetime.clamp(60, 86_400)), rate_limit }
    }
}

fn read_client(vars: &mut Vars<'_>) -> Option<ConfiguredClient> {
    let (id, secret, owner) =
        (vars.string(var::CLIENT_ID), vars.string(var::CLIENT_SECRET), vars.string(var::CLIENT_OWNER));
    let scopes = vars.string(var::CLIENT_SCOPES).map(|s| s.split_whitespace().map(str::to_owned).collect());
    match (id, secret) {
        (None, None) => {
            if owner.is_some() || scopes.is_some() {
                vars.error("CLIENT_ID", "CLIENT_OWNER or CLIENT_SCOPES is set without CLIENT_ID and CLIENT_SECRET");
            }
            None
        }
        (Some(_), None) => {
            vars.error("CLIENT_SECRET", "must be set with CLIENT_ID");
            None
        }
        (None, Some(_)) => {
            vars.error("CLIENT_ID", "must be set with CLIENT_SECRET");
            None
        }
        (Some(client_id), Some(secret)) => {
            let mut ok = true;
            if client_id.trim().is_empty() || client_id.len() > 100 || client_id.chars().any(char::is_control) {
                vars.error("CLIENT_ID", "must be 1 to 100 printable characters");
                ok = false;
            }
            if secret.chars().count() < CLIENT_SECRET_MIN_LEN {
                vars.error(
                    "CLIENT_SECRET",
                    format!(
                        "must be at least {CLIENT_SECRET_MIN_LEN} characters; make one with `openssl rand -base64 32`"
                    ),
                );
                ok = false;
            }
            let Some(owner) = owner.filter(|o| o.contains('@')) else {
                vars.error("CLIENT_OWNER", "must be set with CLIENT_ID: the address of the user the client acts for");
                return None;
            };
            ok.then(|| ConfiguredClient { client_id, secret: Secret::new(secret), owner, scopes })
        }
    }
}

/// `600/60`: requests per seconds.
fn parse_rate(raw: &str) -> Option<RateLimit> {
    let (requests, seconds) = raw.trim().split_once('/')?;
    let requests: u32 = requests.trim().parse().ok().filter(|n| *n >= 1)?;
    let seconds: u64 = seconds.trim().parse().ok().filter(|n| *n >= 1)?;
    Some(RateLimit { requests, window: Duration::from_secs(seconds) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<ApiConfig, String> {
        let env: std::collections::HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        super::super::Config::from_source(&env).map(|c| c.api).map_err(|e| e.to_string())
    }

    #[test]
    fn the_configured_client_needs_its_secret_and_owner() {
        const SECRET: &str = "0123456789abcdef0123456789abcdef";
        let none = read(&[]).expect("no client");
        assert!(none.client.is_none());
        assert_eq!(none.rate_limit, RateLimit { requests: 600, window: Duration::from_secs(60) });
        assert_eq!(none.token_lifetime, Duration::from_secs(3600));
        let set = read(&[("CLIENT_ID", "erp"), ("CLIENT_SECRET", SECRET), ("CLIENT_OWNER", "a@example.gov")])
            .expect("a client");
        let client = set.client.expect("client");
        assert_eq!((client.client_id.as_str(), client.owner.as_str(), client.scopes), ("erp", "a@example.gov", None));
        assert!(
            !format!(
                "{:?}",
                read(&[("CLIENT_ID", "erp"), ("CLIENT_SECRET", SECRET), ("CLIENT_OWNER", "a@example.gov")])
            )
            .contains(SECRET)
        );
        for (pairs, named) in [
            (vec![("CLIENT_ID", "erp")], "CLIENT_SECRET"),
            (vec![("CLIENT_SECRET", SECRET)], "CLIENT_ID"),
            (
                vec![("CLIENT_ID", "erp"), ("CLIENT_SECRET", "short"), ("CLIENT_OWNER", "a@example.gov")],
                "CLIENT_SECRET",
            ),
            (vec![("CLIENT_ID", "erp"), ("CLIENT_SECRET", SECRET)], "CLIENT_OWNER"),
            (vec![("CLIENT_OWNER", "a@example.gov")], "CLIENT_ID"),
            (vec![("API_RATE_LIMIT", "lots")], "API_RATE_LIMIT"),
            (vec![("API_TOKEN_LIFETIME", "5")], "API_TOKEN_LIFETIME"),
        ] {
            let problem = read(&pairs).expect_err("refused");
            assert!(problem.contains(named), "{pairs:?}: {problem}");
        }
    }

    #[test]
    fn rates_are_requests_per_seconds() {
        assert_eq!(parse_rate("30/60"), Some(RateLimit { requests: 30, window: Duration::from_secs(60) }));
        assert_eq!(parse_rate(" 5 / 1 "), Some(RateLimit { requests: 5, window: Duration::from_secs(1) }));
        for bad in ["", "30", "0/60", "30/0", "a/b", "30/60/1", "-1/60"] {
            assert_eq!(parse_rate(bad), None, "{bad:?}");
        }
    }
}
