//! Accounts: one-time sign-in links, sign-in attempts (for throttling), the admin audit log, and
//! the original suite's seed data (its 22 departments and the `pittsburghpa.gov` domain).
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The departments the original seeded (its migration 2e30804e1994), in its order. "New User"
/// is where self-registered staff wait until they choose their own on the profile page.
pub const DEPARTMENTS: [&str; 22] = [
    "Bureau of Neighborhood Empowerment",
    "Citizen Police Review Board",
    "City Clerk's Office",
    "City Controller",
    "City Council",
    "Commission on Human Relations",
    "Department of City Planning",
    "Department of Finance",
    "Department of Law",
    "Department of Parks and Recreation",
    "Department of Permits, Licenses, and Inspections",
    "Department of Public Safety",
    "Department of Public Works",
    "Equal Opportunity Review Commission",
    "Ethics Board",
    "Innovation and Performance",
    "Office of Management and Budget",
    "Office of Municipal Investigations",
    "Office of the Mayor",
    "Personnel and Civil Service Commission",
    "Other",
    "New User",
];

/// The email domain whose staff may sign themselves up (the original's migration 127951dab2d).
pub const ACCEPTED_DOMAIN: &str = "pittsburghpa.gov";

#[derive(DeriveIden)]
enum SignInTokens {
    Table,
    Id,
    UserId,
    /// SHA-256 of the token; the token itself is only ever in the email.
    TokenHash,
    /// SHA-256 of a nonce kept in the requesting browser's session; NULL for links printed by
    /// `createsuperuser`, which no browser requested.
    BrowserHash,
    /// Where to go after signing in (a same-site path).
    NextPath,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SignInAttempts {
    Table,
    Id,
    Email,
    ClientIp,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    Action,
    Resource,
    RecordId,
    Summary,
    Before,
    After,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Name,
}

#[derive(DeriveIden)]
enum AcceptedDomains {
    Table,
    Domain,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(SignInTokens::Table)
                    .col(pk_auto(SignInTokens::Id))
                    .col(integer(SignInTokens::UserId))
                    .col(string_uniq(SignInTokens::TokenHash))
                    .col(string_null(SignInTokens::BrowserHash))
                    .col(string_null(SignInTokens::NextPath))
                    .col(timestamp_with_time_zone(SignInTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SignInTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sign_in_tokens_user")
                            .from_col(SignInTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    ),
                "sign_in_tokens",
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create()
                    .table(SignInAttempts::Table)
                    .col(pk_auto(SignInAttempts::Id))
                    .col(string(SignInAttempts::Email))
                    .col(string(SignInAttempts::ClientIp)),
                "sign_in_attempts",
            ))
            .await?;
        for (name, col) in [
            ("idx_sign_in_attempts_email", SignInAttempts::Email),
            ("idx_sign_in_attempts_ip", SignInAttempts::ClientIp),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SignInAttempts::Table)
                        .col(col)
                        .col(Alias::new("created_at"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(audited(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(integer_null(AuditLog::ActorId))
                    .col(
                        string(AuditLog::Action)
                            .check(Expr::col(AuditLog::Action).is_in(["create", "update", "delete"])),
                    )
                    .col(string(AuditLog::Resource))
                    .col(string(AuditLog::RecordId))
                    .col(string(AuditLog::Summary))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_log_actor")
                            .from_col(AuditLog::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    ),
                "audit_log",
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_record")
                    .table(AuditLog::Table)
                    .col(AuditLog::Resource)
                    .col(AuditLog::RecordId)
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let mut departments = Query::insert().into_table(Departments::Table).columns([Departments::Name]).to_owned();
        for name in DEPARTMENTS {
            departments.values_panic([name.into()]);
        }
        db.execute(&departments).await?;
        db.execute(
            &Query::insert()
                .into_table(AcceptedDomains::Table)
                .columns([AcceptedDomains::Domain])
                .values_panic([ACCEPTED_DOMAIN.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_log", "sign_in_attempts", "sign_in_tokens"] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        let db = manager.get_connection();
        db.execute(
            &Query::delete()
                .from_table(AcceptedDomains::Table)
                .and_where(Expr::col(AcceptedDomains::Domain).eq(ACCEPTED_DOMAIN))
                .to_owned(),
        )
        .await?;
        db.execute(
            &Query::delete()
                .from_table(Departments::Table)
                .and_where(Expr::col(Departments::Name).is_in(DEPARTMENTS))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
