//! The `page` of a paged list's query string, read the same way by every
//! list: a page that is not a number, or below 1, is the first (as a link
//! typed by hand would mean); one past any sane range is refused (SPEC §7:
//! 422, in forms too) rather than quietly taken for another.

/// Pages beyond this are not a number anyone pages to.
pub const MAX_PAGE: i64 = 1_000_000;

/// Why a page was refused, for the page's error.
pub const PAGE_ERROR: &str = "Enter a page from 1 to 1000000.";

/// The page `raw` asks for, or `None` when it is past any sane range or
/// holds a NUL.
pub fn page_number(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.contains('\0') {
        return None;
    }
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse::<i64>()
            .ok()
            .filter(|p| *p <= MAX_PAGE)
            .map(|p| p.max(1));
    }
    Some(raw.parse::<i64>().map_or(1, |p| p.clamp(1, MAX_PAGE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_leniently_below_and_refused_past_any_sane_range() {
        for (raw, page) in [
            ("3", 3),
            ("", 1),
            ("0", 1),
            ("-4", 1),
            ("abc", 1),
            (" 2 ", 2),
        ] {
            assert_eq!(page_number(raw), Some(page), "{raw:?}");
        }
        for raw in ["1000001", "99999999999999999999", "1\0"] {
            assert_eq!(page_number(raw), None, "{raw:?}");
        }
        assert_eq!(page_number("1000000"), Some(MAX_PAGE));
    }
}
