//! Every route of the app × every kind of user → the status each must get.
//!
//! The routes come from `procure::app::route_table()`, the same list the router is built from,
//! and `expected` panics on a route it does not know: adding a route means deciding here who
//! may use it. Every answer is also checked for what a shared cache may keep of it: nothing of a
//! signed-in user's, and every anonymous answer says what it allows.

mod common;

use accounts::Role;
use axum::http::Method;
use common::browser::Browser;
use common::{Backend, TestApp};
use platform::http::RouteInfo;

#[derive(Debug, Clone, Copy)]
enum Access {
    /// The same answer for everyone: this status, or (None) whatever the route answers.
    Public(Option<u16>),
    /// The sign-in form: anonymous users see it, signed-in users are sent on.
    SignInForm,
    /// Anonymous users are sent to sign in; every signed-in user gets this status.
    SignedIn(u16),
    /// Staff and conductor-level users get this status; county users 403.
    StaffLevel(u16),
    /// Conductor, admin, superadmin get this status; other users 403.
    ConductorLevel(u16),
    /// Admin and superadmin get this status; other users 403.
    Admin(u16),
}

fn expected(route: &RouteInfo) -> Access {
    use Access::*;
    let get = route.method == Method::GET;
    match (get, route.path.as_str()) {
        (true, "/__lbheartbeat__" | "/__heartbeat__" | "/robots.txt" | "/" | "/about/" | "/_status") => {
            Public(Some(200))
        }
        (true, "/__version__" | "/__metrics__" | "/files/{*key}") => Public(None),
        (true, "/about" | "/admin" | "/scout") => Public(Some(308)),
        (true, "/accessibility/") => Public(Some(200)),
        // Everyone may open the live pages' socket (a plain GET is told it is one); what each
        // socket hears is filtered by its audience (tests/realtime.rs).
        (true, "/ws") => Public(Some(400)),
        // Scout is public; following and notes need a signed-in user (any role).
        (
            true,
            "/scout/"
            | "/scout/search"
            | "/scout/contracts/{id}"
            | "/scout/companies/{id}"
            | "/scout/departments/{id}"
            | "/scout/contracts/{id}/feedback"
            | "/scout/feedback",
        ) => Public(Some(200)),
        // The matrix's contracts have no uploaded document.
        (true, "/scout/contracts/{id}/document") => Public(Some(404)),
        // Beacon's public lists; the matrix makes no opportunity, so one is a 404 for everyone.
        (true, "/beacon/" | "/beacon/opportunities/closed") => Public(Some(200)),
        (true, "/beacon/feeds/opportunities.atom" | "/beacon/feeds/deadlines.ics") => Public(Some(200)),
        (true, "/beacon") => Public(Some(308)),
        (true, "/beacon/opportunities/{id}") => Public(Some(404)),
        // Vendors' pages need the signed link from their email; without it there is nothing.
        (_, "/beacon/vendors/{id}/unsubscribe" | "/beacon/vendors/{id}/manage" | "/beacon/vendors/{id}/confirm") => {
            Public(Some(404))
        }
        // Beacon's staff pages: staff and conductor-level users, not county users. The matrix
        // has no opportunity, so one is a 404 for every signed-in user; a form that is not an
        // upload is a 400.
        (true, "/beacon/admin/" | "/beacon/admin/new" | "/beacon/admin/vendors.csv" | "/beacon/admin/vendors.tsv") => {
            StaffLevel(200)
        }
        (false, "/beacon/admin/new") => StaffLevel(400),
        (_, "/beacon/admin/{id}") => StaffLevel(404),
        (false, "/beacon/admin/{id}/approve" | "/beacon/admin/{id}/archive") => SignedIn(404),
        (true, "/beacon/opportunities/{id}/documents/{doc}") => Public(Some(404)),
        // Following: the matrix's {id} is no opportunity, so its form and the request are 404s.
        (_, "/beacon/opportunities/{id}/follow") => Public(Some(404)),
        // Anyone may ask for a vendor's manage link (an empty address is a 400), and read how
        // to do business with the city.
        (true, "/beacon/manage" | "/beacon/vendors") => Public(Some(200)),
        (false, "/beacon/manage") => Public(Some(400)),
        (_, "/beacon/vendors/{id}/follow/{opportunity}") => Public(Some(404)),
        // Anyone may sign up; an empty form is a 400 with its reasons.
        (true, "/beacon/sign-up") => Public(Some(200)),
        (false, "/beacon/sign-up") => Public(Some(400)),
        // The JSON API and its description are public and read-only.
        (true, "/api/v1/contracts" | "/api/v1/contracts/{id}" | "/api/v1/companies/{id}") => Public(Some(200)),
        (true, "/api/v1/opportunities") => Public(Some(200)),
        // The matrix makes no opportunity.
        (true, "/api/v1/opportunities/{id}") => Public(Some(404)),
        (true, "/api/openapi.json" | "/api/docs") => Public(Some(200)),
        (true, "/api") => Public(Some(308)),
        // The token endpoint answers an empty form 400 (no grant_type), whoever sends it; the
        // token check needs a token, which no browser has (tests/api_access.rs covers tokens).
        (false, "/api/oauth/token") => Public(Some(400)),
        (true, "/api/v1/me") => Public(Some(401)),
        // The vendor list as JSON: staff, as its CSV; a token with vendors:read.
        (true, "/api/v1/vendors") => StaffLevel(200),
        // A vendor's subscriptions need its manage link's signature; without one, a 400 naming it.
        (_, "/api/v1/vendors/{id}/subscriptions") => Public(Some(400)),
        // Opportunity drafts through the API take a token only, as contract writes.
        (
            _,
            "/api/v1/opportunities/drafts"
            | "/api/v1/opportunities/drafts/{id}"
            | "/api/v1/opportunities/drafts/{id}/documents",
        ) => Public(Some(401)),
        // Contract writes take a token only: a session, whatever its roles, is not enough.
        (_, "/api/v1/contracts/by-controller/{number}" | "/api/v1/contracts/by-controller/{number}/archive") => {
            Public(Some(401))
        }
        (false, "/scout/contracts/{id}/follow" | "/scout/contracts/{id}/unfollow") => SignedIn(303),
        // An empty note is a 400 for the signed-in, the anonymous are sent to sign in.
        (false, "/scout/contracts/{id}/notes") => SignedIn(400),
        (false, "/scout/notes/{id}/delete") => SignedIn(404),
        // Anyone may write to the admins; an empty form is a 400.
        (false, "/scout/contracts/{id}/feedback" | "/scout/feedback") => Public(Some(400)),
        (true, "/assets/{hash}/{*path}") => Public(Some(200)),
        (true, "/sign-in") => SignInForm,
        // An empty form or a missing token is a clear 400 for anyone.
        (false, "/sign-in") | (_, "/sign-in/link") => Public(Some(400)),
        (false, "/sign-out") => Public(Some(303)),
        // Password sign-in is off unless PASSWORD_LOGIN=1 (tests/accounts.rs turns it on).
        (false, "/sign-in/password") => Public(Some(404)),
        (false, "/profile/password") => SignedIn(404),
        (true, "/profile") => SignedIn(200),
        (false, "/profile") => SignedIn(400),
        // Letting go of something listed on one's profile (a followed contract): back to it.
        (false, "/profile/{section}/{id}/remove") => SignedIn(303),
        // Personal API tokens: city staff, not county users; an empty form is a 400, and the
        // matrix's {id} is nobody's token.
        (false, "/profile/tokens") => StaffLevel(400),
        (false, "/profile/tokens/{id}/revoke") => StaffLevel(404),
        (true, "/admin/") => ConductorLevel(200),
        (true, "/admin/audit/" | "/admin/{resource}/" | "/admin/{resource}/new" | "/admin/imports/") => Admin(200),
        // An upload without a file; an import that does not exist.
        (false, "/admin/imports/") => Admin(400),
        (true, "/admin/imports/{id}") => Admin(404),
        (false, "/admin/imports/{id}/confirm") => Admin(404),
        (true, "/admin/{resource}/{id}/edit" | "/admin/{resource}/{id}/delete") => Admin(200),
        (false, "/admin/{resource}/new" | "/admin/{resource}/{id}/edit") => Admin(400),
        (false, "/admin/{resource}/{id}/delete") => Admin(303),
        // Conductor: conductor-level users only. The matrix's {id} of a work item is no work
        // item (404), of a contract a fresh contract; empty forms are 400s.
        (true, "/conductor") => Public(Some(308)),
        (true, "/conductor/" | "/conductor/new" | "/conductor/contracts/{id}/start") => ConductorLevel(200),
        (false, "/conductor/new" | "/conductor/contracts/{id}/start") => ConductorLevel(400),
        (false, "/conductor/contracts/{id}/set-aside" | "/conductor/contracts/{id}/restore" | "/conductor/assign") => {
            ConductorLevel(303)
        }
        (_, path) if path.starts_with("/conductor/items/{id}") => ConductorLevel(404),
        // Metrics: the matrix's flow does not exist; the all-contracts export is always there.
        (true, "/conductor/metrics") => Public(Some(308)),
        (true, "/conductor/metrics/" | "/conductor/export") => ConductorLevel(200),
        (true, "/conductor/metrics/{flow}" | "/conductor/metrics/{flow}/export") => ConductorLevel(404),
        // COSTARS uploads: an empty form is a 400 (no list) or back to the page (no PDF); the
        // matrix's import does not exist.
        (true, "/conductor/upload/costars") => ConductorLevel(200),
        (false, "/conductor/upload/costars") => ConductorLevel(400),
        (_, "/conductor/upload/costars/{id}" | "/conductor/upload/costars/{id}/confirm") => ConductorLevel(404),
        (false, "/conductor/upload/costars/contracts/{id}/document") => ConductorLevel(303),
        // The renewal calendar; its feed's key is its token (the matrix's is no token).
        (true, "/conductor/calendar") => ConductorLevel(200),
        (false, "/conductor/calendar/rotate") => ConductorLevel(303),
        (true, "/conductor/calendar/{token}/renewals.ics") => Public(Some(404)),
        // The flow's data is an API answer: anonymous clients get 401, not the sign-in page.
        (true, "/api/v1/conductor/flows/{id}/metrics") => ConductorLevel(404),
        _ => panic!("{route} has no expected access in the route-by-role matrix: decide who may use it"),
    }
}

