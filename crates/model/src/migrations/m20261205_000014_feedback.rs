//! Scout feedback (issue 13): every message sent to the city's purchasing staff from Scout, about
//! a contract or about a search that found nothing, is kept here, whether or not it could be
//! emailed (before, a message sent while no admin existed was dropped). Admins read it in the
//! back-office and mark it handled.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    /// The sender's address, as `platform::mail::address` stores addresses.
    Sender,
    Message,
    /// The contract it is about, if any (NULL once that contract is deleted).
    ContractId,
    /// What the sender searched for, when they wrote from a search.
    SearchQuery,
    /// When it was queued to the admins' inboxes; NULL when there was nobody to send it to.
    EmailedAt,
    /// When an admin marked it handled.
    HandledAt,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(Feedback::Table)
                    .col(pk_auto(Feedback::Id))
                    .col(string(Feedback::Sender))
                    .col(text(Feedback::Message))
                    .col(integer_null(Feedback::ContractId))
                    .col(text_null(Feedback::SearchQuery))
                    .col(timestamp_with_time_zone_null(Feedback::EmailedAt))
                    .col(timestamp_with_time_zone_null(Feedback::HandledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feedback_contract")
                            .from_col(Feedback::ContractId)
                            .to(Contracts::Table, Contracts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    ),
                "feedback",
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_feedback_contract")
                    .table(Feedback::Table)
                    .col(Feedback::ContractId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Feedback::Table).to_owned()).await
    }
}
