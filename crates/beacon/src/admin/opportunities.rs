//! Opportunities, for correcting records: their text, department, type, contact, dates, lists
//! and whether they are archived. Drafting happens on Beacon's staff pages and approval through
//! `beacon::lifecycle::approve` (which sets `published_at` and announces the opportunity), so
//! neither is offered here; edits go through `lifecycle::correct`, which applies the same rules
//! as the staff form.

use crate::lifecycle::{self, Draft, Status};
use accounts::ServiceError;
use accounts::users::NEW_USER_DEPARTMENT;
use accounts::{Action, AdminArea, CurrentUser, Denied};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use model::entities::{
    category, contract_type, department, opportunity, opportunity_category, opportunity_document,
    opportunity_required_document, required_document, user, vendor_opportunity,
};
use platform::config::SiteConfig;
use platform::files::FileError;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use admin::kit::ids;
use admin::resource::{AdminError, AdminResource, Field, FieldErrors, Row, Saved, Values, one, set};

pub struct Opportunities;

/// Where opportunities are drafted, with their own rules and notifications.
const DRAFT_PAGE: &str = "/beacon/admin/new";

/// The closing time when none is given, as on the staff form.
const DEFAULT_CLOSING_TIME: &str = "14:00";

/// The closing moment as the form shows it: the day and `HH:MM` in the display time zone.
fn closing_fields(o: &opportunity::Model, site: &SiteConfig) -> (String, String) {
    let local = o.planned_submission_end.with_timezone(&site.display_timezone);
    (local.date_naive().to_string(), local.format("%H:%M").to_string())
}

/// The draft the form describes, as `lifecycle` checks it, plus the contact and the archived box.
/// Values it cannot read are errors; those it leaves out (no department) are `lifecycle`'s.
fn draft_of(
    input: &Values,
    stored: &opportunity::Model,
    site: &SiteConfig,
    errors: &mut FieldErrors,
) -> (Draft, Option<i32>) {
    let mut date = |field: &str| match one(input, field) {
        "" => None,
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().or_else(|| {
            errors.add(field, "Enter a date as YYYY-MM-DD.");
            None
        }),
    };
    let planned_publish = date("planned_publish");
    let planned_submission_start = date("planned_submission_start");
    let end_day = date("planned_submission_end");
    let end_time = match one(input, "planned_submission_end_time") {
        "" => DEFAULT_CLOSING_TIME,
        raw => raw,
    };
    let time = NaiveTime::parse_from_str(end_time, "%H:%M").ok();
    if time.is_none() {
        errors.add("planned_submission_end_time", "Enter the closing time as HH:MM, e.g. 14:00.");
    }
    let (stored_day, stored_time) = closing_fields(stored, site);
    let planned_submission_end = if one(input, "planned_submission_end") == stored_day && end_time == stored_time {
        // Shown to the minute and left as it was: the stored moment, not a rounded one.
        Some(stored.planned_submission_end)
    } else {
        let end = end_day.zip(time).and_then(|(d, t)| {
            site.display_timezone
                .from_local_datetime(&NaiveDateTime::new(d, t))
                .earliest()
                .map(|l| l.with_timezone(&Utc))
        });
        if end_day.is_some() && time.is_some() && end.is_none() {
            errors.add(
                "planned_submission_end_time",
                "That time does not exist that day (the clocks change); choose another.",
            );
        }
        end
    };
    let mut list = |field: &str| {
        ids(input, field).unwrap_or_else(|_| {
            errors.add(field, "Choose from the list.");
            Vec::new()
        })
    };
    let categories = list("categories");
    let required_documents = list("required_documents");
    let number = |field: &str| one(input, field).parse::<i32>().ok();
    let draft = Draft {
        title: one(input, "title").to_owned(),
        description: one(input, "description").to_owned(),
        department_id: number("department"),
        contract_type_id: number("contract_type"),
        planned_publish,
        planned_submission_start,
        planned_submission_end,
        categories,
        required_documents,
        timezone: Some(site.display_timezone),
        ..Draft::default()
    };
    (draft, number("contact"))
}

