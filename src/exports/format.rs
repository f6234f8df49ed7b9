//! CSV or XLSX, header language, and the attachment's file name.

use actix_web::HttpRequest;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::text_enum;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

text_enum!(
    ExportFormat {
        Csv => "csv",
        Xlsx => "xlsx",
    }
);

text_enum!(
    /// The header row's language: Chinese (default) or English.
    HeaderLanguage {
        Zh => "zh",
        En => "en",
    }
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportOptions {
    /// `csv` (UTF-8 with a byte-order mark) or `xlsx`; without it, the `Accept` header
    /// decides (`text/csv` or the XLSX type), and CSV otherwise.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// `zh` (default) or `en` column headings.
    #[param(inline)]
    pub headers: Option<HeaderLanguage>,
}

impl ExportOptions {
    pub fn format(&self, req: &HttpRequest) -> ExportFormat {
        self.format.unwrap_or_else(|| {
            let accept = req
                .headers()
                .get(actix_web::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if accept.contains("spreadsheetml") {
                ExportFormat::Xlsx
            } else {
                ExportFormat::Csv
            }
        })
    }

    pub fn language(&self) -> HeaderLanguage {
        self.headers.unwrap_or(HeaderLanguage::Zh)
    }
}

impl ExportFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => CSV,
            ExportFormat::Xlsx => XLSX,
        }
    }
}

/// `attachment` with an ASCII name and the Chinese one (RFC 6266, RFC 5987), the period in
/// both: `意见建议-2025-03-01至2025-04-30.csv`.
pub fn attachment(
    (chinese, english): (&str, &str),
    period: Option<(NaiveDate, NaiveDate)>,
    format: ExportFormat,
) -> String {
    let (span_zh, span_en) = match period {
        Some((from, to)) => (format!("-{from}至{to}"), format!("-{from}_{to}")),
        None => (String::new(), String::new()),
    };
    let ext = format.as_str();
    format!(
        "attachment; filename=\"{english}{span_en}.{ext}\"; filename*=UTF-8''{}",
        percent_encode(&format!("{chinese}{span_zh}.{ext}"))
    )
}

/// RFC 5987 `value-chars`: attr-chars as they are, every other byte as %XX.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use crate::exports::format::{ExportFormat, attachment};

    #[test]
    fn file_names_carry_chinese_and_the_period() {
        let from = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2025, 4, 30).unwrap();
        let header = attachment(("意见", "opinions"), Some((from, to)), ExportFormat::Csv);
        assert_eq!(
            header,
            "attachment; filename=\"opinions-2025-03-01_2025-04-30.csv\"; \
             filename*=UTF-8''%E6%84%8F%E8%A7%81-2025-03-01%E8%87%B32025-04-30.csv"
        );
    }
}
