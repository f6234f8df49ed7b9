//! What goes into a cell of an export. A spreadsheet runs a cell that starts with `=`, `+`,
//! `-` or `@` as a formula (and tab or carriage return can hide one), so any such text is
//! written with a leading apostrophe: shown as typed, never run (OWASP, CSV injection). Every
//! export, CSV or XLSX, writes its text through `neutralise`.

use std::borrow::Cow;

pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// A CSV line of neutralised cells, as bytes.
pub fn csv_line<'a>(cells: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(cells.into_iter().map(|c| neutralise(c).into_owned()));
    w.into_inner().unwrap_or_default()
}

/// Spreadsheet programs read a CSV as UTF-8 only when it starts with a byte-order mark.
pub const BOM: &str = "\u{FEFF}";

#[cfg(test)]
mod tests {
    use crate::exports::cells::{csv_line, neutralise};

    #[test]
    fn formulas_are_shown_not_run() {
        for risky in ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\r=1"] {
            assert!(neutralise(risky).starts_with('\''), "{risky:?}");
        }
        for plain in ["路灯坏了", "1+1", "a=b", ""] {
            assert_eq!(neutralise(plain), plain);
        }
        assert_eq!(
            String::from_utf8(csv_line(["=HYPERLINK(\"x\")", "好"])).unwrap(),
            "\"'=HYPERLINK(\"\"x\"\")\",好\n"
        );
    }
}
