//! User storage.

use crate::RepoError;
use crate::model::{
    Cursor, DisplayName, Email, Limit, NewUser, PasswordHash, Role, SearchText, SortKey, Timestamp,
    User, UserId,
};
use async_trait::async_trait;

/// A change to a user; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New password hash.
    pub password_hash: Option<PasswordHash>,
    /// New role.
    pub role: Option<Role>,
    /// Disable or enable.
    pub disabled: Option<bool>,
    /// New address (the pending one, confirmed).
    pub email: Option<Email>,
    /// Mark the address proved or not.
    pub email_verified: Option<bool>,
    /// Set (`Some(Some)`) or clear (`Some(None)`) the pending address.
    pub pending_email: Option<Option<Email>>,
}

/// Which users to list, and from where.
#[derive(Debug, Clone)]
pub struct UserQuery {
    /// Case-insensitive substring of email or display name.
    pub q: Option<SearchText>,
    /// Order (by creation time).
    pub sort: SortKey,
    /// Rows wanted; the adapter returns up to `limit + 1`.
    pub limit: Limit,
    /// Continue after this row.
    pub after: Option<Cursor>,
}

/// Stores users.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a user.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the email is taken.
    async fn create(&self, user: &NewUser) -> Result<(), RepoError>;

    /// The user with `id`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find(&self, id: UserId) -> Result<Option<User>, RepoError>;

    /// The user with `email` and their password hash.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find_with_password(
        &self,
        email: &Email,
    ) -> Result<Option<(User, Option<PasswordHash>)>, RepoError>;

    /// The password hash of `id` (`None` inside when the account has none).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn password_hash(&self, id: UserId) -> Result<Option<Option<PasswordHash>>, RepoError>;

    /// Applies `update`; `None` when there is no such user.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the new email is taken.
    async fn update(
        &self,
        id: UserId,
        update: &UserUpdate,
        now: Timestamp,
    ) -> Result<Option<User>, RepoError>;

    /// Deletes the user and everything they own; `false` when absent.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn delete(&self, id: UserId) -> Result<bool, RepoError>;

    /// Up to `limit + 1` users in `query.sort` order after `query.after`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn list(&self, query: &UserQuery) -> Result<Vec<User>, RepoError>;
}
