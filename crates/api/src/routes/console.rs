//! `/console`: the web console, a few static files (HTML, CSS, JavaScript
//! modules) compiled into the binary, so it works offline and needs no
//! build step. The console is a single page: `/console` and `/console/`
//! serve `index.html`, which routes by the URL fragment, and so do the
//! paths mail links point at ([`MAIL_LINK_PAGES`]). Its policy is
//! [`crate::middleware::SecurityHeaders`]' console CSP; rate limits never
//! count these files ([`crate::middleware::rate_limit::Limited::for_path`]).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

/// One file of the console.
struct Asset {
    /// Its path under `/console/`.
    path: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    body: &'static [u8],
}

/// The files under `crates/api/console/`, each with its type.
macro_rules! assets {
    ($(($path:literal, $type:expr)),* $(,)?) => {
        &[$(Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $path)),
        }),*]
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file the console is made of.
const ASSETS: &[Asset] = assets![
    ("index.html", HTML),
    ("style.css", "text/css; charset=utf-8"),
    ("icon.svg", "image/svg+xml"),
    ("js/main.js", JS),
    ("js/api.js", JS),
    ("js/live.js", JS),
    ("js/ui.js", JS),
    ("js/mail_links.js", JS),
    ("js/pages/auth.js", JS),
    ("js/pages/items.js", JS),
    ("js/pages/agents.js", JS),
    ("js/pages/chat.js", JS),
    ("js/pages/account.js", JS),
    ("js/pages/users.js", JS),
];

/// The paths under `/console/` that mail links open
/// (`{FRONTEND_URL}/verify-email#token=…`, …): each serves the page, which
/// reads the path and the token in the fragment.
const MAIL_LINK_PAGES: &[&str] = &["verify-email", "reset-password", "confirm-email"];

/// Registers `/console`, `/console/` and `/console/{file}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console").route(web::get().to(index)))
        .service(web::resource("/console/{path:.*}").route(web::get().to(file)));
}

/// The page itself.
async fn index() -> HttpResponse {
    serve("index.html")
}

/// One file of the console (the page for an empty path or a mail-link
/// page); unknown → 404.
async fn file(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    if path.is_empty() || MAIL_LINK_PAGES.contains(&path.as_str()) {
        serve("index.html")
    } else {
        serve(&path)
    }
}

fn serve(path: &str) -> HttpResponse {
    match ASSETS.iter().find(|asset| asset.path == path) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            // Revalidated on each load: a new binary's console is seen at once.
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
            .body(asset.body),
        None => HttpResponse::NotFound().finish(),
    }
}
