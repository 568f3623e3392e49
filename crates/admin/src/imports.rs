//! Importing data files from the admin: upload a file, see its first rows and what importing it
//! would do (a dry run, rolled back), confirm, and watch the import run as a job.
//!
//! The back-office knows no file format: each wing that owns data contributes its kinds of file
//! as [`Importer`]s through its manifest ([`Imports`]); Scout brings the original's CSV files.
//!
//! Imports are made at a [`Desk`]: the back-office's ([`ADMIN`]: every kind, for admins) or a
//! wing's page for one kind of file and its own users (Conductor's COSTARS uploads). A desk has
//! its addresses, its permission and a rule for file names checked before anything is stored;
//! the preview, the confirmation and the job are the same wherever the file came in.

use std::sync::atomic::{AtomicU64, Ordering};

use accounts::{Action, AdminArea, Flash, Resource, SignedIn, Viewer, authorize, page};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use futures_util::future::BoxFuture;
use minijinja::context;
use minijinja::value::Serde;
use model::Stamp;
use model::entities::import;
use platform::events::{self, Audience, NewEvent};
use platform::files;
use platform::http::upload::{FileField, UploadForm};
use platform::http::{AppError, AppState};
use platform::jobs::{self, Job, JobContext};
use platform::wing::Contributions;

use crate::audit;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

/// The name imports go by in the audit log.
pub const AUDIT_RESOURCE: &str = "imports";

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 10;

/// Where imports are made from.
pub struct Desk {
    /// The import pages' address: an import's page is `{base}/{id}`.
    pub base: &'static str,
    /// The desk's own page (the upload form and recent imports).
    pub index: &'static str,
    /// The one kind of file this desk takes; None: every kind, chosen in the form.
    pub kind: Option<&'static str>,
    /// Who may use it (checked before a request's body is read).
    pub allow: fn(&accounts::CurrentUser) -> Result<(), AppError>,
    /// The breadcrumbs above an import's page before its file name: (label, address).
    pub crumbs: &'static [(&'static str, &'static str)],
    /// What is wrong with a file's name, if anything (checked before anything is stored).
    pub name_rule: Option<fn(&str) -> Option<String>>,
}

impl Desk {
    /// The form's file: any type (the importer's reader decides what it can read).
    fn file(&self) -> FileField {
        FileField { name: "file", types: None, area: "imports", name_rule: self.name_rule }
    }

    /// The importer for `name` if this desk takes it.
    fn importer(&self, state: &AppState, name: &str) -> Option<&'static dyn Importer> {
        importer(&state.contributions, name).filter(|i| self.kind.is_none_or(|k| k == i.name()))
    }
}

/// The back-office's desk: every kind of file, for admins.
pub const ADMIN: Desk = Desk {
    base: "/admin/imports",
    index: "/admin/imports/",
    kind: None,
    allow,
    crumbs: &[("Admin", "/admin/"), ("Import data", "/admin/imports/")],
    name_rule: None,
};

/// What an import did (or would do): the rows read, and the importer's own report, which the
/// import page shows field by field.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub rows: u64,
    pub created: u64,
    pub skipped: u64,
    pub details: serde_json::Value,
}

/// One kind of data file the back-office can import.
#[async_trait::async_trait]
pub trait Importer: Send + Sync {
    /// Stored on the `imports` row and sent by the form: `contracts`.
    fn name(&self) -> &'static str;
    /// Shown in the form: "City contract list".
    fn label(&self) -> &'static str;
    /// The header and the first `rows` rows, as the import reads them.
    fn sample(&self, bytes: &[u8], rows: usize) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)>;
    /// What importing would do, without doing it; an unreadable file is an error.
    async fn preview(
        &self,
        db: &DatabaseConnection,
        actor: Option<i32>,
        file_name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<ImportReport>;
    /// Imports the file, telling `progress` as it goes.
    async fn import(
        &self,
        db: &DatabaseConnection,
        actor: Option<i32>,
        file_name: &str,
        bytes: &[u8],
        progress: &dyn Progress,
    ) -> anyhow::Result<ImportReport>;
}

