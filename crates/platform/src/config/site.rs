//! The public site: its URL (`APP_URL`, or `SITE_DOMAIN` + `SITE_SCHEME`, `BROWSERID_URL`,
//! `SERVER_NAME`, tried in that order), `DISPLAY_TIMEZONE`, `EXTERNAL_LINK_WARNING`, and the
//! purchasing office vendors are told to ask (`PURCHASING_OFFICE`, `_EMAIL`, `_PHONE`).
//!
//! Rules: the URL is required in production (the error names `APP_URL`); a bare `host[:port]`
//! gets `https` in production and `http` otherwise; the scheme must be http or https, and any
//! path, query or fragment is dropped. The time zone must be an IANA name.

use chrono_tz::Tz;
use url::Url;

use super::Environment;
use super::env::Vars;
use super::var;

#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The public URL of the site, as users reach it (scheme, host, optional port, no path).
    pub app_url: Url,
    /// Which variable supplied the URL (or "default").
    pub app_url_source: &'static str,
    pub display_timezone: Tz,
    pub external_link_warning: bool,
    /// Whom vendors ask about bidding when an opportunity names no one.
    pub purchasing: PurchasingOffice,
}

/// The city office that answers vendors' questions (shown on Beacon and in the footer).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PurchasingOffice {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl SiteConfig {
    pub(super) fn read(vars: &mut Vars<'_>, env: Environment, port: u16) -> Self {
        let display_timezone = match vars.first(var::DISPLAY_TIMEZONE) {
            None => chrono_tz::America::New_York,
            Some((name, raw)) => raw.parse::<Tz>().unwrap_or_else(|_| {
                vars.error(name, format!("{raw:?} is not an IANA time zone name (e.g. America/New_York)"));
                chrono_tz::America::New_York
            }),
        };
        let external_link_warning = vars.flag(var::EXTERNAL_LINK_WARNING, false);
        let (app_url, app_url_source) = app_url(vars, env, port);
        let purchasing = PurchasingOffice {
            name: vars.string_or(var::PURCHASING_OFFICE, "the purchasing office"),
            email: vars.first(var::PURCHASING_EMAIL).and_then(|(name, raw)| {
                let raw = raw.trim().to_owned();
                let plausible = raw.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
                if !plausible {
                    vars.error(name, format!("{raw:?} is not an email address"));
                }
                plausible.then_some(raw)
            }),
            phone: vars.first(var::PURCHASING_PHONE).map(|(_, raw)| raw.trim().to_owned()).filter(|p| !p.is_empty()),
        };
        SiteConfig { app_url, app_url_source, display_timezone, external_link_warning, purchasing }
    }

    pub fn is_https(&self) -> bool {
        self.app_url.scheme() == "https"
    }

    /// Today's date where the city is (`DISPLAY_TIMEZONE`): what "expires today" means.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.display_timezone).date_naive()
    }

    /// The app URL's host, e.g. `purchasing.example.gov`.
    pub fn host(&self) -> &str {
        self.app_url.host_str().unwrap_or("localhost")
    }
}

/// The seeds name the public URL four ways: `APP_URL` (h), `SITE_SCHEME` + `SITE_DOMAIN`
/// (django-init), `BROWSERID_URL` (the original suite) and `SERVER_NAME` (Flask, host only).
fn app_url(vars: &mut Vars<'_>, env: Environment, port: u16) -> (Url, &'static str) {
    let fallback = || Url::parse(&format!("http://localhost:{port}")).expect("static URL is valid");
    let default_scheme = if env.is_production() { "https" } else { "http" };
    let candidate =
        if let Some((_, domain)) = vars.first(var::SITE_DOMAIN).filter(|_| vars.first(var::APP_URL).is_none()) {
            let scheme = vars.string_or(var::SITE_SCHEME, default_scheme);
            Some(("SITE_DOMAIN", format!("{scheme}://{domain}")))
        } else {
            vars.first(var::APP_URL).or_else(|| vars.first(var::BROWSERID_URL)).or_else(|| vars.first(var::SERVER_NAME))
        };
    let Some((name, mut raw)) = candidate else {
        if env.is_production() {
            vars.error(
                "APP_URL",
                "must be set in production: the public URL of the site, e.g. https://purchasing.example.gov \
                 (or SITE_DOMAIN with SITE_SCHEME, BROWSERID_URL, SERVER_NAME)",
            );
        }
        return (fallback(), "default");
    };
    if !raw.contains("://") {
        // A bare `host[:port]`: Flask's SERVER_NAME, and BROWSERID_URL as the original documents it.
        raw = format!("{default_scheme}://{raw}");
    }
    match Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            let mut url = url;
            url.set_path("");
            url.set_query(None);
            url.set_fragment(None);
            (url, name)
        }
        Ok(_) => {
            vars.error(name, format!("{raw:?} must be an http:// or https:// URL with a host"));
            (fallback(), name)
        }
        Err(e) => {
            vars.error(name, format!("{raw:?} is not a URL: {e}"));
            (fallback(), name)
        }
    }
}
