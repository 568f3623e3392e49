//! The feedback inbox: every message sent from Scout (see `crate::feedback`), newest first,
//! emailed to the admins or not. Admins read a message, mark it handled (the one thing that
//! changes here: a message stays as it was sent) and delete it.

use std::collections::BTreeMap;

use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::StampUpdate;
use model::entities::{contract, feedback};
use platform::config::SiteConfig;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

use crate::display::title_case;

pub struct FeedbackInbox;

/// The fields shown as they were sent, which saving must leave as they are.
const AS_SENT: [&str; 5] = ["sender", "about", "message", "received", "emailed"];

/// What a message is about, in words.
fn about(m: &feedback::Model, contracts: &BTreeMap<i32, String>) -> String {
    match (m.contract_id, &m.search_query) {
        (Some(id), _) => format!("Contract {id}: {}", contracts.get(&id).map_or("", String::as_str)),
        (None, Some(q)) => format!("A search for “{q}”"),
        (None, None) => "Scout".to_owned(),
    }
}

fn received(m: &feedback::Model, site: &SiteConfig) -> String {
    m.created_at.with_timezone(&site.display_timezone).format("%Y-%m-%d %H:%M").to_string()
}

fn emailed(m: &feedback::Model, site: &SiteConfig) -> String {
    match m.emailed_at {
        Some(at) => format!("Yes, {}", at.with_timezone(&site.display_timezone).format("%Y-%m-%d %H:%M")),
        None => "No: there was no admin to send it to".to_owned(),
    }
}

/// The first words of a message, for the list.
fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// The contracts `messages` are about: id → description as pages show it.
async fn contracts_of(db: &DatabaseTransaction, messages: &[feedback::Model]) -> Result<BTreeMap<i32, String>, DbErr> {
    let ids: Vec<i32> = messages.iter().filter_map(|m| m.contract_id).collect();
    Ok(contract::Entity::find()
        .filter(contract::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.description.as_deref().map(|d| title_case(d).into_owned()).unwrap_or_default()))
        .collect())
}

/// Text compared as a reader sees it (a browser sends a textarea's line breaks as CR LF).
fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

#[async_trait::async_trait]
impl AdminResource for FeedbackInbox {
    fn slug(&self) -> &'static str {
        "feedback"
    }
    fn title(&self) -> &'static str {
        "Feedback"
    }
    fn noun(&self) -> &'static str {
        "message"
    }
    fn area(&self) -> AdminArea {
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["From", "Received", "About", "Message", "Emailed", "Handled"]
    }
    fn created_elsewhere(&self) -> Option<(&'static str, &'static str)> {
        Some(("/scout/feedback", "Messages are sent from Scout"))
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let as_sent = "As sent; it does not change here.";
        Ok(vec![
            Field::email("sender", "From").help("Reply to this address to answer."),
            Field::text("received", "Received").help(as_sent),
            Field::text("about", "About").help(as_sent),
            Field::textarea("message", "Message").help(as_sent),
            Field::text("emailed", "Emailed to the admins").help(as_sent),
            Field::checkbox("handled", "Handled").help("Tick it once the message has been answered or dealt with."),
        ])
    }

    async fn list(
        &self,
        db: &DatabaseTransaction,
        site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr> {
        let query = feedback::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(feedback::Column::Sender, search))
                .add(admin::kit::contains(feedback::Column::Message, search)),
        );
        let total = query.clone().count(db).await?;
        let messages = query.order_by_desc(feedback::Column::Id).offset(offset).limit(limit).all(db).await?;
        let contracts = contracts_of(db, &messages).await?;
        let rows = messages
            .iter()
            .map(|m| Row {
                id: m.id,
                cells: vec![
                    m.sender.clone(),
                    received(m, site),
                    about(m, &contracts),
                    excerpt(&m.message),
                    if m.emailed_at.is_some() { "Yes" } else { "No" }.to_owned(),
                    if m.handled_at.is_some() { "Yes" } else { "Not yet" }.to_owned(),
                ],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(m) = feedback::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let contracts = contracts_of(db, std::slice::from_ref(&m)).await?;
        let mut v = Values::new();
        set(&mut v, "sender", m.sender.clone());
        set(&mut v, "received", received(&m, site));
        set(&mut v, "about", about(&m, &contracts));
        set(&mut v, "message", m.message.clone());
        set(&mut v, "emailed", emailed(&m, site));
        if m.handled_at.is_some() {
            set(&mut v, "handled", "on");
        }
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        format!("from {}, {}", one(values, "sender"), one(values, "received"))
    }

    async fn save(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError> {
        let (Some(id), Some(stored)) = (id, stored) else {
            return Err(AdminError::Refused("Messages are sent from Scout, not written here.".into()));
        };
        let mut errors = FieldErrors::default();
        for field in AS_SENT {
            if !same_text(one(input, field), one(stored, field)) {
                errors.add(field, "A message is kept as it was sent: only “Handled” changes here.");
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let handled = !one(input, "handled").is_empty();
        let was_handled = !one(stored, "handled").is_empty();
        if handled != was_handled {
            let now = Utc::now();
            feedback::Entity::update_many()
                .col_expr(feedback::Column::HandledAt, Expr::value(handled.then_some(now)))
                .stamped(Some(actor.id), now)
                .filter(feedback::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
        Ok(Ok(id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        feedback::Entity::delete_by_id(id).exec(db).await?;
        Ok(())
    }
}
