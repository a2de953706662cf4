//! [`Mailer`] adapters: SMTP through lettre, and `.eml` files in a folder
//! for development. [`build`] picks one from `MAIL_URL`.

mod file;
mod message;
mod smtp;

pub use file::FileMailer;
pub use smtp::SmtpMailer;

use crate::InfraError;
use domain::ports::Mailer;
use lettre::message::Mailbox;
use std::sync::Arc;

/// The mailer `url` names, sending from `from` (`Name <address>`):
/// `smtp://…` (STARTTLS when offered; `?tls=required` makes it mandatory),
/// `smtps://…` (implicit TLS) or `file://<dir>`.
///
/// # Errors
/// [`InfraError::Mail`] for an unknown scheme, a malformed URL or sender.
pub fn build(url: &str, from: &str) -> Result<Arc<dyn Mailer>, InfraError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| InfraError::Mail(format!("MAIL_FROM is not a mailbox: {e}")))?;
    if let Some(dir) = url.strip_prefix("file://") {
        return Ok(Arc::new(FileMailer::new(dir, from)));
    }
    if url.starts_with("smtp://") || url.starts_with("smtps://") {
        return Ok(Arc::new(SmtpMailer::new(url, from)?));
    }
    Err(InfraError::Mail(
        "MAIL_URL must start with smtp://, smtps:// or file://".to_owned(),
    ))
}

/// The product name for messages: the display name of `from`, else its
/// address.
pub fn product_name(from: &str) -> String {
    match from.parse::<Mailbox>() {
        Ok(mailbox) => mailbox
            .name
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| mailbox.email.to_string()),
        Err(_) => from.to_owned(),
    }
}
