//! COSTARS award lists (`COSTARS-<n>.csv`): one contract per company, a line item for each
//! product column marked `Yes`.

use sea_orm::ConnectionTrait;

use super::reader::Row;
use super::store::{ContractKey, Store};
use super::{Outcome, Report, RowResult, contacts, outcome, parse_date};

/// Columns that are not product categories.
const FIXED: [&str; 11] = [
    "Company",
    "County Located",
    "Manufacturers",
    "Expiration",
    "CONTROLLER",
    "ADDRESS1",
    "ADDRESS2",
    "E-MAIL ADDRESS",
    "CONTACT",
    "PHONE #",
    "FAX #",
];

/// Header spellings seen in real files for two fixed columns. The original matched exactly
/// and so lost COSTARS-36/-37's controller numbers and COSTARS-8's manufacturer lists; Procure
/// reads them.
const CONTROLLER_SPELLINGS: [&str; 2] = ["CONTROLLER", "Controller"];
const MANUFACTURER_SPELLINGS: [&str; 2] = ["Manufacturers", "Manufacturing"];

pub(crate) struct Context {
    /// `12` in `COSTARS-12.csv`.
    pub number: String,
    /// The product columns, in file order.
    pub products: Vec<String>,
}

/// The contract number a COSTARS file's name gives (`12` in `COSTARS-12.csv`, or `costars 12.csv`
/// as the original allowed), or None for any other name.
pub fn number(file_name: &str) -> Option<&str> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.strip_prefix("COSTARS")
        .or_else(|| base.strip_prefix("costars"))
        .and_then(|rest| rest.strip_prefix('-').or_else(|| rest.strip_prefix(' ')))
        .and_then(|rest| rest.strip_suffix(".csv"))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What is wrong with `file_name` as a COSTARS file's name, if anything (an upload form's rule).
pub fn name_problem(file_name: &str) -> Option<String> {
    number(file_name).is_none().then(|| {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        format!("“{base}” is not a COSTARS file name: name it COSTARS-<number>.csv (e.g. COSTARS-3.csv); the number names the contract.")
    })
}

impl Context {
    pub(crate) fn new(file_name: &str, headers: &[String]) -> anyhow::Result<Context> {
        let Some(number) = number(file_name) else {
            let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
            anyhow::bail!("{base}: a COSTARS file must be named COSTARS-<number>.csv (the number names the contract)");
        };
        let fixed =
            |h: &str| FIXED.contains(&h) || CONTROLLER_SPELLINGS.contains(&h) || MANUFACTURER_SPELLINGS.contains(&h);
        let products = headers.iter().filter(|h| !h.is_empty() && !fixed(h)).cloned().collect();
        Ok(Context { number: number.to_owned(), products })
    }
}

pub(crate) async fn row(
    db: &impl ConnectionTrait,
    st: &mut Store,
    ctx: &Context,
    row: &Row,
    report: &mut Report,
) -> RowResult {
    let Some(company) = row.get("Company") else {
        return Ok(Outcome::Skipped("Company is empty; a contract needs a company".into()));
    };
    let costars = st.contract_type(db, "COSTARS").await?;
    let expiration = row.get("Expiration").and_then(|raw| {
        let date = parse_date(raw, false);
        if date.is_none() {
            report.warn(row.line, format!("Expiration {raw:?} is not a date; the contract has no expiration date"));
        }
        date
    });
    let key = ContractKey {
        contract_type_id: Some(costars),
        expiration,
        financial_id: CONTROLLER_SPELLINGS.iter().find_map(|h| row.get(h)).map(str::to_owned),
        description: Some(format!("COSTARS {} - {company}", ctx.number)),
        href: None,
    };
    let (contract_id, created) = st.contract(db, &key).await?;
    let mut added = false;
    if let Some(county) = row.get("County Located") {
        added |= st.property(db, contract_id, "Located in", Some(&format!("{county} County"))).await?;
    }
    if let Some(list) = MANUFACTURER_SPELLINGS.iter().find_map(|h| row.get(h)) {
        added |= st.property(db, contract_id, "List of manufacturers", Some(list)).await?;
    }
    for product in &ctx.products {
        match row.get(product) {
            Some("Yes" | "yes") => added |= st.line_item(db, contract_id, product).await?,
            None | Some("No" | "no" | "NO") => {}
            Some(other) => report.warn(
                row.line,
                format!("{product:?} holds {other:?}, which is neither Yes nor No; no line item was made for it"),
            ),
        }
    }
    let (company_id, new_company) = st.company(db, company).await?;
    added |= new_company | st.link(db, contract_id, company_id).await?;
    let contact = contacts::parse(row);
    if !contact.is_empty() {
        added |= st.contact(db, company_id, &contact).await?;
    }
    Ok(outcome(report, contract_id, created, added))
}
