//! The PA state-contract list: like the City list, with `PARENT`, four-digit years and a link
//! to the contract on PA eMarketplace.

use sea_orm::ConnectionTrait;

use super::reader::Row;
use super::store::{ContractKey, Store};
use super::{Outcome, Report, RowResult, outcome, xdrive};

pub(crate) fn href(contract: &str, service: &str) -> String {
    let kind = if service.to_uppercase().contains("IT SERVICES ITQ") { "Overview" } else { "ContractFile" };
    // The backslash is part of the address, as the original built it.
    format!("http://www.emarketplace.state.pa.us/FileDownload.aspx?file={contract}\\{kind}.pdf")
}

pub(crate) async fn row(db: &impl ConnectionTrait, st: &mut Store, row: &Row, report: &mut Report) -> RowResult {
    let Some(company) = row.get("COMPANY") else {
        return Ok(Outcome::Skipped("COMPANY is empty; a contract needs a company".into()));
    };
    let Some(service) = row.get("SERVICE") else {
        return Ok(Outcome::Skipped("SERVICE is empty; the state list's link is built from it".into()));
    };
    let contract_type_id = match row.get("TYPE OF CONTRACT") {
        Some(name) => Some(st.contract_type(db, name).await?),
        None => None,
    };
    let key = ContractKey {
        contract_type_id,
        expiration: xdrive::expiration(row, report, true),
        financial_id: row.get("CONTROLLER").map(str::to_owned),
        description: Some(service.to_owned()),
        href: Some(href(row.get("CONTRACT").unwrap_or(""), service)),
    };
    let (contract_id, created) = st.contract(db, &key).await?;
    let parent = st.property(db, contract_id, "Parent Number", row.get("PARENT")).await?;
    let number = st.property(db, contract_id, "Contract Number", row.get("CONTRACT")).await?;
    let company_side = xdrive::company_side(db, st, contract_id, company, row).await?;
    Ok(outcome(report, contract_id, created, parent || number || company_side))
}
