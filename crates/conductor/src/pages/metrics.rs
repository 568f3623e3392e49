//! The metrics pages: the flows (`/conductor/metrics/`), one flow's figures as charts with their
//! tables (`/conductor/metrics/{flow}`: average days per stage with the targets, work in
//! progress by days in its stage, and one stage's distribution), the flow's export, the
//! all-contracts export, and the flow's data as JSON (`/api/v1/conductor/flows/{id}/metrics`).
//! Filters are query parameters, so every view is a link and works without JavaScript.

use accounts::{SignedIn, Viewer, page, page_with_status};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use minijinja::context;
use minijinja::value::{Serde, Value};
use model::entities::{contract, flow, work_item, work_item_stage};
use platform::charts::{Bar, BarChart, ColumnChart, PALETTE, Series, figure};
use platform::http::api::PathId;
use platform::http::{AppError, AppState, Routes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::conductor_only;
use crate::metrics::data::FlowData;
use crate::metrics::export::Format;
use crate::metrics::{Bucket, Filter, Stage, figures};

/// The OpenAPI description of Conductor's endpoint (merged into `/api/openapi.json`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(flow_data),
    components(schemas(platform::http::api::ApiError)),
    tags((name = "conductor", description = "Conductor's figures, for conductor-level staff signed in."))
)]
pub struct ApiDoc;

/// Rows of a stage's distribution table per page.
const DISTRIBUTION_PAGE: usize = 25;

pub fn routes(routes: Routes) -> Routes {
    routes
        .get("/conductor/metrics", || async { Redirect::permanent("/conductor/metrics/") })
        .get("/conductor/metrics/", flows)
        .get("/conductor/metrics/{flow}", flow_page)
        .get("/conductor/metrics/{flow}/export", flow_export)
        .get("/conductor/export", all_export)
        .get("/api/v1/conductor/flows/{id}/metrics", flow_data)
}

/// The flows, each with its work in progress and completed stages.
async fn flows(State(state): State<AppState>, SignedIn(me): SignedIn, viewer: Viewer) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let db = &state.db;
    let all =
        flow::Entity::find().order_by_asc(flow::Column::IsArchived).order_by_asc(flow::Column::Name).all(db).await?;
    let open: Vec<(i32, i64)> = work_item::Entity::find()
        .select_only()
        .column(work_item::Column::FlowId)
        .column_as(work_item::Column::Id.count(), "n")
        .filter(work_item::Column::Status.eq(work_item::IN_PROGRESS))
        .group_by(work_item::Column::FlowId)
        .into_tuple()
        .all(db)
        .await?;
    let done: Vec<(i32, i64)> = work_item_stage::Entity::find()
        .select_only()
        .column(work_item_stage::Column::FlowId)
        .column_as(work_item_stage::Column::Id.count(), "n")
        .filter(work_item_stage::Column::SupersededAt.is_null())
        .filter(work_item_stage::Column::ExitedAt.is_not_null())
        .group_by(work_item_stage::Column::FlowId)
        .into_tuple()
        .all(db)
        .await?;
    let count = |list: &[(i32, i64)], id: i32| list.iter().find(|(f, _)| *f == id).map_or(0, |(_, n)| *n);
    let rows: Vec<Value> = all
        .iter()
        .map(|f| {
            context! { id => f.id, name => f.name.clone(), archived => f.is_archived,
            open => count(&open, f.id), completed => count(&done, f.id) }
        })
        .collect();
    Ok(page(&state, &viewer, "conductor/metrics_flows.html", context! { flows => rows })?.into_response())
}

/// The flow page's query.
#[derive(Debug, Default, Deserialize)]
struct MetricsQuery {
    from: Option<String>,
    to: Option<String>,
    department: Option<String>,
    stage: Option<String>,
    page: Option<String>,
}

/// The filter the query asks for, or the problems with it as (field, message).
fn read_filter(q: &MetricsQuery, tz: Tz) -> Result<Filter, Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let mut date = |field: &'static str, raw: &Option<String>| -> Option<NaiveDate> {
        let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push((field, "Enter the date as YYYY-MM-DD, e.g. 2026-12-06.".to_owned()));
                None
            }
        }
    };
    let (from, to) = (date("from", &q.from), date("to", &q.to));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        problems.push(("to", "The end date is before the start date.".to_owned()));
    }
    let department = match q.department.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i32>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                problems.push(("department", "Choose a department from the list.".to_owned()));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    // A day runs from midnight to midnight where the city is.
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).and_then(|n| tz.from_local_datetime(&n).earliest());
    Ok(Filter {
        department,
        from: from.and_then(midnight).map(|t| t.with_timezone(&Utc)),
        until: to.and_then(|d| d.succ_opt()).and_then(midnight).map(|t| t.with_timezone(&Utc)),
    })
}