/// `lifecycle`'s messages under this form's fields, one per field (a blank title is reported
/// once, not as both "required" and "give it a title").
fn merge(errors: &mut FieldErrors, problems: Vec<(&'static str, String)>) {
    for (field, message) in problems {
        // "dates": one of the three days is missing.
        let field = if field == "dates" { "planned_publish" } else { field };
        let dates = ["planned_publish", "planned_submission_start", "planned_submission_end"];
        let taken =
            errors.0.iter().any(|(f, _)| f == field || (field == "planned_publish" && dates.contains(&f.as_str())));
        if !taken {
            errors.add(field, message);
        }
    }
}

#[async_trait::async_trait]
impl AdminResource for Opportunities {
    fn slug(&self) -> &'static str {
        "opportunities"
    }
    fn title(&self) -> &'static str {
        "Opportunities"
    }
    fn noun(&self) -> &'static str {
        "opportunity"
    }
    fn area(&self) -> AdminArea {
        // Admins, as the original's OpportunityAdmin (its AuthMixin: admin and superadmin).
        // Conductors approve and archive on Beacon's staff pages; here records are corrected and
        // deleted, which the original kept to admins too.
        AdminArea::General
    }
    fn columns(&self) -> &'static [&'static str] {
        &["Title", "Department", "Status", "Bids close"]
    }
    fn created_elsewhere(&self) -> Option<(&'static str, &'static str)> {
        Some((DRAFT_PAGE, "Draft an opportunity in Beacon"))
    }

    async fn fields(&self, db: &DatabaseTransaction, _actor: &CurrentUser) -> Result<Vec<Field>, DbErr> {
        let departments = department::Entity::find()
            .filter(department::Column::Name.ne(NEW_USER_DEPARTMENT))
            .order_by_asc(department::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), d.name))
            .collect();
        let types = contract_type::Entity::find()
            .filter(contract_type::Column::AllowOpportunities.eq(true))
            .order_by_asc(contract_type::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id.to_string(), t.name))
            .collect();
        let contacts = user::Entity::find()
            .filter(user::Column::Active.eq(true))
            .order_by_asc(user::Column::Email)
            .all(db)
            .await?
            .into_iter()
            .map(|u| {
                let name = [u.first_name.as_deref(), u.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>();
                let label = if name.is_empty() { u.email } else { format!("{} ({})", name.join(" "), u.email) };
                (u.id.to_string(), label)
            })
            .collect();
        let categories = category::Entity::find()
            .order_by_asc(category::Column::Category)
            .order_by_asc(category::Column::Subcategory)
            .order_by_asc(category::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id.to_string(), c.display_name()))
            .collect();
        let documents = required_document::Entity::find()
            .order_by_asc(required_document::Column::DisplayName)
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), d.display_name))
            .collect();
        Ok(vec![
            Field::text("title", "Title").required(),
            Field::textarea("description", "Description").required().help("At most 500 words."),
            Field::select("department", "Department", departments).required(),
            Field::select("contract_type", "Contract type", types)
                .required()
                .help("Only types under which opportunities may be posted."),
            Field::select("contact", "Contact", contacts).required().help("The city employee vendors write to."),
            Field::date("planned_publish", "Publish date").required(),
            Field::date("planned_submission_start", "Opening date").required(),
            Field::date("planned_submission_end", "Closing date").required(),
            Field::time("planned_submission_end_time", "Closing time")
                .help("In the city's time zone; 14:00 if left blank."),
            Field::checkboxes("categories", "Categories", categories),
            Field::checkboxes("required_documents", "Required bid documents", documents),
            Field::checkbox("archived", "Archived").help("Hidden from every public page and list."),
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
        let query = opportunity::Entity::find().filter(
            Condition::any()
                .add(admin::kit::contains(opportunity::Column::Title, search))
                .add(admin::kit::contains(opportunity::Column::Description, search)),
        );
        let total = query.clone().count(db).await?;
        let found = query
            .find_also_related(department::Entity)
            .order_by_desc(opportunity::Column::PlannedSubmissionEnd)
            .order_by_desc(opportunity::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(db)
            .await?;
        let (now, today) = (Utc::now(), site.today());
        let rows = found
            .into_iter()
            .map(|(o, d)| {
                let status = Status::label(Status::of(&o, now, today)).to_owned();
                let closes = lifecycle::local_time(o.planned_submission_end, site.display_timezone);
                Row { id: o.id, cells: vec![o.title, d.map(|d| d.name).unwrap_or_default(), status, closes] }
            })
            .collect();
        Ok((rows, total))
    }

    async fn load(&self, db: &DatabaseTransaction, site: &SiteConfig, id: i32) -> Result<Option<Values>, DbErr> {
        let Some(o) = opportunity::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut v = Values::new();
        let (end_day, end_time) = closing_fields(&o, site);
        set(&mut v, "title", o.title);
        set(&mut v, "description", o.description);
        set(&mut v, "department", o.department_id.to_string());
        set(&mut v, "contract_type", o.contract_type_id.to_string());
        set(&mut v, "contact", o.contact_id.map(|c| c.to_string()).unwrap_or_default());
        set(&mut v, "planned_publish", o.planned_publish.to_string());
        set(&mut v, "planned_submission_start", o.planned_submission_start.to_string());
        set(&mut v, "planned_submission_end", end_day);
        set(&mut v, "planned_submission_end_time", end_time);
        if o.is_archived {
            set(&mut v, "archived", "on");
        }
        // Not fields (approval is Beacon's), but part of the record the audit log keeps.
        set(&mut v, "approved", if o.is_public { "yes" } else { "no" });
        set(&mut v, "published_at", o.published_at.map(|at| at.to_rfc3339()).unwrap_or_default());
        let categories = opportunity_category::Entity::find()
            .filter(opportunity_category::Column::OpportunityId.eq(id))
            .order_by_asc(opportunity_category::Column::CategoryId)
            .all(db)
            .await?;
        v.insert("categories".into(), categories.into_iter().map(|c| c.category_id.to_string()).collect());
        let documents = opportunity_required_document::Entity::find()
            .filter(opportunity_required_document::Column::OpportunityId.eq(id))
            .order_by_asc(opportunity_required_document::Column::RequiredDocumentId)
            .all(db)
            .await?;
        v.insert(
            "required_documents".into(),
            documents.into_iter().map(|d| d.required_document_id.to_string()).collect(),
        );
        Ok(Some(v))
    }

    fn label(&self, values: &Values) -> String {
        one(values, "title").chars().take(80).collect()
    }

    async fn save(
        &self,
        db: &DatabaseTransaction,
        site: &SiteConfig,
        actor: &CurrentUser,
        id: Option<i32>,
        _stored: Option<&Values>,
        input: &Values,
    ) -> Result<Saved, AdminError> {
        let Some(id) = id else {
            return Err(AdminError::Refused(format!("Opportunities are drafted in Beacon, at {DRAFT_PAGE}.")));
        };
        let stored = opportunity::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
        let mut errors = FieldErrors::default();
        errors.require(&self.fields(db, actor).await?, input);
        let (draft, contact) = draft_of(input, &stored, site, &mut errors);
        let now = Utc::now();
        if !errors.is_empty() {
            // Report the service's findings too, so one round trip shows every problem.
            merge(&mut errors, lifecycle::correction_problems(db, &stored, &draft, contact, now).await?);
            return Ok(Err(errors));
        }
        let archived = !one(input, "archived").is_empty();
        match lifecycle::correct(db, actor, id, &draft, contact, archived, now).await {
            Ok(saved) => Ok(Ok(saved.id)),
            Err(ServiceError::Invalid(problems)) => {
                merge(&mut errors, problems);
                Ok(Err(errors))
            }
            Err(ServiceError::Db(e)) => Err(e.into()),
            Err(ServiceError::Denied(d)) => Err(d.into()),
            Err(ServiceError::NotFound) => Err(DbErr::RecordNotFound(id.to_string()).into()),
            Err(ServiceError::Conflict(message)) => Err(AdminError::Refused(message)),
        }
    }

    async fn delete(&self, db: &DatabaseTransaction, actor: &CurrentUser, id: i32) -> Result<(), AdminError> {
        let o = opportunity::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotFound(id.to_string()))?;
        if !lifecycle::may(Some(actor), Action::Delete, &o) {
            return Err(Denied::Forbidden.into());
        }
        // The documents' rows cascade, but their files would stay in storage: each file's record
        // is deleted (its object by the queued job) once no row points at it.
        let files: Vec<i64> = opportunity_document::Entity::find()
            .select_only()
            .column(opportunity_document::Column::FileId)
            .filter(opportunity_document::Column::OpportunityId.eq(id))
            .into_tuple()
            .all(db)
            .await?;
        opportunity_document::Entity::delete_many()
            .filter(opportunity_document::Column::OpportunityId.eq(id))
            .exec(db)
            .await?;
        for file in files {
            match platform::files::delete(db, file).await {
                Ok(()) | Err(FileError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        opportunity_category::Entity::delete_many()
            .filter(opportunity_category::Column::OpportunityId.eq(id))
            .exec(db)
            .await?;
        opportunity_required_document::Entity::delete_many()
            .filter(opportunity_required_document::Column::OpportunityId.eq(id))
            .exec(db)
            .await?;
        vendor_opportunity::Entity::delete_many()
            .filter(vendor_opportunity::Column::OpportunityId.eq(id))
            .exec(db)
            .await?;
        opportunity::Entity::delete_by_id(id).exec(db).await?;
        lifecycle::events::announce(db, lifecycle::events::DELETED, id, true).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_messages_do_not_repeat_the_forms() {
        let mut errors = FieldErrors::default();
        errors.add("title", "Title is required.");
        errors.add("planned_submission_start", "Opening date is required.");
        merge(
            &mut errors,
            vec![
                ("title", "Give the opportunity a title.".into()),
                ("dates", "Give the publish date…".into()),
                ("department", "Choose the department.".into()),
            ],
        );
        let fields: Vec<&str> = errors.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["title", "planned_submission_start", "department"]);
    }
}
