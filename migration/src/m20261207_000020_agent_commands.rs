//! `commands`: work queued for an agent, with its status, times, progress
//! and result. A command goes with its agent (`ON DELETE CASCADE`); its
//! `owner_id` is the agent's owner (the scope it is seen in).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

/// Creates `commands` and its indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Commands {
    Table,
    Id,
    AgentId,
    OwnerId,
    Name,
    NameLower,
    Args,
    Status,
    CreatedBy,
    TimeoutSecs,
    ExpiresAt,
    SentAt,
    AckedAt,
    FinishedAt,
    DeadlineAt,
    Progress,
    Result,
    Error,
    Version,
    CreatedAt,
    UpdatedAt,
}

fn json_col(backend: DbBackend, col: Commands) -> ColumnDef {
    // JSONB on PostgreSQL, JSON text on SQLite.
    if backend == DbBackend::Postgres {
        json_binary(col)
    } else {
        json(col)
    }
}

fn commands(backend: DbBackend) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(Commands::Table)
        .col(pk_uuid(Commands::Id))
        .col(uuid(Commands::AgentId))
        .col(uuid(Commands::OwnerId))
        .col(text(Commands::Name))
        // `name` lower-cased by Rust, for `q` searches (as for items).
        .col(text(Commands::NameLower))
        .col(json_col(backend, Commands::Args))
        .col(text(Commands::Status))
        .col(uuid(Commands::CreatedBy))
        .col(integer(Commands::TimeoutSecs))
        .col(big_integer(Commands::ExpiresAt))
        .col(big_integer_null(Commands::SentAt))
        .col(big_integer_null(Commands::AckedAt))
        .col(big_integer_null(Commands::FinishedAt))
        .col(big_integer_null(Commands::DeadlineAt));
    for col in [Commands::Progress, Commands::Result, Commands::Error] {
        table.col(json_col(backend, col).null());
    }
    table
        .col(big_integer(Commands::Version))
        .col(big_integer(Commands::CreatedAt))
        .col(big_integer(Commands::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_commands_agent_id")
                .from(Commands::Table, Commands::AgentId)
                .to(Agents::Table, Agents::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// Per agent in creation order (delivery, lists), per owner and for admins
/// (keyset lists), and the sweep's two conditions.
fn indexes() -> Vec<IndexCreateStatement> {
    let index = |name: &str, cols: [Commands; 3]| {
        let mut index = Index::create().name(name).table(Commands::Table).to_owned();
        for col in cols {
            index.col(col);
        }
        index
    };
    vec![
        index(
            "idx_commands_agent_created_at_id",
            [Commands::AgentId, Commands::CreatedAt, Commands::Id],
        ),
        index(
            "idx_commands_owner_created_at_id",
            [Commands::OwnerId, Commands::CreatedAt, Commands::Id],
        ),
        index(
            "idx_commands_status_expires_at",
            [Commands::Status, Commands::ExpiresAt, Commands::Id],
        ),
        index(
            "idx_commands_status_deadline_at",
            [Commands::Status, Commands::DeadlineAt, Commands::Id],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager.create_table(commands(backend)).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_commands_created_at_id")
                    .table(Commands::Table)
                    .col(Commands::CreatedAt)
                    .col(Commands::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Commands::Table).to_owned())
            .await
    }
}
