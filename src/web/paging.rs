//! The `page` of a paged list's query string, read the same way by every
//! list: empty is the first; anything but a whole number from 1 to
//! [`MAX_PAGE`] is refused (SPEC §7: a page past any sane range is an
//! invalid value, 422 in forms too) rather than quietly taken for another.

use actix_web::http::StatusCode;

/// Pages beyond this are not a number anyone pages to.
pub const MAX_PAGE: i64 = 1_000_000;

/// Why a page was refused, for the page's error.
pub const PAGE_ERROR: &str = "Enter a page from 1 to 1000000.";

/// The page `raw` asks for, or `None` when it is no page at all.
pub fn page_number(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(1);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|p| (1..=MAX_PAGE).contains(p))
}

/// The page a list's query string asks for (its last `page`, as a form's
/// repeated field reads): the first page, with [`PAGE_ERROR`], when it is
/// no page at all.
pub struct PageAsked {
    pub page: i64,
    pub error: Option<&'static str>,
}

impl PageAsked {
    pub fn of(query: &str) -> PageAsked {
        let raw = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key == "page")
            .last()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        match page_number(&raw) {
            Some(page) => PageAsked { page, error: None },
            None => PageAsked {
                page: 1,
                error: Some(PAGE_ERROR),
            },
        }
    }

    /// The list's status: 422 when the page asked for was refused.
    pub fn status(&self) -> StatusCode {
        read_status(self.error.is_none())
    }
}

/// The status of a page shown for what was asked: 200, or 422 when
/// something in it could not be read.
pub fn read_status(read: bool) -> StatusCode {
    if read {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_from_1_to_a_million_are_read_and_anything_else_refused() {
        for (raw, page) in [("3", 3), ("", 1), (" 2 ", 2), ("1000000", MAX_PAGE)] {
            assert_eq!(page_number(raw), Some(page), "{raw:?}");
        }
        for raw in [
            "0",
            "-4",
            "abc",
            "1.5",
            "1000001",
            "99999999999999999999",
            "1\0",
        ] {
            assert_eq!(page_number(raw), None, "{raw:?}");
        }
    }
}