/// What an import tells as it goes.
pub trait Progress: Sync {
    /// `done` of `total` rows are read (called for every row, inside a batch).
    fn rows(&self, done: u64, total: u64);
    /// A batch that brings the rows read to `done` is about to commit in `txn`: what is written
    /// with it commits with it (on SQLite nothing else can write while an import runs).
    fn batch<'a>(&'a self, txn: &'a DatabaseTransaction, done: u64, total: u64) -> BoxFuture<'a, Result<(), DbErr>>;
}

/// Kind of the event each committed batch of a web import records (admins hear it).
pub const PROGRESS_EVENT: &str = "admin.import.progress";
/// Kind of the event recorded with an import's outcome.
pub const FINISHED_EVENT: &str = "admin.import.finished";
/// Who hears an import's progress: everyone who may watch an import at some desk (admins at
/// the back-office's, conductor-level users at Conductor's). A row count is all it tells.
const IMPORT_AUDIENCE: Audience = Audience::Conductor;

/// A web import's progress: the row count in memory, and on the `imports` row and as an event
/// with each batch, so the import's page (reloaded, or live) shows it on both databases.
struct RowProgress {
    import_id: i32,
    done: AtomicU64,
}

impl Progress for RowProgress {
    fn rows(&self, done: u64, _total: u64) {
        self.done.store(done, Ordering::Relaxed);
    }

    fn batch<'a>(&'a self, txn: &'a DatabaseTransaction, done: u64, total: u64) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async move {
            import::Entity::update_many()
                .col_expr(
                    import::Column::RowsDone,
                    sea_orm::sea_query::Expr::value(i64::try_from(done).unwrap_or(i64::MAX)),
                )
                .filter(import::Column::Id.eq(self.import_id))
                .filter(import::Column::Status.eq("running"))
                .exec(txn)
                .await?;
            let event = NewEvent::new(PROGRESS_EVENT, i64::from(self.import_id), IMPORT_AUDIENCE)
                .with(serde_json::json!({ "done": done, "total": total }));
            events::record(txn, event).await
        })
    }
}

/// A wing's importers, contributed through its manifest: `Wing::with(Imports(&[&Contracts]))`.
#[derive(Clone, Copy)]
pub struct Imports(pub &'static [&'static dyn Importer]);

fn importers(wings: &Contributions) -> impl Iterator<Item = &'static dyn Importer> + '_ {
    wings.all::<Imports>().flat_map(|i| i.0.iter().copied())
}

fn importer(wings: &Contributions, name: &str) -> Option<&'static dyn Importer> {
    importers(wings).find(|i| i.name() == name)
}

fn kinds(state: &AppState) -> Vec<(&'static str, &'static str)> {
    importers(&state.contributions).map(|i| (i.name(), i.label())).collect()
}

fn allow(me: &accounts::CurrentUser) -> Result<(), AppError> {
    Ok(authorize(Some(me), Action::Create, Resource::Admin(AdminArea::General))?)
}

pub async fn index(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
) -> Result<Response, AppError> {
    allow(&me)?;
    let recent = import::Entity::find().order_by_desc(import::Column::Id).limit(20).all(&state.db).await?;
    let statuses = [
        ("previewed", "Previewed, not imported"),
        ("queued", "Waiting to start"),
        ("running", "Importing"),
        ("done", "Imported"),
        ("failed", "Stopped"),
    ];
    let recent: Vec<_> = recent
        .into_iter()
        .map(|i| {
            let kind = importer(&state.contributions, &i.kind).map_or_else(|| i.kind.clone(), |k| k.label().to_owned());
            let status = statuses.iter().find(|(s, _)| *s == i.status).map_or(i.status.as_str(), |(_, said)| said);
            context! {
                id => i.id, file_name => i.file_name, kind, status,
                uploaded => audit::local_time(i.created_at, &state.config.site),
            }
        })
        .collect();
    let ctx = context! { recent, kinds => kinds(&state), error => None::<String> };
    Ok(page(&state, &viewer, "admin/imports.html", ctx)?.into_response())
}