/// One stage's line in the page's tables.
#[derive(Debug, Serialize)]
struct StageLine {
    id: i32,
    name: String,
    target_days: Option<i32>,
    completed: usize,
    average: String,
    open: [usize; 5],
    open_total: usize,
    over_target: usize,
    href: String,
}

/// One contract in the distribution table.
#[derive(Debug, Serialize)]
struct TookLine {
    item: i32,
    description: String,
    days: String,
}

/// The page's own address with `stage` and `page` as given, keeping the filters.
fn link(flow: i32, q: &MetricsQuery, stage: i32, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [("from", &q.from), ("to", &q.to), ("department", &q.department)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(name, v);
        }
    }
    query.append_pair("stage", &stage.to_string());
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    format!("/conductor/metrics/{flow}?{}#distribution", query.finish())
}

/// A flow's figures.
async fn flow_page(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<MetricsQuery>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let id = id.parse::<i32>().map_err(|_| AppError::NotFound)?;
    let db = &state.db;
    let the_flow = flow::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let tz = state.config.site.display_timezone;
    let departments = accounts::users::departments(db).await?;
    let form = context! {
        from => q.from.clone().unwrap_or_default(), to => q.to.clone().unwrap_or_default(),
        department => q.department.clone().unwrap_or_default(),
    };
    let filter = match read_filter(&q, tz) {
        Ok(filter) => filter,
        Err(problems) => {
            let flow = context! { id, name => the_flow.name, archived => the_flow.is_archived };
            let ctx = context! { flow, form, departments, errors => problems };
            return Ok(page_with_status(&state, &viewer, StatusCode::BAD_REQUEST, "conductor/metrics.html", ctx)?
                .into_response());
        }
    };
    let prepared = crate::metrics::prepared(&state, id, filter).await?;
    let open = figures::open(&prepared.stages, &prepared.open, Utc::now());
    let lines: Vec<StageLine> = prepared
        .stages
        .iter()
        .zip(&prepared.completed)
        .zip(&open)
        .map(|((s, c), o)| StageLine {
            id: s.id,
            name: s.name.clone(),
            target_days: s.target_days,
            completed: c.took.len(),
            average: figure(c.average_days, 1),
            open: o.by_bucket,
            open_total: o.total(),
            over_target: o.over_target,
            href: link(id, &q, s.id, 1),
        })
        .collect();
    let averages = average_chart(&prepared.stages, &prepared.completed);
    let progress = progress_chart(&prepared.stages, &open);

    // The stage whose distribution is shown: the one asked for, else the first anything completed.
    let asked = q.stage.as_deref().and_then(|s| s.parse::<i32>().ok());
    let chosen = prepared
        .stages
        .iter()
        .position(|s| Some(s.id) == asked)
        .or_else(|| prepared.completed.iter().position(|c| !c.took.is_empty()))
        .unwrap_or(0);
    let mut distribution = None;
    if let (Some(stage), Some(done)) = (prepared.stages.get(chosen), prepared.completed.get(chosen)) {
        let pages = done.took.len().div_ceil(DISTRIBUTION_PAGE).max(1);
        let at = q.page.as_deref().and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
        let shown: Vec<_> = done.took.iter().skip((at - 1) * DISTRIBUTION_PAGE).take(DISTRIBUTION_PAGE).collect();
        let ids: Vec<i32> = shown.iter().map(|t| t.contract_id).collect();
        let names: Vec<(i32, Option<String>)> = contract::Entity::find()
            .select_only()
            .column(contract::Column::Id)
            .column(contract::Column::Description)
            .filter(contract::Column::Id.is_in(ids))
            .into_tuple()
            .all(db)
            .await?;
        let rows: Vec<TookLine> = shown
            .iter()
            .map(|t| TookLine {
                item: t.work_item_id,
                description: names
                    .iter()
                    .find(|(c, _)| *c == t.contract_id)
                    .and_then(|(_, d)| d.clone())
                    .unwrap_or_else(|| format!("Contract {}", t.contract_id)),
                days: figure(t.days, 1),
            })
            .collect();
        let by_day = done.by_whole_days();
        distribution = Some(context! {
            stage => stage.name.clone(), count => done.took.len(), rows => Serde(rows), page => at, pages,
            previous => (at > 1).then(|| link(id, &q, stage.id, at - 1)),
            next => (at < pages).then(|| link(id, &q, stage.id, at + 1)),
            chart => (!by_day.is_empty()).then(|| Value::from_safe_string(distribution_chart(stage, &by_day))),
            days => by_day.iter().filter(|(_, n)| *n > 0).map(|(d, n)| context! { days => d, n }).collect::<Vec<_>>(),
        });
    }
    let mut export = url::form_urlencoded::Serializer::new(String::new());
    if let Some(d) = filter.department {
        export.append_pair("department", &d.to_string());
    }
    let export = export.finish();
    let ctx = context! {
        flow => context! { id, name => the_flow.name, archived => the_flow.is_archived },
        form, departments,
        errors => Vec::<(String, String)>::new(),
        filtered => filter != Filter::default(),
        stages => Serde(lines),
        buckets => Bucket::ALL.iter().map(|b| b.label()).collect::<Vec<_>>(),
        averages => Value::from_safe_string(averages),
        progress => Value::from_safe_string(progress),
        distribution,
        export_query => export,
    };
    Ok(page(&state, &viewer, "conductor/metrics.html", ctx)?.into_response())
}

