//! How agents are stored: the `agents` table description, a row as a
//! domain agent, and the statements only agents have (token, metadata
//! patch, presence, heartbeat, metadata filters).

use super::owned_sql;
use super::rows::{Row, description, micros, optional_micros};
use super::sql::{Sql, json_column};
use super::table::{self, OwnedTable};
use anyhow::anyhow;
use domain::model::{
    Agent, AgentChange, AgentId, AgentName, AgentStatus, JsonObject, MetadataFilter, Scope,
    Timestamp, TokenHash, UserId,
};
use domain::ports::AgentFilter;
use sea_orm::{DbBackend, QueryResult};
use uuid::Uuid;

impl OwnedTable for Agent {
    type Id = AgentId;
    type Change = AgentChange;
    type Filter = AgentFilter;

    const TABLE: &'static str = "agents";
    const COLUMNS: &'static str = "id, owner_id, name, description, status, capabilities, \
         metadata, last_status, version, last_seen_at, connected_at, created_at, updated_at";
    const NOUN: &'static str = "agent";

    fn read(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Row<Self>> {
        let mut objects = Vec::new();
        for field in ["capabilities", "metadata"] {
            match JsonObject::parse(json_column(row, field, backend)?, field) {
                Ok(object) => objects.push(object),
                Err(error) => return Ok(Row::Invalid(error)),
            }
        }
        let (Some(metadata), Some(capabilities)) = (objects.pop(), objects.pop()) else {
            return Err(anyhow!("both JSON objects were read"));
        };
        let last_status = if backend == DbBackend::Postgres {
            row.try_get::<Option<serde_json::Value>>("", "last_status")?
        } else {
            row.try_get::<Option<String>>("", "last_status")?
                .map(|text| serde_json::from_str(&text))
                .transpose()?
        };
        let status: String = row.try_get("", "status")?;
        let description = description(row)?;
        Ok(Row::Valid(Agent {
            id: AgentId(row.try_get::<Uuid>("", "id")?),
            owner_id: UserId(row.try_get::<Uuid>("", "owner_id")?),
            name: AgentName::parse(&row.try_get::<String>("", "name")?)
                .map_err(|e| anyhow!("stored name is invalid: {e}"))?,
            description,
            status: AgentStatus::parse(&status)
                .ok_or_else(|| anyhow!("stored status {status:?} is invalid"))?,
            capabilities,
            metadata,
            last_status,
            version: row.try_get("", "version")?,
            last_seen_at: optional_micros(row, "last_seen_at")?,
            connected_at: optional_micros(row, "connected_at")?,
            created_at: micros(row, "created_at")?,
            updated_at: micros(row, "updated_at")?,
        }))
    }

    fn set(sql: &mut Sql, change: &AgentChange) {
        owned_sql::set_name(sql, change.name.as_ref(), change.description.as_ref());
        owned_sql::set_object(sql, "capabilities", &change.capabilities);
        owned_sql::set_object(sql, "metadata", &change.metadata);
    }

    fn filter(sql: &mut Sql, filter: &AgentFilter) {
        if let Some(status) = filter.status {
            sql.and().push("status = ").bind(status.as_str());
        }
        for metadata in &filter.metadata {
            where_metadata(sql, metadata);
        }
    }
}

/// `SELECT … FROM agents` with the columns every read returns.
fn select(backend: DbBackend) -> Sql {
    table::select::<Agent>(backend)
}

/// `SELECT … FROM agents WHERE token_hash = …`.
pub(super) fn select_by_token(backend: DbBackend, token: &TokenHash) -> Sql {
    let mut sql = select(backend);
    sql.and().push("token_hash = ").bind(token.0.clone());
    sql
}

fn bind_time(sql: &mut Sql, at: Option<Timestamp>) -> &mut Sql {
    sql.bind(at.map(Timestamp::unix_micros))
}

/// `INSERT INTO agents …` for `agent` with its token hash.
pub(super) fn insert(backend: DbBackend, agent: &Agent, token: &TokenHash) -> Sql {
    let head = (
        agent.id.0,
        agent.owner_id,
        &agent.name,
        agent.description.as_ref(),
    );
    let columns = "status, capabilities, metadata, last_status, token_hash, version, \
         last_seen_at, connected_at, created_at, updated_at";
    let mut sql = owned_sql::insert_start(backend, Agent::TABLE, columns, head);
    sql.bind(agent.status.as_str())
        .push(", ")
        .bind_json(&agent.capabilities.to_value())
        .push(", ")
        .bind_json(&agent.metadata.to_value())
        .push(", ");
    match &agent.last_status {
        Some(value) => sql.bind_json(value),
        None => sql.push("NULL"),
    };
    sql.push(", ")
        .bind(token.0.clone())
        .push(", ")
        .bind(agent.version)
        .push(", ");
    bind_time(&mut sql, agent.last_seen_at).push(", ");
    bind_time(&mut sql, agent.connected_at).push(", ");
    sql.bind(agent.created_at.unix_micros())
        .push(", ")
        .bind(agent.updated_at.unix_micros())
        .push(")");
    sql
}

/// Writes metadata computed in Rust under the row lock, bumping version.
pub(super) fn set_metadata(
    backend: DbBackend,
    id: AgentId,
    metadata: &JsonObject,
    now: Timestamp,
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE agents SET metadata = ")
        .bind_json(&metadata.to_value())
        .push(", version = version + 1, updated_at = ")
        .bind(now.unix_micros());
    sql.and().push("id = ").bind(id.0);
    sql.push(" RETURNING ").push(Agent::COLUMNS);
    sql
}

/// Replaces the token hash of the agent in scope.
pub(super) fn set_token(backend: DbBackend, id: AgentId, scope: Scope, token: &TokenHash) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE agents SET token_hash = ")
        .bind(token.0.clone());
    owned_sql::where_id(&mut sql, id.0, scope);
    sql.push(" RETURNING ").push(Agent::COLUMNS);
    sql
}

