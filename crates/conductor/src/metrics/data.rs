//! A flow's data as JSON, in the original's shape (`research/conductor.md` §6), for whoever
//! draws their own charts: `complete` holds each item's completed stages, `current` each
//! item in progress with its open stage timed to now (an item in progress with completed
//! stages is in both); `stageDataObj` and `stageOrder` give the flow's stages in order. Times
//! are ISO 8601 in the site's time zone; `seconds` is never negative. Unassigned work is
//! included (`email` null), which the original dropped.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use model::entities::{contract, department, user, work_item};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Filter, Passage, Stage};

/// The data endpoint's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowData {
    /// Each item's completed stages.
    pub complete: Vec<ItemData>,
    /// Each item in progress, with its open stage timed to now.
    pub current: Vec<ItemData>,
    /// The flow's stages in order, each as `{"<id>": {"name", "id"}}`.
    #[serde(rename = "stageDataObj")]
    #[schema(value_type = Vec<Object>)]
    pub stage_data: Vec<BTreeMap<String, StageRef>>,
    /// The stages' ids in flow order.
    #[serde(rename = "stageOrder")]
    pub stage_order: Vec<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageRef {
    pub name: String,
    pub id: i32,
}

/// One work item's stages of one kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemData {
    /// The successor contract the work makes.
    pub contract_id: i32,
    pub description: Option<String>,
    /// The assignee's address; null when unassigned.
    pub email: Option<String>,
    pub department: Option<String>,
    pub stages: Vec<StageTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageTime {
    pub id: i32,
    pub name: String,
    pub entered: String,
    /// For open stages, now.
    pub exited: String,
    pub seconds: i64,
}

/// What a work item shows besides its times.
pub(crate) struct About {
    pub contract_id: i32,
    pub description: Option<String>,
    pub email: Option<String>,
    pub department: Option<String>,
}

/// [`About`] each of work items `ids`.
pub(crate) async fn about_items(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<BTreeMap<i32, About>, DbErr> {
    let mut found = BTreeMap::new();
    // In chunks: a flow may hold more items than a statement may have parameters.
    for chunk in ids.chunks(500) {
        type Row = (i32, i32, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = work_item::Entity::find()
            .select_only()
            .column(work_item::Column::Id)
            .column(work_item::Column::ContractId)
            .column(contract::Column::Description)
            .column(user::Column::Email)
            .column_as(department::Column::Name, "department")
            .join(JoinType::InnerJoin, work_item::Relation::Contract.def())
            .join(JoinType::LeftJoin, work_item::Relation::Assignee.def())
            .join(JoinType::LeftJoin, work_item::Relation::Department.def())
            .filter(work_item::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, contract_id, description, email, department) in rows {
            found.insert(id, About { contract_id, description, email, department });
        }
    }
    Ok(found)
}

/// The flow's data under `filter` at `now`, times written in `tz`.
pub async fn flow_data(
    db: &impl ConnectionTrait,
    flow: i32,
    filter: Filter,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<FlowData, DbErr> {
    let stages = super::stages(db, flow).await?;
    let passages = super::passages(db, flow, filter).await?;
    let mut ids: Vec<i32> = passages.iter().map(|p| p.work_item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let about = about_items(db, ids).await?;
    let iso = |t: DateTime<Utc>| t.with_timezone(&tz).to_rfc3339();
    let name = |id: i32| stages.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    let time = |p: &Passage| StageTime {
        id: p.stage_id,
        name: name(p.stage_id),
        entered: iso(p.entered),
        exited: iso(p.exited.unwrap_or(now)),
        seconds: p.seconds(now),
    };
    let mut complete: BTreeMap<i32, Vec<StageTime>> = BTreeMap::new();
    let mut current: BTreeMap<i32, Vec<StageTime>> = BTreeMap::new();
    for p in &passages {
        match p.exited {
            Some(_) => complete.entry(p.work_item_id).or_default().push(time(p)),
            None if p.in_progress => current.entry(p.work_item_id).or_default().push(time(p)),
            None => {}
        }
    }
    let items = |kind: BTreeMap<i32, Vec<StageTime>>| -> Vec<ItemData> {
        kind.into_iter()
            .filter_map(|(id, stages)| {
                let a = about.get(&id)?;
                Some(ItemData {
                    contract_id: a.contract_id,
                    description: a.description.clone(),
                    email: a.email.clone(),
                    department: a.department.clone(),
                    stages,
                })
            })
            .collect()
    };
    Ok(FlowData {
        complete: items(complete),
        current: items(current),
        stage_data: stages.iter().map(stage_ref).collect(),
        stage_order: stages.iter().map(|s| s.id).collect(),
    })
}

fn stage_ref(s: &Stage) -> BTreeMap<String, StageRef> {
    BTreeMap::from([(s.id.to_string(), StageRef { name: s.name.clone(), id: s.id })])
}
