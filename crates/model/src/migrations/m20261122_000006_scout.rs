//! Scout: contracts, their types, companies and contacts, properties, line items, private
//! notes, followers, and NIGP categories (used by Beacon). The search index comes with the
//! search migration.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The contract types the original seeded. Whether opportunities may be posted under a type
/// (`allow_opportunities`) was never seeded there either: admins set it.
pub const CONTRACT_TYPES: [&str; 13] = [
    "PBOE",
    "PWSA",
    "CWCOG",
    "ELA",
    "B-BID",
    "U.R.A.",
    "GSA",
    "County",
    "A-BID",
    "Lackawanna",
    "Philadelphia",
    "STATE",
    "COSTARS",
];

#[derive(DeriveIden)]
enum ContractTypes {
    Table,
    Id,
    Name,
    AllowOpportunities,
    ManagedByConductor,
    OpportunityResponseInstructions,
}

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum CompanyContacts {
    Table,
    Id,
    CompanyId,
    FirstName,
    LastName,
    Addr1,
    Addr2,
    City,
    State,
    ZipCode,
    PhoneNumber,
    FaxNumber,
    Email,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    /// The controller number.
    FinancialId,
    ExpirationDate,
    Description,
    ContractHref,
    /// An uploaded contract document (a `stored_files` row), instead of or besides the link.
    DocumentId,
    ContractTypeId,
    DepartmentId,
    IsArchived,
    IsVisible,
    ParentId,
}

#[derive(DeriveIden)]
enum ContractCompanies {
    Table,
    ContractId,
    CompanyId,
}

