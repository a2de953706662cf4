//! Properties of the frame reader against a model of RFC 6455's rules for
//! a server: over a loopback socket, any sequence of frames, delivered in
//! any chunks, reads as the model says — the same messages, then the end
//! or a refusal of the kind the model allows — and no byte stream makes
//! it panic or buffer more than a frame's limit.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;
use tokio::net::TcpListener;

/// The reader's limit here: small, so frames over it are cheap, and over
/// 125 so control frames too long for RFC 6455 fit under it.
const MAX: usize = 300;
/// The longest frame header: 2 bytes, an 8-byte length, the mask.
const MAX_HEADER: usize = 14;

/// A client frame as written, honest or not.
#[derive(Debug, Clone)]
struct Raw {
    fin: bool,
    rsv: u8,
    opcode: u8,
    masked: bool,
    mask: [u8; 4],
    payload: Vec<u8>,
    /// A length declared in place of the payload's (which is then not sent).
    declared: Option<u64>,
}

impl Raw {
    fn length(&self) -> u64 {
        self.declared.unwrap_or(self.payload.len() as u64)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.fin) << 7 | self.rsv << 4 | self.opcode);
        let mask_bit = if self.masked { 0x80 } else { 0 };
        match self.length() {
            short @ 0..126 => out.push(mask_bit | short as u8),
            medium @ 126..65_536 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(medium as u16).to_be_bytes());
            }
            long => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&long.to_be_bytes());
            }
        }
        if self.declared.is_some() {
            return;
        }
        if self.masked {
            out.extend_from_slice(&self.mask);
            let masked = self.payload.iter().zip(self.mask.iter().cycle());
            out.extend(masked.map(|(byte, mask)| byte ^ mask));
        } else {
            out.extend_from_slice(&self.payload);
        }
    }
}

/// The kinds of refusal, as [`ReadError`] has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Header,
    TooLarge,
    Protocol,
    NotUtf8,
}

/// What reading yields, as the model and the reader are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The client's close (well-formed or refused: the model doesn't
    /// check close codes), after which reading stops.
    Close,
    /// A refusal of one of these kinds, after which reading stops.
    Refused(Vec<Refusal>),
}

/// What RFC 6455 makes of `frames` with messages of at most `MAX` bytes.
fn model(frames: &[Raw]) -> Vec<Read> {
    let mut reads = Vec::new();
    let mut continued: Option<(bool, Vec<u8>)> = None;
    for frame in frames {
        let control = frame.opcode & 0x08 != 0;
        let so_far = match (&continued, frame.opcode) {
            (Some((_, bytes)), 0) => bytes.len(),
            _ => 0,
        };
        let mut refusals = Vec::new();
        if frame.rsv != 0 || !frame.masked || (control && !frame.fin) {
            refusals.push(Refusal::Header);
        }
        // A reserved opcode may be refused on the header, before its length.
        if !matches!(frame.opcode, 0x0..=0x2 | 0x8..=0xa) {
            refusals.push(Refusal::Protocol);
        }
        if frame.length() > (MAX - so_far) as u64 {
            refusals.push(Refusal::TooLarge);
        }
        let read = if !refusals.is_empty() {
            Some(Read::Refused(refusals))
        } else {
            step(frame, &mut continued)
        };
        if let Some(read) = read {
            let last = matches!(read, Read::Close | Read::Refused(_));
            reads.push(read);
            if last {
                break;
            }
        }
    }
    reads
}

/// What a frame whose header passed makes, given the message `continued`.
fn step(frame: &Raw, continued: &mut Option<(bool, Vec<u8>)>) -> Option<Read> {
    let payload = frame.payload.clone();
    let refused = |kind| Some(Read::Refused(vec![kind]));
    match frame.opcode {
        0x8..=0xa if payload.len() > 125 => refused(Refusal::Protocol),
        0x8 => Some(Read::Close),
        0x9 => Some(Read::Ping(payload)),
        0xa => Some(Read::Pong(payload)),
        0x1 | 0x2 if continued.is_some() => refused(Refusal::Protocol),
        0x1 | 0x2 if !frame.fin => {
            *continued = Some((frame.opcode == 0x1, payload));
            None
        }
        0x1 | 0x2 => Some(message(frame.opcode == 0x1, payload)),
        0x0 => match continued.as_mut() {
            None => refused(Refusal::Protocol),
            Some((_, bytes)) => {
                bytes.extend_from_slice(&payload);
                let (is_text, bytes) = continued.take_if(|_| frame.fin)?;
                Some(message(is_text, bytes))
            }
        },
        _ => refused(Refusal::Protocol),
    }
}

