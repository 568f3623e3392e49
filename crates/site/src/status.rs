//! `/_status` in the original suite's shape, and the record of server errors it reports.
//!
//! `{"status": "ok", "dependencies": [...], "resources": {}, "updated": <epoch seconds>}`.
//! The original marked `app_status` as an error on every 500 and never cleared it; here an
//! error is reported while it is recent (within [`ERROR_WINDOW`]) and ages out by itself.
//! In production each server error is also emailed to `ADMINS` (see [`ServerErrors`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use model::StampUpdate;
use model::entities::app_status;
use platform::Config;
use platform::config::{BrokerKind, DatabaseBackend};
use platform::http::AppState;
use platform::jobs;
use platform::mail::{Email, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use crate::emails::ServerError;

/// How long a server error keeps `/_status` from saying "ok".
pub const ERROR_WINDOW: Duration = Duration::minutes(10);

/// The backing services this deployment uses, named as the original named them.
pub fn dependencies(config: &Config) -> Vec<&'static str> {
    let mut deps = vec![match config.database.backend {
        DatabaseBackend::Postgres => "Postgres",
        DatabaseBackend::Sqlite { .. } => "SQLite",
    }];
    if config.redis.is_some() {
        deps.push("Redis");
    }
    match config.broker.as_ref().map(|b| b.kind) {
        Some(BrokerKind::Redis) if config.redis.is_none() => deps.push("Redis"),
        Some(BrokerKind::Amqp) => deps.push("RabbitMQ"),
        _ => {}
    }
    if config.s3.is_some() {
        deps.push("S3");
    }
    if let Some(smtp) = &config.mail.smtp {
        deps.push(if smtp.host.contains("sendgrid") {
            "Sendgrid"
        } else if smtp.host.contains("mailgun") {
            "Mailgun"
        } else {
            "SMTP"
        });
    }
    deps
}

pub async fn status(State(state): State<AppState>) -> Response {
    let status = match app_status::Entity::find_by_id(1).one(&state.db).await {
        Err(e) => format!("Database is unavailable: {e}"),
        Ok(None) => "ok".to_owned(),
        Ok(Some(row)) => {
            let recent = row.last_updated.is_some_and(|t| Utc::now() - t < ERROR_WINDOW);
            if row.status != "ok" && recent {
                format!("{}: {}", row.status, row.message.unwrap_or_default())
            } else {
                "ok".to_owned()
            }
        }
    };
    let body = json!({
        "status": status,
        "dependencies": dependencies(&state.config),
        "resources": {},
        "updated": Utc::now().timestamp(),
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How long after emailing the admins about a server error further errors stay quiet.
pub const ADMIN_MAIL_QUIET: Duration = Duration::minutes(10);

/// What happens after a 500 went out: `app_status` records it, and in production the `ADMINS`
/// get an email (at most one per [`ADMIN_MAIL_QUIET`] per process, so an outage does not
/// flood them).
pub struct ServerErrors {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub templates: Templates,
    last_mail_ms: AtomicI64,
}

impl ServerErrors {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, templates: Templates) -> Self {
        ServerErrors { db, config, templates, last_mail_ms: AtomicI64::new(i64::MIN) }
    }

    pub async fn record(&self, request_id: &str, what: &str) {
        record_server_error(&self.db, request_id, what).await;
        if !self.config.env.is_production() || self.config.admins.is_empty() {
            return;
        }
        let now = Utc::now().timestamp_millis();
        let last = self.last_mail_ms.load(Ordering::SeqCst);
        if now.saturating_sub(last) < ADMIN_MAIL_QUIET.num_milliseconds()
            || self.last_mail_ms.compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst).is_err()
        {
            return;
        }
        let to = self.config.admins.iter().map(|a| match &a.name {
            Some(name) => format!("{name} <{}>", a.email),
            None => a.email.clone(),
        });
        let message = ServerError {
            what: what.to_owned(),
            request_id: request_id.to_owned(),
            when: Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
            quiet_minutes: ADMIN_MAIL_QUIET.num_minutes(),
        };
        let host = self.config.site.host().to_owned();
        let queued = match Email::compose(&self.templates, &message, Sender::Default, to.collect(), &host) {
            Ok(email) => jobs::enqueue(&self.db, &SendEmail(email)).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = queued {
            tracing::error!(error = %e, "cannot queue the server-error email to the admins");
        }
    }
}

/// Marks the app as in error (called after a 500 went out; never fails the caller).
pub async fn record_server_error(db: &DatabaseConnection, request_id: &str, what: &str) {
    let message = format!("{what} (request {request_id})");
    let result = app_status::Entity::update_many()
        .col_expr(app_status::Column::Status, Expr::value("error"))
        .col_expr(app_status::Column::Message, Expr::value(message))
        .col_expr(app_status::Column::LastUpdated, Expr::value(Utc::now()))
        .stamped(None, Utc::now())
        .filter(app_status::Column::Id.eq(1))
        .exec(db)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record the server error in app_status");
    }
}
