//! Flows: made here with their stages in order (one name per line; a name no stage has makes
//! that stage, once), renamed and archived. A flow's stages never change once made
//! (re-ordering means a new flow, as in the original), and a flow any work item followed is
//! never deleted.

use std::collections::{HashMap, HashSet};

use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{flow, flow_stage, stage, work_item, work_item_stage};
use platform::config::SiteConfig;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    SqlErr,
};

use admin::kit::count_of;
use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};
use sea_orm::sea_query::{Expr, ExprTrait, Func};

use super::{name_taken, yes_no};

pub struct Flows;

/// Why a flow's stages do not change.
const STAGES_FIXED: &str = "A flow's stages never change once it is made: make a new flow for another order.";

/// Why a flow work went through is kept.
fn in_use(items: usize) -> String {
    let items = count_of(items as u64, "work item has", "work items have");
    format!("{items} followed this flow, so it is kept: archive it instead to stop offering it.")
}

#[async_trait::async_trait]
impl AdminResource for Flows {
    fn slug(&self) -> &'static str {
        "flows"
    }
    fn title(&self) -> &'static str {
        "Flows"
    }
    fn noun(&self) -> &'static str {
        "flow"
    }
    fn area(&self) -> AdminArea {
        AdminArea::Workflow
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Name", "Stages", "Archived", "Work items"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![
            Field::text("name", "Name").required().help("Shown when starting work and on a work item's page."),
            Field::textarea("stages", "Stages")
                .help("One stage per line, in order. A name no stage has makes a new stage; set its target days under Stages."),
            Field::checkbox("archived", "Archived")
                .help("Not offered when starting work or switching flows; work already in it carries on."),
        ])
    }

    async fn list(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        search: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Row>, u64), DbErr> {
        let query = flow::Entity::find().filter(admin::kit::contains(flow::Column::Name, search));
        let (flows, total) = admin::kit::page(db, query, flow::Column::Name, offset, limit).await?;
        let ids: Vec<i32> = flows.iter().map(|f| f.id).collect();
        let mut stages: HashMap<i32, Vec<String>> = HashMap::new();
        for (link, s) in flow_stage::Entity::find()
            .filter(flow_stage::Column::FlowId.is_in(ids.clone()))
            .find_also_related(stage::Entity)
            .order_by_asc(flow_stage::Column::FlowId)
            .order_by_asc(flow_stage::Column::Position)
            .all(db)
            .await?
        {
            if let Some(s) = s {
                stages.entry(link.flow_id).or_default().push(s.name);
            }
        }
        let mut items: HashMap<i32, u64> = HashMap::new();
        for w in work_item::Entity::find().filter(work_item::Column::FlowId.is_in(ids)).all(db).await? {
            *items.entry(w.flow_id).or_default() += 1;
        }
        let rows = flows
            .into_iter()
            .map(|f| Row {
                id: f.id,
                cells: vec![
                    f.name,
                    stages.remove(&f.id).map_or_else(|| "—".to_owned(), |names| names.join(" → ")),
                    yes_no(f.is_archived),
                    items.get(&f.id).copied().unwrap_or(0).to_string(),
                ],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(f) = flow::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut v = Values::new();
        set(&mut v, "name", f.name);
        if f.is_archived {
            set(&mut v, "archived", "on");
        }
        set(&mut v, "stages", stage_names(db, id).await?.join("\n"));
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "name").to_owned()
    }

    async fn save(
        &self,
        db: &DatabaseTransaction,
        _site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        _stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError> {
        let mut errors = FieldErrors::default();
        errors.require(&self.fields(db, actor).await?, input);
        let name = one(input, "name");
        errors.limit("name", name, 200);
        if !name.is_empty() && name_taken(db, flow::Column::Name, name, id, flow::Column::Id).await? {
            errors.add("name", "A flow with that name already exists!");
        }
        let names = lines(one(input, "stages"));
        match id {
            // Its stages as they are (a form without the field leaves them so).
            Some(id) => {
                if input.contains_key("stages") && names != stage_names(db, id).await? {
                    errors.add("stages", STAGES_FIXED);
                }
            }
            None => {
                if names.is_empty() {
                    errors.add("stages", "You must have at least one stage!");
                }
                let distinct: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
                if distinct.len() != names.len() {
                    errors.add("stages", "You cannot have duplicate stages!");
                }
                if let Some(long) = names.iter().find(|n| n.chars().count() > 200) {
                    errors.add("stages", format!("A stage's name holds at most 200 characters (“{long}” is longer)."));
                }
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = Utc::now();
        let Some(id) = id else {
            let made = flow::ActiveModel {
                name: Set(name.to_owned()),
                is_archived: Set(!one(input, "archived").is_empty()),
                ..Stamp::created(Some(actor.id), now)
            }
            .insert(db)
            .await?;
            for (position, stage_name) in names.iter().enumerate() {
                let stage_id = stage_named(db, stage_name, actor, now).await?;
                flow_stage::ActiveModel {
                    flow_id: Set(made.id),
                    stage_id: Set(stage_id),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                }
                .insert(db)
                .await?;
            }
            return Ok(Ok(made.id));
        };
        let found = flow::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
        let mut active: flow::ActiveModel = found.into();
        active.name = Set(name.to_owned());
        active.is_archived = Set(!one(input, "archived").is_empty());
        active.stamp(Some(actor.id), now);
        let saved = active.update(db).await?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, db: &DatabaseTransaction, _actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        // Work that switched away from a flow keeps its rows in it: both hold the flow.
        let mut items: HashSet<i32> = work_item::Entity::find()
            .select_only()
            .column(work_item::Column::Id)
            .filter(work_item::Column::FlowId.eq(id))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        items.extend(
            work_item_stage::Entity::find()
                .select_only()
                .column(work_item_stage::Column::WorkItemId)
                .filter(work_item_stage::Column::FlowId.eq(id))
                .into_tuple::<i32>()
                .all(db)
                .await?,
        );
        if !items.is_empty() {
            return Err(AdminError::Refused(in_use(items.len())));
        }
        match flow::Entity::delete_by_id(id).exec(db).await {
            Ok(_) => Ok(()),
            // Work started on it meanwhile: the foreign key refuses, and so do we.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
                Err(AdminError::Refused(in_use(1)))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The non-blank lines of a stages field, trimmed, in order.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Flow `id`'s stage names in order.
async fn stage_names(db: &DatabaseTransaction, id: i32) -> Result<Vec<String>, DbErr> {
    Ok(flow_stage::Entity::find()
        .filter(flow_stage::Column::FlowId.eq(id))
        .find_also_related(stage::Entity)
        .order_by_asc(flow_stage::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, s)| s.map(|s| s.name))
        .collect())
}

/// The stage called `name` (in any case), made if there is none.
async fn stage_named(
    db: &DatabaseTransaction,
    name: &str,
    actor: &CurrentUser,
    now: chrono::DateTime<Utc>,
) -> Result<i32, DbErr> {
    let found = stage::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(stage::Column::Name))).eq(name.to_lowercase()))
        .one(db)
        .await?;
    if let Some(found) = found {
        return Ok(found.id);
    }
    let made = stage::ActiveModel {
        name: Set(name.to_owned()),
        post_opportunities: Set(false),
        default_message: Set(None),
        target_days: Set(None),
        ..Stamp::created(Some(actor.id), now)
    }
    .insert(db)
    .await?;
    Ok(made.id)
}

#[cfg(test)]
mod tests {
    use super::lines;

    #[test]
    fn stages_are_the_non_blank_lines_trimmed_in_order() {
        assert_eq!(lines(" Review \n\n  Quote\r\nSign\n "), ["Review", "Quote", "Sign"]);
        assert!(lines("\n  \n").is_empty());
    }
}