/// A concrete URL for `route`. Records a route acts on are made fresh for each request, so a
/// delete by one role does not change what the next role sees.
async fn concrete(app: &TestApp, route: &RouteInfo) -> String {
    let mut path = route.path.clone();
    if path.starts_with("/scout/contracts/{id}")
        || path.starts_with("/api/v1/contracts/{id}")
        || path.starts_with("/conductor/contracts/{id}")
    {
        path = path.replace("{id}", &contract(app).await.to_string());
    } else if path.starts_with("/scout/companies/{id}") || path.starts_with("/api/v1/companies/{id}") {
        path = path.replace("{id}", &company(app).await.to_string());
    } else if path.contains("{id}") {
        let name = format!("Matrix {}", uuid::Uuid::new_v4().simple());
        let id = department(app, &name).await;
        path = path.replace("{id}", &id.to_string());
    }
    let asset = app.state.assets.url("css/procure.css");
    path.replace("{resource}", "departments")
        .replace("/assets/{hash}/{*path}", &asset)
        .replace("{*key}", "public/none.pdf")
        .replace("{doc}", "1")
        .replace("{opportunity}", "1")
        .replace("{section}", "following")
        .replace("{entry}", "1")
        .replace("{file}", "1")
        .replace("{flow}", "999999")
        .replace("{token}", "1.0.00")
        .replace("{number}", "MATRIX-1")
}