fn average_chart(stages: &[Stage], completed: &[crate::metrics::Completed]) -> String {
    BarChart {
        id: "chart-average".into(),
        title: "Average days in each stage".into(),
        description: format!(
            "Average days completed work spent in each of {} stages, with each stage's target where it has one. \
             The table below gives the same figures.",
            stages.len()
        ),
        unit: "days".into(),
        series: vec![Series { name: "Average days".into(), colour: PALETTE[0] }],
        bars: stages
            .iter()
            .zip(completed)
            .map(|(s, c)| Bar {
                label: s.name.clone(),
                values: vec![c.average_days],
                marker: s.target_days.map(f64::from),
                note: Some(match c.took.len() {
                    1 => "1 completed".to_owned(),
                    n => format!("{n} completed"),
                }),
            })
            .collect(),
        decimals: 1,
        marker_name: stages.iter().any(|s| s.target_days.is_some()).then(|| "Target days".to_owned()),
    }
    .svg()
}

/// Colours of the buckets, from calm to late (Okabe–Ito).
const BUCKET_COLOURS: [&str; 5] = ["#56B4E9", "#0072B2", "#009E73", "#E69F00", "#D55E00"];

fn progress_chart(stages: &[Stage], open: &[figures::Open]) -> String {
    BarChart {
        id: "chart-progress".into(),
        title: "Work in progress by days in its stage".into(),
        description: "How many work items are in each stage now, by how long they have been in it. \
                      The table below gives the same figures."
            .into(),
        unit: "work items".into(),
        series: Bucket::ALL
            .iter()
            .zip(BUCKET_COLOURS)
            .map(|(b, colour)| Series { name: b.label().to_owned(), colour })
            .collect(),
        bars: stages
            .iter()
            .zip(open)
            .map(|(s, o)| Bar {
                label: s.name.clone(),
                values: o.by_bucket.iter().map(|n| *n as f64).collect(),
                note: (o.over_target > 0).then(|| format!("{} past target", o.over_target)),
                ..Bar::default()
            })
            .collect(),
        decimals: 0,
        marker_name: None,
    }
    .svg()
}

fn distribution_chart(stage: &Stage, by_day: &[(i64, usize)]) -> String {
    ColumnChart {
        id: "chart-distribution".into(),
        title: format!("How long {} took", stage.name),
        description: format!(
            "Completed work in {} by whole days taken, from 0 days to the longest. The table below lists each.",
            stage.name
        ),
        x_unit: "days".into(),
        y_unit: "work items".into(),
        columns: by_day.iter().map(|(d, n)| (d.to_string(), *n as f64)).collect(),
        colour: PALETTE[0],
    }
    .svg()
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    format: Option<String>,
    department: Option<String>,
}

