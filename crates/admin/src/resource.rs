//! What a back-office resource declares: its columns, its form, how it lists, loads, saves and
//! deletes. The generic pages in `pages.rs` do the rest (permissions, paging, search, the audit
//! log, confirmation before delete), so a new table costs one small impl.

use std::collections::BTreeMap;

use accounts::{AdminArea, CurrentUser, Denied};
use platform::config::SiteConfig;
use sea_orm::{DatabaseTransaction, DbErr};
use serde::Serialize;

/// Submitted or stored form values: field name → values (several for checkbox groups).
pub type Values = BTreeMap<String, Vec<String>>;

/// The first value of `field`, trimmed; empty when absent.
pub fn one<'a>(values: &'a Values, field: &str) -> &'a str {
    values.get(field).and_then(|v| v.first()).map_or("", |s| s.trim())
}

pub fn set(values: &mut Values, field: &str, value: impl Into<String>) {
    values.insert(field.to_owned(), vec![value.into()]);
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Email,
    /// `YYYY-MM-DD`.
    Date,
    /// `HH:MM`, a time of day.
    Time,
    TextArea,
    Checkbox,
    /// One of `options` (value, label); an empty value means "none".
    Select {
        options: Vec<(String, String)>,
    },
    /// Any of `options`.
    Checkboxes {
        options: Vec<(String, String)>,
    },
    /// An uploaded file, kept in the platform's file storage; the value is its `stored_files`
    /// id. `types` are the MIME types accepted, identified by the file's bytes.
    File {
        types: &'static [&'static str],
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub help: Option<&'static str>,
    /// Shown on the edit form only: it acts on a record that exists (rotating a secret, say).
    pub edit_only: bool,
}

impl Field {
    pub fn text(name: &'static str, label: &'static str) -> Field {
        Field { name, label, kind: FieldKind::Text, required: false, help: None, edit_only: false }
    }
    pub fn email(name: &'static str, label: &'static str) -> Field {
        Field { kind: FieldKind::Email, ..Field::text(name, label) }
    }
    pub fn date(name: &'static str, label: &'static str) -> Field {
        Field { kind: FieldKind::Date, ..Field::text(name, label) }
    }
    pub fn time(name: &'static str, label: &'static str) -> Field {
        Field { kind: FieldKind::Time, ..Field::text(name, label) }
    }
    pub fn textarea(name: &'static str, label: &'static str) -> Field {
        Field { kind: FieldKind::TextArea, ..Field::text(name, label) }
    }
    pub fn checkbox(name: &'static str, label: &'static str) -> Field {
        Field { kind: FieldKind::Checkbox, ..Field::text(name, label) }
    }
    pub fn select(name: &'static str, label: &'static str, options: Vec<(String, String)>) -> Field {
        Field { kind: FieldKind::Select { options }, ..Field::text(name, label) }
    }
    pub fn checkboxes(name: &'static str, label: &'static str, options: Vec<(String, String)>) -> Field {
        Field { kind: FieldKind::Checkboxes { options }, ..Field::text(name, label) }
    }
    pub fn file(name: &'static str, label: &'static str, types: &'static [&'static str]) -> Field {
        Field { kind: FieldKind::File { types }, ..Field::text(name, label) }
    }
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }
    pub fn help(mut self, help: &'static str) -> Field {
        self.help = Some(help);
        self
    }
    pub fn edit_only(mut self) -> Field {
        self.edit_only = true;
        self
    }
}

/// One row of a list page.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: i32,
    pub cells: Vec<String>,
}

/// Field name → message; empty means valid.
#[derive(Debug, Default, Clone, Serialize)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Adds "Use at most `max` characters." for `field` when `value` is longer.
    pub fn limit(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, format!("Use at most {max} characters."));
        }
    }
    /// Adds "required" messages for each required field left blank.
    pub fn require(&mut self, fields: &[Field], values: &Values) {
        for f in fields.iter().filter(|f| f.required) {
            if one(values, f.name).is_empty() {
                self.add(f.name, format!("{} is required.", f.label));
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Files(#[from] platform::files::FileError),
    /// The record cannot be changed this way; the message is shown to the user.
    #[error("{0}")]
    Refused(String),
}

pub type Saved = Result<i32, FieldErrors>;

/// A value a save made that is shown once, on the answer to the form, and kept nowhere (an API
/// client's secret: only its hash is stored).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reveal {
    /// "Client secret".
    pub label: &'static str,
    pub value: String,
    /// What to do with it, shown above it.
    pub advice: String,
}

/// A table in the back-office. Implementations hold no state; the generic pages pass them a
/// transaction (reads too, so a page sees one consistent state), the acting user and, where
/// dates and times are read or shown, the site's configuration (its display time zone).
#[async_trait::async_trait]
pub trait AdminResource: Send + Sync {
    /// The URL segment: `/admin/<slug>/`.
    fn slug(&self) -> &'static str;
    /// Plural, for headings and the index ("Departments").
    fn title(&self) -> &'static str;
    /// Singular, for buttons ("department").
    fn noun(&self) -> &'static str;
    /// Which permission rule applies.
    fn area(&self) -> AdminArea;
    /// List page column headings; [`Row::cells`] follow this order.
    fn columns(&self) -> &'static [&'static str];
    /// Where records of this kind are made instead of `/admin/<slug>/new`, as (address, link
    /// text), for tables whose records are born through a service with its own rules. The list
    /// links there, the new form redirects there and a posted new record is refused.
    fn created_elsewhere(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// The form, for `actor` (some fields appear only for some roles).
    async fn fields(&self, db: &DatabaseTransaction, actor: &CurrentUser) -> Result<Vec<Field>, DbErr>;
    /// One page of rows matching `search` (case-insensitive), and the total matching.
    async fn list(
        &self,
        db: &DatabaseTransaction,
        site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr>;
    /// The stored values of record `id` (what the edit form shows and the audit log records).
    async fn load(&self, db: &DatabaseTransaction, site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr>;
    /// A short label of a record, for headings and the audit log.
    fn label(&self, values: &Values) -> String;
    /// Validates and writes (`id` None: create). `stored` is the record as [`load`] read it in
    /// this transaction (None when creating). Runs inside the page's transaction.
    ///
    /// [`load`]: AdminResource::load
    async fn save(
        &self,
        txn: &DatabaseTransaction,
        site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError>;
    /// [`save`], for a table whose saves can make a value shown only once ([`Reveal`]): the
    /// generic page then answers with that value instead of going back to the list.
    ///
    /// [`save`]: AdminResource::save
    async fn save_revealing(
        &self,
        txn: &DatabaseTransaction,
        site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        stored: Option<&Values>,
        input: &Values,
    ) -> Result<Result<(i32, Option<Reveal>), FieldErrors>, AdminError> {
        Ok(self.save(txn, site, actor, id, stored, input).await?.map(|id| (id, None)))
    }
    /// Deletes record `id`. Runs inside the page's transaction.
    async fn delete(&self, txn: &DatabaseTransaction, actor: &CurrentUser, id: i32) -> Result<(), AdminError>;
}
