//! [`MailOutbox`] on SeaORM: rows queued in the transaction of the change
//! that causes them, claimed by senders with a lease.

use super::sql::Sql;
use super::unexpected;
use crate::Db;
use crate::entities::mail_outbox::{self, Column};
use anyhow::{Context, anyhow};
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{Email, Mail, Timestamp};
use domain::ports::{MailOutbox, OutboxMessage};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryResult,
};
use uuid::Uuid;

/// Longest error text kept per message.
const MAX_ERROR_CHARS: usize = 500;

/// Queues `mail` inside `txn`, due at `now`.
pub(super) async fn queue(
    txn: &DatabaseTransaction,
    mail: &[Mail],
    now: Timestamp,
    context: &'static str,
) -> Result<(), RepoError> {
    if mail.is_empty() {
        return Ok(());
    }
    let rows = mail.iter().map(|mail| mail_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        recipient: Set(mail.to.as_str().to_owned()),
        subject: Set(mail.subject.clone()),
        text_body: Set(mail.text.clone()),
        html_body: Set(mail.html.clone()),
        created_at: Set(now.unix_micros()),
        next_attempt_at: Set(now.unix_micros()),
        attempts: Set(0),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
    });
    mail_outbox::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(unexpected(context))?;
    Ok(())
}

/// The outbox in `mail_outbox`.
#[derive(Debug, Clone)]
pub struct SeaOutbox {
    db: Db,
}

impl SeaOutbox {
    /// The outbox of `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn read_message(row: &QueryResult) -> anyhow::Result<OutboxMessage> {
    let get = |col: &str| -> anyhow::Result<String> {
        row.try_get("", col)
            .with_context(|| format!("reading {col}"))
    };
    let recipient = get("recipient")?;
    let attempts: i32 = row.try_get("", "attempts").context("reading attempts")?;
    let created: i64 = row
        .try_get("", "created_at")
        .context("reading created_at")?;
    Ok(OutboxMessage {
        id: row.try_get("", "id").context("reading id")?,
        mail: Mail {
            to: Email::parse(&recipient).map_err(|e| anyhow!("stored recipient: {e}"))?,
            subject: get("subject")?,
            text: get("text_body")?,
            html: get("html_body")?,
        },
        attempts: u32::try_from(attempts).context("attempts out of range")?,
        created_at: Timestamp::from_unix_micros(created).context("created_at out of range")?,
    })
}

#[async_trait]
impl MailOutbox for SeaOutbox {
    #[tracing::instrument(name = "outbox.claim_due", skip_all)]
    async fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        let context = "claiming due mail";
        let conn = self.db.connection();
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ")
            .bind(lease_until.unix_micros())
            .push(
                " WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL \
                 AND failed_at IS NULL AND next_attempt_at <= ",
            )
            .bind(now.unix_micros())
            .push(" ORDER BY next_attempt_at LIMIT ")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        if sql.is_postgres() {
            // Several instances claim at once; each row goes to one of them.
            sql.push(" FOR UPDATE SKIP LOCKED");
        }
        sql.push(") RETURNING id, recipient, subject, text_body, html_body, attempts, created_at");
        let rows = conn
            .query_all_raw(sql.build())
            .await
            .map_err(unexpected(context))?;
        Ok(rows
            .iter()
            .map(read_message)
            .collect::<anyhow::Result<_>>()?)
    }

    #[tracing::instrument(name = "outbox.sent", skip_all, fields(mail_id = %id))]
    async fn sent(&self, id: Uuid, at: Timestamp) -> Result<(), RepoError> {
        mail_outbox::Entity::update_many()
            .col_expr(Column::SentAt, Expr::val(at.unix_micros()))
            .col_expr(Column::LastError, Expr::val(Option::<String>::None))
            .filter(Column::Id.eq(id))
            .exec(self.db.connection())
            .await
            .map_err(unexpected("marking mail sent"))?;
        Ok(())
    }

    #[tracing::instrument(name = "outbox.failed", skip_all, fields(mail_id = %id))]
    async fn failed(
        &self,
        id: Uuid,
        at: Timestamp,
        retry_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let mut change =
            mail_outbox::Entity::update_many().col_expr(Column::LastError, Expr::val(error));
        change = match retry_at {
            Some(retry) => change.col_expr(Column::NextAttemptAt, Expr::val(retry.unix_micros())),
            None => change.col_expr(Column::FailedAt, Expr::val(at.unix_micros())),
        };
        change
            .filter(Column::Id.eq(id))
            .exec(self.db.connection())
            .await
            .map_err(unexpected("recording a mail failure"))?;
        Ok(())
    }
}
