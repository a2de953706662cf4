//! The security schemes: a pasted bearer token, or Swagger UI's OAuth2
//! password flow against `/api/v1/auth/token`. Every secured operation
//! accepts either, so a token obtained by "Authorize" is sent.

use super::{OpenApiDoc, operations_mut};
use utoipa::Modify;
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement,
    SecurityScheme,
};

/// The bearer scheme's name.
const BEARER: &str = "bearer";
/// The OAuth2 password flow's name.
const OAUTH2_PASSWORD: &str = "oauth2_password";
/// Where the password flow gets its tokens.
pub const TOKEN_URL: &str = "/api/v1/auth/token";

/// Adds the bearer and OAuth2 password security schemes, and the password
/// flow as an alternative wherever an operation asks for a bearer token.
pub struct SecuritySchemes;

fn requirement(name: &str) -> SecurityRequirement {
    SecurityRequirement::new(name, Vec::<String>::new())
}

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            OAUTH2_PASSWORD,
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                TOKEN_URL,
                Scopes::new(),
            ))])),
        );
        let (bearer, password) = (requirement(BEARER), requirement(OAUTH2_PASSWORD));
        for (_, operation) in operations_mut(openapi) {
            if let Some(security) = operation.security.as_mut()
                && security.contains(&bearer)
                && !security.contains(&password)
            {
                security.push(password.clone());
            }
        }
    }
}
