//! Timestamps in responses, written exactly as chrono's `Serialize` writes them (RFC 3339 in
//! UTC with `Z`, the fraction in 0, 3, 6 or 9 digits as the value needs), without its
//! formatter: chrono hands serde a `Display` that writes a character at a time through
//! `core::fmt`, about 7% of the server's work for a page of fifty opinions (four timestamps
//! each; bench/NOTES.md, lists). For `#[serde(serialize_with = …)]` on hot views.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// The longest text written here: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const LONGEST: usize = 30;

/// Serializes `at` as chrono would.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = [0u8; LONGEST];
    match write(at, &mut text).and_then(|len| std::str::from_utf8(&text[..len]).ok()) {
        Some(text) => serializer.serialize_str(text),
        None => at.serialize(serializer),
    }
}

/// `serialize` for an optional timestamp (`null` when absent).
pub fn serialize_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// Writes `at` into `out` and says how long it is; `None` for what chrono writes its own way
/// (a year outside 0–9999, a leap second), which is then left to chrono.
fn write(at: &DateTime<Utc>, out: &mut [u8; LONGEST]) -> Option<usize> {
    // Once: each of `DateTime`'s own accessors works out the local time again.
    let at = at.naive_utc();
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let nano = at.nanosecond();
    if nano >= 1_000_000_000 {
        return None;
    }
    digits(&mut out[0..4], year);
    out[4] = b'-';
    digits(&mut out[5..7], at.month());
    out[7] = b'-';
    digits(&mut out[8..10], at.day());
    out[10] = b'T';
    digits(&mut out[11..13], at.hour());
    out[13] = b':';
    digits(&mut out[14..16], at.minute());
    out[16] = b':';
    digits(&mut out[17..19], at.second());
    let (fraction, width) = match nano {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    let mut len = 19;
    if width > 0 {
        out[19] = b'.';
        digits(&mut out[20..20 + width], fraction);
        len = 20 + width;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// `value`'s last `buf.len()` decimal digits, zero-padded.
fn digits(buf: &mut [u8], mut value: u32) {
    for byte in buf.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "serialize")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "serialize_option")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(Serialize)]
    struct Chronos {
        at: DateTime<Utc>,
        maybe: Option<DateTime<Utc>>,
    }

    fn both(at: DateTime<Utc>, maybe: Option<DateTime<Utc>>) -> (String, String) {
        (
            serde_json::to_string(&Ours { at, maybe }).unwrap(),
            serde_json::to_string(&Chronos { at, maybe }).unwrap(),
        )
    }

    #[test]
    fn every_kind_of_fraction_and_the_edges_are_written_as_chrono_writes_them() {
        let base = Utc.with_ymd_and_hms(2026, 12, 2, 3, 4, 5).unwrap();
        for nanos in [
            0,
            1,
            7_000,
            120_000_000,
            999_999_999,
            123_456_000,
            5_000_001,
        ] {
            let at = base + chrono::Duration::nanoseconds(nanos);
            let (ours, chronos) = both(at, Some(at));
            assert_eq!(ours, chronos, "{nanos} ns");
        }
        for at in [
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            // Left to chrono: outside 0–9999, and a leap second.
            Utc.with_ymd_and_hms(-1, 6, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ] {
            let (ours, chronos) = both(at, None);
            assert_eq!(ours, chronos, "{at:?}");
        }
    }

    proptest! {
        #[test]
        fn any_timestamp_is_written_as_chrono_writes_it(
            secs in -62_167_219_200i64..253_402_300_799,
            nanos in prop_oneof![
                Just(0u32),
                (0u32..1_000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..1_000_000_000,
            ],
        ) {
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            let (ours, chronos) = both(at, Some(at));
            prop_assert_eq!(ours, chronos);
        }
    }
}
