//! Reading a submitted form that may carry files: URL-encoded, or multipart with uploads.
//!
//! Each file is streamed into the platform's storage as it arrives (never held whole in
//! memory), identified by its bytes against its field's accepted types and capped at
//! `MAX_CONTENT_LENGTH`; it becomes a `stored_files` row whose id the handler attaches.
//!
//! Invariants:
//! - A file field's value only ever comes from an upload in the same request (a posted id is
//!   ignored), so a form cannot attach a file someone else uploaded; one file per field (later
//!   ones are not stored), or up to a count for a form read with [`UploadForm::read_up_to`]
//!   (an `<input type="file" multiple>`: more is an error on the field, and not stored).
//! - Every file stored for a form that is not kept is deleted: the handler calls
//!   [`UploadForm::keep`] once the change that links the files has committed, or
//!   [`UploadForm::discard`] when it refuses the form; a form dropped without either (the
//!   handler failed with `?`) deletes its files from a background task.
//! - Permission comes before the body: call [`UploadForm::read`] after deciding the user may
//!   submit, so a refused user's upload is never stored.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use sea_orm::DatabaseConnection;

use super::{AppError, AppState};
use crate::files::{self, FileError};
use crate::storage::{StorageError, Visibility};

/// A file field of a form: its name, the MIME types it accepts (by the file's bytes; `None`:
/// any, for data files whose reader checks them), the storage area its files go to
/// (`contracts`, `opportunities`, `imports`), and a rule for the file's name (what is wrong
/// with a name, if anything), checked before anything of the file is stored.
#[derive(Debug, Clone, Copy)]
pub struct FileField {
    pub name: &'static str,
    pub types: Option<&'static [&'static str]>,
    pub area: &'static str,
    pub name_rule: Option<fn(&str) -> Option<String>>,
}

/// A file stored for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub field: String,
    /// The `stored_files` id.
    pub id: i64,
    pub filename: String,
}

/// A submitted form: its text fields in order, the files it stored, and problems with files
/// (a type not accepted, an empty file), by field.
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Uploaded>,
    pub errors: Vec<(String, String)>,
    db: DatabaseConnection,
}

impl UploadForm {
    /// Reads `request` as a form whose file fields are `file_fields`. A body over the size cap
    /// is `PayloadTooLarge`; an unreadable one `BadRequest`; neither keeps any file.
    pub async fn read(state: &AppState, request: Request, file_fields: &[FileField]) -> Result<UploadForm, AppError> {
        Self::read_up_to(state, request, file_fields, 1).await
    }

