//! Agents (JSON `capabilities`, `metadata` and `last_status`, a unique
//! token hash, connection state) with keyset indexes and, on PostgreSQL, a
//! GIN index for metadata containment; plus the flag that marks an
//! idempotent response stored sealed (it holds an agent's token).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

/// Creates `agents` and adds `idempotency_keys.sealed`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
    OwnerId,
    Name,
    NameLower,
    Description,
    Status,
    Capabilities,
    Metadata,
    LastStatus,
    TokenHash,
    Version,
    LastSeenAt,
    ConnectedAt,
    InstanceId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Sealed,
}

/// PostgreSQL-only indexes: bytewise name order, metadata containment.
const PG_INDEXES: [&str; 3] = [
    r#"CREATE INDEX idx_agents_owner_name_id ON agents (owner_id, name COLLATE "C", id)"#,
    r#"CREATE INDEX idx_agents_name_id ON agents (name COLLATE "C", id)"#,
    "CREATE INDEX idx_agents_metadata ON agents USING gin (metadata jsonb_path_ops)",
];

fn json_col(backend: DbBackend, col: Agents) -> ColumnDef {
    // JSONB on PostgreSQL, JSON text on SQLite.
    if backend == DbBackend::Postgres {
        json_binary(col)
    } else {
        json(col)
    }
}

fn agents(backend: DbBackend) -> TableCreateStatement {
    let mut last_status = json_col(backend, Agents::LastStatus);
    last_status.null();
    Table::create()
        .table(Agents::Table)
        .col(pk_uuid(Agents::Id))
        .col(uuid(Agents::OwnerId))
        .col(text(Agents::Name))
        // `name` lower-cased by Rust, for `q` searches (as for items).
        .col(text(Agents::NameLower))
        .col(text_null(Agents::Description))
        .col(text(Agents::Status).default("offline"))
        .col(json_col(backend, Agents::Capabilities).default(Expr::cust("'{}'")))
        .col(json_col(backend, Agents::Metadata).default(Expr::cust("'{}'")))
        .col(last_status)
        // SHA-256 of the agent's token.
        .col(blob(Agents::TokenHash).unique_key())
        .col(big_integer(Agents::Version))
        .col(big_integer_null(Agents::LastSeenAt))
        .col(big_integer_null(Agents::ConnectedAt))
        // Which server instance holds the agent's connection (for a
        // crashed instance's agents to be set offline).
        .col(uuid_null(Agents::InstanceId))
        .col(big_integer(Agents::CreatedAt))
        .col(big_integer(Agents::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_agents_owner_id")
                .from(Agents::Table, Agents::OwnerId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn index(name: &str, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(Agents::Table).to_owned();
    for col in cols {
        index.col(col);
    }
    index
}

/// Keyset indexes per owner and for admins, one per sort; (owner, status).
fn agent_indexes(backend: DbBackend) -> Vec<IndexCreateStatement> {
    let mut sorts = vec![
        ("created_at", Agents::CreatedAt.into_iden()),
        ("updated_at", Agents::UpdatedAt.into_iden()),
    ];
    if backend != DbBackend::Postgres {
        // SQLite compares text with BINARY (bytewise) by default.
        sorts.push(("name", Agents::Name.into_iden()));
    }
    let mut indexes = vec![
        index(
            "idx_agents_owner_status",
            vec![Agents::OwnerId.into_iden(), Agents::Status.into_iden()],
        ),
        index(
            "idx_agents_instance_id",
            vec![Agents::InstanceId.into_iden()],
        ),
    ];
    for (label, col) in sorts {
        indexes.push(index(
            &format!("idx_agents_owner_{label}_id"),
            vec![
                Agents::OwnerId.into_iden(),
                col.clone(),
                Agents::Id.into_iden(),
            ],
        ));
        indexes.push(index(
            &format!("idx_agents_{label}_id"),
            vec![col, Agents::Id.into_iden()],
        ));
    }
    indexes
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager.create_table(agents(backend)).await?;
        for index in agent_indexes(backend) {
            manager.create_index(index).await?;
        }
        if backend == DbBackend::Postgres {
            let conn = manager.get_connection();
            for sql in PG_INDEXES {
                conn.execute_unprepared(sql).await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(IdempotencyKeys::Table)
                    .add_column(boolean(IdempotencyKeys::Sealed).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IdempotencyKeys::Table)
                    .drop_column(IdempotencyKeys::Sealed)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Agents::Table).to_owned())
            .await
    }
}
