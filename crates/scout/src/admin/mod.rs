//! Scout's tables in the back-office (contract types, contracts with their companies, details
//! and line items, companies, company contacts, private notes, which admins may delete but
//! not read, and the feedback inbox), and its data files in the web import.

mod companies;
mod company_contacts;
mod contract_notes;
mod contract_types;
pub(crate) mod contracts;
mod feedback;

use admin::BackOffice;
use admin::imports::{ImportReport, Importer, Imports};
use sea_orm::DatabaseConnection;

use crate::import::{self, Actor, Kind, Report};

pub const RESOURCES: BackOffice = BackOffice(&[
    &contract_types::ContractTypes,
    &contracts::Contracts,
    &companies::Companies,
    &company_contacts::CompanyContacts,
    &contract_notes::ContractNotes,
    &feedback::FeedbackInbox,
]);

pub const IMPORTS: Imports = Imports(&[&Kind::Contracts, &Kind::State, &Kind::Costars, &Kind::Nigp]);

fn report(report: Report) -> ImportReport {
    ImportReport {
        rows: report.rows,
        created: report.created,
        skipped: report.skipped,
        details: serde_json::to_value(&report).unwrap_or_default(),
    }
}

#[async_trait::async_trait]
impl Importer for Kind {
    fn name(&self) -> &'static str {
        Kind::name(*self)
    }

    fn label(&self) -> &'static str {
        Kind::label(*self)
    }

    fn sample(&self, bytes: &[u8], rows: usize) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
        let table = import::reader::read(bytes)?;
        let sample = table
            .rows
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .take(rows)
            .map(|r| table.headers.iter().map(|h| r.get(h).unwrap_or("").to_owned()).collect())
            .collect();
        Ok((table.headers, sample))
    }

    async fn preview(
        &self,
        db: &DatabaseConnection,
        actor: Option<i32>,
        file_name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<ImportReport> {
        Ok(report(import::preview(db, Actor(actor), *self, file_name, bytes).await?))
    }

    async fn import(
        &self,
        db: &DatabaseConnection,
        actor: Option<i32>,
        file_name: &str,
        bytes: &[u8],
        progress: &dyn admin::imports::Progress,
    ) -> anyhow::Result<ImportReport> {
        Ok(report(import::import_with(db, Actor(actor), *self, file_name, bytes, progress).await?))
    }
}