fn format_of(q: &ExportQuery) -> Result<Format, AppError> {
    Format::parse(q.format.as_deref().unwrap_or("tsv"))
        .ok_or_else(|| AppError::BadRequest("`format` must be tsv or csv.".to_owned()))
}

fn download(format: Format, name: &str, body: axum::body::Body) -> Response {
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    ([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

/// A flow's export.
async fn flow_export(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let format = format_of(&q)?;
    let id = id.parse::<i32>().map_err(|_| AppError::NotFound)?;
    let the_flow = flow::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let department = match q.department.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(d.parse::<i32>().map_err(|_| AppError::BadRequest("`department` must be an id.".into()))?),
    };
    let filter = Filter { department, ..Filter::default() };
    let tz = state.config.site.display_timezone;
    let body = crate::metrics::export::flow(&state.db, id, filter, format, tz).await?;
    Ok(download(format, &format!("conductor-{}-metrics", file_part(&the_flow.name)), body.into()))
}

/// The all-contracts export, streamed.
async fn all_export(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    conductor_only(&me)?;
    let format = format_of(&q)?;
    let body = crate::metrics::export::all(state.db.clone(), format);
    Ok(download(format, &format!("conductor-all-{}", state.config.site.today()), body))
}

/// A flow's name as part of a file name: letters, digits and dashes.
fn file_part(name: &str) -> String {
    let kept: String =
        name.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect::<String>();
    let parts: Vec<&str> = kept.split('-').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() { "flow".to_owned() } else { parts.join("-") }
}

/// A flow's data for staff who draw their own charts: its stages in order, each work item's
/// completed stages and each item in progress with its open stage timed to now.
#[utoipa::path(
    get,
    path = "/api/v1/conductor/flows/{id}/metrics",
    tag = "conductor",
    params(("id" = i32, Path, description = "The flow's id", minimum = 1, maximum = 2147483647)),
    security((), ("bearer" = ["conductor:read"]), ("oauth2" = ["conductor:read"])),
    responses(
        (status = 200, description = "The flow's stage times, for conductor-level users (signed in, or by a token with conductor:read)", body = FlowData),
        (status = 400, description = "The id is not a whole number from 1", body = platform::http::api::ApiError),
        (status = 401, description = "Neither signed in nor a token", body = platform::http::api::ApiError),
        (status = 403, description = "Not conductor-level, or the token lacks conductor:read", body = platform::http::api::ApiError),
        (status = 404, description = "No flow has this id", body = platform::http::api::ApiError),
        (status = 429, description = "The token's rate limit is used up; see Retry-After", body = platform::http::api::ApiError),
    )
)]
pub async fn flow_data(
    State(state): State<AppState>,
    caller: accounts::api::bearer::TokenOrSession,
    PathId(id): PathId,
) -> Result<Response, AppError> {
    let me = match caller.require(accounts::api::Scope::ConductorRead) {
        Ok(me) => me,
        Err(missing) => return Ok(missing.into_response()),
    };
    conductor_only(me)?;
    flow::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let tz = state.config.site.display_timezone;
    let data = crate::metrics::data::flow_data(&state.db, id, Filter::default(), Utc::now(), tz).await?;
    Ok(Json(data).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_reads_local_days_and_refuses_what_it_cannot_read() {
        let tz = chrono_tz::America::New_York;
        let q = MetricsQuery { from: Some("2026-03-01".into()), to: Some("2026-03-31".into()), ..Default::default() };
        let f = read_filter(&q, tz).expect("a filter");
        assert_eq!(f.from.map(|t| t.to_rfc3339()), Some("2026-03-01T05:00:00+00:00".into()));
        assert_eq!(f.until.map(|t| t.to_rfc3339()), Some("2026-04-01T04:00:00+00:00".into()), "to the next midnight");
        let q = MetricsQuery { from: Some("March".into()), department: Some("x".into()), ..Default::default() };
        let fields: Vec<&str> = read_filter(&q, tz).expect_err("refused").into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["from", "department"]);
        let q = MetricsQuery { from: Some("2026-03-02".into()), to: Some("2026-03-01".into()), ..Default::default() };
        assert_eq!(read_filter(&q, tz).expect_err("refused")[0].0, "to");
    }

    #[test]
    fn file_names_keep_letters_and_digits() {
        assert_eq!(file_part("Bid & RFP (2027)"), "bid-rfp-2027");
        assert_eq!(file_part("///"), "flow");
    }
}
