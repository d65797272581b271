//! Access tokens (SPEC §4): `pit_` + 43 base62 characters carrying 256 random
//! bits + 6 base62 characters of CRC32 over those 43.
//!
//! The fixed prefix and the checksum let secret scanners find leaked tokens
//! with few false positives ([`SCANNER_REGEX`]), and let us reject a mistyped
//! or made-up token without touching the database. Only the SHA-256 of a token
//! ([`TokenHash`]) is ever stored; the plaintext ([`PlainToken`]) is shown once.

use std::fmt;

use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};

/// Every token starts with this, so scanners and people can tell what it is.
pub const PREFIX: &str = "pit_";
/// Legacy API v1 account keys share the format under their own prefix, so a
/// key can never be mistaken for an integration token.
pub const LEGACY_PREFIX: &str = "pik_";

/// Length of a whole token in bytes (all ASCII): prefix + body + checksum.
pub const TOKEN_LEN: usize = PREFIX.len() + BODY_LEN + CHECKSUM_LEN;

/// Regular expression matching a token, for secret scanners (documented in
/// the README). A match still needs its checksum verified to be a real token.
pub const SCANNER_REGEX: &str = r"pit_[0-9A-Za-z]{49}";

/// Base62 digits needed for 256 bits: 62^43 > 2^256 > 62^42.
const BODY_LEN: usize = 43;
/// Base62 digits needed for a CRC32: 62^6 > 2^32.
const CHECKSUM_LEN: usize = 6;
/// Digit order: the value of a character is its index here.
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A token's plaintext. It is shown to the user once, at issue; afterwards
/// only its [`TokenHash`] exists. To keep it out of logs, `Debug` prints only
/// `PlainToken(pit_…abcd)` (the last four characters) and there is no
/// `Display`: the plaintext is reachable only through [`PlainToken::expose`].
pub struct PlainToken(String);

impl PlainToken {
    /// Draws a new token from the operating system's random generator.
    ///
    /// # Panics
    ///
    /// Only if the OS random generator fails. That means the system cannot
    /// produce secrets at all; issuing a guessable token instead would be
    /// far worse than failing the request, and there is no way to recover.
    pub fn generate() -> PlainToken {
        Self::generate_with(PREFIX)
    }

    /// A legacy API v1 key (`pik_…`).
    pub fn generate_legacy() -> PlainToken {
        Self::generate_with(LEGACY_PREFIX)
    }

    #[allow(
        clippy::expect_used,
        reason = "without the OS generator no secret can be made at all; rand's own generators panic alike"
    )]
    fn generate_with(prefix: &str) -> PlainToken {
        let mut bytes = [0u8; 32];
        SysRng
            .try_fill_bytes(&mut bytes)
            .expect("the operating system's random generator failed; refusing to issue a token");
        PlainToken(encode_with(prefix, &bytes))
    }

    /// Checks a presented token's shape and checksum, without any I/O, so
    /// garbage is turned away before a database lookup. Anything that is not
    /// exactly [`TOKEN_LEN`] bytes is rejected before looking further (and
    /// without copying it).
    pub fn parse(s: &str) -> Result<PlainToken, TokenFormatError> {
        Self::parse_with(s, PREFIX)
    }

    /// As [`Self::parse`], for a legacy API v1 key.
    pub fn parse_legacy(s: &str) -> Result<PlainToken, TokenFormatError> {
        Self::parse_with(s, LEGACY_PREFIX)
    }

    fn parse_with(s: &str, prefix: &str) -> Result<PlainToken, TokenFormatError> {
        let bytes = s.as_bytes();
        if !bytes.starts_with(prefix.as_bytes()) {
            return Err(TokenFormatError::WrongPrefix);
        }
        if bytes.len() != TOKEN_LEN {
            return Err(TokenFormatError::WrongLength);
        }
        let rest = &bytes[prefix.len()..];
        if !rest.iter().all(u8::is_ascii_alphanumeric) {
            return Err(TokenFormatError::BadCharacter);
        }
        let (body, checksum) = rest.split_at(BODY_LEN);
        if checksum_digits(body) != checksum {
            return Err(TokenFormatError::BadChecksum);
        }
        Ok(PlainToken(s.to_owned()))
    }

    /// The plaintext, for the one time it is revealed to the user.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored and looked up: SHA-256 of the whole 53-character token.
    /// A fast hash is enough because the token carries 256 random bits.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The last four characters, shown in lists as `pit_…abcd` so users can
    /// tell tokens apart without the secret.
    pub fn last_four(&self) -> String {
        // The token is ASCII (checked on parse, built so on generate), so
        // byte slicing is on character boundaries.
        self.0[self.0.len() - 4..].to_owned()
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PlainToken({}…{})",
            &self.0[..PREFIX.len()],
            self.last_four()
        )
    }
}

/// SHA-256 of a token: the only form in which tokens are stored. Knowing it
/// does not let anyone use the token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The raw digest, for storing in a `bytea` column.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Rebuilds a hash read from the database; `None` unless exactly 32 bytes.
    pub fn from_bytes(b: &[u8]) -> Option<TokenHash> {
        <[u8; 32]>::try_from(b).ok().map(TokenHash)
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Why a presented string is not a well-formed token. The messages are for
/// people (e.g. shown in a 401 body); none of them echo the input.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("the token does not start with \"pit_\"")]
    WrongPrefix,
    #[error("the token is not 53 characters long")]
    WrongLength,
    #[error("the token contains characters other than letters and digits")]
    BadCharacter,
    #[error("the token's checksum does not match")]
    BadChecksum,
}

/// Encodes 32 random bytes as a full token string. `pub(crate)` so tests can
/// feed chosen values instead of OS randomness.
#[cfg(test)]
pub(crate) fn encode(bytes: &[u8; 32]) -> String {
    encode_with(PREFIX, bytes)
}

fn encode_with(prefix: &str, bytes: &[u8; 32]) -> String {
    let body = base62_body(bytes);
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(prefix);
    // Both parts come from ALPHABET, so they are ASCII.
    token.extend(body.iter().map(|&b| char::from(b)));
    token.extend(checksum_digits(&body).iter().map(|&b| char::from(b)));
    token
}

/// The 32 bytes read as a big-endian unsigned integer, written in base62 with
/// exactly 43 digits, most significant first, left-padded with '0'.
fn base62_body(bytes: &[u8; 32]) -> [u8; BODY_LEN] {
    let mut number = *bytes;
    let mut digits = [ALPHABET[0]; BODY_LEN];
    // Long division by 62, once per digit, least significant digit first.
    for digit in digits.iter_mut().rev() {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8; // acc < 62 * 256, so the quotient fits a byte
            remainder = acc % 62;
        }
        *digit = ALPHABET[remainder as usize];
    }
    digits
}

/// CRC32 of the body's ASCII characters, as 6 base62 digits left-padded with '0'.
fn checksum_digits(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut crc = crc32fast::hash(body);
    let mut digits = [ALPHABET[0]; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = ALPHABET[(crc % 62) as usize];
        crc /= 62;
    }
    digits
}

#[cfg(test)]
mod tests;
