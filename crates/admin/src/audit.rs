//! The log of changes people make: who changed what, when, with the record before and after.
//!
//! Two ways in, both written in the caller's transaction so a change and its entry commit
//! together:
//! - [`record`]: a back-office create, update or delete, with the record's values before and
//!   after (the generic pages call it; the log shows the fields that changed).
//! - [`record_action`]: any other change, by any wing: an approval, a publication, an import,
//!   with a few facts about it ("Vendors emailed: 1,503").
//!
//! [`show`] turns entries into what the audit page shows: the actor's name, the time in the
//! site's time zone, the record's label linked to its page while it exists, field labels and
//! option names instead of keys and ids, and for text kept one item per line (a contract's line
//! items) only the lines that went and came.

use std::collections::{BTreeMap, HashMap};

use accounts::{Action, CurrentUser, Resource, can};
use chrono::{DateTime, Utc};
use model::entities::{audit_log, import, user};
use platform::config::SiteConfig;
use platform::http::AppState;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use crate::resource::{AdminResource, Field, FieldKind, Values};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Delete => "delete",
        }
    }
}

/// What was changed, for [`record`].
pub struct Entry<'a> {
    pub change: Change,
    pub resource: &'a str,
    pub record_id: i32,
    pub label: String,
    pub before: Option<&'a Values>,
    pub after: Option<&'a Values>,
}

/// Writes one entry for a back-office change, in the caller's transaction.
pub async fn record(db: &impl ConnectionTrait, actor: i32, entry: Entry<'_>) -> Result<(), DbErr> {
    let json = |v: Option<&Values>| v.map(|v| serde_json::to_string(v).unwrap_or_default());
    model::audit::write(
        db,
        model::audit::Entry {
            actor: Some(actor),
            action: entry.change.name(),
            resource: entry.resource,
            record_id: entry.record_id,
            summary: &entry.label,
            before: json(entry.before),
            after: json(entry.after),
        },
    )
    .await
}

/// Writes one entry for a change that is not a back-office create, update or delete, in the
/// caller's transaction (the one that makes the change).
///
/// - `actor`: who did it; `None` for the system (a scheduled job acting on its own).
/// - `action`: one word, the verb: `approve`, `publish`, `archive`, `import`… The log shows its
///   past tense ("Approved").
/// - `resource` and `record_id`: what it was done to, named like the back-office's tables
///   (`opportunities`, `contracts`) so the log can name the kind and link the record.
/// - `summary`: the record's label at the time ("Road salt 2027").
/// - `details`: a few facts, shown in order as "name: value" (`("Vendors emailed", "1,503")`).
///
/// ```ignore
/// admin::audit::record_action(&txn, Some(me.id), "approve", "opportunities", o.id, &o.title,
///     &[("Vendors emailed", admin::audit::number(sent))]).await?;
/// ```
pub async fn record_action(
    db: &impl ConnectionTrait,
    actor: Option<i32>,
    action: &str,
    resource: &str,
    record_id: i32,
    summary: &str,
    details: &[(&str, String)],
) -> Result<(), DbErr> {
    let details = serde_json::to_string(details).unwrap_or_default();
    let entry = model::audit::Entry { actor, action, resource, record_id, summary, before: None, after: Some(details) };
    model::audit::write(db, entry).await
}

/// `1503` as "1,503", for details.
pub fn number(n: impl Into<u64>) -> String {
    let digits = n.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Which entries the audit page lists.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only this resource (`departments`).
    pub resource: Option<String>,
    /// Only this user's changes.
    pub actor: Option<i32>,
}