async fn file_bytes(state: &AppState, file_id: Option<i64>) -> Result<Vec<u8>, AppError> {
    let id = file_id.ok_or(AppError::NotFound)?;
    let record = files::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let got = state.storage.get(&record.key).await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(got.bytes().await.map_err(|e| AppError::Internal(e.into()))?.to_vec())
}

/// Upload at the back-office: store the file, dry-run it, and show the preview.
pub async fn upload(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    match upload_at(&ADMIN, &state, &me, request).await? {
        Ok(id) => Ok(Redirect::to(&format!("{}/{id}", ADMIN.base)).into_response()),
        Err(error) => {
            let ctx = context! { recent => Vec::<minijinja::Value>::new(), kinds => kinds(&state), error };
            accounts::page_with_status(&state, &viewer, axum::http::StatusCode::BAD_REQUEST, "admin/imports.html", ctx)
        }
    }
}

/// Takes an upload at `desk`: stores the file, dry-runs it and records the previewed import,
/// whose id it returns; or says why the file is refused (nothing is kept then).
pub async fn upload_at(
    desk: &Desk,
    state: &AppState,
    me: &accounts::CurrentUser,
    request: axum::extract::Request,
) -> Result<Result<i32, String>, AppError> {
    // Permission first, then the body: a refused user learns nothing from how it was read.
    (desk.allow)(me)?;
    let file = desk.file();
    let mut form = UploadForm::read(state, request, &[file]).await?;
    if let Some((_, problem)) = form.errors.first().cloned() {
        form.discard().await;
        return Ok(Err(problem));
    }
    let kind = desk.importer(state, desk.kind.unwrap_or(&form.text("kind")));
    let upload = form.file(file.name).map(|f| (f.id, f.filename.clone()));
    let (Some(kind), Some((file_id, name))) = (kind, upload) else {
        form.discard().await;
        let missing = if kind.is_none() { "Choose what kind of file this is." } else { "Choose a CSV file to upload." };
        return Ok(Err(missing.to_owned()));
    };
    // The dry run reads the file exactly as the import will; a file it cannot read is refused now.
    let bytes = file_bytes(state, Some(file_id)).await?;
    let report = match kind.preview(&state.db, Some(me.id), &name, &bytes).await {
        Ok(report) => report,
        Err(e) => {
            form.discard().await;
            return Ok(Err(reason(&e)));
        }
    };
    let now = Utc::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let saved = import::ActiveModel {
        kind: Set(kind.name().to_owned()),
        file_name: Set(name),
        file_id: Set(Some(file_id)),
        status: Set("previewed".into()),
        rows_done: Set(0),
        rows_total: Set(i64::try_from(report.rows).unwrap_or(i64::MAX)),
        report: Set(serde_json::to_string(&report.details).ok()),
        error: Set(None),
        ..Stamp::created(Some(me.id), now)
    }
    .insert(&txn)
    .await?;
    let details = [
        ("Kind", kind.label().to_owned()),
        ("Rows", audit::number(report.rows)),
        ("Would add", audit::number(report.created)),
        ("Cannot import", audit::number(report.skipped)),
    ];
    audit::record_action(&txn, Some(me.id), "upload", AUDIT_RESOURCE, saved.id, &saved.file_name, &details).await?;
    txn.commit().await?;
    form.keep();
    Ok(Ok(saved.id))
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    show_at(&ADMIN, &state, &me, &viewer, id).await
}

