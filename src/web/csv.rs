//! CSV exports (RFC 4180): fields quoted when they hold a comma, a quote or
//! a line break, lines ended by CRLF, and cells that a spreadsheet would run
//! as a formula defused. Exports are streamed: rows are read in keyset
//! chunks and sent as they are read, so a hundred thousand rows cost one
//! chunk of memory, not one huge string.

use std::borrow::Cow;
use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;

use crate::db::DbError;
use crate::errors::WebError;

/// Rows read per query, and so per chunk sent.
pub const CHUNK: i64 = 500;

/// What an export reads: its rows, oldest cursor first, at most [`CHUNK`]
/// at a time, each written as one record.
pub trait Source: 'static {
    type Row;
    type Cursor: Copy;
    /// The header record's fields.
    const HEADER: &'static [&'static str];
    /// What the log line names when the export stops part-way.
    const WHAT: &'static str;

    /// The chunk after `after` (from the start when `None`).
    fn fetch(
        &self,
        after: Option<Self::Cursor>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, DbError>>;
    fn cursor(row: &Self::Row) -> Self::Cursor;
    /// The row's record, CRLF included (see [`record`]).
    fn line(&self, row: &Self::Row) -> String;
}

/// The export as a download named `filename`. The first chunk is read
/// before answering, so that a database that cannot be reached still gets
/// its 503 page rather than a cut-off file.
pub async fn download<S: Source>(source: S, filename: &str) -> Result<HttpResponse, WebError> {
    let first = source.fetch(None).await?;
    let export = Export {
        source,
        after: None,
        header: true,
        done: false,
        pending: Some(first),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(filename.to_string())],
            },
        ))
        .streaming(futures_util::stream::unfold(export, Export::next_chunk)))
}

struct Export<S: Source> {
    source: S,
    /// The last row sent; the next chunk starts after it.
    after: Option<S::Cursor>,
    header: bool,
    done: bool,
    /// Rows read but not yet sent.
    pending: Option<Vec<S::Row>>,
}

impl<S: Source> Export<S> {
    async fn next_chunk(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        if self.done {
            return None;
        }
        let rows = match self.pending.take() {
            Some(rows) => rows,
            None => match self.source.fetch(self.after).await {
                Ok(rows) => rows,
                Err(e) => {
                    // The status line is long gone: all that is left is to
                    // cut the file short, which the client sees as an error.
                    tracing::error!(error = %e, export = S::WHAT, "export stopped");
                    self.done = true;
                    return Some((Err(actix_web::error::ErrorServiceUnavailable(e)), self));
                }
            },
        };
        if rows.len() < usize::try_from(CHUNK).unwrap_or(usize::MAX) {
            self.done = true;
        }
        if rows.is_empty() && !self.header {
            return None;
        }
        let mut text = String::new();
        if self.header {
            text.push_str(&record(S::HEADER.iter().copied()));
            self.header = false;
        }
        for row in &rows {
            text.push_str(&self.source.line(row));
        }
        self.after = rows.last().map(S::cursor);
        Some((Ok(Bytes::from(text)), self))
    }
}

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
