//! A domain [`Mail`] as an RFC 5322 message with text and HTML parts.

use domain::model::Mail;
use domain::ports::MailError;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

/// Builds the message `from` sends for `mail`. Each part gets the
/// encoding its content needs (long link lines make it quoted-printable).
///
/// # Errors
/// [`MailError::Permanent`] when the recipient is no valid mailbox.
pub(super) fn message(from: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
    let to: Mailbox = mail
        .to
        .as_str()
        .parse()
        .map_err(|e| MailError::Permanent(format!("recipient is not a mailbox: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| MailError::Permanent(format!("building the message: {e}")))
}
