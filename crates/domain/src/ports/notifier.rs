//! Signals from the services to the real-time layer.

use crate::model::{AgentId, SessionId, UserId};

/// Which sessions of a user were just revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// One session (logout, revoking one's own session).
    One(SessionId),
    /// Every session but `keep` (a password change keeps the caller's).
    AllBut(Option<SessionId>),
}

/// Told about changes that live connections must react to. Calls return at
/// once; the work happens elsewhere.
pub trait Notifier: Send + Sync {
    /// Events were committed to the log: release and deliver them soon.
    fn events_written(&self);

    /// Sessions of `user` were revoked (or the user disabled or deleted),
    /// or what they may see changed (a role change): their live sockets
    /// must close with 1008 `unauthorized`.
    fn sessions_revoked(&self, user: UserId, which: Revoked);

    /// The token of `agent` was rotated: its live connection, which used
    /// the old token, must close at once.
    fn agent_token_rotated(&self, agent: AgentId);
}

/// A notifier for when nothing listens (command-line tools).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn events_written(&self) {}
    fn sessions_revoked(&self, _: UserId, _: Revoked) {}
    fn agent_token_rotated(&self, _: AgentId) {}
}
