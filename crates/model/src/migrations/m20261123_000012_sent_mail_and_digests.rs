//! Two records that make mailing repeatable without repeating itself:
//! - `sent_emails`: every message the SMTP server (or outbox) accepted, by Message-ID, written
//!   right after it did; a send job run again (its worker died before the job was marked done)
//!   finds its message here and does not send it twice.
//! - `beacon_digests`: one row per biweekly digest, with the moment it covers opportunities up
//!   to, so the next one starts where it ended and a rerun of the same digest resumes it.
//!
//! And the `opportunities` row of `data_versions`, which Beacon's cached public pages are keyed by.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SentEmails {
    Table,
    /// `<id@host>`, as in the message's header.
    MessageId,
    SentAt,
}

#[derive(DeriveIden)]
enum BeaconDigests {
    Table,
    /// The day of the digest (display time zone), e.g. the 1st or the 15th.
    Edition,
    /// Opportunities published up to this moment are in this digest (and not the next).
    CoversUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DataVersions {
    Table,
    Name,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SentEmails::Table)
                    .col(string(SentEmails::MessageId).primary_key())
                    .col(timestamp_with_time_zone(SentEmails::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("sent_emails_sent_at").table(SentEmails::Table).col(SentEmails::SentAt).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BeaconDigests::Table)
                    .col(date(BeaconDigests::Edition).primary_key())
                    .col(timestamp_with_time_zone(BeaconDigests::CoversUntil))
                    .col(timestamp_with_time_zone_default_now(BeaconDigests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(DataVersions::Table)
                    .columns([DataVersions::Name, DataVersions::Version])
                    .values_panic(["opportunities".into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(DataVersions::Table)
                    .and_where(Expr::col(DataVersions::Name).eq("opportunities"))
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(BeaconDigests::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SentEmails::Table).to_owned()).await
    }
}
