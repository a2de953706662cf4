//! Security headers on every response, errors and 404s included.

use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// The policy for everything but Swagger UI: nothing may load.
const STRICT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Swagger UI's page needs its own scripts, styles and the document.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// One year, as browsers' preload lists expect.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Which headers a response gets: decided from the request, applied to
/// whatever response (or error) comes back.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    /// The path is Swagger UI's (`/docs`), which needs a relaxed policy.
    pub docs: bool,
    /// Production: add `Strict-Transport-Security`.
    pub hsts: bool,
}

impl SecurityHeaders {
    /// For a request to `path`.
    pub fn for_path(path: &str, hsts: bool) -> Self {
        Self {
            docs: path == "/docs" || path.starts_with("/docs/"),
            hsts,
        }
    }

    /// Sets `X-Content-Type-Options`, `X-Frame-Options`, `Referrer-Policy`,
    /// `Content-Security-Policy` and, in production, HSTS.
    pub fn apply(self, headers: &mut HeaderMap) {
        let csp = if self.docs { DOCS_CSP } else { STRICT_CSP };
        let fixed = [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, csp),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if self.hsts {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
    }
}
