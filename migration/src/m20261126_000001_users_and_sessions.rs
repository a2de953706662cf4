//! Users, their login sessions and the refresh-token rotation chain of each
//! session.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `users`, `sessions` and `refresh_tokens`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    UserAgent,
    Ip,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    SessionId,
    IssuedAt,
    ExpiresAt,
    SpentAt,
    AccessJti,
    AccessRole,
    AccessIssuedAt,
    AccessExpiresAt,
}

fn role_check(column: Users) -> Expr {
    Expr::col(column).is_in(["user", "admin"])
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(pk_uuid(Users::Id))
        .col(text_uniq(Users::Email))
        .col(text(Users::DisplayName).default(""))
        .col(text_null(Users::PasswordHash))
        .col(text(Users::Role).check(role_check(Users::Role)))
        .col(boolean(Users::Disabled).default(false))
        .col(big_integer(Users::CreatedAt))
        .col(big_integer(Users::UpdatedAt))
        .to_owned()
}

fn sessions() -> TableCreateStatement {
    Table::create()
        .table(Sessions::Table)
        .col(pk_uuid(Sessions::Id))
        .col(uuid(Sessions::UserId))
        .col(big_integer(Sessions::CreatedAt))
        .col(big_integer(Sessions::LastUsedAt))
        .col(big_integer(Sessions::ExpiresAt))
        .col(big_integer_null(Sessions::RevokedAt))
        .col(text_null(Sessions::UserAgent))
        .col(text_null(Sessions::Ip))
        .foreign_key(
            ForeignKey::create()
                .name("fk_sessions_user_id")
                .from(Sessions::Table, Sessions::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn refresh_tokens() -> TableCreateStatement {
    Table::create()
        .table(RefreshTokens::Table)
        .col(blob(RefreshTokens::TokenHash).primary_key())
        .col(uuid(RefreshTokens::SessionId))
        .col(big_integer(RefreshTokens::IssuedAt))
        .col(big_integer(RefreshTokens::ExpiresAt))
        .col(big_integer_null(RefreshTokens::SpentAt))
        .col(uuid(RefreshTokens::AccessJti))
        .col(text(RefreshTokens::AccessRole))
        .col(big_integer(RefreshTokens::AccessIssuedAt))
        .col(big_integer(RefreshTokens::AccessExpiresAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_refresh_tokens_session_id")
                .from(RefreshTokens::Table, RefreshTokens::SessionId)
                .to(Sessions::Table, Sessions::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_created_at_id")
                    .table(Users::Table)
                    .col(Users::CreatedAt)
                    .col(Users::Id)
                    .to_owned(),
            )
            .await?;
        manager.create_table(sessions()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager.create_table(refresh_tokens()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_session_id")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::SessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
