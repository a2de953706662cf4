//! A small OpenID Connect provider for the tests, in-process on a random
//! port: discovery, JWKS (its own RSA key), an authorize endpoint that
//! redirects straight back with a code, a token endpoint that checks the
//! client, the redirect URI and the PKCE verifier and signs an RS256 ID
//! token carrying the request's nonce, and userinfo in OpenID Connect and
//! GitHub shapes. What the next sign-in returns, and how the provider
//! misbehaves, is set per test.

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use socket2::{Domain, Socket, Type};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "backend-api-tests";
pub const CLIENT_SECRET: &str = "test-client-secret";
const KID: &str = "test-key";

/// The account that signs in at the provider next.
#[derive(Debug, Clone)]
pub struct Account {
    pub sub: String,
    /// GitHub's numeric `id` (the GitHub-shaped userinfo sends it).
    pub numeric_id: u64,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl Account {
    pub fn verified(sub: &str, email: &str) -> Self {
        Self {
            sub: sub.to_owned(),
            numeric_id: 583_231,
            email: Some(email.to_owned()),
            email_verified: true,
            name: Some("Ada Lovelace".to_owned()),
        }
    }
}

struct Grant {
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    account: Account,
}

struct Inner {
    issuer: String,
    /// `issuer` as the discovery document and ID tokens name it.
    iss: String,
    key: EncodingKey,
    jwk: Jwk,
    account: Mutex<Account>,
    wrong_nonce: Mutex<bool>,
    forged_email: Mutex<Option<String>>,
    codes: Mutex<HashMap<String, Grant>>,
    access_tokens: Mutex<HashMap<String, Account>>,
    token_requests: AtomicUsize,
}

/// A running provider.
pub struct FakeProvider {
    inner: Arc<Inner>,
    handle: ServerHandle,
    /// After [`FakeProvider::stop`]: the port, bound but not listening, so
    /// that it refuses connections and no other test's server gets it.
    stopped: Mutex<Option<Socket>>,
}

impl FakeProvider {
    /// Starts a provider on a random port.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// Starts a provider whose issuer identifier ends with `/` (as
    /// Auth0's does), though configured without it.
    pub async fn start_with_slashed_issuer() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(slashed_issuer: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let pem = include_bytes!("../../../infra/tests/keys/rsa.pem");
        let key = EncodingKey::from_rsa_pem(pem).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(KID.into());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        let iss = if slashed_issuer {
            format!("{issuer}/")
        } else {
            issuer.clone()
        };
        let inner = Arc::new(Inner {
            issuer,
            iss,
            key,
            jwk,
            account: Mutex::new(Account::verified("subject-1", "ada@example.com")),
            wrong_nonce: Mutex::new(false),
            forged_email: Mutex::new(None),
            codes: Mutex::new(HashMap::new()),
            access_tokens: Mutex::new(HashMap::new()),
            token_requests: AtomicUsize::new(0),
        });
        let data = web::Data::from(inner.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/userinfo", web::get().to(userinfo))
                .route("/github/user", web::get().to(github_user))
                .route(
                    "/redirect/github/user",
                    web::get().to(redirect_to_github_user),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            inner,
            handle,
            stopped: Mutex::new(None),
        }
    }

    /// The issuer URL (and base of every endpoint).
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Who signs in next.
    pub fn sign_in_as(&self, account: Account) {
        *self.inner.account.lock().unwrap() = account;
    }

    /// Makes the ID tokens carry a nonce other than the request's.
    pub fn send_wrong_nonce(&self, wrong: bool) {
        *self.inner.wrong_nonce.lock().unwrap() = wrong;
    }

    /// Makes the ID tokens claim `email` in a payload swapped in after
    /// signing (a forgery: the signature no longer matches).
    pub fn forge_email(&self, email: Option<&str>) {
        *self.inner.forged_email.lock().unwrap() = email.map(str::to_owned);
    }

    /// How many token requests arrived (codes exchanged or tried).
    pub fn token_requests(&self) -> usize {
        self.inner.token_requests.load(Ordering::SeqCst)
    }

    /// Stops answering: the port then refuses connections, and stays
    /// taken until the provider is dropped.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
        let addr: SocketAddr = self.inner.issuer["http://".len()..].parse().unwrap();
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        // Connections the provider closed may linger in TIME_WAIT.
        socket.set_reuse_address(true).unwrap();
        // The accept loop may close the listener just after `stop` returns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while let Err(error) = socket.bind(&addr.into()) {
            assert!(std::time::Instant::now() < deadline, "{addr}: {error}");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        *self.stopped.lock().unwrap() = Some(socket);
    }