/// Import `id`'s page at `desk`: its preview with the file's first rows and the button that
/// starts it, or its progress, or how it ended. Another desk's kind of import is not found here.
pub async fn show_at(
    desk: &Desk,
    state: &AppState,
    me: &accounts::CurrentUser,
    viewer: &Viewer,
    id: i32,
) -> Result<Response, AppError> {
    (desk.allow)(me)?;
    let row = import::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let kind = desk.importer(state, &row.kind).ok_or(AppError::NotFound)?;
    let report: Option<serde_json::Value> = row.report.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let (headers, sample) = if row.status == "previewed" {
        let bytes = file_bytes(state, row.file_id).await?;
        kind.sample(&bytes, PREVIEW_ROWS).map_err(AppError::Internal)?
    } else {
        (Vec::new(), Vec::new())
    };
    let working = matches!(row.status.as_str(), "queued" | "running");
    let ctx = context! {
        import => Serde(&row), report => Serde(report), headers, sample, working,
        base => desk.base, index => desk.index, crumbs => Serde(desk.crumbs),
    };
    Ok(page(state, viewer, "admin/import.html", ctx)?.into_response())
}

/// Confirm a previewed import: it is queued as a job in the same transaction.
pub async fn confirm(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    confirm_at(&ADMIN, &state, &me, &viewer, id).await
}

/// Starts previewed import `id` at `desk`: queued as a job in the same transaction, once.
pub async fn confirm_at(
    desk: &Desk,
    state: &AppState,
    me: &accounts::CurrentUser,
    viewer: &Viewer,
    id: i32,
) -> Result<Response, AppError> {
    (desk.allow)(me)?;
    let txn = platform::db::begin_write(&state.db).await?;
    let row = import::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    desk.importer(state, &row.kind).ok_or(AppError::NotFound)?;
    if row.status != "previewed" {
        return Err(AppError::BadRequest("This import has already been started.".into()));
    }
    let file_name = row.file_name.clone();
    let mut active: import::ActiveModel = row.into();
    active.status = Set("queued".into());
    active.stamp(Some(me.id), Utc::now());
    active.update(&txn).await?;
    jobs::enqueue(&txn, &ImportFile { import_id: id, actor: Some(me.id) })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    audit::record_action(&txn, Some(me.id), "start_import", AUDIT_RESOURCE, id, &file_name, &[]).await?;
    txn.commit().await?;
    viewer.set_flash(Flash::success("Import queued. This page shows its progress.")).await?;
    Ok(Redirect::to(&format!("{}/{id}", desk.base)).into_response())
}

/// The longest reason shown for a refused or failed import.
const MAX_REASON_CHARS: usize = 300;

