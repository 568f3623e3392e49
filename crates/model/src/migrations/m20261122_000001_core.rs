//! Core tables: users, roles, departments, accepted email domains, app status, nightly job status.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm::{DbBackend, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The roles of the original suite; a user may hold several.
pub const ROLES: [&str; 5] = ["superadmin", "admin", "conductor", "staff", "county"];

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    FirstName,
    LastName,
    Active,
    DepartmentId,
    PasswordHash,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    UserId,
    RoleId,
}

#[derive(DeriveIden)]
enum AcceptedDomains {
    Table,
    Id,
    Domain,
}

#[derive(DeriveIden)]
enum AppStatus {
    Table,
    Id,
    Status,
    Message,
    LastUpdated,
}

#[derive(DeriveIden)]
enum JobStatus {
    Table,
    Id,
    Name,
    Date,
    Status,
    Info,
}

fn department_fk() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("fk_users_department")
        .from(Users::Table, Users::DepartmentId)
        .to(Departments::Table, Departments::Id)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        // users and departments point at each other (department, and the audit columns).
        // SQLite accepts a foreign key to a table created later but cannot add one afterwards;
        // PostgreSQL is the other way round. So the department key is declared inline on
        // SQLite and added once `departments` exists on PostgreSQL.
        let mut users = Table::create()
            .table(Users::Table)
            .col(pk_auto(Users::Id))
            .col(string_uniq(Users::Email).check(Expr::col(Users::Email).eq(Func::lower(Expr::col(Users::Email)))))
            .col(string_null(Users::FirstName))
            .col(string_null(Users::LastName))
            .col(boolean(Users::Active).default(true))
            .col(integer_null(Users::DepartmentId))
            .col(text_null(Users::PasswordHash))
            .col(timestamp_with_time_zone_null(Users::LastSignInAt))
            .to_owned();
        if backend == DbBackend::Sqlite {
            users.foreign_key(&mut department_fk());
        }
        manager.create_table(audited(&mut users, "users")).await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(Departments::Table)
                    .col(pk_auto(Departments::Id))
                    .col(string_uniq(Departments::Name)),
                "departments",
            ))
            .await?;
        if backend != DbBackend::Sqlite {
            manager.create_foreign_key(department_fk()).await?;
        }
        manager
            .create_index(
                Index::create().name("idx_users_department").table(Users::Table).col(Users::DepartmentId).to_owned(),
            )
            .await?;

        let role_names: Vec<Expr> = ROLES.iter().map(|r| Expr::val(*r)).collect();
        manager
            .create_table(audited(
                Table::create()
                    .table(Roles::Table)
                    .col(pk_auto(Roles::Id))
                    .col(string_uniq(Roles::Name).check(Expr::col(Roles::Name).is_in(role_names))),
                "roles",
            ))
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(UserRoles::Table)
                    .col(integer(UserRoles::UserId))
                    .col(integer(UserRoles::RoleId))
                    .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::RoleId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_roles_user")
                            .from_col(UserRoles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_roles_role")
                            .from_col(UserRoles::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    ),
                "user_roles",
            ))
            .await?;
        manager
            .create_index(
                Index::create().name("idx_user_roles_role").table(UserRoles::Table).col(UserRoles::RoleId).to_owned(),
            )
            .await?;

        manager
            .create_table(audited(
                Table::create().table(AcceptedDomains::Table).col(pk_auto(AcceptedDomains::Id)).col(
                    string_uniq(AcceptedDomains::Domain)
                        .check(Expr::col(AcceptedDomains::Domain).eq(Func::lower(Expr::col(AcceptedDomains::Domain)))),
                ),
                "accepted_domains",
            ))
            .await?;

        manager
            .create_table(audited(
                Table::create()
                    .table(AppStatus::Table)
                    .col(pk_auto(AppStatus::Id))
                    .col(string(AppStatus::Status).default("ok"))
                    .col(text_null(AppStatus::Message))
                    .col(timestamp_with_time_zone_null(AppStatus::LastUpdated)),
                "app_status",
            ))
            .await?;

        let job_states: Vec<Expr> =
            ["new", "started", "success", "failed", "skipped"].iter().map(|s| Expr::val(*s)).collect();
        manager
            .create_table(audited(
                Table::create()
                    .table(JobStatus::Table)
                    .col(pk_auto(JobStatus::Id))
                    .col(string(JobStatus::Name))
                    .col(date(JobStatus::Date))
                    .col(string(JobStatus::Status).default("new").check(Expr::col(JobStatus::Status).is_in(job_states)))
                    .col(text_null(JobStatus::Info)),
                "job_status",
            ))
            .await?;
        // One row per (job, date): this is what makes a nightly slot run exactly once.
        manager
            .create_index(
                Index::create()
                    .name("uq_job_status_name_date")
                    .table(JobStatus::Table)
                    .col(JobStatus::Name)
                    .col(JobStatus::Date)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        for role in ROLES {
            db.execute(
                &Query::insert().into_table(Roles::Table).columns([Roles::Name]).values_panic([role.into()]).to_owned(),
            )
            .await?;
        }
        db.execute_raw(Statement::from_string(backend, "INSERT INTO app_status (id, status) VALUES (1, 'ok')")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["job_status", "app_status", "accepted_domains", "user_roles", "roles"] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        if manager.get_database_backend() != DbBackend::Sqlite {
            manager
                .drop_foreign_key(ForeignKey::drop().name("fk_users_department").table(Users::Table).to_owned())
                .await?;
        }
        manager.drop_table(Table::drop().table(Departments::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
