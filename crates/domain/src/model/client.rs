//! Who is on the other end of a login, as far as the server can tell.

/// The user agent and address recorded with a session at login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The `User-Agent` header, cut to a sane length.
    pub user_agent: Option<String>,
    /// The client's IP address as text.
    pub ip: Option<String>,
}

impl ClientInfo {
    /// Longest user agent kept; longer ones are cut at a character boundary.
    pub const MAX_USER_AGENT: usize = 512;

    /// Builds client info, cutting an overlong user agent.
    pub fn new(user_agent: Option<&str>, ip: Option<String>) -> Self {
        let user_agent = user_agent.map(|ua| ua.chars().take(Self::MAX_USER_AGENT).collect());
        Self { user_agent, ip }
    }
}
