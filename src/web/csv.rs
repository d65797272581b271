//! CSV exports (RFC 4180): fields quoted when they hold a comma, a quote or
//! a line break, lines ended by CRLF, and cells that a spreadsheet would run
//! as a formula defused.

use std::borrow::Cow;

/// One record, CRLF included.
pub fn record<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = String::new();
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&quoted(&defused(field)));
    }
    line.push_str("\r\n");
    line
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a
/// tab or carriage return before one) gets a leading `'`, which makes it
/// text: names and labels come from people, and an export is opened by
/// someone else.
fn defused(field: &str) -> Cow<'_, str> {
    match field.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{field}")),
        _ => Cow::Borrowed(field),
    }
}

fn quoted(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_are_left_alone_and_lines_end_in_crlf() {
        assert_eq!(record(["a", "b c", ""]), "a,b c,\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            record(["Zapier, \"sync\"", "two\nlines", "cr\r"]),
            "\"Zapier, \"\"sync\"\"\",\"two\nlines\",\"cr\r\"\r\n"
        );
    }

    #[test]
    fn formulas_become_text() {
        assert_eq!(
            record(["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "a=b"]),
            "\"'=HYPERLINK(\"\"x\"\")\",'+1,'-2,'@SUM(A1),a=b\r\n"
        );
    }
}
