//! Beacon: bid opportunities with their documents and categories, the bid documents a vendor
//! must submit, vendors and what they subscribe to, and a record of every notification sent so
//! that each goes to each recipient at most once.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequiredDocuments {
    Table,
    Id,
    DisplayName,
    Description,
    /// A blank form to download, if there is one.
    FormHref,
}

#[derive(DeriveIden)]
enum Opportunities {
    Table,
    Id,
    Title,
    Description,
    DepartmentId,
    ContractTypeId,
    /// The staff member vendors write to.
    ContactId,
    /// The day it is to be made public (in the display time zone).
    PlannedPublish,
    /// The day bids may be submitted from.
    PlannedSubmissionStart,
    /// The moment bids close (UTC; entered in the display time zone).
    PlannedSubmissionEnd,
    /// Approved for publishing by a conductor-level user.
    IsPublic,
    IsArchived,
    /// When it became visible to the public (set by whoever publishes: a person or the scheduler).
    PublishedAt,
    /// The contract this opportunity renews, if it was made from one.
    CreatedFromId,
}

#[derive(DeriveIden, Clone, Copy)]
enum OpportunityCategories {
    Table,
    OpportunityId,
    CategoryId,
}

#[derive(DeriveIden, Clone, Copy)]
enum OpportunityRequiredDocuments {
    Table,
    OpportunityId,
    RequiredDocumentId,
}

#[derive(DeriveIden)]
enum OpportunityDocuments {
    Table,
    Id,
    OpportunityId,
    /// The title shown for the download.
    Name,
    /// The file (`stored_files.id`).
    FileId,
}

#[derive(DeriveIden)]
enum Vendors {
    Table,
    Id,
    BusinessName,
    /// Lower-cased, so it is unique whatever the case it was typed in.
    Email,
    FirstName,
    LastName,
    /// Ten digits.
    PhoneNumber,
    FaxNumber,
    WomanOwned,
    MinorityOwned,
    VeteranOwned,
    DisadvantagedOwned,
    Newsletter,
    /// When the vendor confirmed the address (double opt-in); nothing is sent before.
    ConfirmedAt,
    /// When the vendor unsubscribed from everything; nothing is sent after.
    UnsubscribedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VendorCategories {
    Table,
    VendorId,
    CategoryId,
}

#[derive(DeriveIden, Clone, Copy)]
enum VendorOpportunities {
    Table,
    VendorId,
    OpportunityId,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    /// What was sent, e.g. `beacon.new_opportunity:42`.
    Message,
    /// To whom (an email address, lower-cased).
    Recipient,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContractTypes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
}

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
}

fn cascade(name: &str, from: impl IntoIden, table: impl IntoIden, to: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from_col(from).to(table, to).on_delete(ForeignKeyAction::Cascade).to_owned()
}

