//! Hostile requests cost bounded work: amplifying JSON Patches, bodies
//! that never finish arriving; and broken HTTP gets the API's own answer.

use crate::helpers::{Backend, TestApp, assert_problem, on_both, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Writes `request` on a fresh connection and reads until the server
/// closes it (at most 20 s): the whole answer, as text.
pub async fn raw_exchange(app: &TestApp, request: &[u8]) -> String {
    let address = app.address.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A body announced as 1,000 bytes of which 8 arrive: once
/// `BODY_READ_TIMEOUT_SECS` has passed the answer is a 408 problem and the
/// connection is closed, instead of held open for as long as the client
/// likes.
#[tokio::test]
async fn a_body_that_stops_arriving_is_a_408_that_closes_the_connection() {
    let app = spawn_app(Backend::Sqlite, &[("BODY_READ_TIMEOUT_SECS", "1")])
        .await
        .unwrap();
    let answer = raw_exchange(
        &app,
        b"POST /api/v1/auth/register HTTP/1.1\r\nHost: test\r\n\
          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"email\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(lower.contains("x-request-id: "), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    app.cleanup().await;
}

on_both!(doubling_json_patch_copies_are_refused_early);

/// Thirty copies of the whole document into itself would need 2^30 times
/// its size: the patch is refused at the operation that crosses a limit,
/// naming it, and nothing changes.
async fn doubling_json_patch_copies_are_refused_early(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let body = json!({"name": "probe", "metadata": {"seed": "x".repeat(100)}});
    let agent = app.create("/api/v1/agents", &ada, &body).await;
    let path = format!("/api/v1/agents/{}", agent["id"].as_str().unwrap());
    let doubling: Vec<Value> = (0..30)
        .map(|i| json!({"op": "copy", "from": "", "path": format!("/c{i}")}))
        .collect();
    let response = app
        .client
        .patch(app.url(&format!("{path}/metadata")))
        .bearer_auth(&ada)
        .header("content-type", "application/json-patch+json")
        .json(&doubling)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let field = problem["errors"][0]["field"].as_str().unwrap();
    assert!(field.starts_with('/'), "names the operation: {problem}");
    let unchanged = app.get_json(&path, &ada).await;
    assert_eq!(unchanged["metadata"], body["metadata"]);
    assert_eq!(unchanged["version"], 1);
}

/// What the HTTP/1 dispatcher answers by itself — a request line it can't
/// parse, a head with too many fields, a head that never ends — is still a
/// problem document with a request id and the security headers.
#[tokio::test]
async fn broken_http_is_answered_with_a_problem_and_a_request_id() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    // More header fields than the dispatcher takes (96).
    let fields: String = (0..100).map(|i| format!("X-Field-{i}: a\r\n")).collect();
    let huge = format!("GET /health/live HTTP/1.1\r\nHost: test\r\n{fields}\r\n");
    let cases: [(&[u8], &str); 3] = [
        (b"NOT A REQUEST LINE\r\n\r\n", "400"),
        (huge.as_bytes(), "431"),
        (b"GET /health/live HTTP/1.1\r\nHost: te", "408"),
    ];
    for (request, status) in cases {
        let answer = raw_exchange(&app, request).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{answer}"
        );
        let lower = answer.to_ascii_lowercase();
        for header in [
            "content-type: application/problem+json",
            "x-request-id: ",
            "x-content-type-options: nosniff",
            "content-security-policy: default-src 'none'",
        ] {
            assert!(lower.contains(header), "{status} lacks {header}: {answer}");
        }
        let body = answer.split("\r\n\r\n").nth(1).unwrap();
        let problem: Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"].as_u64().unwrap().to_string(), status);
        assert!(problem["request_id"].is_string());
    }
    app.cleanup().await;
}
