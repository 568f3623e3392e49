//! Reading a back-office form: URL-encoded, or multipart when the resource has a file field.
//!
//! A file is streamed into the platform's storage as it arrives (never held whole in memory) and
//! its field's value becomes the new `stored_files` id. A value for a file field can only come
//! from an upload in the same request: a posted id is ignored, so a form cannot attach a file
//! that someone else uploaded (an import, another contract's document).

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use platform::files::{self, FileError};
use platform::http::{AppError, AppState};
use platform::storage::{StorageError, Visibility};

use crate::resource::{Field, FieldErrors, FieldKind, Values};

/// A submitted form: its values, the files it uploaded, and problems with those files.
pub struct Submitted {
    pub values: Values,
    pub errors: FieldErrors,
    uploaded: Vec<i64>,
}

impl Submitted {
    /// Deletes the files this form uploaded (the save did not happen).
    pub async fn discard(&self, state: &AppState) {
        for id in &self.uploaded {
            if let Err(e) = files::delete_now(&state.db, *id).await {
                tracing::error!(file = id, error = %e, "could not delete the upload of a form that was not saved");
            }
        }
    }
}

fn file_types(fields: &[Field], name: &str) -> Option<&'static [&'static str]> {
    fields.iter().find(|f| f.name == name).and_then(|f| match f.kind {
        FieldKind::File { types } => Some(types),
        _ => None,
    })
}

pub async fn read(state: &AppState, area: &str, fields: &[Field], request: Request) -> Result<Submitted, AppError> {
    let mut form = Submitted { values: Values::new(), errors: FieldErrors::default(), uploaded: Vec::new() };
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        for (k, v) in pairs {
            if file_types(fields, &k).is_none() {
                form.values.entry(k).or_default().push(v);
            }
        }
        return Ok(form);
    }
    let mut parts = Multipart::from_request(request, state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
    loop {
        let field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                form.discard(state).await;
                return Err(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(e.body_text())
                });
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        match file_types(fields, &name) {
            Some(types) => {
                let filename = field.file_name().unwrap_or_default().to_owned();
                if filename.is_empty() {
                    continue; // No file chosen: keep what is there.
                }
                let limit = state.config.uploads.max_content_length;
                match files::save_upload(state, field, &filename, Visibility::Private, area, limit, Some(types)).await {
                    Ok(record) => {
                        form.uploaded.push(record.id);
                        form.values.insert(name, vec![record.id.to_string()]);
                    }
                    Err(FileError::Storage(StorageError::TooLarge { .. })) => {
                        form.discard(state).await;
                        return Err(AppError::PayloadTooLarge);
                    }
                    Err(FileError::Storage(StorageError::NotAccepted { .. })) => {
                        let kinds = types.iter().map(|t| kind_name(t)).collect::<Vec<_>>().join(" or ");
                        form.errors.add(
                            &name,
                            format!("“{filename}” is not a {kinds} file by its contents; choose a {kinds} file."),
                        );
                    }
                    Err(FileError::Storage(StorageError::Empty)) => {
                        form.errors.add(&name, format!("“{filename}” is empty."));
                    }
                    Err(e) => {
                        form.discard(state).await;
                        return Err(e.into());
                    }
                }
            }
            None => match field.text().await {
                Ok(text) => form.values.entry(name).or_default().push(text),
                Err(e) => {
                    form.discard(state).await;
                    return Err(AppError::BadRequest(e.body_text()));
                }
            },
        }
    }
    Ok(form)
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
