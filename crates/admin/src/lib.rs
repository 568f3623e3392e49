//! The back-office (`/admin`): list, search, create, edit and delete for every declared
//! resource (`resources/`), each change written to the audit log in the same transaction.
//! Who may see what is decided by `accounts::policy`, per resource area.

pub mod audit;
pub mod imports;
mod pages;
pub mod resource;
pub mod resources;
mod uploads;

use platform::http::Routes;
use platform::templates::TemplateSource;

pub use resource::{AdminResource, Field, FieldErrors, Row, Values};

/// This crate's templates (`admin/…`).
pub fn templates() -> TemplateSource {
    platform::template_source!()
}

pub fn routes() -> Routes {
    Routes::new()
        .get("/admin", || async { axum::response::Redirect::permanent("/admin/") })
        .get("/admin/", pages::index)
        .get("/admin/audit/", pages::audit_log)
        .get("/admin/imports/", imports::index)
        .post("/admin/imports/", imports::upload)
        .get("/admin/imports/{id}", imports::show)
        .post("/admin/imports/{id}/confirm", imports::confirm)
        .get("/admin/{resource}/", pages::list)
        .get("/admin/{resource}/new", pages::new_form)
        .post("/admin/{resource}/new", pages::create)
        .get("/admin/{resource}/{id}/edit", pages::edit_form)
        .post("/admin/{resource}/{id}/edit", pages::update)
        .get("/admin/{resource}/{id}/delete", pages::confirm_delete)
        .post("/admin/{resource}/{id}/delete", pages::delete)
}
