//! `agents.instance_id` and its index go: nothing ever wrote or read the
//! column (the instance holding an agent's socket is found through the
//! event log, not the row). `down` puts both back, empty.

use sea_orm_migration::{prelude::*, schema::*};

/// Drops `agents.instance_id` and `idx_agents_instance_id`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agents {
    Table,
    InstanceId,
}

/// The index migration 000004 made on the column.
const INDEX: &str = "idx_agents_instance_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite refuses to drop an indexed column: the index goes first.
        manager
            .drop_index(Index::drop().name(INDEX).table(Agents::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .drop_column(Agents::InstanceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .add_column(uuid_null(Agents::InstanceId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Agents::Table)
                    .col(Agents::InstanceId)
                    .to_owned(),
            )
            .await
    }
}
