//! Email addresses as sign-in names: compared case-insensitively, so stored
//! lower-cased and trimmed.

use validator::ValidateEmail;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Email> {
        let normalized = normalize(raw);
        (normalized.len() <= 254 && normalized.validate_email()).then_some(Email(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact's email as the API's document spells it (`pattern`), so the
/// schema and the server agree on every string: a plain address — up to 64
/// of RFC 5322's atom characters or dots, `@`, then DNS labels of ASCII
/// letters, digits and inner hyphens — or nothing, with white space around.
pub const CONTACT_EMAIL_PATTERN: &str = concat!(
    r"^[\t\n\x0B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*",
    r"(?:[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@",
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)?",
    r"[\t\n\x0B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
);

/// Whether `raw`, trimmed, is empty or a plain address as
/// [`CONTACT_EMAIL_PATTERN`] reads it.
pub fn is_contact_email(raw: &str) -> bool {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return true;
    }
    let Some((local, domain)) = trimmed.split_once('@') else {
        return false;
    };
    let atom = |c: char| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c);
    let label = |l: &str| {
        let b = l.as_bytes();
        (1..=63).contains(&b.len())
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    (1..=64).contains(&local.chars().count())
        && local.chars().all(atom)
        && domain.split('.').all(label)
}

/// The form in which emails are stored and looked up.
pub fn normalize(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn contact_emails_are_plain_addresses_or_nothing() {
        for good in ["", "  ", "a@b", "Ada.L+x@mail-1.example.com", " a@b.co "] {
            assert!(is_contact_email(good), "{good:?}");
        }
        for bad in [
            "ada",
            "a@",
            "@b.co",
            "a@b@c",
            "a b@c.co",
            "a@-b.co",
            "a@b-.co",
            "a@b..co",
            "a@é.fr",
            "\"a\"@b.co",
        ] {
            assert!(!is_contact_email(bad), "{bad:?}");
        }
        let long_local = format!("{}@b.co", "a".repeat(65));
        assert!(!is_contact_email(&long_local));
    }

    #[test]
    fn invalid_emails_are_refused() {
        for bad in ["", "ada", "ada@", "@example.com", "a b@example.com"] {
            assert!(Email::parse(bad).is_none(), "{bad}");
        }
    }
}
