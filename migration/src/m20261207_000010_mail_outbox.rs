//! Mail and the account flows that send it: the durable outbox the sender
//! task drains, single-use account tokens (email verification, password
//! reset, email change) stored as hashes, and the two user columns those
//! flows change.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `mail_outbox` and `account_tokens`; adds `users.email_verified`
/// and `users.pending_email`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailVerified,
    PendingEmail,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    SentAt,
    FailedAt,
    LastError,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Hash,
    UserId,
    Purpose,
    NewEmail,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

fn mail_outbox() -> TableCreateStatement {
    Table::create()
        .table(MailOutbox::Table)
        .col(uuid(MailOutbox::Id).primary_key())
        .col(text(MailOutbox::Recipient))
        .col(text(MailOutbox::Subject))
        .col(text(MailOutbox::TextBody))
        .col(text(MailOutbox::HtmlBody))
        .col(big_integer(MailOutbox::CreatedAt))
        // Due when `sent_at` and `failed_at` are null and this has passed;
        // a claim moves it forward, so a sender that dies mid-send only
        // delays the message.
        .col(big_integer(MailOutbox::NextAttemptAt))
        .col(integer(MailOutbox::Attempts).default(0))
        .col(big_integer_null(MailOutbox::SentAt))
        .col(big_integer_null(MailOutbox::FailedAt))
        .col(text_null(MailOutbox::LastError))
        .to_owned()
}

fn account_tokens() -> TableCreateStatement {
    Table::create()
        .table(AccountTokens::Table)
        // Keyed hash of the token mailed in the link; never the token.
        .col(blob(AccountTokens::Hash).primary_key())
        .col(uuid(AccountTokens::UserId))
        .col(text(AccountTokens::Purpose))
        .col(text_null(AccountTokens::NewEmail))
        .col(big_integer(AccountTokens::CreatedAt))
        .col(big_integer(AccountTokens::ExpiresAt))
        .col(big_integer_null(AccountTokens::UsedAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_account_tokens_user_id")
                .from(AccountTokens::Table, AccountTokens::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::EmailVerified).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(text_null(Users::PendingEmail))
                    .to_owned(),
            )
            .await?;
        manager.create_table(mail_outbox()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_outbox_due")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager.create_table(account_tokens()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_tokens_user_purpose")
                    .table(AccountTokens::Table)
                    .col(AccountTokens::UserId)
                    .col(AccountTokens::Purpose)
                    .col(AccountTokens::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await?;
        for column in [Users::PendingEmail, Users::EmailVerified] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
