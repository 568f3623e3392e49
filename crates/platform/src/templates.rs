//! Page and email templates (minijinja), gathered from every crate that has some.
//!
//! Each crate keeps its templates in `templates/<crate>/…` and registers that folder with a
//! [`TemplateSource`]; names are therefore `site/home.html`, `platform/base.html`, and never
//! collide. Debug builds read the files from the source tree and reload them when they change;
//! release builds carry them inside the binary (rust-embed).
//!
//! Auto-escaping follows the name: `.html` templates escape, `.txt` ones do not. HTML escaping is
//! [`crate::text::html_escape`]: minijinja's own also writes `/` as `&#x2f;`, which left links in
//! HTML email reading `https:&#x2f;&#x2f;…`.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};

use crate::assets::Assets;

/// Where one crate's templates live: its folder in the source tree (debug) and the embedded
/// copy (release).
#[derive(Clone, Copy)]
pub struct TemplateSource {
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "/templates")`
    pub dir: &'static str,
    pub embedded: fn(&str) -> Option<Cow<'static, [u8]>>,
}

/// Declares a crate's [`TemplateSource`] over its `templates/` folder.
#[macro_export]
macro_rules! template_source {
    () => {{
        #[derive(rust_embed::RustEmbed)]
        #[folder = "templates/"]
        struct Embedded;
        $crate::templates::TemplateSource {
            dir: concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            embedded: |name| <Embedded as rust_embed::RustEmbed>::get(name).map(|f| f.data),
        }
    }};
}

/// How links are written: every link to another site gets `rel="noopener noreferrer"`; with
/// `EXTERNAL_LINK_WARNING` it is also marked, visibly (USWDS's external-link icon) and for
/// screen readers, as leaving the site.
#[derive(Debug, Clone)]
pub struct LinkPolicy {
    /// This site's host; links to it are internal.
    pub site_host: String,
    pub warn: bool,
}

impl LinkPolicy {
    pub fn is_external(&self, href: &str) -> bool {
        match url::Url::parse(href) {
            Ok(u) => matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| h != self.site_host),
            // Relative links, fragments and the like stay on the site.
            Err(_) => false,
        }
    }

    /// `<a …>text</a>`, escaped.
    pub fn anchor(&self, href: &str, text: &str) -> String {
        let (href_e, text_e) = (crate::text::html_escape(href), crate::text::html_escape(text));
        match (self.is_external(href), self.warn) {
            (false, _) => format!(r#"<a class="usa-link" href="{href_e}">{text_e}</a>"#),
            (true, false) => format!(r#"<a class="usa-link" href="{href_e}" rel="noopener noreferrer">{text_e}</a>"#),
            (true, true) => format!(
                r#"<a class="usa-link usa-link--external" href="{href_e}" rel="noopener noreferrer">{text_e}<span class="usa-sr-only"> (leaves this site)</span></a>"#
            ),
        }
    }
}

/// The shared, read-only template environment.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Templates {
    /// Builds the environment over `sources`, with `globals` visible to every template.
    /// Templates get an `asset(path)` function that returns the asset's hashed URL, and
    /// `link(href, text)`, which writes a link and marks it when it leaves the site (see
    /// [`LinkPolicy`]).
    pub fn new(
        sources: Vec<TemplateSource>,
        assets: &Assets,
        links: LinkPolicy,
        globals: Vec<(&'static str, Value)>,
    ) -> Templates {
        let mut env = Environment::new();
        let assets = assets.clone();
        // A hashed path we built ourselves: safe, and left unescaped so the HTML stays readable.
        env.add_function("asset", move |path: &str| Value::from_safe_string(assets.url(path)));
        env.add_function("link", move |href: &str, text: &str| Value::from_safe_string(links.anchor(href, text)));
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(format_value);
        let reload = cfg!(debug_assertions);
        env.set_auto_reload(reload);
        let dirs: Vec<PathBuf> = sources.iter().map(|s| PathBuf::from(s.dir)).collect();
        env.set_loader(move |name| load(&sources, &dirs, reload, name));
        for (name, value) in globals {
            env.add_global(name, value);
        }
        Templates { env: Arc::new(env) }
    }

    /// Renders `name` with `ctx` (usually `minijinja::context!{…}`; a serializable struct via
    /// `Value::from(Serde(..))`).
    pub fn render(&self, name: &str, ctx: impl Into<Value>) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }

    pub fn environment(&self) -> &Environment<'static> {
        &self.env
    }
}

/// Writes a value into a template's output: HTML-escaped by [`crate::text::html_escape`] in HTML
/// templates (see the module docs), as minijinja would otherwise.
fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &mut minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    if *state.auto_escape() != minijinja::AutoEscape::Html || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = match value.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(value.to_string()),
    };
    out.write_str(&crate::text::html_escape(&text)).map_err(Error::from)
}

fn load(
    sources: &[TemplateSource],
    dirs: &[PathBuf],
    from_disk: bool,
    name: &str,
) -> Result<Option<minijinja::TemplateSource>, Error> {
    if from_disk {
        for dir in dirs {
            if let Some(found) = minijinja::path_loader(dir)(name)? {
                return Ok(Some(found));
            }
        }
        return Ok(None);
    }
    for source in sources {
        if let Some(bytes) = (source.embedded)(name) {
            let text = String::from_utf8(bytes.into_owned())
                .map_err(|e| Error::new(ErrorKind::InvalidOperation, "template is not UTF-8").with_source(e))?;
            return Ok(Some(minijinja::TemplateSource::new(text)));
        }
    }
    Ok(None)
}

/// The platform's own templates (`platform/base.html`, `platform/error.html`).
pub fn platform_templates() -> TemplateSource {
    crate::template_source!()
}

#[cfg(test)]
mod tests {
    use super::LinkPolicy;

    #[test]
    fn html_templates_escape_markup_but_not_slashes_and_text_ones_nothing() {
        let mut env = minijinja::Environment::new();
        env.set_formatter(super::format_value);
        env.add_template("t.html", "<a href=\"{{ u }}\">{{ t }}</a> {{ n }} {{ s }}").expect("template");
        env.add_template("t.txt", "{{ u }} {{ t }}").expect("template");
        let ctx = minijinja::context! {
            u => "https://example.gov/beacon/?a=1&b=2", t => "<Tom's>", n => 3,
            s => minijinja::Value::from_safe_string("<b>ok</b>".into()),
        };
        let html = env.get_template("t.html").and_then(|t| t.render(&ctx)).expect("render");
        assert_eq!(html, "<a href=\"https://example.gov/beacon/?a=1&amp;b=2\">&lt;Tom&#39;s&gt;</a> 3 <b>ok</b>");
        let text = env.get_template("t.txt").and_then(|t| t.render(&ctx)).expect("render");
        assert_eq!(text, "https://example.gov/beacon/?a=1&b=2 <Tom's>");
    }

    #[test]
    fn links_that_leave_the_site_are_marked_when_asked() {
        let warn = LinkPolicy { site_host: "procure.example.gov".into(), warn: true };
        let out = warn.anchor("https://github.com/x?a=1&b=2", "Source <code>");
        assert!(out.contains("usa-link--external") && out.contains("(leaves this site)"), "{out}");
        assert!(out.contains("a=1&amp;b=2") && out.contains("Source &lt;code&gt;"), "escaped: {out}");
        for internal in ["/scout/", "https://procure.example.gov/beacon/", "#main", "mailto:a@b.gov"] {
            assert!(!warn.anchor(internal, "x").contains("external"), "{internal}");
        }
        let quiet = LinkPolicy { warn: false, ..warn };
        let out = quiet.anchor("https://github.com/x", "Source");
        assert!(!out.contains("external") && out.contains("noopener"), "{out}");
    }
}
