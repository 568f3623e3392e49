//! Stored files as records: an upload becomes an object in the [`Storage`] and a row in
//! `stored_files`; deleting the row deletes the object.
//!
//! Order, so there is never a dangling record and never a lasting orphan:
//! - **Upload**: object first, then the row. If the row's transaction fails, the object is
//!   deleted at once; if the process dies in between, the object is an orphan nobody links to
//!   (never a row pointing at nothing).
//! - **Delete**: the row goes, and a [`DeleteObject`] job is queued, in one transaction; the
//!   worker then deletes the object, retrying until the store answers. A page can never show a
//!   file whose object is gone, and the object outlives its row only until the job runs.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use crate::http::errors::error_response;
use crate::http::{AppError, AppState};
use crate::jobs::queue::stmt;
use crate::jobs::{self, Job, JobContext, JobSettings};
use crate::storage::{StorageError, StoredObject, Visibility};

/// A row of `stored_files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct FileRecord {
    pub id: i64,
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Jobs(#[from] jobs::JobsError),
    #[error("no stored file with id {0}")]
    NotFound(i64),
}

impl From<FileError> for AppError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::Storage(StorageError::TooLarge { .. }) => AppError::PayloadTooLarge,
            FileError::Storage(e @ (StorageError::NotAccepted { .. } | StorageError::Empty)) => {
                AppError::BadRequest(e.to_string())
            }
            FileError::NotFound(_) => AppError::NotFound,
            FileError::Storage(e @ StorageError::Full) => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

/// Streams an upload into the store and records it. `area` groups keys
/// (`public/<area>/…`); `accepted` lists the MIME types allowed.
pub async fn save_upload<S, E>(
    state: &AppState,
    body: S,
    filename: &str,
    visibility: Visibility,
    area: &str,
    limit: u64,
    accepted: Option<&[&str]>,
) -> Result<FileRecord, FileError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let key = crate::storage::Storage::new_key(visibility, area, filename);
    let object = state.storage.put_stream(&key, body, limit, accepted).await?;
    match insert(&state.db, &object, filename).await {
        Ok(record) => Ok(record),
        Err(e) => {
            // The row failed: take the object back out so it is not left behind.
            if let Err(cleanup) = state.storage.delete(&object.key).await {
                tracing::error!(key = %object.key, error = %cleanup, "orphaned an uploaded object");
            }
            Err(e.into())
        }
    }
}

async fn insert(conn: &impl ConnectionTrait, object: &StoredObject, filename: &str) -> Result<FileRecord, DbErr> {
    let backend = conn.get_database_backend();
    let filename = crate::storage::safe_filename(filename);
    let size = i64::try_from(object.size).unwrap_or(i64::MAX);
    let row = conn
        .query_one_raw(stmt(
            backend,
            "INSERT INTO stored_files (key, filename, content_type, size, sha256) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![
                object.key.clone().into(),
                filename.clone().into(),
                object.content_type.clone().into(),
                size.into(),
                object.sha256.clone().into(),
            ],
        ))
        .await?
        .ok_or(DbErr::RecordNotInserted)?;
    Ok(FileRecord {
        id: row.try_get("", "id")?,
        key: object.key.clone(),
        filename,
        content_type: object.content_type.clone(),
        size,
        sha256: object.sha256.clone(),
    })
}

/// How long a signed download link works: long enough to start the download, short enough that
/// a copied link soon stops working.
pub const LINK_LIFETIME: Duration = Duration::from_secs(300);

/// A redirect to a short-lived signed link for stored file `id`, or 404 when it is gone. The
/// caller has already decided that the viewer may have the file.
pub async fn signed_redirect(state: &AppState, id: i64) -> Result<Response, AppError> {
    let record = find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let url = state
        .storage
        .url(&record.key, &record.content_type, LINK_LIFETIME)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(axum::response::Redirect::to(&url).into_response())
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<FileRecord>, DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(stmt(
            backend,
            "SELECT id, key, filename, content_type, size, sha256 FROM stored_files WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    row.map(|r| FileRecord::from_query_result(&r, "")).transpose()
}

/// Deletes the record and queues the deletion of its object, in the caller's transaction
/// (see the module docs for why in this order).
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<(), FileError> {
    let record = find(conn, id).await?.ok_or(FileError::NotFound(id))?;
    let backend = conn.get_database_backend();
    conn.execute_raw(stmt(backend, "DELETE FROM stored_files WHERE id = $1", vec![id.into()])).await?;
    jobs::enqueue(conn, &DeleteObject { key: record.key }).await?;
    Ok(())
}

/// Deletes one object from the store (queued by [`delete`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteObject {
    pub key: String,
}

impl Job for DeleteObject {
    const NAME: &'static str = "platform.delete_object";

    fn settings() -> JobSettings {
        JobSettings { retries: 10, retry_base: Duration::from_secs(10), ..JobSettings::default() }
    }

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        ctx.env.storage.delete(&self.key).await?;
        Ok(())
    }
}

/// Deletes a record in its own transaction (for callers without one).
pub async fn delete_now(db: &sea_orm::DatabaseConnection, id: i64) -> Result<(), FileError> {
    let txn = crate::db::begin_write(db).await?;
    delete(&txn, id).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    ct: String,
    exp: i64,
    sig: String,
}

/// `GET /files/{*key}`: a local file, through a signed, expiring link.
pub async fn download(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    if let Err(e) = state.storage.verify_local(&key, &q.ct, q.exp, &q.sig) {
        return Ok(error_response(StatusCode::FORBIDDEN, Some(e.to_string())));
    }
    let object = match state.storage.get(&key).await {
        Ok(o) => o,
        Err(StorageError::Store(object_store::Error::NotFound { .. })) => return Err(AppError::NotFound),
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    let body = axum::body::Body::from_stream(object.into_stream().map_err(std::io::Error::other));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&q.ct) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    if let Ok(disposition) = HeaderValue::from_str(&crate::storage::content_disposition(&key, &q.ct)) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    let remaining = (q.exp - chrono::Utc::now().timestamp()).max(0);
    if let Ok(cache) = HeaderValue::from_str(&format!("private, max-age={remaining}")) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    Ok(response)
}
