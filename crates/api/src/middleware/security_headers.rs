//! Security headers on every response, errors and 404s included.

use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// The policy for everything but Swagger UI: nothing may load.
const STRICT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Swagger UI's page needs its own scripts, styles and the document.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The console (`/console`): its own scripts, styles, images and API
/// calls — WebSockets to the same host included, which CSP Level 3's
/// `'self'` covers (current Chromium, Firefox and Safari; `make test`'s browser tests connect under it) — nothing inline,
/// no `eval`, nothing from another origin.
const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/// One year, as browsers' preload lists expect.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Which headers a response gets: decided from the request, applied to
/// whatever response (or error) comes back.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    /// The path is Swagger UI's (`/docs`), which needs a relaxed policy.
    pub docs: bool,
    /// The path is the console's (`/console`), which loads its own files.
    pub console: bool,
    /// Production: add `Strict-Transport-Security`.
    pub hsts: bool,
}

impl SecurityHeaders {
    /// For a request to `path`.
    pub fn for_path(path: &str, hsts: bool) -> Self {
        Self {
            docs: path == "/docs" || path.starts_with("/docs/"),
            console: path == "/console" || path.starts_with("/console/"),
            hsts,
        }
    }

    /// Sets `X-Content-Type-Options`, `X-Frame-Options`, `Referrer-Policy`,
    /// `Content-Security-Policy` and, in production, HSTS.
    pub fn apply(self, headers: &mut HeaderMap) {
        let csp = match (self.docs, self.console) {
            (true, _) => DOCS_CSP,
            (_, true) => CONSOLE_CSP,
            _ => STRICT_CSP,
        };
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