/// What the admin is told when a preview or an import fails: the importer's own words about the
/// file, cut short; for a fault of ours (the database), one line, with the detail in the log.
fn reason(e: &anyhow::Error) -> String {
    if e.chain().any(|c| c.downcast_ref::<sea_orm::DbErr>().is_some()) {
        tracing::error!(error = format!("{e:#}"), "import failed in the database");
        return "the database could not complete it (the error is logged for the team); try again in a few minutes"
            .to_owned();
    }
    let text = format!("{e:#}");
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Runs a confirmed import, recording progress on its row as it goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportFile {
    pub import_id: i32,
    pub actor: Option<i32>,
}

async fn set_status(
    db: &impl ConnectionTrait,
    id: i32,
    status: &str,
    report: Option<&ImportReport>,
    error: Option<String>,
) -> anyhow::Result<()> {
    let Some(row) = import::Entity::find_by_id(id).one(db).await? else { return Ok(()) };
    let mut active: import::ActiveModel = row.into();
    active.status = Set(status.to_owned());
    if let Some(report) = report {
        active.report = Set(serde_json::to_string(&report.details).ok());
        active.rows_done = Set(i64::try_from(report.rows).unwrap_or(i64::MAX));
    }
    active.error = Set(error);
    active.stamp(None, Utc::now());
    active.update(db).await?;
    Ok(())
}

/// The rows a failed import got through (its batches up to there are imported).
async fn record_rows_done(db: &impl ConnectionTrait, id: i32, rows: u64) -> anyhow::Result<()> {
    import::Entity::update_many()
        .col_expr(import::Column::RowsDone, sea_orm::sea_query::Expr::value(i64::try_from(rows).unwrap_or(i64::MAX)))
        .filter(import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

impl ImportFile {
    /// The import's outcome in the audit log, under the name of whoever confirmed it.
    async fn record(
        &self,
        txn: &impl ConnectionTrait,
        action: &str,
        file_name: &str,
        details: &[(&str, String)],
    ) -> Result<(), sea_orm::DbErr> {
        audit::record_action(txn, self.actor, action, AUDIT_RESOURCE, self.import_id, file_name, details).await
    }
}

impl Job for ImportFile {
    const NAME: &'static str = "admin.import_file";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let db = &ctx.env.db;
        let Some(row) = import::Entity::find_by_id(self.import_id).one(db).await? else {
            tracing::warn!(import = self.import_id, "import row is gone; nothing to do");
            return Ok(());
        };
        let kind = importer(&ctx.env.contributions, &row.kind)
            .ok_or_else(|| anyhow::anyhow!("unknown import kind {}", row.kind))?;
        let file_id = row.file_id.ok_or_else(|| anyhow::anyhow!("the uploaded file is gone"))?;
        let record = files::find(db, file_id).await?.ok_or_else(|| anyhow::anyhow!("the uploaded file is gone"))?;
        let bytes = ctx.env.storage.get(&record.key).await?.bytes().await?;
        set_status(db, self.import_id, "running", None, None).await?;

        let progress = RowProgress { import_id: self.import_id, done: AtomicU64::new(0) };
        let result = kind.import(db, self.actor, &row.file_name, &bytes, &progress).await;
        let done = progress.done;
        // The outcome and its audit entry in one transaction, under the name of whoever confirmed.
        let txn = platform::db::begin_write(db).await?;
        let outcome = if result.is_ok() { "done" } else { "failed" };
        let finished = NewEvent::new(FINISHED_EVENT, i64::from(self.import_id), IMPORT_AUDIENCE)
            .with(serde_json::json!({ "status": outcome }));
        events::record(&txn, finished).await?;
        match result {
            Ok(report) => {
                set_status(&txn, self.import_id, "done", Some(&report), None).await?;
                let details = [
                    ("Rows", audit::number(report.rows)),
                    ("Added", audit::number(report.created)),
                    ("Cannot import", audit::number(report.skipped)),
                ];
                self.record(&txn, "import", &row.file_name, &details).await?;
                txn.commit().await?;
                tracing::info!(
                    import = self.import_id,
                    created = report.created,
                    skipped = report.skipped,
                    "import done"
                );
                Ok(())
            }
            Err(e) => {
                let rows_done = done.load(Ordering::Relaxed);
                let why = reason(&e);
                set_status(&txn, self.import_id, "failed", None, Some(why.clone())).await?;
                record_rows_done(&txn, self.import_id, rows_done).await?;
                let details = [
                    ("Stopped", why),
                    (
                        "Rows read",
                        format!(
                            "{} of {}",
                            audit::number(rows_done),
                            audit::number(u64::try_from(row.rows_total).unwrap_or(0))
                        ),
                    ),
                ];
                self.record(&txn, "fail_import", &row.file_name, &details).await?;
                txn.commit().await?;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_told_briefly_and_a_database_fault_not_at_all() {
        let db = anyhow::Error::new(sea_orm::DbErr::Custom("relation \"contracts\" is locked by pid 42".into()))
            .context("line 7");
        let told = reason(&db);
        assert!(told.starts_with("the database could not complete it") && !told.contains("pid 42"), "{told}");
        let long = anyhow::anyhow!("{}", "x".repeat(5_000));
        assert_eq!(reason(&long).chars().count(), MAX_REASON_CHARS + 1, "cut, with an ellipsis");
        assert_eq!(reason(&anyhow::anyhow!("no header row")), "no header row");
    }
}