    /// [`UploadForm::read`], keeping up to `per_field` files for each file field (its files
    /// are [`UploadForm::files_of`]); past that, the field gets an error and nothing more of
    /// it is stored.
    pub async fn read_up_to(
        state: &AppState,
        request: Request,
        file_fields: &[FileField],
        per_field: usize,
    ) -> Result<UploadForm, AppError> {
        let mut form = UploadForm { fields: Vec::new(), files: Vec::new(), errors: Vec::new(), db: state.db.clone() };
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
                .await
                .map_err(|e| AppError::BadRequest(e.body_text()))?;
            let is_file = |name: &str| file_fields.iter().any(|f| f.name == name);
            form.fields = pairs.into_iter().filter(|(k, _)| !is_file(k)).collect();
            return Ok(form);
        }
        let mut parts =
            Multipart::from_request(request, state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
        loop {
            let field = match parts.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => {
                    form.discard().await;
                    return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        AppError::PayloadTooLarge
                    } else {
                        AppError::BadRequest(e.body_text())
                    });
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            let Some(rule) = file_fields.iter().find(|f| f.name == name) else {
                match field.text().await {
                    // The one multipart reader: controls go here as `http::input` removes them from forms.
                    Ok(text) => form.fields.push((name, crate::text::strip_controls(&text).into_owned())),
                    Err(e) => {
                        form.discard().await;
                        return Err(AppError::BadRequest(e.body_text()));
                    }
                }
                continue;
            };
            let filename = field.file_name().unwrap_or_default().to_owned();
            if filename.is_empty() {
                continue; // No file chosen (keep what is there).
            }
            if form.files_of(&name).count() >= per_field.max(1) {
                // One too many for the field: a second for a single file field is ignored, as
                // it always was; past the count of a multiple one, the user is told.
                let too_many = (name, format!("Attach at most {per_field} files."));
                if per_field > 1 && !form.errors.contains(&too_many) {
                    form.errors.push(too_many);
                }
                continue;
            }
            if let Some(problem) = rule.name_rule.and_then(|refuses| refuses(&filename)) {
                // Refused by its name: none of it is read into storage.
                form.errors.push((name, problem));
                continue;
            }
            let limit = state.config.uploads.max_content_length;
            match files::save_upload(state, field, &filename, Visibility::Private, rule.area, limit, rule.types).await {
                Ok(record) => form.files.push(Uploaded { field: name, id: record.id, filename }),
                Err(FileError::Storage(StorageError::TooLarge { .. })) => {
                    form.discard().await;
                    return Err(AppError::PayloadTooLarge);
                }
                Err(FileError::Storage(StorageError::NotAccepted { .. })) => {
                    let kinds = kinds(rule.types.unwrap_or_default());
                    let message = format!("“{filename}” is not a {kinds} file by its contents; choose a {kinds} file.");
                    form.errors.push((name, message));
                }
                Err(FileError::Storage(StorageError::Empty)) => {
                    form.errors.push((name, format!("“{filename}” is empty.")));
                }
                Err(e) => {
                    form.discard().await;
                    return Err(e.into());
                }
            }
        }
        Ok(form)
    }

    /// The first value of text field `name`, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    /// Every value of `name` that reads as an id (a checkbox group).
    pub fn ids(&self, name: &str) -> Vec<i32> {
        self.fields.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.trim().parse().ok()).collect()
    }

    /// The file stored for field `name`, if one was uploaded.
    pub fn file(&self, name: &str) -> Option<&Uploaded> {
        self.files.iter().find(|f| f.field == name)
    }

    /// Every file stored for field `name`, in the order they came.
    pub fn files_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Uploaded> + 'a {
        self.files.iter().filter(move |f| f.field == name)
    }

    /// The files are linked to what the handler saved: they stay.
    pub fn keep(&mut self) {
        self.files.clear();
    }

    /// The form is refused or its save failed: deletes every file it stored, now.
    pub async fn discard(&mut self) {
        for file in std::mem::take(&mut self.files) {
            if let Err(e) = files::delete_now(&self.db, file.id).await {
                tracing::error!(file = file.id, error = %e, "could not delete the upload of a form that was not kept");
            }
        }
    }
}

impl Drop for UploadForm {
    fn drop(&mut self) {
        let files = std::mem::take(&mut self.files);
        if files.is_empty() {
            return;
        }
        // The handler returned without keeping or discarding (an error escaped with `?`).
        let db = self.db.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for file in files {
                    if let Err(e) = files::delete_now(&db, file.id).await {
                        tracing::error!(file = file.id, error = %e, "could not delete the upload of a failed form");
                    }
                }
            });
        }
    }
}

/// "PDF", "PDF, Word or Excel": what people call the accepted types.
fn kinds(types: &[&str]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for t in types {
        let name = kind_name(t);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "accepted".to_owned(),
    }
}

/// What people call a file of MIME type `mime`.
fn kind_name(mime: &str) -> &str {
    match mime {
        "application/pdf" => "PDF",
        "application/msword" | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "Word",
        "application/vnd.ms-excel" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "Excel",
        "text/csv" => "CSV",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::kinds;

    #[test]
    fn accepted_types_are_named_as_people_name_them() {
        assert_eq!(kinds(&["application/pdf"]), "PDF");
        let office = [
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
        ];
        assert_eq!(kinds(&office), "PDF, Word or Excel");
        assert_eq!(kinds(&["image/png", "text/csv"]), "image/png or CSV");
    }
}
