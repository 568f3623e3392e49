//! The back-office (`/admin`): list, search, create, edit and delete for every declared
//! resource (`resources/`), each change written to the audit log in the same transaction.
//! Who may see what is decided by `accounts::policy`, per resource area.
//!
//! The back-office knows no wing (Django's rule): each wing contributes its tables as a
//! [`BackOffice`] and its data files as [`imports::Imports`] through its manifest, and the
//! pages find them in the app state.

pub mod audit;
pub mod imports;
pub mod kit;
mod pages;
pub mod resource;
pub mod resources;
mod uploads;

use platform::Wing;
use platform::http::Routes;

pub use resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values};
pub use resources::BackOffice;

/// The back-office's manifest: its pages, the import job, and its own tables.
pub fn wing() -> Wing {
    Wing::new("admin")
        .routes(routes())
        .templates(platform::template_source!())
        .job::<imports::ImportFile>()
        .with(resources::OWN)
}

fn routes() -> Routes {
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
