//! A server-sent-events client for the black-box tests: reads the stream
//! incrementally, chunk by chunk, as an `EventSource` does.

use crate::helpers::TestApp;
use crate::ws::WAIT;
use reqwest::{Response, StatusCode};
use serde_json::Value;

/// One event of a stream.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

/// An open stream.
pub struct Sse {
    response: Response,
    buf: String,
    /// Comment lines seen so far (keep-alives).
    pub comments: usize,
    /// The `id` of the last event that had one (what `Last-Event-ID` sends).
    pub last_id: Option<String>,
}

impl TestApp {
    /// `GET /api/v1/stream?{query}` with a bearer token and, when given,
    /// `Last-Event-ID`; the raw response.
    pub async fn stream_response(
        &self,
        query: &str,
        token: Option<&str>,
        last_event_id: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .get(self.url(&format!("/api/v1/stream?{query}")))
            .header("accept", "text/event-stream");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        request.send().await.unwrap()
    }

    /// Opens a stream of `query`, asserting a 200 `text/event-stream`.
    pub async fn stream(&self, query: &str, token: &str, last_event_id: Option<&str>) -> Sse {
        let response = self
            .stream_response(query, Some(token), last_event_id)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Sse::new(response)
    }
}

impl Sse {
    pub fn new(response: Response) -> Self {
        Self {
            response,
            buf: String::new(),
            comments: 0,
            last_id: None,
        }
    }

    /// The next event; `None` when the server ended the stream.
    pub async fn try_next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(event) = self.next_block().await? {
                return Some(event);
            }
        }
    }

    /// Waits for the next keep-alive comment; panics on an event.
    pub async fn keep_alive(&mut self) {
        let comments = self.comments;
        while self.comments == comments {
            let block = self.next_block().await.expect("the stream goes on");
            assert!(block.is_none(), "no event expected: {block:?}");
        }
    }

    /// The next block: `Some(event)`, or `None` for one without an event
    /// (a comment); `None` outside when the server ended the stream.
    async fn next_block(&mut self) -> Option<Option<SseEvent>> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, None, None);
                for line in block.lines().filter(|line| !line.is_empty()) {
                    match line.split_once(": ") {
                        _ if line.starts_with(':') => self.comments += 1,
                        Some(("id", value)) => id = Some(value.to_owned()),
                        Some(("event", value)) => event = Some(value.to_owned()),
                        Some(("data", value)) => data = Some(serde_json::from_str(value).unwrap()),
                        _ => panic!("unexpected line {line:?}"),
                    }
                }
                if id.is_some() {
                    self.last_id.clone_from(&id);
                }
                return Some(match (event, data) {
                    (Some(event), Some(data)) => Some(SseEvent { id, event, data }),
                    _ => None,
                });
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("a chunk in time")
                .unwrap()?;
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event.
    pub async fn next(&mut self) -> SseEvent {
        self.try_next().await.expect("the stream goes on")
    }

    /// Events until one named `name`; returns it.
    pub async fn next_of(&mut self, name: &str) -> SseEvent {
        loop {
            let event = self.next().await;
            if event.event == name {
                return event;
            }
        }
    }

    /// Events (other than `joined`) up to the `joined` of `room`.
    pub async fn until_joined(&mut self, room: &str) -> Vec<SseEvent> {
        let mut before = Vec::new();
        loop {
            let event = self.next().await;
            if event.event == "joined" && event.data["room"] == room {
                return before;
            }
            if event.event != "joined" {
                before.push(event);
            }
        }
    }

    /// Reads until the server ends the stream; returns the events on the way.
    pub async fn ended(&mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.try_next().await {
            events.push(event);
        }
        events
    }
}