/// A join table of two cascading foreign keys.
fn link(
    table: impl IntoIden + Copy + 'static,
    left: (impl IntoIden + Copy + 'static, impl IntoIden + 'static, &str),
    right: (impl IntoIden + Copy + 'static, impl IntoIden + 'static, &str),
) -> TableCreateStatement {
    let (lcol, ltable, lname) = left;
    let (rcol, rtable, rname) = right;
    Table::create()
        .table(table)
        .col(integer(lcol))
        .col(integer(rcol))
        .primary_key(Index::create().col(lcol).col(rcol))
        .foreign_key(&mut cascade(lname, lcol, ltable, Alias::new("id")))
        .foreign_key(&mut cascade(rname, rcol, rtable, Alias::new("id")))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(RequiredDocuments::Table)
                    .col(pk_auto(RequiredDocuments::Id))
                    .col(string_uniq(RequiredDocuments::DisplayName))
                    .col(text_null(RequiredDocuments::Description))
                    .col(string_null(RequiredDocuments::FormHref)),
                "required_documents",
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create()
                    .table(Opportunities::Table)
                    .col(pk_auto(Opportunities::Id))
                    .col(string(Opportunities::Title))
                    .col(text(Opportunities::Description))
                    .col(integer(Opportunities::DepartmentId))
                    .col(integer(Opportunities::ContractTypeId))
                    .col(integer_null(Opportunities::ContactId))
                    .col(date(Opportunities::PlannedPublish))
                    .col(date(Opportunities::PlannedSubmissionStart))
                    .col(timestamp_with_time_zone(Opportunities::PlannedSubmissionEnd))
                    .col(boolean(Opportunities::IsPublic).default(false))
                    .col(boolean(Opportunities::IsArchived).default(false))
                    .col(timestamp_with_time_zone_null(Opportunities::PublishedAt))
                    .col(integer_null(Opportunities::CreatedFromId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunities_department")
                            .from_col(Opportunities::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunities_type")
                            .from_col(Opportunities::ContractTypeId)
                            .to(ContractTypes::Table, ContractTypes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunities_contact")
                            .from_col(Opportunities::ContactId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunities_created_from")
                            .from_col(Opportunities::CreatedFromId)
                            .to(Contracts::Table, Contracts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    ),
                "opportunities",
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_opportunities_public")
                    .table(Opportunities::Table)
                    .col(Opportunities::IsPublic)
                    .col(Opportunities::IsArchived)
                    .col(Opportunities::PlannedSubmissionEnd)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(link(
                OpportunityCategories::Table,
                (OpportunityCategories::OpportunityId, Opportunities::Table, "fk_opportunity_categories_opportunity"),
                (OpportunityCategories::CategoryId, Categories::Table, "fk_opportunity_categories_category"),
            ))
            .await?;
        manager
            .create_table(link(
                OpportunityRequiredDocuments::Table,
                (
                    OpportunityRequiredDocuments::OpportunityId,
                    Opportunities::Table,
                    "fk_opportunity_required_documents_opportunity",
                ),
                (
                    OpportunityRequiredDocuments::RequiredDocumentId,
                    RequiredDocuments::Table,
                    "fk_opportunity_required_documents_document",
                ),
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create()
                    .table(OpportunityDocuments::Table)
                    .col(pk_auto(OpportunityDocuments::Id))
                    .col(integer(OpportunityDocuments::OpportunityId))
                    .col(string(OpportunityDocuments::Name))
                    .col(big_integer(OpportunityDocuments::FileId))
                    .foreign_key(&mut cascade(
                        "fk_opportunity_documents_opportunity",
                        OpportunityDocuments::OpportunityId,
                        Opportunities::Table,
                        Opportunities::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_opportunity_documents_file")
                            .from_col(OpportunityDocuments::FileId)
                            .to(StoredFiles::Table, StoredFiles::Id),
                    ),
                "opportunity_documents",
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create()
                    .table(Vendors::Table)
                    .col(pk_auto(Vendors::Id))
                    .col(string(Vendors::BusinessName))
                    .col(string_uniq(Vendors::Email))
                    .col(string_null(Vendors::FirstName))
                    .col(string_null(Vendors::LastName))
                    .col(string_null(Vendors::PhoneNumber))
                    .col(string_null(Vendors::FaxNumber))
                    .col(boolean(Vendors::WomanOwned).default(false))
                    .col(boolean(Vendors::MinorityOwned).default(false))
                    .col(boolean(Vendors::VeteranOwned).default(false))
                    .col(boolean(Vendors::DisadvantagedOwned).default(false))
                    .col(boolean(Vendors::Newsletter).default(true))
                    .col(timestamp_with_time_zone_null(Vendors::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(Vendors::UnsubscribedAt)),
                "vendors",
            ))
            .await?;
        manager
            .create_table(link(
                VendorCategories::Table,
                (VendorCategories::VendorId, Vendors::Table, "fk_vendor_categories_vendor"),
                (VendorCategories::CategoryId, Categories::Table, "fk_vendor_categories_category"),
            ))
            .await?;
        manager
            .create_table(link(
                VendorOpportunities::Table,
                (VendorOpportunities::VendorId, Vendors::Table, "fk_vendor_opportunities_vendor"),
                (VendorOpportunities::OpportunityId, Opportunities::Table, "fk_vendor_opportunities_opportunity"),
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(string(Deliveries::Message))
                    .col(string(Deliveries::Recipient))
                    .col(timestamp_with_time_zone_default_now(Deliveries::CreatedAt))
                    .primary_key(Index::create().col(Deliveries::Message).col(Deliveries::Recipient))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Deliveries::Table.into_iden(),
            VendorOpportunities::Table.into_iden(),
            VendorCategories::Table.into_iden(),
            Vendors::Table.into_iden(),
            OpportunityDocuments::Table.into_iden(),
            OpportunityRequiredDocuments::Table.into_iden(),
            OpportunityCategories::Table.into_iden(),
            Opportunities::Table.into_iden(),
            RequiredDocuments::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
