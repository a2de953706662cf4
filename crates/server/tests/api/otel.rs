//! OpenTelemetry export: the real binary sends its spans over OTLP/HTTP to
//! a small receiver here. A request carrying a W3C `traceparent` arrives
//! as a server span under the caller's trace and span, with its database
//! calls as descendants; a WebSocket connection has a span of its own with
//! connection and user ids, linked to the upgrade request, and an agent's
//! connection one with the agent's and its owner's ids.

use crate::binary::Binary;
use crate::ws::{WAIT, next, send};
use actix_web::{App, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use std::collections::HashMap;
use std::process::Stdio;
use tokio::sync::mpsc;

/// What the receiver got: `service.name` of the batch, and its spans.
type Batch = (String, Vec<Span>);

/// An OTLP/HTTP (protobuf) trace receiver on a free port.
fn receiver() -> (u16, mpsc::UnboundedReceiver<Batch>) {
    let (batches, received) = mpsc::unbounded_channel();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let batches = batches.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let batches = batches.clone();
                async move {
                    let request = ExportTraceServiceRequest::decode(body).unwrap();
                    for resource in request.resource_spans {
                        let service = resource
                            .resource
                            .iter()
                            .flat_map(|r| &r.attributes)
                            .find(|a| a.key == "service.name")
                            .and_then(|a| text(a.value.as_ref()?.value.as_ref()?))
                            .unwrap_or_default();
                        let spans = resource.scope_spans.into_iter().flat_map(|s| s.spans);
                        let _ = batches.send((service, spans.collect()));
                    }
                    HttpResponse::Ok()
                        .content_type("application/x-protobuf")
                        .body(ExportTraceServiceResponse::default().encode_to_vec())
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (port, received)
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::StringValue(s) => Some(s.clone()),
        Value::IntValue(i) => Some(i.to_string()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| text(a.value.as_ref()?.value.as_ref()?))
}

/// Every span received so far, by span id.
struct Collected {
    received: mpsc::UnboundedReceiver<Batch>,
    spans: HashMap<Vec<u8>, Span>,
}

impl Collected {
    /// Receives until `found` finds something, at most [`WAIT`].
    async fn until<T>(&mut self, what: &str, found: impl Fn(&Self) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(hit) = found(self) {
                return hit;
            }
            let (service, spans) = tokio::time::timeout_at(deadline, self.received.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} among {:#?}", self.names()))
                .unwrap();
            assert_eq!(service, "backend-api");
            for span in spans {
                self.spans.insert(span.span_id.clone(), span);
            }
        }
    }

    fn find(&self, test: impl Fn(&Span) -> bool) -> Option<Span> {
        self.spans.values().find(|s| test(s)).cloned()
    }

    /// Whether `span` descends from the span `ancestor`.
    fn descends(&self, span: &Span, ancestor: &[u8]) -> bool {
        let mut parent = span.parent_span_id.clone();
        while !parent.is_empty() {
            if parent == ancestor {
                return true;
            }
            match self.spans.get(&parent) {
                Some(up) => parent = up.parent_span_id.clone(),
                None => return false,
            }
        }
        false
    }

    fn names(&self) -> Vec<&str> {
        self.spans.values().map(|s| s.name.as_str()).collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn otel_export_puts_requests_under_the_callers_trace_with_database_spans() {
    let (receiver_port, received) = receiver();
    let endpoint = format!("http://127.0.0.1:{receiver_port}");
    let server = Binary::start(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            ("RUST_LOG", "warn"),
        ],
        Stdio::null(),
    )
    .await;
    let mut collected = Collected {
        received,
        spans: HashMap::new(),
    };
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    let client = reqwest::Client::new();
    let credentials =
        serde_json::json!({"email": "ada@example.com", "password": "correct horse battery"});
    let registered = client
        .post(format!("{}/api/v1/auth/register", server.base))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .header("tracestate", "caller=7")
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let user: serde_json::Value = registered.json().await.unwrap();

    let request = collected
        .until("request span under the caller's trace", |c| {
            c.find(|s| hex(&s.trace_id) == trace_id && hex(&s.parent_span_id) == caller_span)
        })
        .await;
    assert_eq!(request.name, "POST /api/v1/auth/register");
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(request.trace_state, "caller=7");
    assert_eq!(attribute(&request, "status").as_deref(), Some("201"));
    assert_eq!(
        attribute(&request, "route").as_deref(),
        Some("/api/v1/auth/register")
    );
    let database = collected
        .until("database span under the request", |c| {
            c.find(|s| s.name == "accounts.register" && c.descends(s, &request.span_id))
        })
        .await;
    assert_eq!(hex(&database.trace_id), trace_id);

    // A WebSocket connection: its own span, linked to the upgrade request.
    let pair = server.login(&credentials).await;
    let mut socket = server.ws(pair["access_token"].as_str().unwrap()).await;
    send(&mut socket, serde_json::json!({"type": "ping", "id": 1})).await;
    assert_eq!(next(&mut socket).await["type"], "pong");
    socket.close(None).await.unwrap();
    let connection = collected
        .until("websocket span", |c| c.find(|s| s.name == "websocket"))
        .await;
    assert_eq!(
        attribute(&connection, "user_id"),
        user["id"].as_str().map(str::to_owned)
    );
    assert!(attribute(&connection, "conn_id").is_some());
    let upgrade_span = collected
        .until("upgrade request span", |c| c.find(|s| s.name == "GET /ws"))
        .await;
    assert!(
        connection
            .links
            .iter()
            .any(|l| l.span_id == upgrade_span.span_id),
        "the connection links to its upgrade request"
    );

    // An agent's connection: its span carries the agent and its owner.
    let agent = server
        .post_json(
            "/api/v1/agents",
            &serde_json::json!({"name": "traced"}),
            pair["access_token"].as_str(),
        )
        .await;
    let url = format!(
        "ws://127.0.0.1:{}/ws/agent?access_token={}",
        server.port,
        agent["token"].as_str().unwrap()
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    send(&mut socket, serde_json::json!({"type": "ping", "id": 2})).await;
    assert_eq!(next(&mut socket).await["type"], "pong");
    socket.close(None).await.unwrap();
    let connection = collected
        .until("agent_websocket span", |c| {
            c.find(|s| s.name == "agent_websocket")
        })
        .await;
    assert_eq!(
        attribute(&connection, "agent_id"),
        agent["id"].as_str().map(str::to_owned)
    );
    assert_eq!(
        attribute(&connection, "user_id"),
        user["id"].as_str().map(str::to_owned)
    );

    server.terminate();
    assert!(server.exited().await.success());
}
