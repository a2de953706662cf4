//! Services: the use cases. Each checks authorization and invariants and
//! talks to ports only.

mod auth;
mod ports;
mod users;

pub use auth::{AuthService, AuthSettings, RegisterInput};
pub use ports::Ports;
pub use users::{AdminUpdate, PasswordChange, UpdateMe, UserService};
