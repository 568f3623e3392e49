//! Page and email templates (minijinja), gathered from every crate that has some.
//!
//! Each crate keeps its templates in `templates/<crate>/…` and registers that folder with a
//! [`TemplateSource`]; names are therefore `site/home.html`, `platform/base.html`, and never
//! collide. Debug builds read the files from the source tree and reload them when they change;
//! release builds carry them inside the binary (rust-embed).
//!
//! Auto-escaping follows the name: `.html` templates escape, `.txt` ones do not.

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

/// The shared, read-only template environment.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Templates {
    /// Builds the environment over `sources`, with `globals` visible to every template.
    /// Templates get an `asset(path)` function that returns the asset's hashed URL.
    pub fn new(sources: Vec<TemplateSource>, assets: &Assets, globals: Vec<(&'static str, Value)>) -> Templates {
        let mut env = Environment::new();
        let assets = assets.clone();
        // A hashed path we built ourselves: safe, and left unescaped so the HTML stays readable.
        env.add_function("asset", move |path: &str| Value::from_safe_string(assets.url(path)));
        env.set_undefined_behavior(UndefinedBehavior::Strict);
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
