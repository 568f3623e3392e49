//! The vendor list for staff, as CSV or TSV (the original exported TSV), with the original's
//! columns. Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are
//! prefixed with `'`: vendors type their own business names.

use accounts::{Action, Resource, SignedIn, authorize};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use model::entities::{category, opportunity, vendor, vendor_category, vendor_opportunity};
use platform::http::{AppError, AppState};
use sea_orm::{EntityTrait, QueryOrder};
use std::collections::HashMap;

const COLUMNS: [&str; 11] = [
    "first_name",
    "last_name",
    "business_name",
    "email",
    "phone_number",
    "minority_owned",
    "woman_owned",
    "veteran_owned",
    "disadvantaged_owned",
    "categories",
    "opportunities",
];

use platform::text::spreadsheet_safe as cell;

async fn export(state: &AppState, me: &accounts::CurrentUser, delimiter: u8) -> Result<Vec<u8>, AppError> {
    authorize(Some(me), Action::Create, Resource::Opportunity { public: false, own: true })?;
    let db = &state.db;
    let names: HashMap<i32, String> =
        category::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.display_name())).collect();
    let titles: HashMap<i32, String> =
        opportunity::Entity::find().all(db).await?.into_iter().map(|o| (o.id, o.title)).collect();
    let mut categories: HashMap<i32, Vec<String>> = HashMap::new();
    for vc in vendor_category::Entity::find().all(db).await? {
        categories.entry(vc.vendor_id).or_default().extend(names.get(&vc.category_id).cloned());
    }
    let mut opportunities: HashMap<i32, Vec<String>> = HashMap::new();
    for vo in vendor_opportunity::Entity::find().all(db).await? {
        opportunities.entry(vo.vendor_id).or_default().extend(titles.get(&vo.opportunity_id).cloned());
    }
    let mut out = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.into());
    out.write_record(COLUMNS).map_err(fail)?;
    for v in vendor::Entity::find().order_by_asc(vendor::Column::BusinessName).all(db).await? {
        let yes = |b: bool| if b { "true" } else { "false" }.to_owned();
        let record = [
            v.first_name.unwrap_or_default(),
            v.last_name.unwrap_or_default(),
            v.business_name,
            v.email,
            v.phone_number.unwrap_or_default(),
            yes(v.minority_owned),
            yes(v.woman_owned),
            yes(v.veteran_owned),
            yes(v.disadvantaged_owned),
            categories.remove(&v.id).unwrap_or_default().join("; "),
            opportunities.remove(&v.id).unwrap_or_default().join("; "),
        ];
        out.write_record(record.iter().map(|c| cell(c).into_owned())).map_err(fail)?;
    }
    out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("writing the export: {e}")))
}

/// The export as a download of `kind` (`csv` or `tsv`).
async fn download(state: &AppState, me: &accounts::CurrentUser, kind: &str) -> Result<Response, AppError> {
    let (delimiter, content_type) = match kind {
        "tsv" => (b'\t', "text/tab-separated-values; charset=utf-8"),
        _ => (b',', "text/csv; charset=utf-8"),
    };
    let body = export(state, me, delimiter).await?;
    let disposition = format!("attachment; filename=\"vendors.{kind}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

pub async fn csv(State(state): State<AppState>, SignedIn(me): SignedIn) -> Result<Response, AppError> {
    download(&state, &me, "csv").await
}

pub async fn tsv(State(state): State<AppState>, SignedIn(me): SignedIn) -> Result<Response, AppError> {
    download(&state, &me, "tsv").await
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("-1+1"), "'-1+1");
        assert_eq!(super::cell("Keystone Paving"), "Keystone Paving");
    }
}
