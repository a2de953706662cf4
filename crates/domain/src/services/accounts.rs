//! The flows that run through mailed links: email verification, password
//! reset and email change. Each token is single-use, stored as a keyed
//! hash, and written with the mail that carries it in one transaction;
//! the mail itself is sent later by the outbox sender.

use super::mail_templates::MailTemplates;
use super::{AuthService, Ports, RegisterInput, UserService};
use crate::model::{
    AccountToken, Email, Mail, NewAccountToken, Password, Principal, RedeemedToken, Role,
    SecretKey, TokenPurpose, User, UserId,
};
use crate::ports::{Revoked, UserUpdate};
use crate::{RepoError, ServiceError};
use anyhow::Context;
use std::sync::Arc;
use time::Duration;

/// At most one verification or reset mail per account within this time.
pub const MAIL_THROTTLE: Duration = Duration::minutes(1);

/// Account flows driven by mail.
#[derive(Clone)]
pub struct AccountService {
    ports: Ports,
    secret: Arc<SecretKey>,
    templates: Arc<MailTemplates>,
    auth: AuthService,
    users: UserService,
}

impl AccountService {
    /// Builds the service; `secret` keys the token hashes.
    pub fn new(
        ports: Ports,
        secret: Arc<SecretKey>,
        templates: MailTemplates,
        auth: AuthService,
    ) -> Self {
        let users = UserService::new(ports.clone());
        Self {
            ports,
            secret,
            templates: Arc::new(templates),
            auth,
            users,
        }
    }

    /// Creates an account with role `user` and mails it a verification link.
    ///
    /// # Errors
    /// [`ServiceError::Conflict`] when the email is registered.
    pub async fn register(&self, input: RegisterInput) -> Result<User, ServiceError> {
        let new_user = self.auth.new_user(input, Role::User).await?;
        let user = &new_user.user;
        let (token, stored) = self.token(user.id, TokenPurpose::VerifyEmail, None);
        let mail = self.templates.verify_email(&user.email, &token);
        match self
            .ports
            .accounts
            .register(&new_user, &stored, &[mail])
            .await
        {
            Ok(()) => Ok(new_user.user),
            Err(RepoError::Conflict) => Err(ServiceError::Conflict("email is already registered")),
            Err(other) => Err(other.into()),
        }
    }

    /// Mails the caller a new verification link.
    ///
    /// # Errors
    /// [`ServiceError::TooManyRequests`] within a minute of the last one.
    pub async fn request_verification(&self, principal: &Principal) -> Result<(), ServiceError> {
        let user = self.users.me(principal).await?;
        let (token, stored) = self.token(user.id, TokenPurpose::VerifyEmail, None);
        let mail = self.templates.verify_email(&user.email, &token);
        if self.issue(&stored, mail).await? {
            Ok(())
        } else {
            Err(ServiceError::TooManyRequests(
                "a verification mail was sent less than a minute ago",
            ))
        }
    }

    /// Marks the address of the token's account verified.
    ///
    /// # Errors
    /// [`ServiceError::InvalidToken`] for an unknown, expired or spent token.
    pub async fn verify_email(&self, raw: &str) -> Result<User, ServiceError> {
        let redeemed = self.redeem(TokenPurpose::VerifyEmail, raw).await?;
        self.apply(
            redeemed.user_id,
            UserUpdate {
                email_verified: Some(true),
                ..UserUpdate::default()
            },
        )
        .await
    }

    /// Mails a reset link when `email` has an account. Both paths do the
    /// same work (a token, its hash, a password-hash check) so neither the
    /// answer nor its time tells whether the address is known; a second
    /// request within a minute is dropped silently.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] only.
    pub async fn forgot_password(&self, email: &Email) -> Result<(), ServiceError> {
        let found = self.ports.users.find_with_password(email).await?;
        let owner = found.as_ref().map_or_else(UserId::new, |(user, _)| user.id);
        let (token, stored) = self.token(owner, TokenPurpose::ResetPassword, None);
        let probe = Password::candidate(token.as_str(), "token")
            .map_err(|e| anyhow::anyhow!("probe password: {e}"))?;
        self.ports
            .hasher
            .verify(&probe, self.ports.hasher.dummy_hash())
            .await
            .context("evening out the time of a reset request")?;
        let Some((user, _)) = found.filter(|(user, _)| !user.disabled) else {
            return Ok(());
        };
        let mail = self.templates.reset_password(&user.email, &token);
        self.issue(&stored, mail).await?;
        Ok(())
    }

