use accounts::Viewer;
use axum::extract::State;
use axum::response::{Html, Redirect};
use minijinja::context;
use platform::http::{AppError, AppState};

/// The three products, in the order the original showed them. A tile links to its wing only
/// where this deployment mounts it.
const PRODUCTS: [(&str, &str, &str); 3] = [
    (
        "Scout",
        "/scout/",
        "Search the city's contracts: who supplies what, at what price, until when. Follow a contract to hear when it changes.",
    ),
    (
        "Beacon",
        "/beacon/",
        "See the city's open and upcoming bid opportunities, download their documents, and sign up to hear about new ones in your field.",
    ),
    (
        "Conductor",
        "/conductor/",
        "For procurement staff: move contract renewals through their stages, post opportunities and keep the data current.",
    ),
];

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Html<String>, AppError> {
    let products: Vec<_> = PRODUCTS
        .iter()
        .map(|&(name, path, summary)| {
            let mounted = state.nav.iter().any(|w| w.path == path);
            context! { name, path, summary, mounted }
        })
        .collect();
    accounts::page(&state, &viewer, "site/home.html", context! { products })
}

pub async fn about(State(state): State<AppState>, viewer: Viewer) -> Result<Html<String>, AppError> {
    accounts::page(&state, &viewer, "site/about.html", context! {})
}

pub async fn accessibility(State(state): State<AppState>, viewer: Viewer) -> Result<Html<String>, AppError> {
    accounts::page(&state, &viewer, "site/accessibility.html", context! {})
}

pub async fn about_redirect() -> Redirect {
    Redirect::permanent("/about/")
}
