//! Reading a back-office form through the platform's upload kit ([`UploadForm`]): its file
//! fields are the resource's `File` fields, and the values are keyed by field like the rest of
//! the form, a file field's value being its new `stored_files` id.

use axum::extract::Request;
use platform::http::upload::{FileField, UploadForm};
use platform::http::{AppError, AppState};

use crate::resource::{Field, FieldErrors, FieldKind, Values};

/// A submitted back-office form: the values, problems with its files, and the form itself,
/// which deletes its uploads unless kept.
pub struct Submitted {
    pub values: Values,
    pub errors: FieldErrors,
    pub form: UploadForm,
}

pub async fn read(
    state: &AppState,
    area: &'static str,
    fields: &[Field],
    request: Request,
) -> Result<Submitted, AppError> {
    let file_fields: Vec<FileField> = fields
        .iter()
        .filter_map(|f| match f.kind {
            FieldKind::File { types } => Some(FileField { name: f.name, types: Some(types), area, name_rule: None }),
            _ => None,
        })
        .collect();
    let form = UploadForm::read(state, request, &file_fields).await?;
    let mut values = Values::new();
    for (k, v) in &form.fields {
        values.entry(k.clone()).or_default().push(v.clone());
    }
    for file in &form.files {
        values.insert(file.field.clone(), vec![file.id.to_string()]);
    }
    let mut errors = FieldErrors::default();
    for (field, message) in &form.errors {
        errors.add(field, message.clone());
    }
    Ok(Submitted { values, errors, form })
}
