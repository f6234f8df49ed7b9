//! Turning an uploaded file into a header and rows of text.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::RowError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Gb18030,
}

impl Charset {
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Self::Utf8),
            // GBK and GB2312 are subsets of GB18030.
            "gb18030" | "gbk" | "gb2312" => Some(Self::Gb18030),
            _ => None,
        }
    }
}

pub struct Table {
    pub header: Vec<String>,
    /// (line number, cells)
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Index of each required column, or one error per missing column.
    pub fn columns(&self, required: &[&str]) -> Result<Vec<usize>, Vec<RowError>> {
        let mut indexes = Vec::new();
        let mut missing = Vec::new();
        for name in required {
            match self
                .header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
            {
                Some(i) => indexes.push(i),
                None => missing.push(RowError {
                    line: 1,
                    column: (*name).to_owned(),
                    reason: "column is missing from the header".into(),
                }),
            }
        }
        if missing.is_empty() {
            Ok(indexes)
        } else {
            Err(missing)
        }
    }
}

fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Decodes CSV text. Without an explicit charset: a UTF-8 BOM or valid UTF-8 means UTF-8,
/// anything else is taken as GB18030 (Excel's "CSV" on Chinese Windows).
fn decode(bytes: &[u8], charset: Option<Charset>) -> Result<String, String> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    match charset {
        Some(Charset::Utf8) => std::str::from_utf8(without_bom.unwrap_or(bytes))
            .map(str::to_owned)
            .map_err(|e| format!("the file is not valid UTF-8 (byte {})", e.valid_up_to())),
        Some(Charset::Gb18030) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                Err("the file is not valid GB18030".into())
            } else {
                Ok(text.into_owned())
            }
        }
        None => match without_bom {
            Some(rest) => decode(rest, Some(Charset::Utf8)),
            None => match std::str::from_utf8(bytes) {
                Ok(text) => Ok(text.to_owned()),
                Err(_) => decode(bytes, Some(Charset::Gb18030)),
            },
        },
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        // Phone numbers typed into Excel become numbers; print them without ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

pub fn read(bytes: &[u8], charset: Option<Charset>) -> Result<Table, String> {
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    if is_xlsx(bytes) {
        let mut book: Xlsx<_> =
            Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("unreadable XLSX: {e}"))?;
        let range = book
            .worksheet_range_at(0)
            .ok_or("the workbook has no sheet")?
            .map_err(|e| format!("unreadable XLSX sheet: {e}"))?;
        for (i, row) in range.rows().enumerate() {
            lines.push((i + 1, row.iter().map(cell_text).collect()));
        }
    } else {
        let text = decode(bytes, charset)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        for record in reader.records() {
            let record = record.map_err(|e| format!("unreadable CSV: {e}"))?;
            let line = record
                .position()
                .map(|p| p.line() as usize)
                .unwrap_or(lines.len() + 1);
            lines.push((line, record.iter().map(|c| c.trim().to_owned()).collect()));
        }
    }
    for (line, cells) in &mut lines {
        for (column, cell) in cells.iter_mut().enumerate() {
            // A quoted cell of a CRLF file keeps its line breaks as CRLF.
            if cell.contains('\r') {
                *cell = cell.replace("\r\n", "\n");
            }
            if cell.chars().any(crate::request::is_forbidden_character) {
                return Err(format!(
                    "line {line}, column {}: control characters (other than tab and newline) \
                     are not allowed",
                    column + 1
                ));
            }
        }
    }
    let mut iter = lines
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let (_, header) = iter.next().ok_or("the file is empty")?;
    Ok(Table {
        header,
        rows: iter.collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "name,phone\n张三,13800000000\n";

    #[test]
    fn utf8_with_and_without_bom_and_gbk_read_alike() {
        let plain = read(CSV.as_bytes(), None).unwrap();
        let bom = read(&[b"\xEF\xBB\xBF".as_slice(), CSV.as_bytes()].concat(), None).unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode(CSV);
        let gbk = read(&gbk, None).unwrap();
        for table in [&plain, &bom, &gbk] {
            assert_eq!(table.header, vec!["name", "phone"]);
            assert_eq!(
                table.rows,
                vec![(2, vec!["张三".to_owned(), "13800000000".to_owned()])]
            );
        }
    }

    #[test]
    fn explicit_charset_wins_and_bad_bytes_are_reported() {
        let (gbk, _, _) = encoding_rs::GBK.encode(CSV);
        assert!(read(&gbk, Some(Charset::Utf8)).is_err());
        assert!(read(&gbk, Some(Charset::Gb18030)).is_ok());
    }

    #[test]
    fn control_characters_in_cells_are_refused_with_their_place() {
        let err = read("name,phone\n张\u{0}三,1\n".as_bytes(), None)
            .err()
            .expect("a NUL is refused");
        assert!(err.starts_with("line 2, column 1:"), "{err}");
        let quoted = read("name,note\r\n张三,\"一\r\n二\"\r\n".as_bytes(), None)
            .expect("CRLF inside a quoted cell is a line break");
        assert_eq!(quoted.rows[0].1[1], "一\n二");
    }

    #[test]
    fn missing_columns_are_named() {
        let table = read(CSV.as_bytes(), None).unwrap();
        let missing = table.columns(&["name", "address"]).unwrap_err();
        assert_eq!(missing[0].column, "address");
    }
}
