//! The one error shape of every service (Scout's contracts, Beacon's lifecycle, Conductor's
//! workflow), and its one mapping to an HTTP answer.
//!
//! The service shape: a service function takes the caller's connection or transaction
//! (`&impl ConnectionTrait`), checks the policy, validates, and writes; the handler (or job)
//! opens `platform::db::begin_write`, calls one or more services, and commits, so one user
//! action is one transaction, with the emails and jobs it causes queued inside it.

use platform::http::AppError;
use sea_orm::DbErr;

use crate::policy::Denied;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such record")]
    NotFound,
    /// Field → message, for the form; field `""` is about the form as a whole.
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<(&'static str, String)>),
    /// The record changed meanwhile (someone acted first); the message says what to do.
    #[error("{0}")]
    Conflict(String),
}

impl ServiceError {
    /// One problem with one field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![(field, message.into())])
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Db(e) => e.into(),
            ServiceError::Denied(d) => d.into(),
            ServiceError::NotFound => AppError::NotFound,
            invalid @ ServiceError::Invalid(_) => AppError::BadRequest(invalid.to_string()),
            ServiceError::Conflict(message) => AppError::Conflict(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_is_answered_with_its_status() {
        let status = |e: ServiceError| axum::response::IntoResponse::into_response(AppError::from(e)).status();
        assert_eq!(status(ServiceError::NotFound), 404);
        assert_eq!(status(Denied::Forbidden.into()), 403);
        assert_eq!(status(ServiceError::invalid("title", "Give it a title.")), 400);
        assert_eq!(status(ServiceError::Conflict("Approved meanwhile.".into())), 409);
        assert_eq!(status(DbErr::Custom("down".into()).into()), 500);
    }

    #[test]
    fn an_invalid_form_reads_as_its_messages() {
        let e = ServiceError::Invalid(vec![("a", "One.".into()), ("b", "Two.".into())]);
        assert_eq!(e.to_string(), "One. Two.");
    }
}