fn message(is_text: bool, bytes: Vec<u8>) -> Read {
    match (is_text, String::from_utf8(bytes)) {
        (true, Ok(text)) => Read::Text(text),
        (true, Err(_)) => Read::Refused(vec![Refusal::NotUtf8]),
        (false, Ok(text)) => Read::Binary(text.into_bytes()),
        (false, Err(error)) => Read::Binary(error.into_bytes()),
    }
}

/// What the reader yields for the client's `stream`, of which `before`
/// bytes came with the handshake and the rest in `chunks`; each time it
/// yields, its buffer holds at most a frame's limit.
async fn read(stream: Vec<u8>, before: usize, chunks: Vec<usize>) -> Vec<Read> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("loopback");
    let address = listener.local_addr().expect("loopback");
    let mut client = TcpStream::connect(address).await.expect("loopback");
    let (io, _) = listener.accept().await.expect("loopback");
    let before = before.min(stream.len());
    let read = BytesMut::from(&stream[..before]);
    let (mut incoming, _writer) = split(Upgraded { io, read }, MAX);
    let writing = tokio::spawn(async move {
        let mut rest = &stream[before..];
        for size in chunks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            if client.write_all(chunk).await.is_err() {
                return;
            }
            rest = tail;
        }
        let _ = client.shutdown().await;
        // Held open until the reader is done: a reset would lose bytes.
        let _ = client.read(&mut [0; 1]).await;
    });
    let mut reads = Vec::new();
    while let Some(next) = incoming.recv().await {
        assert!(
            incoming.buf.len() <= MAX + MAX_HEADER,
            "{} bytes buffered",
            incoming.buf.len()
        );
        let read = match next {
            Ok(Message::Text(text)) => Read::Text(text.to_string()),
            Ok(Message::Binary(bytes)) => Read::Binary(bytes.to_vec()),
            Ok(Message::Ping(bytes)) => Read::Ping(bytes.to_vec()),
            Ok(Message::Pong(bytes)) => Read::Pong(bytes.to_vec()),
            Ok(Message::Close(_)) => Read::Close,
            Err(error) => Read::Refused(vec![refusal(&error)]),
        };
        let last = matches!(read, Read::Close | Read::Refused(_));
        reads.push(read);
        if last {
            break;
        }
    }
    drop(incoming);
    writing.abort();
    reads
}

fn refusal(error: &ReadError) -> Refusal {
    match error {
        ReadError::Header(_) => Refusal::Header,
        ReadError::TooLarge => Refusal::TooLarge,
        ReadError::NotUtf8 => Refusal::NotUtf8,
        ReadError::Protocol(_) | ReadError::Io(_) => Refusal::Protocol,
    }
}

/// Frames mostly as a client sends them, some breaking each rule.
fn frame() -> impl Strategy<Value = Raw> {
    let opcode = prop_oneof![
        8 => prop::sample::select(vec![0x0, 0x1, 0x2, 0x8, 0x9, 0xa]),
        1 => 0..16u8,
    ];
    let payload = prop_oneof![
        4 => vec(any::<u8>(), 0..8),
        4 => ".{0,12}".prop_map(String::into_bytes),
        1 => vec(any::<u8>(), 100..MAX + 40),
    ];
    let declared = prop_oneof![20 => Just(None), 1 => (0..u64::MAX >> 1).prop_map(Some)];
    (
        prop::bool::weighted(0.8),
        prop_oneof![15 => Just(0u8), 1 => 1..8u8],
        opcode,
        prop::bool::weighted(0.97),
        any::<[u8; 4]>(),
        payload,
        declared,
    )
        .prop_map(|(fin, rsv, opcode, masked, mask, payload, declared)| Raw {
            fin,
            rsv,
            opcode,
            masked,
            mask,
            payload,
            declared,
        })
}

fn run<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// Whether `actual` is what `expected` allows: the same messages and a
/// refusal of an allowed kind (or a refused close for a close).
fn allowed(actual: &[Read], expected: &[Read]) -> bool {
    actual.len() == expected.len()
        && actual.iter().zip(expected).all(|(a, e)| match (a, e) {
            (Read::Refused(got), Read::Refused(kinds)) => kinds.contains(&got[0]),
            (Read::Refused(got), Read::Close) => got[0] == Refusal::Protocol,
            _ => a == e,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn frames_read_as_rfc_6455_says(
        frames in vec(frame(), 1..12),
        before in 0..40usize,
        chunks in vec(1..400usize, 1..8),
    ) {
        let mut stream = Vec::new();
        for frame in &frames {
            frame.encode(&mut stream);
        }
        let actual = run(read(stream, before, chunks));
        let expected = model(&frames);
        prop_assert!(allowed(&actual, &expected), "read {actual:?}, expected {expected:?}");
    }

    #[test]
    fn any_bytes_end_in_messages_or_a_refusal(
        stream in vec(any::<u8>(), 0..2048),
        chunks in vec(1..400usize, 1..8),
    ) {
        run(read(stream, 0, chunks));
    }
}
