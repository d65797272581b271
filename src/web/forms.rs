//! Per-field error messages for forms that are shown again.

use std::collections::BTreeMap;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use validator::ValidationErrors;

use crate::errors::WebError;

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

    /// Adds `other`'s messages for fields that have none yet.
    pub fn merge(&mut self, other: FormErrors) {
        for (field, message) in other.0 {
            self.0.entry(field).or_insert(message);
        }
    }
}

/// Refuses U+0000 in a field, before the value reaches a query: PostgreSQL
/// text cannot hold it (the query would fail with a 500), and nobody types it.
/// Call it before the field's other checks: the first message for a field wins.
pub fn refuse_nul(errors: &mut FormErrors, field: &str, value: &str) {
    if value.contains('\0') {
        errors.add(field, "Remove the NUL character (U+0000) from this field.");
    }
}

/// A value as a form shows it again: a NUL becomes the replacement character,
/// as a browser would show it anyway.
pub fn shown_again(value: &str) -> String {
    value.replace('\0', "\u{FFFD}")
}

impl From<ValidationErrors> for FormErrors {
    fn from(errors: ValidationErrors) -> Self {
        let mut out = FormErrors::default();
        for (field, errs) in errors.field_errors() {
            if let Some(first) = errs.first() {
                let message = first.message.as_ref().map_or_else(
                    || format!("Check this field ({})", first.code),
                    |m| m.to_string(),
                );
                out.add(field.as_ref(), message);
            }
        }
        out
    }
}

/// Every panel form: a urlencoded body in which only the fields that are
/// lists in the form's struct (`scopes=a&scopes=b`) may repeat. A repeated
/// single-valued field is refused by `serde_html_form` and answered with the
/// 400 page: taking one of the values would act on something the person may
/// not have meant. Form structs default every field, so a body that parses
/// reaches the handler, which answers bad values with a 422.
pub struct HtmlForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for HtmlForm<T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| WebError::BadForm(e.to_string()))?;
            if !decodes_to_utf8(&body) {
                // Read leniently, the bytes would become U+FFFD and be saved
                // as something the person never typed.
                return Err(WebError::BadForm("the form is not UTF-8".into()));
            }
            serde_html_form::from_bytes::<T>(&body)
                .map(HtmlForm)
                .map_err(|e| WebError::BadForm(e.to_string()))
        })
    }
}

/// Whether every name and value of a urlencoded body is UTF-8 once its
/// percent escapes are decoded.
fn decodes_to_utf8(body: &[u8]) -> bool {
    body.split(|b| *b == b'&' || *b == b'=').all(|part| {
        let mut decoded = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            let byte = match part[i] {
                b'%' => {
                    let hex = part
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(b) => {
                            i += 2;
                            b
                        }
                        // A lone `%` stands for itself.
                        None => b'%',
                    }
                }
                b'+' => b' ',
                b => b,
            };
            decoded.push(byte);
            i += 1;
        }
        std::str::from_utf8(&decoded).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::decodes_to_utf8;

    #[test]
    fn form_bodies_must_decode_to_utf8() {
        for good in [
            &b"name=Acme&scopes=a&scopes=b"[..],
            b"name=%C3%A9t%C3%A9+x",
            "name=été".as_bytes(),
            b"name=100%&x=%zz",
            b"",
        ] {
            assert!(decodes_to_utf8(good), "{:?}", String::from_utf8_lossy(good));
        }
        for bad in [
            &b"name=%FF%FEAcme"[..],
            b"name=\xff\xfeAcme",
            b"%C3=x",
            b"a=%E2%82",
        ] {
            assert!(!decodes_to_utf8(bad), "{bad:?}");
        }
    }
}
