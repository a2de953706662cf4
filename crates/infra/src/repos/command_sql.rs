//! How commands are stored: the `commands` table description, a row as a
//! domain command, the insert, and the reads only commands have (an
//! agent's outstanding commands, those due for the sweep).

use super::owned_sql;
use super::rows::{Row, micros, optional_micros};
use super::sql::{Sql, json_column};
use super::table::{self, OwnedTable};
use anyhow::anyhow;
use domain::model::{
    AgentId, Command, CommandChange, CommandId, CommandStatus, JsonObject, Name, Timestamp, UserId,
};
use domain::ports::CommandFilter;
use sea_orm::{DbBackend, QueryResult};
use serde_json::Value;
use uuid::Uuid;

/// The statuses of an unfinished command, as SQL.
const UNFINISHED: &str = "('queued', 'sent', 'running')";

/// The nullable JSON column `col`.
fn optional_json(
    row: &QueryResult,
    col: &str,
    backend: DbBackend,
) -> anyhow::Result<Option<Value>> {
    Ok(if backend == DbBackend::Postgres {
        row.try_get::<Option<Value>>("", col)?
    } else {
        row.try_get::<Option<String>>("", col)?
            .map(|text| serde_json::from_str(&text))
            .transpose()?
    })
}

impl OwnedTable for Command {
    type Id = CommandId;
    type Change = CommandChange;
    type Filter = CommandFilter;

    const TABLE: &'static str = "commands";
    const COLUMNS: &'static str = "id, agent_id, owner_id, name, args, status, created_by, \
         timeout_secs, expires_at, sent_at, acked_at, finished_at, deadline_at, progress, result, \
         error, version, created_at, updated_at";
    const NOUN: &'static str = "command";

    fn read(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Row<Self>> {
        let args = match JsonObject::parse(json_column(row, "args", backend)?, "args") {
            Ok(args) => args,
            Err(error) => return Ok(Row::Invalid(error)),
        };
        let status: String = row.try_get("", "status")?;
        Ok(Row::Valid(Command {
            id: CommandId(row.try_get::<Uuid>("", "id")?),
            agent_id: AgentId(row.try_get::<Uuid>("", "agent_id")?),
            owner_id: UserId(row.try_get::<Uuid>("", "owner_id")?),
            name: Name::parse(&row.try_get::<String>("", "name")?)
                .map_err(|e| anyhow!("stored name is invalid: {e}"))?,
            args,
            status: CommandStatus::parse(&status)
                .ok_or_else(|| anyhow!("stored status {status:?} is invalid"))?,
            created_by: UserId(row.try_get::<Uuid>("", "created_by")?),
            timeout_secs: u32::try_from(row.try_get::<i32>("", "timeout_secs")?)?,
            expires_at: micros(row, "expires_at")?,
            sent_at: optional_micros(row, "sent_at")?,
            acked_at: optional_micros(row, "acked_at")?,
            finished_at: optional_micros(row, "finished_at")?,
            deadline_at: optional_micros(row, "deadline_at")?,
            progress: optional_json(row, "progress", backend)?,
            result: optional_json(row, "result", backend)?,
            error: optional_json(row, "error", backend)?,
            version: row.try_get("", "version")?,
            created_at: micros(row, "created_at")?,
            updated_at: micros(row, "updated_at")?,
        }))
    }

    fn set(sql: &mut Sql, change: &CommandChange) {
        if let Some(status) = change.status {
            sql.push(", status = ").bind(status.as_str());
        }
        let times = [
            ("sent_at", change.sent_at),
            ("deadline_at", change.deadline_at),
            ("acked_at", change.acked_at),
            ("finished_at", change.finished_at),
        ];
        for (col, at) in times {
            if let Some(at) = at {
                sql.push(", ").push(col).push(" = ").bind(at.unix_micros());
            }
        }
        for (col, value) in [("result", &change.result), ("error", &change.error)] {
            if let Some(value) = value {
                sql.push(", ").push(col).push(" = ").bind_json(value);
            }
        }
    }

    fn filter(sql: &mut Sql, filter: &CommandFilter) {
        if let Some(agent) = filter.agent {
            sql.and().push("agent_id = ").bind(agent.0);
        }
        if let Some(status) = filter.status {
            sql.and().push("status = ").bind(status.as_str());
        }
    }
}

/// `INSERT INTO commands …` for `command`.
pub(super) fn insert(backend: DbBackend, command: &Command) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push(
        "INSERT INTO commands (id, agent_id, owner_id, name, name_lower, args, status, \
         created_by, timeout_secs, expires_at, version, created_at, updated_at) VALUES (",
    )
    .bind(command.id.0)
    .push(", ")
    .bind(command.agent_id.0)
    .push(", ")
    .bind(command.owner_id.0)
    .push(", ")
    .bind(command.name.as_str())
    .push(", ")
    .bind(owned_sql::name_lower(command.name.as_str()))
    .push(", ")
    .bind_json(&command.args.to_value())
    .push(", ")
    .bind(command.status.as_str())
    .push(", ")
    .bind(command.created_by.0)
    .push(", ")
    .bind(i32::try_from(command.timeout_secs).unwrap_or(i32::MAX))
    .push(", ")
    .bind(command.expires_at.unix_micros())
    .push(", ")
    .bind(command.version)
    .push(", ")
    .bind(command.created_at.unix_micros())
    .push(", ")
    .bind(command.updated_at.unix_micros())
    .push(")");
    sql
}

/// Records the latest progress (no version bump).
pub(super) fn set_progress(backend: DbBackend, id: CommandId, progress: &Value) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE commands SET progress = ")
        .bind_json(progress);
    sql.and().push("id = ").bind(id.0);
    sql
}

/// The agent's first `limit` unfinished commands, oldest first.
pub(super) fn outstanding(backend: DbBackend, agent: AgentId, limit: u64) -> Sql {
    let mut sql = table::select::<Command>(backend);
    sql.and().push("agent_id = ").bind(agent.0);
    sql.and().push("status IN ").push(UNFINISHED);
    sql.push(" ORDER BY created_at, id LIMIT ")
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    sql
}

/// Up to `limit` commands queued past their TTL or sent past their
/// deadline at `now`.
pub(super) fn due(backend: DbBackend, now: Timestamp, limit: u64) -> Sql {
    let mut sql = table::select::<Command>(backend);
    sql.and()
        .push("((status = 'queued' AND expires_at <= ")
        .bind(now.unix_micros())
        .push(") OR (status IN ('sent', 'running') AND deadline_at <= ")
        .bind(now.unix_micros())
        .push("))");
    sql.push(" ORDER BY created_at, id LIMIT ")
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    sql
}