/// A page of the log, newest first, with each entry's actor, and how many entries match.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &Filter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<(audit_log::Model, Option<user::Model>)>, u64), DbErr> {
    let mut query = audit_log::Entity::find();
    if let Some(resource) = &filter.resource {
        query = query.filter(audit_log::Column::Resource.eq(resource.as_str()));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::Column::ActorId.eq(actor));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .find_also_related(user::Entity)
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// What the filters offer: every resource in the log, and everyone who has changed something,
/// as (id, name), by name.
pub async fn filter_choices(db: &impl ConnectionTrait) -> Result<(Vec<String>, Vec<(i32, String)>), DbErr> {
    let resources: Vec<String> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Resource)
        .distinct()
        .order_by_asc(audit_log::Column::Resource)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<Option<i32>> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::ActorId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i32> = ids.into_iter().flatten().collect();
    let mut people: Vec<(i32, String)> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, person(&u)))
        .collect();
    people.sort_by_key(|(_, name)| name.to_lowercase());
    Ok((resources, people))
}

/// A user as the log names them: their name, or their address when they have given none.
pub fn person(u: &user::Model) -> String {
    let name = [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() { u.email.clone() } else { name }
}

/// A moment as the log shows it, in the site's time zone: "Dec 5, 2026, 4:05 PM EST".
pub fn local_time(at: DateTime<Utc>, site: &SiteConfig) -> String {
    at.with_timezone(&site.display_timezone).format("%b %-d, %Y, %-I:%M %p %Z").to_string()
}

/// One entry as the audit page shows it.
#[derive(Debug, Serialize)]
pub struct Shown {
    /// "Dec 5, 2026, 4:05 PM EST".
    pub at: String,
    /// RFC 3339, for `<time datetime>`.
    pub at_iso: String,
    /// The actor's name or address; "The system" for jobs acting on their own.
    pub actor: String,
    /// The credential that acted for the actor: "API client “Finance”", "a personal access token".
    pub via: Option<String>,
    /// "Changed department", "Approved opportunity".
    pub what: String,
    /// The record's label when the change was made.
    pub label: String,
    /// Its page, while it exists and the viewer may open it.
    pub href: Option<String>,
    pub record_id: String,
    pub changes: Vec<FieldChange>,
}

/// One field's change, or one fact of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field's label ("Line items"), or the fact's name.
    pub field: String,
    /// A single value before (None: the record was being created, or this is a fact).
    pub before: Option<String>,
    /// A single value after (None: the record was deleted).
    pub after: Option<String>,
    /// For text kept one item per line, and for several values (checkboxes): the lines that
    /// went and those that came, and nothing in `before`/`after`.
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

/// The past tense of an action word, capitalised: "approve" → "Approved".
pub fn past_tense(action: &str) -> String {
    let known = match action {
        "create" => Some("Added"),
        "update" => Some("Changed"),
        "delete" => Some("Deleted"),
        "upload" => Some("Uploaded"),
        "start_import" => Some("Started importing"),
        "fail_import" => Some("Could not import"),
        "submit" => Some("Submitted"),
        "cancel" => Some("Canceled"),
        "send" => Some("Sent"),
        "set_password" => Some("Set the password of"),
        _ => None,
    };
    if let Some(known) = known {
        return known.to_owned();
    }
    let word = action.trim().replace('_', " ");
    let past = if word.ends_with("ed") || word.contains(' ') {
        word
    } else if word.ends_with('e') {
        format!("{word}d")
    } else if let Some(stem) = word.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u'])) {
        format!("{stem}ied")
    } else {
        format!("{word}ed")
    };
    let mut chars = past.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// How the log names a kind of record: the back-office's noun, "file" for imports, or the name
/// as recorded.
fn noun_of(resource: Option<&dyn AdminResource>, name: &str) -> String {
    match (resource, name) {
        (Some(r), _) => r.noun().to_owned(),
        (None, "imports") => "file".to_owned(),
        (None, other) => other.replace(['-', '_'], " "),
    }
}

/// What the audit page's resource filter calls a resource.
pub fn title_of(state: &AppState, name: &str) -> String {
    match crate::resources::find(state, name) {
        Some(r) => r.title().to_owned(),
        None if name == "imports" => "Imports".to_owned(),
        None => {
            let words = name.replace(['-', '_'], " ");
            let mut chars = words.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

fn parse_values(raw: Option<&str>) -> Values {
    raw.and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default()
}

/// The facts [`record_action`] stored, if `raw` holds them.
fn parse_details(raw: Option<&str>) -> Option<Vec<(String, String)>> {
    raw.and_then(|r| serde_json::from_str(r).ok())
}

/// "line_items" → "Line items", for values no field describes any more.
fn humanise(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A field's stored values as people read them: option names for ids, yes/no for a checkbox.
fn readable(field: Option<&Field>, raw: Option<&Vec<String>>) -> Vec<String> {
    let raw = raw.map(Vec::as_slice).unwrap_or_default();
    match field.map(|f| &f.kind) {
        Some(FieldKind::Checkbox) => vec![if raw.iter().any(|v| v == "on") { "yes" } else { "no" }.to_owned()],
        Some(FieldKind::Select { options } | FieldKind::Checkboxes { options }) => raw
            .iter()
            .filter(|v| !v.is_empty())
            .map(|v| options.iter().find(|(value, _)| value == v).map_or_else(|| v.clone(), |(_, label)| label.clone()))
            .collect(),
        _ => raw.to_vec(),
    }
}

/// The items of a value for a line-by-line comparison: each line of each value, trimmed.
fn items(values: &[String]) -> Vec<String> {
    values.iter().flat_map(|v| v.lines()).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// What is in `a` and not in `b`, counting repeats, in `a`'s order.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut left: HashMap<&str, usize> = HashMap::new();
    for item in b {
        *left.entry(item.as_str()).or_default() += 1;
    }
    a.iter()
        .filter(|item| match left.get_mut(item.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// How one field changed from `before` to `after` (None: the record did not exist then), or
/// None when it did not.
pub fn field_change(label: &str, before: Option<&[String]>, after: Option<&[String]>) -> Option<FieldChange> {
    let (b, a) = (before.map(items).unwrap_or_default(), after.map(items).unwrap_or_default());
    if b == a {
        return None;
    }
    let several = b.len() > 1 || a.len() > 1;
    if several {
        let (removed, added) = (minus(&b, &a), minus(&a, &b));
        if removed.is_empty() && added.is_empty() {
            // The same lines in another order.
            return Some(FieldChange {
                field: label.to_owned(),
                before: None,
                after: Some("the same lines, in another order".to_owned()),
                removed,
                added,
            });
        }
        return Some(FieldChange { field: label.to_owned(), before: None, after: None, removed, added });
    }
    let one = |v: &[String]| v.first().cloned().unwrap_or_default();
    Some(FieldChange {
        field: label.to_owned(),
        before: before.map(|_| one(&b)),
        after: after.map(|_| one(&a)),
        removed: Vec::new(),
        added: Vec::new(),
    })
}

/// Field by field, what differs between `before` and `after` (None: created, or deleted), in the
/// form's order, then values no field describes. A file field shows its file's name.
pub fn differences(fields: &[Field], before: Option<&Values>, after: Option<&Values>) -> Vec<FieldChange> {
    let empty = Values::new();
    let (b, a) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    let file_names: Vec<String> = fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::File { .. }))
        .map(|f| format!("{}_name", f.name))
        .collect();
    let mut changes = Vec::new();
    for f in fields {
        let key = match f.kind {
            FieldKind::File { .. } => format!("{}_name", f.name),
            _ => f.name.to_owned(),
        };
        if !b.contains_key(&key) && !a.contains_key(&key) && !matches!(f.kind, FieldKind::Checkbox) {
            continue;
        }
        let was = before.map(|_| readable(Some(f), b.get(&key)));
        let now = after.map(|_| readable(Some(f), a.get(&key)));
        // A new record's unticked boxes and empty fields say nothing.
        let said = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !items(v).is_empty() && v != &["no"]);
        if (before.is_none() && !said(&now)) || (after.is_none() && !said(&was)) {
            continue;
        }
        if let Some(change) = field_change(f.label, was.as_deref(), now.as_deref()) {
            changes.push(change);
        }
    }
    let known: Vec<&str> = fields.iter().map(|f| f.name).chain(file_names.iter().map(String::as_str)).collect();
    let mut rest: Vec<&String> = b.keys().chain(a.keys()).filter(|k| !known.contains(&k.as_str())).collect();
    rest.sort();
    rest.dedup();
    for key in rest {
        let was = before.map(|_| b.get(key).cloned().unwrap_or_default());
        let now = after.map(|_| a.get(key).cloned().unwrap_or_default());
        if let Some(change) = field_change(&humanise(key), was.as_deref(), now.as_deref()) {
            changes.push(change);
        }
    }
    changes
}

/// The audit page's view of `rows`, for `me` (whose role decides which records are linked).
pub async fn show(
    state: &AppState,
    me: &CurrentUser,
    rows: Vec<(audit_log::Model, Option<user::Model>)>,
) -> Result<Vec<Shown>, DbErr> {
    let txn = state.db.begin().await?;
    let site = &state.config.site;
    // Each resource's form (for labels and option names) and each record's existence, once.
    let mut forms: BTreeMap<String, Vec<Field>> = BTreeMap::new();
    let mut exists: HashMap<(String, String), bool> = HashMap::new();
    let mut shown = Vec::with_capacity(rows.len());
    for (entry, actor) in rows {
        let resource = crate::resources::find(state, &entry.resource);
        let fields = match resource {
            Some(r) if !forms.contains_key(&entry.resource) => {
                let fields = r.fields(&txn, me).await?;
                forms.entry(entry.resource.clone()).or_insert(fields)
            }
            Some(_) => forms.entry(entry.resource.clone()).or_default(),
            None => forms.entry(entry.resource.clone()).or_default(),
        };
        let changes = match entry.action.as_str() {
            "create" | "update" | "delete" => {
                let before = entry.before.as_deref().map(|b| parse_values(Some(b)));
                let after = entry.after.as_deref().map(|a| parse_values(Some(a)));
                differences(fields, before.as_ref(), after.as_ref())
            }
            _ => parse_details(entry.after.as_deref())
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| FieldChange {
                    field: name,
                    before: None,
                    after: Some(value),
                    removed: Vec::new(),
                    added: Vec::new(),
                })
                .collect(),
        };
        let key = (entry.resource.clone(), entry.record_id.clone());
        let href = match (resource, entry.record_id.parse::<i32>()) {
            (Some(r), Ok(id)) if can(Some(me), Action::Edit, Resource::Admin(r.area())) => {
                let found = match exists.get(&key) {
                    Some(found) => *found,
                    None => {
                        let found = r.load(&txn, site, id).await?.is_some();
                        exists.insert(key, found);
                        found
                    }
                };
                found.then(|| format!("/admin/{}/{id}/edit", r.slug()))
            }
            (None, Ok(id)) if entry.resource == "imports" => {
                let found = match exists.get(&key) {
                    Some(found) => *found,
                    None => {
                        let found = import::Entity::find_by_id(id).one(&txn).await?.is_some();
                        exists.insert(key, found);
                        found
                    }
                };
                found.then(|| format!("/admin/imports/{id}"))
            }
            _ => None,
        };
        let actor = match (entry.actor_id, actor) {
            (_, Some(u)) => person(&u),
            (None, None) => "The system".to_owned(),
            (Some(_), None) => "A deleted user".to_owned(),
        };
        shown.push(Shown {
            at: local_time(entry.created_at, site),
            at_iso: entry.created_at.to_rfc3339(),
            actor,
            via: entry.via,
            what: format!("{} {}", past_tense(&entry.action), noun_of(resource, &entry.resource)),
            label: entry.summary,
            href,
            record_id: entry.record_id,
            changes,
        });
    }
    txn.commit().await?;
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &[&str])]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect()
    }

    #[test]
    fn one_changed_line_is_shown_alone() {
        let fields = [Field::text("description", "Description"), Field::textarea("line_items", "Line items")];
        let before = values(&[("description", &["Road salt"]), ("line_items", &["Rock salt | 61.25\nGrit | 10.00"])]);
        let after = values(&[("description", &["Road salt"]), ("line_items", &["Rock salt | 63.00\r\nGrit | 10.00"])]);
        let changes = differences(&fields, Some(&before), Some(&after));
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "Line items");
        assert_eq!(changes[0].removed, ["Rock salt | 61.25"]);
        assert_eq!(changes[0].added, ["Rock salt | 63.00"]);
    }

    #[test]
    fn options_are_named_boxes_say_yes_or_no_and_files_by_name() {
        let fields = [
            Field::select("department", "Department", vec![("3".into(), "Finance".into()), ("5".into(), "Law".into())]),
            Field::checkbox("visible", "Shown in Scout"),
            Field::file("document", "Contract document", &["application/pdf"]),
        ];
        let before = values(&[("department", &["3"]), ("visible", &["on"]), ("document", &["9"])]);
        let after = values(&[
            ("department", &["5"]),
            ("document", &["12"]),
            ("document_name", &["signed.pdf"]),
            ("extra_key", &["x"]),
        ]);
        let changes = differences(&fields, Some(&before), Some(&after));
        let short: Vec<_> = changes.iter().map(|c| (c.field.as_str(), c.before.clone(), c.after.clone())).collect();
        assert_eq!(
            short,
            vec![
                ("Department", Some("Finance".into()), Some("Law".into())),
                ("Shown in Scout", Some("yes".into()), Some("no".into())),
                ("Contract document", Some(String::new()), Some("signed.pdf".into())),
                ("Extra key", Some(String::new()), Some("x".into())),
            ]
        );
    }

    #[test]
    fn a_new_record_shows_what_it_was_given_and_a_deleted_one_what_it_held() {
        let fields = [Field::text("name", "Name"), Field::text("note", "Note"), Field::checkbox("active", "Active")];
        let made = values(&[("name", &["Parks"]), ("note", &[""])]);
        let created = differences(&fields, None, Some(&made));
        assert_eq!(created.len(), 1, "empty fields and unticked boxes say nothing: {created:?}");
        assert_eq!((created[0].before.as_deref(), created[0].after.as_deref()), (None, Some("Parks")));
        let deleted = differences(&fields, Some(&made), None);
        assert_eq!((deleted[0].before.as_deref(), deleted[0].after.as_deref()), (Some("Parks"), None));
    }

    #[test]
    fn lines_that_only_moved_are_said_to_have_moved() {
        let change =
            field_change("Companies", Some(&["A\nB".to_owned()]), Some(&["B\nA".to_owned()])).expect("a change");
        assert!(change.removed.is_empty() && change.added.is_empty());
        assert_eq!(change.after.as_deref(), Some("the same lines, in another order"));
        assert_eq!(field_change("Companies", Some(&["A\nB".to_owned()]), Some(&["A\r\nB".to_owned()])), None);
    }

    #[test]
    fn repeated_lines_are_counted() {
        let change =
            field_change("Items", Some(&["A\nA\nB".to_owned()]), Some(&["A\nB".to_owned()])).expect("a change");
        assert_eq!((change.removed, change.added), (vec!["A".to_owned()], vec![]));
    }

    #[test]
    fn actions_read_in_the_past_tense() {
        for (word, said) in [
            ("approve", "Approved"),
            ("publish", "Published"),
            ("archive", "Archived"),
            ("import", "Imported"),
            ("update", "Changed"),
            ("copy", "Copied"),
            ("delay", "Delayed"),
            ("submit", "Submitted"),
        ] {
            assert_eq!(past_tense(word), said);
        }
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(number(1503u32), "1,503");
        assert_eq!(number(0u32), "0");
        assert_eq!(number(999u32), "999");
        assert_eq!(number(1_234_567u32), "1,234,567");
    }
}