    /// The app's variables for an OpenID Connect provider `acme` and a
    /// GitHub-style provider `gh`, both served by this one, and `hop`, a
    /// GitHub-style one whose userinfo URL answers with a redirect.
    pub fn env(&self) -> Vec<(String, String)> {
        let base = self.issuer();
        [
            ("OAUTH_PROVIDERS", "acme,gh,hop".to_owned()),
            ("OAUTH_HOP_CLIENT_ID", CLIENT_ID.to_owned()),
            ("OAUTH_HOP_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("OAUTH_HOP_AUTH_URL", format!("{base}/authorize")),
            ("OAUTH_HOP_TOKEN_URL", format!("{base}/token")),
            (
                "OAUTH_HOP_USERINFO_URL",
                format!("{base}/redirect/github/user"),
            ),
            ("OAUTH_ACME_CLIENT_ID", CLIENT_ID.to_owned()),
            ("OAUTH_ACME_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("OAUTH_ACME_ISSUER", base.to_owned()),
            ("OAUTH_GH_CLIENT_ID", CLIENT_ID.to_owned()),
            ("OAUTH_GH_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("OAUTH_GH_AUTH_URL", format!("{base}/authorize")),
            ("OAUTH_GH_TOKEN_URL", format!("{base}/token")),
            ("OAUTH_GH_USERINFO_URL", format!("{base}/github/user")),
            ("OAUTH_GH_SCOPES", "read:user user:email".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn oauth_error(error: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": error}))
}

async fn discovery(p: web::Data<Inner>) -> HttpResponse {
    let base = &p.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": p.iss,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(p: web::Data<Inner>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"keys": [p.jwk]}))
}

/// Signs the current account in at once and redirects back with a code.
async fn authorize(
    p: web::Data<Inner>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let q = query.into_inner();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID || get("response_type") != "code" {
        return HttpResponse::BadRequest().body("bad client or response type");
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return HttpResponse::BadRequest().body("PKCE S256 is required");
    }
    let code = random();
    let grant = Grant {
        redirect_uri: get("redirect_uri"),
        code_challenge: get("code_challenge"),
        nonce: q.get("nonce").cloned(),
        account: p.account.lock().unwrap().clone(),
    };
    p.codes.lock().unwrap().insert(code.clone(), grant);
    let mut back = url::Url::parse(&get("redirect_uri")).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &get("state"));
    HttpResponse::Found()
        .insert_header(("Location", back.to_string()))
        .finish()
}

/// The client's credentials, from Basic auth or the form.
fn client_ok(req: &HttpRequest, form: &HashMap<String, String>) -> bool {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    basic.as_deref() == Some(expected.as_str())
        || (form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET))
}

async fn token(
    p: web::Data<Inner>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    p.token_requests.fetch_add(1, Ordering::SeqCst);
    let form = form.into_inner();
    if !client_ok(&req, &form) {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error("unsupported_grant_type");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    // A code is single use: a replay finds nothing.
    let Some(grant) = p.codes.lock().unwrap().remove(&code) else {
        return oauth_error("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != grant.code_challenge || form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return oauth_error("invalid_grant");
    }
    let access_token = random();
    p.access_tokens
        .lock()
        .unwrap()
        .insert(access_token.clone(), grant.account.clone());
    let mut body =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600});
    if let Some(nonce) = grant.nonce {
        let nonce = if *p.wrong_nonce.lock().unwrap() {
            "not-the-nonce".to_owned()
        } else {
            nonce
        };
        body["id_token"] = Value::String(id_token(&p, &grant.account, &nonce));
    }
    HttpResponse::Ok().json(body)
}

fn id_token(p: &Inner, account: &Account, nonce: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = json!({
        "iss": p.iss, "sub": account.sub, "aud": CLIENT_ID,
        "iat": now, "exp": now + 300, "nonce": nonce,
        "email_verified": account.email_verified,
    });
    if let Some(email) = &account.email {
        claims["email"] = json!(email);
    }
    if let Some(name) = &account.name {
        claims["name"] = json!(name);
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    let signed = jsonwebtoken::encode(&header, &claims, &p.key).unwrap();
    let Some(forged) = p.forged_email.lock().unwrap().clone() else {
        return signed;
    };
    claims["email"] = json!(forged);
    let parts: Vec<&str> = signed.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

fn bearer_account(p: &Inner, req: &HttpRequest) -> Option<Account> {
    let token = req
        .headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    p.access_tokens.lock().unwrap().get(token).cloned()
}

async fn userinfo(p: web::Data<Inner>, req: HttpRequest) -> HttpResponse {
    let Some(account) = bearer_account(&p, &req) else {
        return HttpResponse::Unauthorized().finish();
    };
    let mut body = json!({"sub": account.sub, "email_verified": account.email_verified});
    if let Some(email) = &account.email {
        body["email"] = json!(email);
    }
    if let Some(name) = &account.name {
        body["name"] = json!(name);
    }
    HttpResponse::Ok().json(body)
}

/// A redirect to the real userinfo: a client that follows redirects
/// would get the document.
async fn redirect_to_github_user(p: web::Data<Inner>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", format!("{}/github/user", p.issuer)))
        .finish()
}

async fn github_user(p: web::Data<Inner>, req: HttpRequest) -> HttpResponse {
    let Some(account) = bearer_account(&p, &req) else {
        return HttpResponse::Unauthorized().finish();
    };
    HttpResponse::Ok().json(json!({
        "id": account.numeric_id, "login": "octo", "email": account.email,
        "name": account.name,
    }))
}
