//! Ports: the capabilities the services need, as object-safe traits held as
//! `Arc<dyn Port>`. Adapters live in the `infra` crate; in-memory ones in
//! [`crate::testing`].

mod clock;
mod hasher;
mod sessions;
mod tokens;
mod users;

pub use clock::{Clock, SystemClock};
pub use hasher::{HashError, PasswordHasher};
pub use sessions::SessionRepository;
pub use tokens::{TokenError, TokenIssuer};
pub use users::{UserQuery, UserRepository, UserUpdate};
