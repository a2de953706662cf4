//! Items (with keyset-pagination indexes and, on PostgreSQL, a recursive
//! RFC 7396 merge function) and the records behind `Idempotency-Key`.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

/// Creates `items`, `idempotency_keys` and `jsonb_merge_patch`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
    OwnerId,
    Name,
    NameLower,
    Description,
    Attributes,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Operation,
    Key,
    Fingerprint,
    CreatedAt,
    Status,
    Headers,
    Body,
}

/// RFC 7396 merge patch on `jsonb`: objects merge key by key at every depth,
/// JSON null deletes a key, any other value replaces. (`||` is shallow;
/// SQLite's `json_patch` already does this.)
const MERGE_FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION jsonb_merge_patch(target jsonb, patch jsonb)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
AS $fn$
DECLARE
    merged jsonb;
    k text;
    v jsonb;
BEGIN
    IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
        RETURN patch;
    END IF;
    IF target IS NULL OR jsonb_typeof(target) <> 'object' THEN
        merged := '{}'::jsonb;
    ELSE
        merged := target;
    END IF;
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each(patch) AS e LOOP
        IF jsonb_typeof(v) = 'null' THEN
            merged := merged - k;
        ELSE
            merged := merged || jsonb_build_object(k, jsonb_merge_patch(merged -> k, v));
        END IF;
    END LOOP;
    RETURN merged;
END;
$fn$
"#;

/// `name` indexes sort bytewise on PostgreSQL too, as the keyset queries do.
const PG_NAME_INDEXES: [&str; 2] = [
    r#"CREATE INDEX idx_items_owner_name_id ON items (owner_id, name COLLATE "C", id)"#,
    r#"CREATE INDEX idx_items_name_id ON items (name COLLATE "C", id)"#,
];

fn items(backend: DbBackend) -> TableCreateStatement {
    // JSONB on PostgreSQL, JSON text on SQLite.
    let mut attributes = if backend == DbBackend::Postgres {
        json_binary(Items::Attributes)
    } else {
        json(Items::Attributes)
    };
    Table::create()
        .table(Items::Table)
        .col(pk_uuid(Items::Id))
        .col(uuid(Items::OwnerId))
        .col(text(Items::Name))
        // `name` lower-cased by Rust (Unicode-aware, unlike SQLite's
        // `lower()`), for `q` searches.
        .col(text(Items::NameLower))
        .col(text_null(Items::Description))
        .col(attributes.default(Expr::cust("'{}'")))
        .col(big_integer(Items::Version))
        .col(big_integer(Items::CreatedAt))
        .col(big_integer(Items::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_items_owner_id")
                .from(Items::Table, Items::OwnerId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn idempotency_keys() -> TableCreateStatement {
    Table::create()
        .table(IdempotencyKeys::Table)
        .col(uuid(IdempotencyKeys::UserId))
        .col(text(IdempotencyKeys::Operation))
        .col(text(IdempotencyKeys::Key))
        .col(blob(IdempotencyKeys::Fingerprint))
        .col(big_integer(IdempotencyKeys::CreatedAt))
        .col(integer_null(IdempotencyKeys::Status))
        // A JSON array of `[name, value]` pairs.
        .col(text_null(IdempotencyKeys::Headers))
        .col(blob_null(IdempotencyKeys::Body))
        .primary_key(
            Index::create()
                .col(IdempotencyKeys::UserId)
                .col(IdempotencyKeys::Operation)
                .col(IdempotencyKeys::Key),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_idempotency_keys_user_id")
                .from(IdempotencyKeys::Table, IdempotencyKeys::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for col in cols {
        index.col(col);
    }
    index
}

/// The keyset indexes of `items`: per owner and for admins, one per sort.
fn item_indexes(backend: DbBackend) -> Vec<IndexCreateStatement> {
    let mut sorts = vec![
        ("created_at", Items::CreatedAt.into_iden()),
        ("updated_at", Items::UpdatedAt.into_iden()),
    ];
    if backend != DbBackend::Postgres {
        // SQLite compares text with BINARY (bytewise) by default.
        sorts.push(("name", Items::Name.into_iden()));
    }
    let mut indexes = Vec::new();
    for (label, col) in sorts {
        indexes.push(index(
            &format!("idx_items_owner_{label}_id"),
            Items::Table,
            vec![
                Items::OwnerId.into_iden(),
                col.clone(),
                Items::Id.into_iden(),
            ],
        ));
        indexes.push(index(
            &format!("idx_items_{label}_id"),
            Items::Table,
            vec![col, Items::Id.into_iden()],
        ));
    }
    indexes
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager.create_table(items(backend)).await?;
        for index in item_indexes(backend) {
            manager.create_index(index).await?;
        }
        if backend == DbBackend::Postgres {
            let conn = manager.get_connection();
            for sql in PG_NAME_INDEXES {
                conn.execute_unprepared(sql).await?;
            }
            conn.execute_unprepared(MERGE_FUNCTION).await?;
        }
        manager.create_table(idempotency_keys()).await?;
        manager
            .create_index(index(
                "idx_idempotency_keys_created_at",
                IdempotencyKeys::Table,
                vec![IdempotencyKeys::CreatedAt.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [IdempotencyKeys::Table.into_iden(), Items::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS jsonb_merge_patch(jsonb, jsonb)")
                .await?;
        }
        Ok(())
    }
}
