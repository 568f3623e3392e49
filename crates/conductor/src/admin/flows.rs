//! Flows: renamed and archived here. A flow is made with its ordered stages in Conductor (its
//! order never changes once made: re-ordering means a new flow), so the back-office makes
//! none; one that any work item followed is never deleted.

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

use super::{name_taken, yes_no};

pub struct Flows;

/// Why a flow is not made here.
const MADE_IN_CONDUCTOR: &str =
    "A flow is made with its stages in order, in Conductor; here only its name and whether it is archived change.";

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
        Ok(flow::Entity::find_by_id(id).one(db).await?.map(|f| {
            let mut v = Values::new();
            set(&mut v, "name", f.name);
            if f.is_archived {
                set(&mut v, "archived", "on");
            }
            v
        }))
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
        let Some(id) = id else { return Err(AdminError::Refused(MADE_IN_CONDUCTOR.into())) };
        let mut errors = FieldErrors::default();
        errors.require(&self.fields(db, actor).await?, input);
        let name = one(input, "name");
        errors.limit("name", name, 200);
        if !name.is_empty() && name_taken(db, flow::Column::Name, name, Some(id), flow::Column::Id).await? {
            errors.add("name", "A flow with this name already exists.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let found = flow::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
        let mut active: flow::ActiveModel = found.into();
        active.name = Set(name.to_owned());
        active.is_archived = Set(!one(input, "archived").is_empty());
        active.stamp(Some(actor.id), Utc::now());
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
