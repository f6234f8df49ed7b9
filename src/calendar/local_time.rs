//! Times as people in the district write them. Activities are planned in Beijing time; a
//! client may send an RFC 3339 instant with any offset, or a local time with none
//! ("2025-03-15T09:00"), which is read as +08:00. Responses always carry +08:00.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Utc};

use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::working_days::local_offset;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime(pub DateTime<Utc>);

impl LocalDateTime {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return Some(Self(at.with_timezone(&Utc)));
        }
        [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .and_then(|naive| local_offset().from_local_datetime(&naive).single())
        .map(|at| Self(at.with_timezone(&Utc)))
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
    }
}
