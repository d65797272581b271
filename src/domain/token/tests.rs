//! The token format's properties: known answers, round trips, and every
//! single-character change refused.

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
