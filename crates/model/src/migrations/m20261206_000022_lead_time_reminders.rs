//! Lead-time reminders (issue 16): per contract type, how many days before a contract expires
//! its renewal should start (`lead_time_days`, 120 unless set) and on which days before the
//! expiry Conductor reminds whoever holds the renewal (`reminder_days`, "90,60,30,7,1": whole
//! days, comma-separated); and `conductor_reminders`, one row per reminder sent, so each goes
//! once per contract, day and recipient however often the nightly job runs.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContractTypes {
    Table,
    LeadTimeDays,
    ReminderDays,
}

#[derive(DeriveIden)]
enum ConductorReminders {
    Table,
    ContractId,
    Day,
    UserId,
    SentAt,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// The defaults (also `model::entities::contract_type`'s).
pub const LEAD_TIME_DAYS: i32 = 120;
pub const REMINDER_DAYS: &str = "90,60,30,7,1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(ContractTypes::Table)
                    .add_column(integer(ContractTypes::LeadTimeDays).default(LEAD_TIME_DAYS))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContractTypes::Table)
                    .add_column(string(ContractTypes::ReminderDays).default(REMINDER_DAYS))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConductorReminders::Table)
                    .col(integer(ConductorReminders::ContractId))
                    .col(date(ConductorReminders::Day))
                    .col(integer(ConductorReminders::UserId))
                    .col(timestamp_with_time_zone(ConductorReminders::SentAt))
                    .primary_key(
                        Index::create()
                            .col(ConductorReminders::ContractId)
                            .col(ConductorReminders::Day)
                            .col(ConductorReminders::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConductorReminders::Table, ConductorReminders::ContractId)
                            .to(Contracts::Table, Contracts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConductorReminders::Table, ConductorReminders::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConductorReminders::Table).to_owned()).await?;
        for column in [ContractTypes::LeadTimeDays, ContractTypes::ReminderDays] {
            manager.alter_table(Table::alter().table(ContractTypes::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
