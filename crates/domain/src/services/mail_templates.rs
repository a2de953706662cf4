//! The messages the account flows send, in English, plain text and HTML.

use crate::model::{AccountToken, Email, Mail};

/// Builds each message from the product name and the front end's address.
#[derive(Debug, Clone)]
pub struct MailTemplates {
    product: String,
    frontend_url: String,
}

impl MailTemplates {
    /// Messages signed by `product` whose links start with `frontend_url`.
    pub fn new(product: impl Into<String>, frontend_url: &str) -> Self {
        Self {
            product: product.into(),
            frontend_url: frontend_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The link to prove `to`.
    pub fn verify_email(&self, to: &Email, token: &AccountToken) -> Mail {
        self.with_link(
            to,
            "Confirm your email address",
            "Please confirm that this is your email address by opening this link (valid for 24 hours):",
            &self.link("verify-email", token),
        )
    }

    /// The link to set a new password.
    pub fn reset_password(&self, to: &Email, token: &AccountToken) -> Mail {
        self.with_link(
            to,
            "Reset your password",
            "Someone asked to reset the password of your account. If it was you, open this link within an hour to choose a new one; if not, ignore this message:",
            &self.link("reset-password", token),
        )
    }

    /// The link that moves the account to `to`.
    pub fn confirm_email(&self, to: &Email, token: &AccountToken) -> Mail {
        self.with_link(
            to,
            "Confirm your new email address",
            "Your account asked to use this address from now on. Open this link within 24 hours to confirm it:",
            &self.link("confirm-email", token),
        )
    }

    /// The notice to the old address that a change to `new` was asked.
    pub fn email_change_notice(&self, to: &Email, new: &Email) -> Mail {
        let line = format!(
            "Someone asked to move your account to {new}. It changes only once that address confirms it. If it wasn't you, change your password."
        );
        Mail {
            to: to.clone(),
            subject: format!("{}: your email address is about to change", self.product),
            html: self.html(&escape(&line), None),
            text: format!("{line}\n\n— {}\n", self.product),
        }
    }

    fn link(&self, page: &str, token: &AccountToken) -> String {
        format!("{}/{page}#token={}", self.frontend_url, token.as_str())
    }

    fn with_link(&self, to: &Email, subject: &str, line: &str, link: &str) -> Mail {
        Mail {
            to: to.clone(),
            subject: format!("{}: {subject}", self.product),
            text: format!("{line}\n\n{link}\n\n— {}\n", self.product),
            html: self.html(&escape(line), Some(link)),
        }
    }

    fn html(&self, line: &str, link: Option<&str>) -> String {
        let link = link
            .map(|link| {
                let link = escape(link);
                format!("<p><a href=\"{link}\">{link}</a></p>")
            })
            .unwrap_or_default();
        format!(
            "<!doctype html><html><body><p>{line}</p>{link}<p>— {}</p></body></html>",
            escape(&self.product)
        )
    }
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_token_in_the_fragment_and_html_is_escaped() {
        let templates = MailTemplates::new("A<B", "http://x.test/console/");
        let to = Email::parse("ada@example.com").expect("valid");
        let token = AccountToken::from_client("tok");
        let mail = templates.reset_password(&to, &token);
        assert!(
            mail.text
                .contains("http://x.test/console/reset-password#token=tok")
        );
        assert!(mail.html.contains("A&lt;B"));
        assert_eq!(mail.subject, "A<B: Reset your password");
    }
}
