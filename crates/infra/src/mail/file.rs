//! Mail saved as `.eml` files in a folder: development needs no mail server.

use super::message::message;
use async_trait::async_trait;
use domain::model::Mail;
use domain::ports::{MailError, Mailer};
use lettre::message::Mailbox;
use std::path::PathBuf;
use time::OffsetDateTime;
use uuid::Uuid;

/// Writes each message to `<dir>/<time>-<id>.eml` (RFC 5322).
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// A mailer writing into `dir` (created when first needed).
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> Self {
        Self {
            dir: dir.into(),
            from,
        }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    #[tracing::instrument(name = "mail.file.send", skip_all)]
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let bytes = message(&self.from, mail)?.formatted();
        let stamp = OffsetDateTime::now_utc().unix_timestamp_nanos();
        let name = format!("{stamp}-{}.eml", Uuid::now_v7());
        let dir = self.dir.clone();
        let io = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            // Written under a temporary name, then renamed: a reader never
            // sees half a message.
            let partial = dir.join(format!(".{name}.partial"));
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, dir.join(name))
        })
        .await
        .map_err(|e| MailError::Transient(format!("file mailer task: {e}")))?;
        io.map_err(|e| MailError::Transient(format!("writing the message file: {e}")))
    }
}
