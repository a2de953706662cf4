//! The one visibility rule: an admin sees every row, anyone else only
//! their own. Services, rooms and streams ask [`Scope::admits`] instead of
//! spelling the rule out.

use super::{Principal, UserId};

/// Whose rows a caller may see and change: one owner's (another owner's
/// row is "not found", never "forbidden"), or everyone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Only this owner's rows.
    Owner(UserId),
    /// Every row (admins).
    All,
}

impl Scope {
    /// Whether a row owned by `owner` is in this scope.
    pub fn admits(self, owner: UserId) -> bool {
        match self {
            Self::All => true,
            Self::Owner(me) => me == owner,
        }
    }

    /// The one owner this scope is limited to; `None` for every row.
    pub fn owner(self) -> Option<UserId> {
        match self {
            Self::All => None,
            Self::Owner(owner) => Some(owner),
        }
    }
}

impl Principal {
    /// What this caller may see: every row for an admin, else their own.
    pub fn scope(&self) -> Scope {
        if self.is_admin() {
            Scope::All
        } else {
            Scope::Owner(self.user_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, SessionId};

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: UserId::new(),
            session_id: SessionId::new(),
            role,
        }
    }

    #[test]
    fn an_admin_sees_every_row_anyone_else_only_their_own() {
        let (ada, other) = (principal(Role::User), UserId::new());
        assert!(ada.scope().admits(ada.user_id));
        assert!(!ada.scope().admits(other));
        assert_eq!(ada.scope().owner(), Some(ada.user_id));
        let admin = principal(Role::Admin);
        assert!(admin.scope().admits(other));
        assert_eq!(admin.scope().owner(), None);
    }
}
