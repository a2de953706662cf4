//! Sign-in through OAuth 2 / OpenID Connect providers: the provider
//! accounts linked to each user, and the pending authorization requests
//! (`state`) between the redirect to a provider and its callback.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `user_identities` and `oauth_states`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Provider,
    Subject,
    UserId,
    Email,
    EmailVerified,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthStates {
    Table,
    StateHash,
    Provider,
    BindingHash,
    PkceVerifier,
    Nonce,
    RedirectUri,
    CreatedAt,
    ExpiresAt,
}

fn user_identities() -> TableCreateStatement {
    Table::create()
        .table(UserIdentities::Table)
        .col(text(UserIdentities::Provider))
        .col(text(UserIdentities::Subject))
        .col(uuid(UserIdentities::UserId))
        // The address the provider gave when the account was linked.
        .col(text_null(UserIdentities::Email))
        .col(boolean(UserIdentities::EmailVerified).default(false))
        .col(big_integer(UserIdentities::CreatedAt))
        .primary_key(
            Index::create()
                .col(UserIdentities::Provider)
                .col(UserIdentities::Subject),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_user_identities_user_id")
                .from(UserIdentities::Table, UserIdentities::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn oauth_states() -> TableCreateStatement {
    Table::create()
        .table(OauthStates::Table)
        // SHA-256 of the `state` sent to the provider: the plain value is
        // never stored.
        .col(blob(OauthStates::StateHash).primary_key())
        .col(text(OauthStates::Provider))
        // SHA-256 of the browser-binding cookie's value.
        .col(blob(OauthStates::BindingHash))
        .col(text(OauthStates::PkceVerifier))
        .col(text(OauthStates::Nonce))
        .col(text(OauthStates::RedirectUri))
        .col(big_integer(OauthStates::CreatedAt))
        .col(big_integer(OauthStates::ExpiresAt))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(user_identities()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_user_id")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await?;
        manager.create_table(oauth_states()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_states_expires_at")
                    .table(OauthStates::Table)
                    .col(OauthStates::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OauthStates::Table.into_iden(),
            UserIdentities::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