    /// Sets a new password through a reset token: the address counts as
    /// verified, and every session of the user ends (their sockets close).
    ///
    /// # Errors
    /// [`ServiceError::InvalidToken`] for an unknown, expired or spent token.
    pub async fn reset_password(&self, raw: &str, password: &Password) -> Result<(), ServiceError> {
        let redeemed = self.redeem(TokenPurpose::ResetPassword, raw).await?;
        let hash = self
            .ports
            .hasher
            .hash(password)
            .await
            .context("hashing a new password")?;
        let user = redeemed.user_id;
        self.apply(
            user,
            UserUpdate {
                password_hash: Some(hash),
                email_verified: Some(true),
                ..UserUpdate::default()
            },
        )
        .await?;
        let now = self.ports.clock.now();
        self.ports.sessions.revoke_all(user, None, now).await?;
        self.ports
            .notifier
            .sessions_revoked(user, Revoked::AllBut(None));
        Ok(())
    }

    /// Starts moving the caller to `new`: the current password is checked
    /// (when the account has one), a confirmation link goes to `new` and a
    /// notice to the old address. The email changes only on confirmation.
    ///
    /// # Errors
    /// [`ServiceError::Conflict`] when `new` is taken;
    /// [`ServiceError::Forbidden`] for a wrong password.
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        new: Email,
        current_password: Option<&str>,
    ) -> Result<User, ServiceError> {
        self.users
            .check_password(principal.user_id, current_password, "password.current")
            .await?;
        if self.ports.users.find_with_password(&new).await?.is_some() {
            return Err(ServiceError::Conflict("email is already registered"));
        }
        let user = self.users.me(principal).await?;
        let (token, stored) = self.token(user.id, TokenPurpose::ConfirmEmail, Some(new.clone()));
        let mail = [
            self.templates.confirm_email(&new, &token),
            self.templates.email_change_notice(&user.email, &new),
        ];
        // No throttle: each request replaces the pending address.
        self.ports.accounts.issue(&stored, &mail, None).await?;
        self.users.me(principal).await
    }

    /// Moves the token's account to the address it was made for.
    ///
    /// # Errors
    /// [`ServiceError::InvalidToken`] for an unknown, expired or spent
    /// token; [`ServiceError::Conflict`] when the address was taken meanwhile.
    pub async fn confirm_email(&self, raw: &str) -> Result<User, ServiceError> {
        let redeemed = self.redeem(TokenPurpose::ConfirmEmail, raw).await?;
        let email = redeemed
            .new_email
            .context("an email-change token without an address")?;
        let update = UserUpdate {
            email: Some(email),
            email_verified: Some(true),
            pending_email: Some(None),
            ..UserUpdate::default()
        };
        match self.apply(redeemed.user_id, update).await {
            Err(ServiceError::Conflict(_)) => Err(ServiceError::Conflict(
                "the address was registered by another account meanwhile",
            )),
            other => other,
        }
    }

    fn token(
        &self,
        user_id: UserId,
        purpose: TokenPurpose,
        new_email: Option<Email>,
    ) -> (AccountToken, NewAccountToken) {
        let token = AccountToken::generate();
        let stored = NewAccountToken {
            hash: self.secret.account_token_hash(&token),
            user_id,
            purpose,
            new_email,
            created_at: self.ports.clock.now(),
        };
        (token, stored)
    }

    async fn issue(&self, token: &NewAccountToken, mail: Mail) -> Result<bool, ServiceError> {
        let since = token.created_at - MAIL_THROTTLE;
        Ok(self
            .ports
            .accounts
            .issue(token, &[mail], Some(since))
            .await?)
    }

    async fn redeem(
        &self,
        purpose: TokenPurpose,
        raw: &str,
    ) -> Result<RedeemedToken, ServiceError> {
        let hash = self
            .secret
            .account_token_hash(&AccountToken::from_client(raw));
        let now = self.ports.clock.now();
        self.ports
            .accounts
            .redeem(purpose, &hash, now)
            .await?
            .ok_or(ServiceError::InvalidToken)
    }

    async fn apply(&self, user: UserId, update: UserUpdate) -> Result<User, ServiceError> {
        let now = self.ports.clock.now();
        match self.ports.users.update(user, &update, now).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(ServiceError::InvalidToken),
            Err(RepoError::Conflict) => Err(ServiceError::Conflict("email is already registered")),
            Err(other) => Err(other.into()),
        }
    }
}
