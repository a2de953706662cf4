//! A client frame's header, read before its payload: the size limit and
//! the header's rules are checked on it, so a frame is refused before its
//! payload is buffered (actix-http's codec checks its `max_size` only once
//! the whole payload has arrived).

/// The longest header: two bytes, an 8-byte length and the mask.
pub(super) const MAX_SIZE: usize = 14;

/// The opcode of a frame continuing a message.
pub(super) const CONTINUATION: u8 = 0x0;

/// What the header at the start of a buffer declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// The opcode.
    pub opcode: u8,
    /// The declared payload length, in bytes.
    pub length: u64,
    /// The header's own length, in bytes (mask included).
    pub size: usize,
}

/// A header no client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// RSV1–3 set, with no extension negotiated.
    #[error("reserved bits set")]
    Reserved,
    /// A client frame without a mask.
    #[error("an unmasked client frame")]
    Unmasked,
    /// A ping, pong or close without FIN.
    #[error("a fragmented control frame")]
    FragmentedControl,
}

impl Header {
    /// The header at the start of `bytes` (its 2-, 4- or 10-byte length
    /// form); `Ok(None)` until enough of it has arrived to know the length.
    pub fn read(bytes: &[u8]) -> Result<Option<Self>, HeaderError> {
        let [first, second, rest @ ..] = bytes else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(HeaderError::Reserved);
        }
        if second & 0x80 == 0 {
            return Err(HeaderError::Unmasked);
        }
        let opcode = first & 0x0f;
        if opcode & 0x08 != 0 && first & 0x80 == 0 {
            return Err(HeaderError::FragmentedControl);
        }
        let (length, extended) = match second & 0x7f {
            126 => match rest.first_chunk::<2>() {
                Some(bytes) => (u64::from(u16::from_be_bytes(*bytes)), 2),
                None => return Ok(None),
            },
            127 => match rest.first_chunk::<8>() {
                Some(bytes) => (u64::from_be_bytes(*bytes), 8),
                None => return Ok(None),
            },
            short => (u64::from(short), 0),
        };
        Ok(Some(Self {
            opcode,
            length,
            size: 2 + extended + 4,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_length_forms_once_they_are_complete() {
        assert_eq!(Header::read(&[0x81]), Ok(None));
        assert_eq!(
            Header::read(&[0x81, 0x85]),
            Ok(Some(Header {
                opcode: 1,
                length: 5,
                size: 6
            }))
        );
        assert_eq!(Header::read(&[0x82, 0xfe, 0x01]), Ok(None));
        assert_eq!(
            Header::read(&[0x82, 0xfe, 0x01, 0x00]).map(|h| h.map(|h| h.length)),
            Ok(Some(256))
        );
        let huge = [0x01, 0xff, 0, 0, 1, 0, 0, 0, 0, 0];
        assert_eq!(Header::read(&huge[..9]), Ok(None));
        assert_eq!(
            Header::read(&huge),
            Ok(Some(Header {
                opcode: CONTINUATION + 1,
                length: 1 << 40,
                size: 14
            }))
        );
    }

    #[test]
    fn refuses_what_no_client_may_send() {
        assert_eq!(Header::read(&[0xc1, 0x80]), Err(HeaderError::Reserved));
        assert_eq!(Header::read(&[0x81, 0x05]), Err(HeaderError::Unmasked));
        assert_eq!(
            Header::read(&[0x09, 0x80]),
            Err(HeaderError::FragmentedControl)
        );
    }
}