async fn contract(app: &TestApp) -> i32 {
    common::builders::Contract::new("Matrix contract").insert(app).await.id
}

async fn company(app: &TestApp) -> i32 {
    common::builders::Company::new(&format!("Matrix {}", uuid::Uuid::new_v4().simple())).insert(app).await.id
}

async fn department(app: &TestApp, name: &str) -> i32 {
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    let d = model::entities::department::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    d.insert(&app.state.db).await.expect("department").id
}

/// What is wrong with a response's `Cache-Control`, if anything: a signed-in user's answers and
/// every form's reply are never stored; an anonymous page says what a cache may do. Assets are
/// the same bytes for everyone and keep their own header.
fn cache_problem(route: &RouteInfo, signed_in: bool, cache: &str) -> Option<String> {
    if route.path.contains("{hash}") {
        return None;
    }
    let private = cache == "private, no-store" || cache == "no-store";
    if (signed_in || route.method != Method::GET) && !private {
        return Some(format!("a private answer with Cache-Control {cache:?}"));
    }
    if cache.is_empty() {
        return Some("an anonymous answer without Cache-Control".to_owned());
    }
    None
}

async fn every_route_answers_every_role_as_declared(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let users: Vec<(&str, Option<Role>)> = vec![
        ("anonymous", None),
        ("staff", Some(Role::Staff)),
        ("county", Some(Role::County)),
        ("conductor", Some(Role::Conductor)),
        ("admin", Some(Role::Admin)),
        ("superadmin", Some(Role::Superadmin)),
    ];
    let mut browsers = Vec::new();
    for (name, role) in &users {
        let browser = match role {
            None => Browser::new(&app),
            Some(role) => Browser::sign_in_as(&app, &format!("{name}@example.org"), &[*role]).await,
        };
        browsers.push((*name, *role, browser));
    }

    let routes = procure::app::route_table().list();
    assert!(routes.len() >= 20, "the route table is complete: {routes:?}");
    let mut failures = Vec::new();
    for route in &routes {
        let access = expected(route);
        let mut public_statuses = Vec::new();
        for (name, role, browser) in &browsers {
            let path = concrete(&app, route).await;
            let response = match route.method {
                Method::GET => browser.get(&path).await,
                Method::PUT => browser.send(axum::http::Request::put(&path), axum::body::Body::empty()).await,
                _ => browser.post(&path, &[]).await,
            };
            let got = response.status.as_u16();
            let location = response.header("location").to_owned();
            let to_sign_in = got == 303 && location.starts_with("/sign-in");
            let ok = match (access, role) {
                (Access::Public(Some(want)), _) => got == want,
                (Access::Public(None), _) => {
                    public_statuses.push(got);
                    !to_sign_in && got != 401 && got != 403
                }
                (Access::SignInForm, None) => got == 200,
                (Access::SignInForm, Some(_)) => got == 303 && location == "/",
                (Access::SignedIn(_) | Access::StaffLevel(_) | Access::ConductorLevel(_) | Access::Admin(_), None) => {
                    if route.path.starts_with("/api/") {
                        got == 401
                    } else {
                        to_sign_in && location.contains("next=")
                    }
                }
                (Access::SignedIn(want), Some(_)) => got == want,
                (Access::StaffLevel(want), Some(r)) => got == if *r == Role::County { 403 } else { want },
                (Access::ConductorLevel(want), Some(r)) => {
                    got == if matches!(r, Role::Conductor | Role::Admin | Role::Superadmin) { want } else { 403 }
                }
                (Access::Admin(want), Some(r)) => {
                    got == if matches!(r, Role::Admin | Role::Superadmin) { want } else { 403 }
                }
            };
            if !ok {
                failures.push(format!("{route} as {name}: got {got} {location} (expected {access:?})"));
            }
            if let Some(problem) = cache_problem(route, role.is_some(), response.header("cache-control")) {
                failures.push(format!("{route} as {name}: {problem}"));
            }
        }
        public_statuses.dedup();
        if public_statuses.len() > 1 {
            failures.push(format!("{route} answers roles differently: {public_statuses:?}"));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
on_both_backends!(every_route_answers_every_role_as_declared);
