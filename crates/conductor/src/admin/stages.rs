//! Stages: the steps of Conductor's work, shared by the flows that list them. Made and edited
//! here; never deleted, since flows list them and work items' histories name them.

use std::collections::HashMap;

use accounts::{AdminArea, CurrentUser};
use chrono::Utc;
use model::Stamp;
use model::entities::{flow_stage, stage};
use platform::config::SiteConfig;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set, TryIntoModel};

use admin::kit::opt;
use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

use super::{name_taken, yes_no};

pub struct Stages;

/// The longest target a stage may have, in days (ten years).
const MAX_TARGET_DAYS: i32 = 3_650;

/// The target days field read: `Ok(None)` when blank, `Err` with the message when it is not a
/// whole number from 1 to [`MAX_TARGET_DAYS`].
fn target_days(raw: &str) -> Result<Option<i32>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i32>() {
        Ok(days) if (1..=MAX_TARGET_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(format!("Enter a whole number of days from 1 to {MAX_TARGET_DAYS}, or leave it empty for no target.")),
    }
}

#[async_trait::async_trait]
impl AdminResource for Stages {
    fn slug(&self) -> &'static str {
        "stages"
    }
    fn title(&self) -> &'static str {
        "Stages"
    }
    fn noun(&self) -> &'static str {
        "stage"
    }
    fn area(&self) -> AdminArea {
        AdminArea::Workflow
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Name", "Target days", "May post to Beacon", "Flows listing it"]
    }

    async fn fields(&self, _db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        Ok(vec![
            Field::text("name", "Name").required().help("Shown on a work item's stages and in Conductor's lists."),
            Field::text("target_days", "Target days").help(
                "How many days the stage should take; past it the work shows as overdue. Leave empty for no target.",
            ),
            Field::checkbox("post_opportunities", "Work at this stage may be posted to Beacon"),
            Field::textarea("default_message", "Default update message")
                .help("The text an update email sent from this stage starts with."),
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
        let query = stage::Entity::find().filter(admin::kit::contains(stage::Column::Name, search));
        let (stages, total) = admin::kit::page(db, query, stage::Column::Name, offset, limit).await?;
        let ids: Vec<i32> = stages.iter().map(|s| s.id).collect();
        let mut flows: HashMap<i32, u64> = HashMap::new();
        for link in flow_stage::Entity::find().filter(flow_stage::Column::StageId.is_in(ids)).all(db).await? {
            *flows.entry(link.stage_id).or_default() += 1;
        }
        let rows = stages
            .into_iter()
            .map(|s| Row {
                id: s.id,
                cells: vec![
                    s.name,
                    s.target_days.map_or_else(|| "—".to_owned(), |d| d.to_string()),
                    yes_no(s.post_opportunities),
                    flows.get(&s.id).copied().unwrap_or(0).to_string(),
                ],
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, _site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        Ok(stage::Entity::find_by_id(id).one(db).await?.map(|s| {
            let mut v = Values::new();
            set(&mut v, "name", s.name);
            set(&mut v, "target_days", s.target_days.map(|d| d.to_string()).unwrap_or_default());
            if s.post_opportunities {
                set(&mut v, "post_opportunities", "on");
            }
            set(&mut v, "default_message", s.default_message.unwrap_or_default());
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
        let mut errors = FieldErrors::default();
        errors.require(&self.fields(db, actor).await?, input);
        let name = one(input, "name");
        errors.limit("name", name, 200);
        if !name.is_empty() && name_taken(db, stage::Column::Name, name, id, stage::Column::Id).await? {
            errors.add("name", "A stage with this name already exists.");
        }
        let target = target_days(one(input, "target_days")).unwrap_or_else(|message| {
            errors.add("target_days", message);
            None
        });
        let message = one(input, "default_message").replace("\r\n", "\n");
        errors.limit("default_message", &message, 20_000);
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let mut active = admin::kit::editing::<stage::Entity>(db, id).await?;
        active.name = Set(name.to_owned());
        active.target_days = Set(target);
        active.post_opportunities = Set(!one(input, "post_opportunities").is_empty());
        active.default_message = Set(opt(&message));
        active.stamp(Some(actor.id), Utc::now());
        let saved = active.save(db).await?.try_into_model()?;
        Ok(Ok(saved.id))
    }

    async fn delete(&self, _db: &DatabaseTransaction, _actor: &CurrentUser, _id: i32) -> Result<(), AdminError> {
        Err(AdminError::Refused(
            "Stages are never deleted: flows share them and work items' histories name them. Rename it, or leave it \
             out of new flows."
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::target_days;

    #[test]
    fn target_days_are_empty_or_a_positive_whole_number() {
        assert_eq!(target_days(""), Ok(None));
        assert_eq!(target_days("1"), Ok(Some(1)));
        assert_eq!(target_days("3650"), Ok(Some(3650)));
        for bad in ["0", "-3", "3651", "2.5", "ten", "99999999999"] {
            assert!(target_days(bad).is_err(), "{bad}");
        }
    }
}
