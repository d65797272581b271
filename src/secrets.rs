//! Sealing what the server must read back but never store in plaintext, such
//! as webhook signing secrets: XChaCha20-Poly1305 under `SECRETS_KEY`, with a
//! random nonce per seal and the owning row's id as associated data, so a
//! sealed value copied to another row does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngExt as _;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const NONCE_LEN: usize = 24;

/// Seals and opens secrets with the server's key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed secret could not be opened (wrong SECRETS_KEY, or damaged)")]
pub struct OpenError;

impl SecretBox {
    /// From `SECRETS_KEY` (32 bytes).
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// When `SECRETS_KEY` is unset (SPEC §2): a key derived from the session
    /// key, under a label of its own so the two keys never coincide.
    pub fn derived_from(session_key: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"private-integrations secrets key v1\0");
        hash.update(session_key);
        let key: [u8; 32] = hash.finalize().into();
        SecretBox::new(&key)
    }

    /// Nonce followed by ciphertext, bound to `owner`.
    pub fn seal(&self, owner: Uuid, plaintext: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::rng().random();
        let sealed = self.cipher.encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: owner.as_bytes(),
            },
        );
        match sealed {
            Ok(ciphertext) => {
                let mut out = nonce.to_vec();
                out.extend_from_slice(&ciphertext);
                out
            }
            // Encryption fails only for messages of gigabytes.
            Err(_) => Vec::new(),
        }
    }

    pub fn open(&self, owner: Uuid, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_owner_and_key() {
        let b = SecretBox::new(&[7; 32]);
        let owner = Uuid::new_v4();
        let sealed = b.seal(owner, b"whsec_abc");
        assert!(!sealed.windows(9).any(|w| w == b"whsec_abc"));
        assert_eq!(b.open(owner, &sealed).unwrap(), b"whsec_abc");
        assert!(b.open(Uuid::new_v4(), &sealed).is_err());
        assert!(SecretBox::new(&[8; 32]).open(owner, &sealed).is_err());
        assert!(b.open(owner, &sealed[..10]).is_err());
        // A fresh nonce each time.
        assert_ne!(b.seal(owner, b"x"), b.seal(owner, b"x"));
    }

    #[test]
    fn the_derived_key_is_not_the_session_key() {
        let session = [1u8; 64];
        let derived = SecretBox::derived_from(&session);
        let owner = Uuid::new_v4();
        let sealed = derived.seal(owner, b"s");
        let mut first: [u8; 32] = [0; 32];
        first.copy_from_slice(&session[..32]);
        assert!(SecretBox::new(&first).open(owner, &sealed).is_err());
        assert_eq!(derived.open(owner, &sealed).unwrap(), b"s");
    }
}
