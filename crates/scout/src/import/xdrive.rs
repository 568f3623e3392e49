//! The City's contract list ("X-Drive" file, e.g. `2015-08-13-contractlist.csv`).

use sea_orm::ConnectionTrait;

use super::reader::Row;
use super::store::{ContractKey, Store};
use super::{Report, RowResult, contacts, outcome, parse_date};

/// Shared by the City list and the state list: the company, its contact and the link.
pub(crate) async fn company_side(
    db: &impl ConnectionTrait,
    st: &mut Store,
    contract_id: i32,
    company: &str,
    row: &Row,
) -> Result<bool, sea_orm::DbErr> {
    let (company_id, new_company) = st.company(db, company).await?;
    let linked = st.link(db, contract_id, company_id).await?;
    let contact = contacts::parse(row);
    let contact_added = !contact.is_empty() && st.contact(db, company_id, &contact).await?;
    Ok(new_company || linked || contact_added)
}

pub(crate) fn expiration(row: &Row, report: &mut Report, four_digit_year: bool) -> Option<chrono::NaiveDate> {
    let raw = row.get("EXPIRATION")?;
    let date = parse_date(raw, four_digit_year);
    if date.is_none() {
        report.warn(row.line, format!("EXPIRATION {raw:?} is not a date; the contract has no expiration date"));
    }
    date
}

pub(crate) async fn row(db: &impl ConnectionTrait, st: &mut Store, row: &Row, report: &mut Report) -> RowResult {
    let Some(company) = row.get("COMPANY") else {
        return Ok(super::Outcome::Skipped("COMPANY is empty; a contract needs a company".into()));
    };
    let contract_type_id = match row.get("TYPE OF CONTRACT") {
        Some(name) => Some(st.contract_type(db, name).await?),
        None => None,
    };
    let key = ContractKey {
        contract_type_id,
        expiration: expiration(row, report, false),
        financial_id: row.get("CONTROLLER").map(str::to_owned),
        description: row.get("SERVICE").map(str::to_owned),
        href: None,
    };
    let (contract_id, created) = st.contract(db, &key).await?;
    let spec = st.property(db, contract_id, "Spec Number", row.get("CONTRACT")).await?;
    let company_side = company_side(db, st, contract_id, company, row).await?;
    Ok(outcome(report, contract_id, created, spec || company_side))
}
