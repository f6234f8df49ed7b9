//! Times as people in the district write them. Activities are planned in Beijing time; a
//! client may send an RFC 3339 instant with any offset, or a local time with none
//! ("2025-03-15T09:00"), which is read as +08:00. Responses always carry +08:00.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::working_days::local_offset;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime(pub DateTime<Utc>);

/// Every string `LocalDateTime::parse` reads, and nothing else: a calendar date (leap days
/// included), `T` or a space, hours and minutes, optional seconds and fraction, optional offset.
pub const LOCAL_DATE_TIME_PATTERN: &str = concat!(
    "^[1-9][0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,9})?)?",
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$",
    "|^(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)-02-29",
    "[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,9})?)?",
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$",
);

impl LocalDateTime {
    /// `LOCAL_DATE_TIME_PATTERN`, read field by field: what the spec says is exactly what is
    /// accepted.
    pub fn parse(raw: &str) -> Option<Self> {
        let b = raw.as_bytes();
        let digits = |from: usize, len: usize| -> Option<u32> {
            let part = b.get(from..from + len)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        };
        let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
        if !(at(4, b"-") && at(7, b"-") && at(10, b"T ") && at(13, b":")) {
            return None;
        }
        let year = digits(0, 4).filter(|y| *y >= 1000)?;
        let date = NaiveDate::from_ymd_opt(year as i32, digits(5, 2)?, digits(8, 2)?)?;
        let (hour, minute) = (digits(11, 2)?, digits(14, 2)?);
        let mut i = 16;
        let (mut second, mut nano) = (0, 0);
        if at(i, b":") {
            second = digits(i + 1, 2)?;
            i += 3;
            if at(i, b".") {
                let len = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if !(1..=9).contains(&len) {
                    return None;
                }
                nano = digits(i + 1, len)? * 10u32.pow(9 - len as u32);
                i += 1 + len;
            }
        }
        let time =
            NaiveTime::from_hms_nano_opt(hour, minute, second, nano).filter(|_| second < 60)?;
        let offset = match &b[i..] {
            [] => local_offset(),
            [b'Z' | b'z'] => FixedOffset::east_opt(0)?,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (h, m) = (
                    digits(i + 1, 2).filter(|h| *h < 24)?,
                    digits(i + 4, 2).filter(|m| *m < 60)?,
                );
                let seconds = (h * 3600 + m * 60) as i32;
                FixedOffset::east_opt(if *sign == b'-' { -seconds } else { seconds })?
            }
            _ => return None,
        };
        let at = offset.from_local_datetime(&date.and_time(time)).single()?;
        Some(Self(at.with_timezone(&Utc)))
    }

    pub fn local(self) -> DateTime<FixedOffset> {
        to_local(self.0)
    }
}

pub fn to_local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&local_offset())
}

impl<'de> Deserialize<'de> for LocalDateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).ok_or_else(|| {
            serde::de::Error::custom(
                "must be a date and time such as 2025-03-15T09:00 (Beijing time) or an RFC 3339 \
                 instant",
            )
        })
    }
}

impl Serialize for LocalDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.local().serialize(s)
    }
}

impl utoipa::PartialSchema for LocalDateTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Beijing time: RFC 3339 with an offset, or a local date-time without one \
                 (read as +08:00). Responses carry +08:00.",
            ))
            .pattern(Some(LOCAL_DATE_TIME_PATTERN))
            .examples(["2025-03-15T09:00:00+08:00"])
            .into()
    }
}

impl utoipa::ToSchema for LocalDateTime {}

/// The years a report may ask about. A fixed range, so the spec can state it: a year still to
/// come simply reads as not yet due.
pub const FIRST_REPORTING_YEAR: i32 = 2000;
pub const LAST_REPORTING_YEAR: i32 = 2100;

/// A reporting year from a query: default the current year in Beijing time.
pub fn year_or_current(year: Option<i32>) -> ApiResult<i32> {
    let year = year.unwrap_or_else(|| super::working_days::local_date(Utc::now()).year());
    if !(FIRST_REPORTING_YEAR..=LAST_REPORTING_YEAR).contains(&year) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("year must be between {FIRST_REPORTING_YEAR} and {LAST_REPORTING_YEAR}"),
        ));
    }
    Ok(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_without_offset_is_beijing_time() {
        let a = LocalDateTime::parse("2025-03-15T09:00").unwrap();
        let b = LocalDateTime::parse("2025-03-15T01:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.local().to_rfc3339(), "2025-03-15T09:00:00+08:00");
        assert!(LocalDateTime::parse("15/03/2025 9am").is_none());
        for good in [
            "2024-02-29T23:59",
            "2000-02-29 00:00:00.5",
            "2025-12-31T10:00:59.123456789-05:30",
            "2025-01-01T00:00z",
        ] {
            assert!(LocalDateTime::parse(good).is_some(), "{good}");
        }
        for bad in [
            "2025-02-29T09:00",
            "1900-02-29T09:00",
            "2025-04-31T09:00",
            "2025-03-15T24:00",
            "2025-03-15T09:00:60",
            "2025-03-15T09:00:00.",
            "2025-03-15T09:00+24:00",
            " 2025-03-15T09:00",
            "0999-01-01T00:00",
        ] {
            assert!(LocalDateTime::parse(bad).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_string_of_the_pattern_is_read(
            raw in proptest::string::string_regex(
                &LOCAL_DATE_TIME_PATTERN.replace(['^', '$'], "")
            ).unwrap()
        ) {
            proptest::prop_assert!(LocalDateTime::parse(&raw).is_some(), "{raw}");
        }

        #[test]
        fn nothing_outside_the_pattern_is_read(raw in "[0-9T :.Zz+-]{10,40}") {
            let pattern = regex_lite_match(&raw);
            proptest::prop_assert_eq!(LocalDateTime::parse(&raw).is_some(), pattern, "{}", raw);
        }
    }

    fn regex_lite_match(raw: &str) -> bool {
        let schema = serde_json::json!({"type": "string", "pattern": LOCAL_DATE_TIME_PATTERN});
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&serde_json::json!(raw))
    }
}
