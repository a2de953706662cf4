//! Mail over SMTP with lettre's pooled async transport.

use super::message::message;
use crate::InfraError;
use async_trait::async_trait;
use domain::model::Mail;
use domain::ports::{MailError, Mailer};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP exchange may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends through one SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for `url`: `smtp://[user:pass@]host:port` uses STARTTLS when
    /// the server offers it (`?tls=required` insists), `smtps://` implicit TLS.
    ///
    /// # Errors
    /// [`InfraError::Mail`] when the URL is malformed.
    pub fn new(url: &str, from: Mailbox) -> Result<Self, InfraError> {
        let mut parsed = url::Url::parse(url)
            .map_err(|e| InfraError::Mail(format!("MAIL_URL is malformed: {e}")))?;
        if parsed.scheme() == "smtp" && !parsed.query_pairs().any(|(k, _)| k == "tls") {
            parsed.query_pairs_mut().append_pair("tls", "opportunistic");
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str())
            .map_err(|e| InfraError::Mail(format!("MAIL_URL is unusable: {e}")))?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    #[tracing::instrument(name = "mail.smtp.send", skip_all)]
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = message(&self.from, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}
