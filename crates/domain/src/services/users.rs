//! The caller's own account and the admin's user management.

use super::Ports;
use crate::model::{
    Cursor, CursorValue, DisplayName, Page, Password, Principal, Role, SearchText, User, UserId,
};
use crate::ports::{Revoked, UserQuery, UserUpdate};
use crate::{FieldError, ServiceError};
use anyhow::Context;
use time::Duration;

/// How recent a session must be to delete an account that has no password.
pub const RECENT_LOGIN: Duration = Duration::minutes(10);

/// A password change: the current one (checked) and the new one.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    /// What the client says the password is now, unvalidated.
    pub current: String,
    /// The new password.
    pub new: Password,
}

/// Changes to one's own account.
#[derive(Debug, Clone, Default)]
pub struct UpdateMe {
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New password.
    pub password: Option<PasswordChange>,
}

/// What an admin may change on a user.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdminUpdate {
    /// New role.
    pub role: Option<Role>,
    /// Disable (revoking every session) or enable.
    pub disabled: Option<bool>,
}

/// Account use cases.
#[derive(Clone)]
pub struct UserService {
    ports: Ports,
}

impl UserService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// The caller's account.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when it was deleted meanwhile.
    pub async fn me(&self, principal: &Principal) -> Result<User, ServiceError> {
        self.ports
            .users
            .find(principal.user_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Changes the caller's display name and/or password. A password change
    /// needs the current password and revokes every other session.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] when `current` is wrong (nothing changes).
    pub async fn update_me(
        &self,
        principal: &Principal,
        change: UpdateMe,
    ) -> Result<User, ServiceError> {
        let mut update = UserUpdate {
            display_name: change.display_name,
            ..UserUpdate::default()
        };
        if let Some(password) = &change.password {
            self.check_password(
                principal.user_id,
                Some(&password.current),
                "password.current",
            )
            .await?;
            let hash = self
                .ports
                .hasher
                .hash(&password.new)
                .await
                .context("hashing a new password")?;
            update.password_hash = Some(hash);
        }
        let now = self.ports.clock.now();
        let user = self
            .ports
            .users
            .update(principal.user_id, &update, now)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if change.password.is_some() {
            self.ports
                .sessions
                .revoke_all(principal.user_id, Some(principal.session_id), now)
                .await?;
            self.ports.notifier.sessions_revoked(
                principal.user_id,
                Revoked::AllBut(Some(principal.session_id)),
            );
        }
        Ok(user)
    }

    /// Deletes the caller's account and everything it owns. An account with
    /// a password must confirm it; one without needs a recent login.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] for a wrong password or an old session;
    /// [`ServiceError::Invalid`] when the password is missing.
    pub async fn delete_me(
        &self,
        principal: &Principal,
        password: Option<&str>,
    ) -> Result<(), ServiceError> {
        let has_password = self
            .check_password(principal.user_id, password, "password")
            .await?;
        if !has_password {
            let session = self
                .ports
                .sessions
                .find(principal.user_id, principal.session_id)
                .await?
                .ok_or(ServiceError::Unauthorized)?;
            if self.ports.clock.now() - session.created_at > RECENT_LOGIN {
                return Err(ServiceError::Forbidden(
                    "deleting an account without a password needs a login from the last 10 minutes",
                ));
            }
        }
        self.ports.users.delete(principal.user_id).await?;
        self.ports
            .notifier
            .sessions_revoked(principal.user_id, Revoked::AllBut(None));
        Ok(())
    }

    /// Checks `given` against the user's password; `Ok(false)` when the
    /// account has none.
    pub(super) async fn check_password(
        &self,
        user: UserId,
        given: Option<&str>,
        field: &str,
    ) -> Result<bool, ServiceError> {
        let stored = self
            .ports
            .users
            .password_hash(user)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let Some(hash) = stored else {
            return Ok(false);
        };
        let given = given
            .ok_or_else(|| ServiceError::Invalid(vec![FieldError::new(field, "is required")]))?;
        let wrong = ServiceError::Forbidden("the current password is wrong");
        let given =
            Password::candidate(given, field).map_err(|e| ServiceError::Invalid(vec![e]))?;
        let matches = self
            .ports
            .hasher
            .verify(&given, &hash)
            .await
            .context("verifying a password")?;
        if matches { Ok(true) } else { Err(wrong) }
    }

    /// Lists users (admins only).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] for non-admins.
    pub async fn list(
        &self,
        principal: &Principal,
        query: UserQuery,
    ) -> Result<Page<User>, ServiceError> {
        require_admin(principal)?;
        let rows = self.ports.users.list(&query).await?;
        let q = query.q.as_ref().map(SearchText::as_str);
        Ok(Page::from_overfetch(rows, query.limit, |user| {
            Cursor::new(
                query.sort,
                q,
                CursorValue::Micros(user.created_at.unix_micros()),
                user.id.0,
            )
        }))
    }

    /// Changes a user's role or disabled flag (admins only). Disabling
    /// revokes every session of that user at once; disabling or a role
    /// change closes the user's live sockets.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] for non-admins; [`ServiceError::NotFound`].
    pub async fn admin_update(
        &self,
        principal: &Principal,
        id: UserId,
        change: AdminUpdate,
    ) -> Result<User, ServiceError> {
        require_admin(principal)?;
        let now = self.ports.clock.now();
        let update = UserUpdate {
            role: change.role,
            disabled: change.disabled,
            ..UserUpdate::default()
        };
        let user = self
            .ports
            .users
            .update(id, &update, now)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if change.disabled == Some(true) {
            self.ports.sessions.revoke_all(id, None, now).await?;
        }
        if change.disabled == Some(true) || change.role.is_some() {
            // A socket sees what its principal's role allowed when it
            // opened: it closes, and a new one (even with the same access
            // token: the role is read from the database at the upgrade)
            // sees what the new role allows.
            self.ports
                .notifier
                .sessions_revoked(id, Revoked::AllBut(None));
        }
        Ok(user)
    }

    /// Revokes every session of a user (admins only).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] for non-admins; [`ServiceError::NotFound`].
    pub async fn admin_revoke_sessions(
        &self,
        principal: &Principal,
        id: UserId,
    ) -> Result<(), ServiceError> {
        require_admin(principal)?;
        self.ports
            .users
            .find(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let now = self.ports.clock.now();
        self.ports.sessions.revoke_all(id, None, now).await?;
        self.ports
            .notifier
            .sessions_revoked(id, Revoked::AllBut(None));
        Ok(())
    }
}

fn require_admin(principal: &Principal) -> Result<(), ServiceError> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("this needs the admin role"))
    }
}
