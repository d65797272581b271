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
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Independently computed with Python:
    /// `int.from_bytes(b, "big")` in base62, then `zlib.crc32` of the body.
    /// Split with `concat!` so secret scanners don't flag test vectors.
    const ALL_ZERO: &str = concat!("pit_", "00000000000000000000000000000000000000000002CZclj");
    const ALL_FF: &str = concat!("pit_", "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp13sRzl1");
    const COUNTING: &str = concat!("pit_", "003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf1Yo7hP");

    fn is_token_shaped(s: &str) -> bool {
        s.len() == TOKEN_LEN
            && s.starts_with(PREFIX)
            && s[PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
    }

    /// Inverse of the base62 body encoding, written independently of it.
    fn decode_body(body: &str) -> [u8; 32] {
        let mut number = [0u8; 32];
        for c in body.bytes() {
            let mut carry = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
            for byte in number.iter_mut().rev() {
                let acc = u32::from(*byte) * 62 + carry;
                *byte = (acc & 0xff) as u8;
                carry = acc >> 8;
            }
            assert_eq!(carry, 0, "body does not fit in 256 bits");
        }
        number
    }

    fn replace_at(s: &str, pos: usize, c: char) -> String {
        s.chars()
            .enumerate()
            .map(|(i, orig)| if i == pos { c } else { orig })
            .collect()
    }

    #[test]
    fn generated_tokens_are_well_formed_and_parse_back() {
        for _ in 0..50 {
            let token = PlainToken::generate();
            assert!(is_token_shaped(token.expose()), "{}", token.expose());
            let parsed = PlainToken::parse(token.expose()).unwrap();
            assert_eq!(parsed.expose(), token.expose());
            assert_eq!(parsed.hash(), token.hash());
        }
    }

    #[test]
    fn generated_tokens_differ() {
        let a = PlainToken::generate();
        let b = PlainToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn legacy_keys_and_tokens_do_not_parse_as_each_other() {
        let key = PlainToken::generate_legacy();
        assert!(key.expose().starts_with("pik_") && key.expose().len() == TOKEN_LEN);
        assert!(PlainToken::parse_legacy(key.expose()).is_ok());
        assert_eq!(
            PlainToken::parse(key.expose()).unwrap_err(),
            TokenFormatError::WrongPrefix
        );
        let token = PlainToken::generate();
        assert_eq!(
            PlainToken::parse_legacy(token.expose()).unwrap_err(),
            TokenFormatError::WrongPrefix
        );
        assert!(format!("{key:?}").starts_with("PlainToken(pik_…"));
    }

    #[test]
    fn token_len_is_53() {
        assert_eq!(TOKEN_LEN, 53);
    }

    #[test]
    fn known_answers_match_an_independent_computation() {
        assert_eq!(encode(&[0u8; 32]), ALL_ZERO);
        assert_eq!(encode(&[0xffu8; 32]), ALL_FF);
        let mut counting = [0u8; 32];
        for (i, b) in counting.iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(encode(&counting), COUNTING);
        for known in [ALL_ZERO, ALL_FF, COUNTING] {
            assert!(PlainToken::parse(known).is_ok(), "{known}");
        }
        assert_eq!(decode_body(&ALL_FF[4..47]), [0xffu8; 32]);
        assert_eq!(decode_body(&COUNTING[4..47]), counting);
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        let token = PlainToken::generate();
        let original = token.expose();
        let replacements: Vec<char> = ALPHABET
            .iter()
            .map(|&b| char::from(b))
            .chain(['_', '-', ' ', '.', 'é', '\0'])
            .collect();
        for pos in 0..TOKEN_LEN {
            for &c in &replacements {
                let changed = replace_at(original, pos, c);
                if changed == original {
                    continue;
                }
                assert!(
                    PlainToken::parse(&changed).is_err(),
                    "accepted {changed} (position {pos})"
                );
            }
        }
    }

    #[test]
    fn body_changes_fail_the_checksum() {
        let changed = replace_at(ALL_ZERO, 10, '1');
        assert_eq!(
            PlainToken::parse(&changed).unwrap_err(),
            TokenFormatError::BadChecksum
        );
        let changed = replace_at(ALL_ZERO, TOKEN_LEN - 1, 'k');
        assert_eq!(
            PlainToken::parse(&changed).unwrap_err(),
            TokenFormatError::BadChecksum
        );
    }

    #[test]
    fn lower_casing_is_rejected() {
        assert!(PlainToken::parse(&ALL_FF.to_lowercase()).is_err());
        assert!(PlainToken::parse(&COUNTING.to_lowercase()).is_err());
        let token = PlainToken::generate();
        let lower = token.expose().to_lowercase();
        if lower != token.expose() {
            assert!(PlainToken::parse(&lower).is_err());
        }
    }

    #[test]
    fn wrong_prefix_length_and_characters_are_rejected() {
        use TokenFormatError::*;
        let body = &ALL_FF[PREFIX.len()..];
        assert_eq!(
            PlainToken::parse(&format!("pat_{body}")).unwrap_err(),
            WrongPrefix
        );
        assert_eq!(
            PlainToken::parse(&format!("PIT_{body}")).unwrap_err(),
            WrongPrefix
        );
        assert_eq!(PlainToken::parse(body).unwrap_err(), WrongPrefix);
        assert_eq!(PlainToken::parse("").unwrap_err(), WrongPrefix);
        assert_eq!(PlainToken::parse("pit_").unwrap_err(), WrongLength);
        assert_eq!(PlainToken::parse(&ALL_FF[..52]).unwrap_err(), WrongLength);
        assert_eq!(
            PlainToken::parse(&format!("{ALL_FF}0")).unwrap_err(),
            WrongLength
        );
        assert_eq!(
            PlainToken::parse(&format!(" {ALL_FF}")).unwrap_err(),
            WrongPrefix
        );
        assert_eq!(
            PlainToken::parse(&format!("{ALL_FF}\n")).unwrap_err(),
            WrongLength
        );
        let huge = format!("pit_{}", "a".repeat(10 * 1024));
        assert_eq!(PlainToken::parse(&huge).unwrap_err(), WrongLength);
        assert_eq!(
            PlainToken::parse(&replace_at(ALL_FF, 20, '+')).unwrap_err(),
            BadCharacter
        );
        assert_eq!(
            PlainToken::parse(&replace_at(ALL_FF, 4, '_')).unwrap_err(),
            BadCharacter
        );
        // A multi-byte character changes the byte length.
        assert_eq!(
            PlainToken::parse(&replace_at(ALL_FF, 20, 'é')).unwrap_err(),
            WrongLength
        );
    }

    #[test]
    fn error_messages_are_human() {
        assert_eq!(
            TokenFormatError::BadChecksum.to_string(),
            "the token's checksum does not match"
        );
    }

    #[test]
    fn debug_does_not_reveal_the_secret() {
        let token = PlainToken::generate();
        let secret = &token.expose()[PREFIX.len()..TOKEN_LEN - 4];
        let debug = format!("{token:?}");
        assert!(!debug.contains(secret));
        assert_eq!(debug, format!("PlainToken(pit_…{})", token.last_four()));
        assert_eq!(token.last_four(), &token.expose()[TOKEN_LEN - 4..]);
        assert_eq!(token.last_four().len(), 4);
    }

    #[test]
    fn hash_is_sha256_of_the_whole_token_and_round_trips() {
        let token = PlainToken::parse(ALL_ZERO).unwrap();
        let hash = token.hash();
        assert_eq!(
            hash.as_bytes(),
            Sha256::digest(ALL_ZERO.as_bytes()).as_slice()
        );
        assert_eq!(TokenHash::from_bytes(hash.as_bytes()), Some(hash.clone()));
        assert_eq!(TokenHash::from_bytes(&[0u8; 31]), None);
        assert_eq!(TokenHash::from_bytes(&[0u8; 33]), None);
        let debug = format!("{hash:?}");
        assert_eq!(debug.len(), "TokenHash()".len() + 64);
    }

    #[test]
    fn scanner_regex_describes_the_format() {
        assert_eq!(
            SCANNER_REGEX,
            format!("{PREFIX}[0-9A-Za-z]{{{}}}", TOKEN_LEN - PREFIX.len())
        );
    }

    proptest! {
        #[test]
        fn any_value_encodes_to_a_parsable_token(bytes in any::<[u8; 32]>()) {
            let token = encode(&bytes);
            prop_assert!(is_token_shaped(&token));
            prop_assert!(PlainToken::parse(&token).is_ok());
            prop_assert_eq!(decode_body(&token[4..47]), bytes);
        }

        #[test]
        fn any_single_change_is_rejected(
            bytes in any::<[u8; 32]>(),
            pos in 0..TOKEN_LEN,
            c in any::<char>(),
        ) {
            let token = encode(&bytes);
            let changed = replace_at(&token, pos, c);
            prop_assume!(changed != token);
            prop_assert!(PlainToken::parse(&changed).is_err());
        }

        #[test]
        fn any_single_alphanumeric_change_is_rejected(
            bytes in any::<[u8; 32]>(),
            pos in 0..TOKEN_LEN,
            c in proptest::sample::select(ALPHABET.to_vec()),
        ) {
            let token = encode(&bytes);
            let changed = replace_at(&token, pos, char::from(c));
            prop_assume!(changed != token);
            prop_assert!(PlainToken::parse(&changed).is_err());
        }
    }
}
