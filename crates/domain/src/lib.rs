//! The domain of backend-api: entities, validated value types, ports (the
//! traits adapters implement) and the services that hold the business rules.
//!
//! This crate names no web framework, database driver or async runtime. With
//! the `testing` feature it also ships in-memory adapters for every port, so
//! a rule can be tested with this crate alone:
//!
//! ```
//! use domain::model::{ClientInfo, Email, Password};
//! use domain::services::RegisterInput;
//! use domain::testing::TestDomain;
//! use domain::ServiceError;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let domain = TestDomain::new();
//! let email = Email::parse("Ada@Example.com").unwrap();
//! let password = Password::parse("correct horse battery").unwrap();
//! let input = RegisterInput { email: email.clone(), password, display_name: None };
//! domain.accounts.register(input).await.unwrap();
//!
//! // A wrong password and an unknown email are the same error.
//! let wrong = Password::parse("not the password").unwrap();
//! let err = domain.auth.login(&email, &wrong, ClientInfo::default()).await.unwrap_err();
//! assert!(matches!(err, ServiceError::InvalidCredentials));
//! # });
//! ```

pub mod error;
pub mod model;
pub mod ports;
pub mod services;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{FieldError, RepoError, ServiceError};
