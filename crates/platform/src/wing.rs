//! A wing declares itself once: its navigation entry, routes, templates, job types, periodic
//! jobs, OpenAPI paths, its demo data, and what it contributes to other crates (the back-office's resources).
//!
//! Every crate that serves something exposes `pub fn wing() -> Wing`; the binary holds the one
//! list of them (`procure::app::wings`) and builds the router, the job registry, the schedule,
//! the templates and the API document by iterating over it. Nothing else lists wings.
//!
//! Contributions are typed values keyed by their type ([`Wing::with`], [`Contributions::all`]),
//! so a crate can collect what others give it without depending on them: the back-office
//! collects every wing's `admin::BackOffice` while knowing no wing.

use std::sync::Arc;

use crate::Config;
use crate::http::{NavEntry, Routes};
use crate::jobs::{Job, Periodic, Registry, Schedule};
use crate::templates::TemplateSource;

type PeriodicFn = Arc<dyn Fn(&Config) -> Periodic + Send + Sync>;

/// What a wing's part of `procure demo --scale N` returns: a line saying what it made.
pub type DemoFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send + 'a>>;

/// Loads a wing's made-up data for `procure demo --scale N` (wings load in wing order).
pub type DemoLoader = for<'a> fn(&'a sea_orm::DatabaseConnection, &'a Config, u64) -> DemoFuture<'a>;

/// One wing's manifest.
pub struct Wing {
    /// A short lowercase name ("scout"), for logs and errors.
    pub name: &'static str,
    pub nav: Option<NavEntry>,
    pub routes: Routes,
    pub templates: Option<TemplateSource>,
    pub jobs: Registry,
    periodic: Vec<PeriodicFn>,
    pub openapi: Option<utoipa::openapi::OpenApi>,
    pub demo: Option<DemoLoader>,
    pub contributions: http::Extensions,
}

impl Wing {
    pub fn new(name: &'static str) -> Wing {
        Wing {
            name,
            nav: None,
            routes: Routes::new(),
            templates: None,
            jobs: Registry::new(),
            periodic: Vec::new(),
            openapi: None,
            demo: None,
            contributions: http::Extensions::new(),
        }
    }

    /// The wing's entry in the site's navigation: `nav("Scout", "/scout/")`.
    pub fn nav(mut self, name: &'static str, path: &'static str) -> Wing {
        self.nav = Some(NavEntry { name, path });
        self
    }

    pub fn routes(mut self, routes: Routes) -> Wing {
        self.routes = self.routes.merge(routes);
        self
    }

    /// The crate's `templates/` folder: `templates(platform::template_source!())`.
    pub fn templates(mut self, source: TemplateSource) -> Wing {
        self.templates = Some(source);
        self
    }

    /// A job type this wing's code enqueues.
    pub fn job<J: Job>(mut self) -> Wing {
        self.jobs.register::<J>();
        self
    }

    /// `job` every night at the configured `NIGHTLY_AT`, in slot `name`; registers its type.
    pub fn nightly<J: Job>(self, name: &'static str, job: J) -> Wing {
        self.periodic(move |config| Periodic::daily(name, &job, config.jobs.nightly_at)).job::<J>()
    }

    /// `job` on `days` of each month at `NIGHTLY_AT`, in slot `name`; registers its type.
    pub fn monthly<J: Job>(self, name: &'static str, job: J, days: &'static [u32]) -> Wing {
        self.periodic(move |config| Periodic::monthly_on(name, &job, days, config.jobs.nightly_at)).job::<J>()
    }

    /// `job` every `weekday` at `at` (the display time zone's), in slot `name`; registers its type.
    pub fn weekly<J: Job>(self, name: &'static str, job: J, weekday: chrono::Weekday, at: chrono::NaiveTime) -> Wing {
        self.periodic(move |_| Periodic::weekly_on(name, &job, weekday, at)).job::<J>()
    }

    /// A periodic job whose timing is read from the configuration. Register its type with
    /// [`Wing::job`] too.
    pub fn periodic(mut self, make: impl Fn(&Config) -> Periodic + Send + Sync + 'static) -> Wing {
        self.periodic.push(Arc::new(make));
        self
    }

    /// The OpenAPI paths and schemas of this wing's JSON API.
    pub fn openapi(mut self, doc: utoipa::openapi::OpenApi) -> Wing {
        self.openapi = Some(doc);
        self
    }

    /// The wing's part of `procure demo`.
    pub fn demo(mut self, load: DemoLoader) -> Wing {
        self.demo = Some(load);
        self
    }

    /// A typed contribution for another crate to collect (one value per type and wing).
    pub fn with<T: Clone + Send + Sync + 'static>(mut self, part: T) -> Wing {
        self.contributions.insert(part);
        self
    }

    /// This wing's periodic jobs, timed by `config`.
    pub fn schedule(&self, config: &Config) -> Vec<Periodic> {
        self.periodic.iter().map(|make| make(config)).collect()
    }
}

/// Everything the wings contributed, in wing order; kept in the app state so a crate's
/// handlers can find what other wings gave them.
#[derive(Clone, Default)]
pub struct Contributions(Vec<http::Extensions>);

impl Contributions {
    pub fn of(wings: &[Wing]) -> Contributions {
        Contributions(wings.iter().map(|w| w.contributions.clone()).collect())
    }

    /// Every wing's contribution of type `T`, in wing order.
    pub fn all<T: Send + Sync + 'static>(&self) -> impl Iterator<Item = &T> {
        self.0.iter().filter_map(|parts| parts.get::<T>())
    }
}

/// The job types of every wing.
pub fn registry(wings: &[Wing]) -> Registry {
    let mut registry = Registry::new();
    for wing in wings {
        registry.extend(&wing.jobs);
    }
    registry
}

/// The periodic jobs of every wing, timed by `config`.
pub fn schedule(wings: &[Wing], config: &Config) -> Schedule {
    let mut schedule = Schedule::new();
    for periodic in wings.iter().flat_map(|w| w.schedule(config)) {
        schedule.add(periodic);
    }
    schedule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Part(&'static str);

    #[test]
    fn contributions_are_collected_in_wing_order_by_type() {
        let wings = [Wing::new("a").with(Part("a")), Wing::new("b"), Wing::new("c").with(Part("c")).with(1u8)];
        let all = Contributions::of(&wings);
        let parts: Vec<_> = all.all::<Part>().map(|p| p.0).collect();
        assert_eq!(parts, ["a", "c"]);
        assert_eq!(all.all::<u8>().count(), 1);
        assert_eq!(all.all::<u16>().count(), 0);
    }
}
