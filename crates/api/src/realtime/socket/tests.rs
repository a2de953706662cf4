//! The socket's reading rules, over a loopback connection.

use super::*;
use tokio::net::TcpListener;

const MAX: usize = 16;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const FIN: u8 = 0x80;

/// A client frame (payload under 126 bytes), masked unless `unmasked`.
fn frame(first: u8, payload: &[u8], unmasked: bool) -> Vec<u8> {
    let mask = [7, 1, 9, 3];
    let len = u8::try_from(payload.len()).expect("a short payload");
    let mut bytes = vec![first];
    if unmasked {
        bytes.push(len);
        bytes.extend_from_slice(payload);
    } else {
        bytes.push(0x80 | len);
        bytes.extend_from_slice(&mask);
        bytes.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    }
    bytes
}

/// The server's reading half of a loopback connection, given `before`
/// (bytes read with the handshake), and the client's socket.
async fn connected(before: &[u8]) -> (Incoming, Writer, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback socket works");
    let client = TcpStream::connect(listener.local_addr().expect("a loopback socket works"))
        .await
        .expect("a loopback socket works");
    let (io, _) = listener.accept().await.expect("a loopback socket works");
    let (incoming, writer) = split(
        Upgraded {
            io,
            read: BytesMut::from(before),
        },
        MAX,
    );
    (incoming, writer, client)
}

async fn received(frames: &[Vec<u8>]) -> Vec<Result<Message, ReadError>> {
    let (mut incoming, _writer, mut client) = connected(&frames[0]).await;
    for frame in &frames[1..] {
        client
            .write_all(frame)
            .await
            .expect("a loopback socket works");
    }
    client.shutdown().await.expect("a loopback socket works");
    let mut messages = Vec::new();
    while let Some(message) = incoming.recv().await {
        let failed = message.is_err();
        messages.push(message);
        if failed {
            break;
        }
    }
    messages
}

#[tokio::test]
async fn bytes_read_with_the_handshake_and_continued_frames_make_whole_messages() {
    let messages = received(&[
        frame(FIN | TEXT, b"first", false),
        frame(TEXT, b"con", false),
        frame(FIN | 0x9, b"ping", false),
        frame(CONTINUATION, b"tin", false),
        frame(FIN | CONTINUATION, b"ued", false),
        frame(FIN | BINARY, &[0xff], false),
    ])
    .await;
    let texts: Vec<String> = messages
        .iter()
        .map(|m| match m {
            Ok(Message::Text(text)) => format!("text {text}"),
            Ok(Message::Ping(bytes)) => format!("ping {}", bytes.len()),
            Ok(Message::Binary(bytes)) => format!("binary {bytes:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "text first",
            "ping 4",
            "text continued",
            "binary b\"\\xff\""
        ]
    );
}

#[tokio::test]
async fn a_frame_or_a_continued_message_over_the_limit_is_too_large() {
    let one = received(&[frame(FIN | TEXT, &[b'a'; MAX + 1], false)]).await;
    assert!(matches!(one[..], [Err(ReadError::TooLarge)]), "{one:?}");
    let continued = received(&[
        frame(TEXT, &[b'a'; MAX], false),
        frame(FIN | CONTINUATION, b"b", false),
    ])
    .await;
    assert!(
        matches!(continued[..], [Err(ReadError::TooLarge)]),
        "{continued:?}"
    );
}

#[tokio::test]
async fn a_frame_refused_on_its_header_is_dropped_as_it_arrives() {
    let (mut incoming, _writer, mut client) = connected(&[]).await;
    let too_large = frame(FIN | TEXT, &[b'a'; 100], false);
    client
        .write_all(&too_large[..20])
        .await
        .expect("a loopback socket works");
    let refused = incoming.recv().await;
    assert!(
        matches!(refused, Some(Err(ReadError::TooLarge))),
        "{refused:?}"
    );
    client
        .write_all(&too_large[20..])
        .await
        .expect("a loopback socket works");
    client
        .write_all(&frame(FIN | 0x8, &[0x03, 0xe8], false))
        .await
        .expect("a loopback socket works");
    let close = incoming.recv().await;
    assert!(matches!(close, Some(Ok(Message::Close(_)))), "{close:?}");
}

#[tokio::test]
async fn malformed_frames_are_refused() {
    let not_utf8 = received(&[frame(FIN | TEXT, &[0xc3, 0x28], false)]).await;
    assert!(
        matches!(not_utf8[..], [Err(ReadError::NotUtf8)]),
        "{not_utf8:?}"
    );
    let unmasked = received(&[frame(FIN | TEXT, b"hi", true)]).await;
    assert!(
        matches!(unmasked[..], [Err(ReadError::Header(_))]),
        "{unmasked:?}"
    );
    let stray = received(&[frame(FIN | CONTINUATION, b"x", false)]).await;
    assert!(
        matches!(stray[..], [Err(ReadError::Protocol(_))]),
        "{stray:?}"
    );
    let restarted = received(&[frame(TEXT, b"a", false), frame(TEXT, b"b", false)]).await;
    assert!(
        matches!(restarted[..], [Err(ReadError::Protocol(_))]),
        "{restarted:?}"
    );
}

#[tokio::test]
async fn the_body_is_written_and_the_socket_ended_once_the_session_is_done() {
    let (incoming, writer, mut client) = connected(&[]).await;
    let (outgoing, body) = super::super::outgoing::channel(None);
    let session = async move {
        outgoing.close(Some(CloseReason {
            code: CloseCode::Away,
            description: None,
        }));
        incoming
    };
    let client = async move {
        let mut close = [0; 4];
        client
            .read_exact(&mut close)
            .await
            .expect("a loopback socket works");
        // A frame the client sent before it saw the close is read and
        // dropped; its answering close ends the connection.
        client
            .write_all(&frame(FIN | TEXT, b"late", false))
            .await
            .expect("a loopback socket works");
        client
            .write_all(&frame(FIN | 0x8, &close[2..], false))
            .await
            .expect("a loopback socket works");
        let mut rest = Vec::new();
        client
            .read_to_end(&mut rest)
            .await
            .expect("a loopback socket works");
        (close, rest)
    };
    let ((), (close, rest)) = tokio::join!(run(session, body, writer), client);
    assert_eq!(close, [0x88, 2, 0x03, 0xe9]);
    assert!(rest.is_empty(), "{rest:?}");
}

#[tokio::test]
async fn a_burst_of_frames_is_read_a_frame_at_most_at_a_time() {
    let burst: Vec<u8> = (0..100)
        .flat_map(|_| frame(FIN | BINARY, b"x", false))
        .collect();
    let (mut incoming, _writer, mut client) = connected(&[]).await;
    client
        .write_all(&burst)
        .await
        .expect("a loopback socket works");
    for _ in 0..100 {
        assert!(matches!(
            incoming.recv().await,
            Some(Ok(Message::Binary(_)))
        ));
        assert!(
            incoming.buf.len() <= MAX + header::MAX_SIZE,
            "{}",
            incoming.buf.len()
        );
    }
}
