//! The job queue's table (the store of record for every queued job, whatever the broker),
//! linked to `job_status` for scheduled runs, and the probe table the `platform.probe` job
//! writes to.
//!
//! Times the queue compares (`run_at`, `locked_until`) are integer milliseconds since the
//! epoch: SQLite keeps timestamps as text, and text comparison of timestamps with different
//! fractional precision is a trap; integers compare the same on both backends.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    JobType,
    Payload,
    Priority,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedBy,
    LockedUntil,
    LastError,
    PublishedAt,
    JobStatusId,
}

#[derive(DeriveIden)]
enum JobStatus {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum JobProbes {
    Table,
    Id,
    Token,
    JobId,
    Attempt,
    Worker,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let states: Vec<Expr> = ["queued", "running", "failed"].iter().map(|s| Expr::val(*s)).collect();
        manager
            .create_table(audited(
                Table::create()
                    .table(Jobs::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(string(Jobs::JobType))
                    .col(text(Jobs::Payload))
                    .col(small_integer(Jobs::Priority).default(0))
                    .col(string(Jobs::Status).default("queued").check(Expr::col(Jobs::Status).is_in(states)))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts))
                    .col(big_integer(Jobs::RunAt))
                    .col(string_null(Jobs::LockedBy))
                    .col(big_integer_null(Jobs::LockedUntil))
                    .col(text_null(Jobs::LastError))
                    .col(big_integer_null(Jobs::PublishedAt))
                    // Set for a scheduled run: the (job, date) slot whose status this run reports.
                    .col(integer_null(Jobs::JobStatusId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_jobs_job_status")
                            .from_col(Jobs::JobStatusId)
                            .to(JobStatus::Table, JobStatus::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    ),
                "jobs",
            ))
            .await?;
        // The claim query: ready jobs of one type, by priority then age.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_claim")
                    .table(Jobs::Table)
                    .col(Jobs::JobType)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(JobProbes::Table)
                    .col(big_pk_auto(JobProbes::Id))
                    .col(string(JobProbes::Token))
                    .col(big_integer(JobProbes::JobId))
                    .col(integer(JobProbes::Attempt))
                    .col(string(JobProbes::Worker)),
                "job_probes",
            ))
            .await?;
        manager
            .create_index(
                Index::create().name("idx_job_probes_token").table(JobProbes::Table).col(JobProbes::Token).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(JobProbes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await
    }
}
