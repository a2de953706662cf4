//! Secrets kept for a while under `SECRET_KEY`: ChaCha20-Poly1305 with a
//! key derived per purpose (HMAC-SHA256 of a label) and a random nonce.

use super::SecretKey;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;

/// Bytes of the nonce that starts every sealed value.
const NONCE_LEN: usize = 12;

impl SecretKey {
    /// Encrypts and authenticates `plaintext` under the key derived for
    /// `label`, bound to `context` (which must be given again to open it).
    /// The result is the nonce followed by the ciphertext.
    pub fn seal(&self, label: &str, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let cipher = self.cipher(label);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), payload)
            .unwrap_or_else(|_| unreachable!("encryption only fails beyond 256 GiB"));
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`SecretKey::seal`] made with the same `label` and
    /// `context`; `None` when it was made under another key or altered.
    pub fn open(&self, label: &str, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = sealed.get(..NONCE_LEN)?.try_into().ok()?;
        let payload = Payload {
            msg: sealed.get(NONCE_LEN..)?,
            aad: context,
        };
        self.cipher(label)
            .decrypt(&Nonce::from(nonce), payload)
            .ok()
    }

    fn cipher(&self, label: &str) -> ChaCha20Poly1305 {
        let key = self.derive(label);
        ChaCha20Poly1305::new(&key.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_key_label_and_context() {
        let key = SecretKey::new(&[3u8; 32]).expect("long enough");
        let other = SecretKey::new(&[4u8; 32]).expect("long enough");
        let sealed = key.seal("purpose", b"ctx", b"the secret");
        assert!(!sealed.windows(10).any(|w| w == b"the secret"));
        assert_eq!(
            key.open("purpose", b"ctx", &sealed),
            Some(b"the secret".to_vec())
        );
        assert_eq!(key.open("other purpose", b"ctx", &sealed), None);
        assert_eq!(key.open("purpose", b"other", &sealed), None);
        assert_eq!(other.open("purpose", b"ctx", &sealed), None);
        assert_ne!(sealed, key.seal("purpose", b"ctx", b"the secret"));
        assert_eq!(key.open("purpose", b"ctx", &sealed[..5]), None);
    }
}