/// `UPDATE agents SET status = 'online' …` at `now` (no version bump).
pub(super) fn set_online(backend: DbBackend, id: AgentId, now: Timestamp) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE agents SET status = 'online', connected_at = ")
        .bind(now.unix_micros())
        .push(", last_seen_at = ")
        .bind(now.unix_micros());
    sql.and().push("id = ").bind(id.0);
    sql.push(" RETURNING ").push(Agent::COLUMNS);
    sql
}

/// `UPDATE agents SET status = 'offline' …` of an online agent whose
/// connection is (when given) still the one opened at `connected_at`.
pub(super) fn set_offline(backend: DbBackend, id: AgentId, connected_at: Option<Timestamp>) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE agents SET status = 'offline'");
    sql.and().push("id = ").bind(id.0);
    sql.and().push("status = 'online'");
    if let Some(at) = connected_at {
        sql.and().push("connected_at = ").bind(at.unix_micros());
    }
    sql.push(" RETURNING ").push(Agent::COLUMNS);
    sql
}

/// A heartbeat: `last_seen_at`, and `last_status` when given.
pub(super) fn touch(
    backend: DbBackend,
    id: AgentId,
    status: Option<&serde_json::Value>,
    now: Timestamp,
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE agents SET last_seen_at = ")
        .bind(now.unix_micros());
    if let Some(status) = status {
        sql.push(", last_status = ").bind_json(status);
    }
    sql.and().push("id = ").bind(id.0);
    sql
}

/// The online agents last seen before `before` (or never).
pub(super) fn stale_online(backend: DbBackend, before: Timestamp) -> Sql {
    let mut sql = select(backend);
    sql.and().push("status = 'online'");
    sql.and()
        .push("(last_seen_at IS NULL OR last_seen_at < ")
        .bind(before.unix_micros())
        .push(")");
    sql
}

/// `AND` the condition of one `metadata.<key>=<value>` filter. Key and
/// value are always bound, never written into the SQL, so any key (with
/// `.`, `"`, `$`…) is just a name. A number matches when its JSON text is
/// the value ([`MetadataFilter::scalar`]); neither database keeps that
/// text, so both compare the number's value and kind (integer or float).
fn where_metadata(sql: &mut Sql, filter: &MetadataFilter) {
    let scalar = filter.scalar();
    if sql.is_postgres() {
        // Containment uses the GIN (jsonb_path_ops) index; it is exact for a
        // string and compares numbers by value. A float written with a
        // point keeps it in jsonb's text (`1.0`), an integer has none.
        let mut string = serde_json::Map::new();
        string.insert(filter.key.clone(), filter.value.clone().into());
        sql.and()
            .push("(metadata @> ")
            .bind_json(&serde_json::Value::Object(string));
        if let Some(scalar) = scalar {
            let point = match &scalar {
                serde_json::Value::Number(n) if n.is_f64() => {
                    (!filter.value.contains('e')).then_some(" > 0")
                }
                serde_json::Value::Number(_) => Some(" = 0"),
                _ => None,
            };
            let mut typed = serde_json::Map::new();
            typed.insert(filter.key.clone(), scalar);
            sql.push(" OR (metadata @> ")
                .bind_json(&serde_json::Value::Object(typed));
            if let Some(point) = point {
                sql.push(" AND strpos((metadata -> CAST(")
                    .bind(filter.key.as_str())
                    .push(" AS text))::text, '.')")
                    .push(point);
            }
            sql.push(")");
        }
        sql.push(")");
    } else {
        // `json_each` compares the key as a value: no JSON path to quote.
        sql.and()
            .push("EXISTS (SELECT 1 FROM json_each(agents.metadata) AS m WHERE m.key = ")
            .bind(filter.key.as_str())
            .push(" AND ((m.type = 'text' AND m.atom = ")
            .bind(filter.value.as_str())
            .push(")");
        match scalar {
            Some(serde_json::Value::Number(n)) => {
                // By value and kind. The value is read by SQLite as the
                // stored number was (not always to the closest double).
                let (kind, cast) = if n.is_f64() {
                    ("real", "REAL")
                } else {
                    ("integer", "INTEGER")
                };
                sql.push(" OR (m.type = '")
                    .push(kind)
                    .push("' AND m.atom = CAST(")
                    .bind(filter.value.as_str())
                    .push(" AS ")
                    .push(cast)
                    .push("))");
            }
            Some(_) => {
                sql.push(" OR m.type = ").bind(filter.value.as_str());
            }
            None => {}
        }
        sql.push("))");
    }
}