#[derive(DeriveIden)]
enum ContractProperties {
    Table,
    Id,
    ContractId,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum LineItems {
    Table,
    Id,
    ContractId,
    Description,
    Manufacturer,
    ModelNumber,
    Quantity,
    UnitOfMeasure,
    UnitCost,
    TotalCost,
    /// `unit_cost` is a percent discount, not a price.
    Percentage,
    CompanyName,
    CompanyId,
}

#[derive(DeriveIden)]
enum ContractNotes {
    Table,
    Id,
    ContractId,
    UserId,
    Note,
}

#[derive(DeriveIden)]
enum ContractFollowers {
    Table,
    ContractId,
    UserId,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    /// NIGP codes, `|`-separated integers (no arrays: both backends store the same).
    NigpCodes,
    Category,
    Subcategory,
    CategoryFriendlyName,
    Examples,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from_col(from).to(to_table, to_col).on_delete(on_delete).to_owned()
}

async fn index(manager: &SchemaManager<'_>, name: &str, table: impl IntoIden, cols: Vec<Alias>) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).to_owned();
    for c in cols {
        index.col(c);
    }
    manager.create_index(index).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(ContractTypes::Table)
                    .col(pk_auto(ContractTypes::Id))
                    .col(string_uniq(ContractTypes::Name))
                    .col(boolean(ContractTypes::AllowOpportunities).default(false))
                    .col(boolean(ContractTypes::ManagedByConductor).default(false))
                    .col(text_null(ContractTypes::OpportunityResponseInstructions)),
                "contract_types",
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create().table(Companies::Table).col(pk_auto(Companies::Id)).col(string_uniq(Companies::Name)),
                "companies",
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create()
                    .table(CompanyContacts::Table)
                    .col(pk_auto(CompanyContacts::Id))
                    .col(integer(CompanyContacts::CompanyId))
                    .col(string_null(CompanyContacts::FirstName))
                    .col(string_null(CompanyContacts::LastName))
                    .col(string_null(CompanyContacts::Addr1))
                    .col(string_null(CompanyContacts::Addr2))
                    .col(string_null(CompanyContacts::City))
                    .col(string_null(CompanyContacts::State))
                    .col(string_null(CompanyContacts::ZipCode))
                    .col(string_null(CompanyContacts::PhoneNumber))
                    .col(string_null(CompanyContacts::FaxNumber))
                    .col(string_null(CompanyContacts::Email))
                    .foreign_key(&mut fk(
                        "fk_company_contacts_company",
                        CompanyContacts::CompanyId,
                        Companies::Table,
                        Companies::Id,
                        ForeignKeyAction::Cascade,
                    )),
                "company_contacts",
            ))
            .await?;
        index(manager, "idx_company_contacts_company", CompanyContacts::Table, vec![Alias::new("company_id")]).await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(Contracts::Table)
                    .col(pk_auto(Contracts::Id))
                    .col(string_null(Contracts::FinancialId))
                    .col(date_null(Contracts::ExpirationDate))
                    .col(text_null(Contracts::Description))
                    .col(text_null(Contracts::ContractHref))
                    .col(big_integer_null(Contracts::DocumentId))
                    .col(integer_null(Contracts::ContractTypeId))
                    .col(integer_null(Contracts::DepartmentId))
                    .col(boolean(Contracts::IsArchived).default(false))
                    .col(boolean(Contracts::IsVisible).default(true))
                    .col(integer_null(Contracts::ParentId))
                    .foreign_key(&mut fk(
                        "fk_contracts_type",
                        Contracts::ContractTypeId,
                        ContractTypes::Table,
                        ContractTypes::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contracts_department",
                        Contracts::DepartmentId,
                        Departments::Table,
                        Departments::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contracts_document",
                        Contracts::DocumentId,
                        StoredFiles::Table,
                        StoredFiles::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contracts_parent",
                        Contracts::ParentId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::SetNull,
                    )),
                "contracts",
            ))
            .await?;
        index(manager, "idx_contracts_financial_id", Contracts::Table, vec![Alias::new("financial_id")]).await?;
        index(manager, "idx_contracts_expiration", Contracts::Table, vec![Alias::new("expiration_date")]).await?;
        index(manager, "idx_contracts_type", Contracts::Table, vec![Alias::new("contract_type_id")]).await?;
        index(manager, "idx_contracts_department", Contracts::Table, vec![Alias::new("department_id")]).await?;
        index(manager, "idx_contracts_parent", Contracts::Table, vec![Alias::new("parent_id")]).await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(ContractCompanies::Table)
                    .col(integer(ContractCompanies::ContractId))
                    .col(integer(ContractCompanies::CompanyId))
                    .primary_key(Index::create().col(ContractCompanies::ContractId).col(ContractCompanies::CompanyId))
                    .foreign_key(&mut fk(
                        "fk_contract_companies_contract",
                        ContractCompanies::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contract_companies_company",
                        ContractCompanies::CompanyId,
                        Companies::Table,
                        Companies::Id,
                        ForeignKeyAction::Cascade,
                    )),
                "contract_companies",
            ))
            .await?;
        index(manager, "idx_contract_companies_company", ContractCompanies::Table, vec![Alias::new("company_id")])
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(ContractProperties::Table)
                    .col(pk_auto(ContractProperties::Id))
                    .col(integer(ContractProperties::ContractId))
                    .col(string(ContractProperties::Key))
                    .col(text_null(ContractProperties::Value))
                    .foreign_key(&mut fk(
                        "fk_contract_properties_contract",
                        ContractProperties::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    )),
                "contract_properties",
            ))
            .await?;
        index(manager, "idx_contract_properties_contract", ContractProperties::Table, vec![Alias::new("contract_id")])
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(LineItems::Table)
                    .col(pk_auto(LineItems::Id))
                    .col(integer(LineItems::ContractId))
                    .col(text(LineItems::Description))
                    .col(string_null(LineItems::Manufacturer))
                    .col(string_null(LineItems::ModelNumber))
                    .col(double_null(LineItems::Quantity))
                    .col(string_null(LineItems::UnitOfMeasure))
                    .col(double_null(LineItems::UnitCost))
                    .col(double_null(LineItems::TotalCost))
                    .col(boolean(LineItems::Percentage).default(false))
                    .col(string_null(LineItems::CompanyName))
                    .col(integer_null(LineItems::CompanyId))
                    .foreign_key(&mut fk(
                        "fk_line_items_contract",
                        LineItems::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_line_items_company",
                        LineItems::CompanyId,
                        Companies::Table,
                        Companies::Id,
                        ForeignKeyAction::SetNull,
                    )),
                "line_items",
            ))
            .await?;
        index(manager, "idx_line_items_contract", LineItems::Table, vec![Alias::new("contract_id")]).await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(ContractNotes::Table)
                    .col(pk_auto(ContractNotes::Id))
                    .col(integer(ContractNotes::ContractId))
                    .col(integer(ContractNotes::UserId))
                    .col(text(ContractNotes::Note))
                    .foreign_key(&mut fk(
                        "fk_contract_notes_contract",
                        ContractNotes::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contract_notes_user",
                        ContractNotes::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    )),
                "contract_notes",
            ))
            .await?;
        index(
            manager,
            "idx_contract_notes_contract_user",
            ContractNotes::Table,
            vec![Alias::new("contract_id"), Alias::new("user_id")],
        )
        .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(ContractFollowers::Table)
                    .col(integer(ContractFollowers::ContractId))
                    .col(integer(ContractFollowers::UserId))
                    .primary_key(Index::create().col(ContractFollowers::ContractId).col(ContractFollowers::UserId))
                    .foreign_key(&mut fk(
                        "fk_contract_followers_contract",
                        ContractFollowers::ContractId,
                        Contracts::Table,
                        Contracts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contract_followers_user",
                        ContractFollowers::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    )),
                "contract_followers",
            ))
            .await?;
        index(manager, "idx_contract_followers_user", ContractFollowers::Table, vec![Alias::new("user_id")]).await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(Categories::Table)
                    .col(pk_auto(Categories::Id))
                    .col(string(Categories::NigpCodes))
                    .col(string_null(Categories::Category))
                    .col(string_null(Categories::Subcategory))
                    .col(string_null(Categories::CategoryFriendlyName))
                    .col(text_null(Categories::Examples)),
                "categories",
            ))
            .await?;
        index(
            manager,
            "idx_categories_category",
            Categories::Table,
            vec![Alias::new("category"), Alias::new("subcategory")],
        )
        .await?;

        let db = manager.get_connection();
        let mut types = Query::insert().into_table(ContractTypes::Table).columns([ContractTypes::Name]).to_owned();
        for name in CONTRACT_TYPES {
            types.values_panic([name.into()]);
        }
        db.execute(&types).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "categories",
            "contract_followers",
            "contract_notes",
            "line_items",
            "contract_properties",
            "contract_companies",
            "contracts",
            "company_contacts",
            "companies",
            "contract_types",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
