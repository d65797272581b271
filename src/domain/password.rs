//! A password as someone typed it: a type of its own, so that it cannot end
//! up in a log line or an error message by way of `Debug`.

use std::fmt;

use serde::Deserialize;
use subtle::ConstantTimeEq;

/// A password someone typed (a form field, the command line's standard
/// input). `Debug` prints nothing of it, so a form holding one can be logged
/// whole; the text is reached only through [`Password::expose`], at the
/// places that hash or check it.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(text: String) -> Self {
        Self(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in characters, as the forms state their limits.
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// For "the two passwords match": no early exit that would time the match.
impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Password {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_nothing_of_the_password() {
        let password = Password::new("correct horse battery staple".into());
        let shown = format!("{password:?} {:?}", Some(&password));
        assert!(!shown.contains("horse"), "{shown}");
        assert_eq!(password.expose(), "correct horse battery staple");
    }

    #[test]
    fn a_form_field_reads_into_a_password() {
        let parsed: Password = serde_json::from_str(r#""hunter2 hunter2""#).unwrap();
        assert_eq!(parsed, Password::new("hunter2 hunter2".into()));
        assert_ne!(parsed, Password::new("hunter2 hunter3".into()));
    }
}
