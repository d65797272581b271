//! Per-field error messages for forms that are shown again.

use std::collections::BTreeMap;

use validator::ValidationErrors;

#[derive(Debug, Default)]
pub struct FormErrors(BTreeMap<String, String>);

impl FormErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ValidationErrors> for FormErrors {
    fn from(errors: ValidationErrors) -> Self {
        let mut out = FormErrors::default();
        for (field, errs) in errors.field_errors() {
            if let Some(first) = errs.first() {
                let message = first
                    .message
                    .as_ref()
                    .map_or_else(|| format!("Check this field ({})", first.code), |m| m.to_string());
                out.add(field.as_ref(), message);
            }
        }
        out
    }
}
