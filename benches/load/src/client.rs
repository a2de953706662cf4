//! Opening many WebSocket connections cheaply.

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// One client connection.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects to `url` with `Authorization: Bearer token`. The read buffer
/// is 4 KiB: tungstenite zero-fills its whole read buffer before every
/// read, which at the default 128 KiB dominates a load tool's CPU.
pub async fn connect(url: &str, token: &str) -> Result<Socket, Error> {
    let mut request = url.into_client_request()?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| Error::HttpFormat(e.into()))?;
    request.headers_mut().insert("authorization", bearer);
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    Ok(socket)
}

/// Opens `tokens.len()` connections to `url`, `concurrency` handshakes at
/// a time, each sending `first` (if any) and waiting for a text frame that
/// contains `until`.
pub async fn connect_all(
    url: &str,
    tokens: &[String],
    concurrency: usize,
    first: Option<&str>,
    until: Option<&str>,
) -> Result<Vec<Socket>, Error> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(tokens.len());
    for token in tokens {
        let gate = Arc::clone(&gate);
        let (url, token) = (url.to_owned(), token.clone());
        let (first, until) = (first.map(str::to_owned), until.map(str::to_owned));
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let mut socket = connect(&url, &token).await?;
            if let Some(first) = first {
                socket.send(Message::text(first)).await?;
            }
            if let Some(until) = until {
                wait_for(&mut socket, &until).await?;
            }
            Ok::<_, Error>(socket)
        }));
    }
    let mut sockets = Vec::with_capacity(tasks.len());
    for task in tasks {
        let socket = task
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
        sockets.push(socket);
    }
    Ok(sockets)
}

/// Reads until a text frame containing `needle`.
pub async fn wait_for(socket: &mut Socket, needle: &str) -> Result<(), Error> {
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message?
            && text.contains(needle)
        {
            return Ok(());
        }
    }
    Err(Error::ConnectionClosed)
}
