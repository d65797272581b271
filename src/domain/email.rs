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
    fn invalid_emails_are_refused() {
        for bad in ["", "ada", "ada@", "@example.com", "a b@example.com"] {
            assert!(Email::parse(bad).is_none(), "{bad}");
        }
    }
}
