//! A router that remembers what it holds.
//!
//! axum's `Router` cannot list its routes, yet the route-by-role test must see every one of them,
//! so that a new route cannot be added without deciding who may use it. Every crate declares its
//! routes through [`Routes`], which builds the axum router and the list from the same calls.

use std::collections::BTreeMap;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post, put};

use super::state::AppState;

/// One declared route: `GET /admin/{resource}/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
}

impl std::fmt::Display for RouteInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Routes under construction. `HEAD` is answered wherever `GET` is (axum does that itself).
#[derive(Default)]
pub struct Routes {
    paths: BTreeMap<String, MethodRouter<AppState>>,
    info: Vec<RouteInfo>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn get<H, T>(self, path: &str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, get(handler))
    }

    pub fn post<H, T>(self, path: &str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, post(handler))
    }

    pub fn put<H, T>(self, path: &str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, put(handler))
    }

    fn add(mut self, method: Method, path: &str, route: MethodRouter<AppState>) -> Routes {
        self.insert(path.to_owned(), route);
        self.info.push(RouteInfo { method, path: path.to_owned() });
        self
    }

    /// Adds `route` at `path`, beside any methods already there.
    fn insert(&mut self, path: String, route: MethodRouter<AppState>) {
        let merged = match self.paths.remove(&path) {
            Some(existing) => existing.merge(route),
            None => route,
        };
        self.paths.insert(path, merged);
    }

    /// Adds every route of `other`.
    pub fn merge(mut self, other: Routes) -> Routes {
        for (path, route) in other.paths {
            self.insert(path, route);
        }
        self.info.extend(other.info);
        self
    }

    /// Every route declared so far, sorted.
    pub fn list(&self) -> Vec<RouteInfo> {
        let mut all = self.info.clone();
        all.sort();
        all
    }

    pub fn into_router(self) -> Router<AppState> {
        let mut router = Router::new();
        for (path, route) in self.paths {
            router = router.route(&path, route);
        }
        router
    }
}
