//! API clients and access tokens (issue 19), for `/api/v1`'s authenticated operations.
//!
//! - `api_clients`: systems registered by admins (a city's financial system, a mobile app). Each
//!   has a public `client_id`, a secret of which only the SHA-256 is kept (the secret is 32
//!   random bytes made by Procure, shown once), the scopes it may be given, and the user it acts
//!   for (`owner_id`): its requests are decided by that user's permissions, within its scopes.
//!   An ownerless client (its owner was deleted) gets no tokens.
//! - `api_tokens`: bearer tokens, of which only the SHA-256 is kept. A client's token comes from
//!   the client-credentials grant and lives minutes; a personal token is made by a signed-in
//!   user on their profile, for themselves, and lives up to a year. Either has its scopes, an
//!   expiry, when it was last used, and when it was revoked. A token is never updated except
//!   for `last_used_at` and `revoked_at`.
//! - `api_rate_windows`: how many requests each token made in each window of the rate limit
//!   (`API_RATE_LIMIT`), counted in the database so every web process counts the same requests.
//!   Old windows are purged nightly.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audited;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
    Name,
    ClientId,
    SecretHash,
    /// Space-separated, as OAuth writes scopes.
    Scopes,
    OwnerId,
    IsActive,
    /// When the secret was last made (at creation or rotation).
    SecretMadeAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TokenHash,
    /// `client` or `personal`.
    Kind,
    /// A personal token's label, or the client's name when it was issued.
    Name,
    ClientId,
    UserId,
    Scopes,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ApiRateWindows {
    Table,
    TokenId,
    /// The window's number: seconds since the epoch divided by the window's length.
    WindowNumber,
    Requests,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(audited(
                Table::create()
                    .table(ApiClients::Table)
                    .col(pk_auto(ApiClients::Id))
                    .col(string_uniq(ApiClients::Name))
                    .col(string_uniq(ApiClients::ClientId))
                    .col(string(ApiClients::SecretHash))
                    .col(text(ApiClients::Scopes))
                    .col(integer_null(ApiClients::OwnerId))
                    .col(boolean(ApiClients::IsActive).default(true))
                    .col(timestamp_with_time_zone(ApiClients::SecretMadeAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_clients_owner")
                            .from_col(ApiClients::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    ),
                "api_clients",
            ))
            .await?;
        manager
            .create_table(audited(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_auto(ApiTokens::Id))
                    .col(string_uniq(ApiTokens::TokenHash))
                    .col(string(ApiTokens::Kind))
                    .col(string(ApiTokens::Name))
                    .col(integer_null(ApiTokens::ClientId))
                    .col(integer_null(ApiTokens::UserId))
                    .col(text(ApiTokens::Scopes))
                    .col(timestamp_with_time_zone(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_client")
                            .from_col(ApiTokens::ClientId)
                            .to(ApiClients::Table, ApiClients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_user")
                            .from_col(ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    ),
                "api_tokens",
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiRateWindows::Table)
                    .col(integer(ApiRateWindows::TokenId))
                    .col(big_integer(ApiRateWindows::WindowNumber))
                    .col(integer(ApiRateWindows::Requests))
                    .primary_key(Index::create().col(ApiRateWindows::TokenId).col(ApiRateWindows::WindowNumber))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_rate_windows_token")
                            .from_col(ApiRateWindows::TokenId)
                            .to(ApiTokens::Table, ApiTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in
            [("idx_api_tokens_user", ApiTokens::UserId), ("idx_api_tokens_expires", ApiTokens::ExpiresAt)]
        {
            manager.create_index(Index::create().name(name).table(ApiTokens::Table).col(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiRateWindows::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ApiTokens::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ApiClients::Table).to_owned()).await
    }
}
