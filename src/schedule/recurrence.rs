//! Reception times as RFC 5545 recurrence rules, expanded by the rrule crate in Asia/Shanghai
//! local time. Pure: no clock, no database.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rrule::{Frequency, RRule, RRuleSet, Tz, Unvalidated};

/// Occurrences of one rule in one window are capped: a daily rule over a year is 366.
const MAX_OCCURRENCES: u16 = 400;

const BEIJING: Tz = Tz::Asia__Shanghai;

/// A validated reception rule: the recurrence, its first day, the local hours and the days
/// called off.
#[derive(Debug, Clone)]
pub struct Recurrence {
    rule: String,
    dtstart: NaiveDate,
    start_time: NaiveTime,
    end_time: NaiveTime,
    exdates: Vec<NaiveDate>,
}

fn beijing(day: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
    BEIJING
        .from_local_datetime(&day.and_time(time))
        .single()
        .expect("Beijing has had no daylight saving since 1991: every local time exists once")
}

/// The rules this service takes, as the spec's `pattern` states them: a subset of RFC 5545
/// that covers reception rotas, each part at most once and in this order (the server reads
/// any order). Every string it matches is accepted by `Recurrence::parse`, which a property
/// test checks. BYDAY takes an ordinal (`-1FR`, the last Friday) only with MONTHLY and YEARLY,
/// and BYMONTHDAY is not used with WEEKLY, as RFC 5545 §3.3.10 says.
pub const RRULE_PATTERN: &str = concat!(
    "^(RRULE:)?FREQ=(",
    "DAILY",
    rrule_counts!(),
    "(;",
    rrule_monthday!(),
    ")?(;BYDAY=",
    rrule_days!(""),
    ")?",
    "|WEEKLY",
    rrule_counts!(),
    "(;BYDAY=",
    rrule_days!(""),
    ")?",
    "|(MONTHLY|YEARLY)",
    rrule_counts!(),
    "(;",
    rrule_monthday!(),
    ")?(;BYDAY=",
    rrule_days!("(\\+?[1-5]|-[1-4])?"),
    ")?",
    ")(;WKST=(MO|TU|WE|TH|FR|SA|SU))?$"
);

macro_rules! rrule_days {
    ($ordinal:literal) => {
        concat!(
            $ordinal,
            "(MO|TU|WE|TH|FR|SA|SU)(,",
            $ordinal,
            "(MO|TU|WE|TH|FR|SA|SU))*"
        )
    };
}
macro_rules! rrule_monthday {
    () => {
        "BYMONTHDAY=-?(3[01]|[12][0-9]|[1-9])(,-?(3[01]|[12][0-9]|[1-9]))*"
    };
}
macro_rules! rrule_counts {
    () => {
        "(;INTERVAL=[1-9][0-9]{0,2})?(;COUNT=[1-9][0-9]{0,2})?(;BYMONTH=(1[0-2]|[1-9])(,(1[0-2]|[1-9]))*)?"
    };
}
use {rrule_counts, rrule_days, rrule_monthday};

impl Recurrence {
    /// `rule` is the RRULE value, with or without the `RRULE:` prefix. Sub-daily frequencies
    /// are refused: a reception is at most daily.
    pub fn parse(
        rule: &str,
        dtstart: NaiveDate,
        start_time: NaiveTime,
        end_time: NaiveTime,
        exdates: Vec<NaiveDate>,
    ) -> Result<Self, (&'static str, String)> {
        let rule = rule.trim();
        let rule = rule.strip_prefix("RRULE:").unwrap_or(rule).to_owned();
        if rule.contains(['\n', '\r']) || rule.to_ascii_uppercase().contains("DTSTART") {
            return Err((
                "rrule",
                "one RRULE value only; dtstart is its own field".into(),
            ));
        }
        let parsed: RRule<Unvalidated> = rule
            .parse()
            .map_err(|e| ("rrule", format!("not an RFC 5545 recurrence rule: {e}")))?;
        if !matches!(
            parsed.get_freq(),
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly | Frequency::Yearly
        ) {
            return Err((
                "rrule",
                "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY".into(),
            ));
        }
        parsed
            .build(beijing(dtstart, start_time))
            .map_err(|e| ("rrule", format!("not a valid recurrence: {e}")))?;
        if end_time <= start_time {
            return Err(("end_time", "must be after start_time".into()));
        }
        Ok(Self {
            rule,
            dtstart,
            start_time,
            end_time,
            exdates,
        })
    }

    pub fn rule(&self) -> &str {
        &self.rule
    }

    fn set(&self) -> RRuleSet {
        let parsed: RRule<Unvalidated> = self.rule.parse().expect("checked in parse");
        let mut set = parsed
            .build(beijing(self.dtstart, self.start_time))
            .expect("checked in parse");
        for day in &self.exdates {
            set = set.exdate(beijing(*day, self.start_time));
        }
        set
    }

    /// The (start, end) of every occurrence on a local day from `from` to `to` inclusive,
    /// in time order.
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let after = beijing(from, NaiveTime::MIN);
        let before = beijing(to, NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
        let duration = self.end_time - self.start_time;
        self.set()
            .after(after)
            .before(before)
            .all(MAX_OCCURRENCES)
            .dates
            .into_iter()
            .map(|start| {
                let start = start.with_timezone(&Utc);
                (start, start + duration)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn local_days(r: &Recurrence, from: &str, to: &str) -> Vec<String> {
        let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        r.between(day(from), day(to))
            .into_iter()
            .map(|(s, _)| {
                s.with_timezone(&beijing)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_fifteenth_of_every_odd_month() {
        let r = Recurrence::parse(
            "FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYMONTHDAY=15",
            day("2025-01-01"),
            hm(9, 0),
            hm(11, 0),
            vec![day("2025-07-15")],
        )
        .unwrap();
        assert_eq!(
            local_days(&r, "2025-01-01", "2025-12-31"),
            [
                "2025-01-15 09:00",
                "2025-03-15 09:00",
                "2025-05-15 09:00",
                "2025-09-15 09:00",
                "2025-11-15 09:00"
            ]
        );
        let (start, end) = r.between(day("2025-03-15"), day("2025-03-15"))[0];
        assert_eq!((end - start).num_minutes(), 120);
        assert_eq!(start.to_rfc3339(), "2025-03-15T01:00:00+00:00");
    }

    #[test]
    fn the_last_day_of_each_month_follows_month_ends() {
        let r = Recurrence::parse(
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1",
            day("2024-01-01"),
            hm(14, 30),
            hm(16, 0),
            vec![],
        )
        .unwrap();
        assert_eq!(
            local_days(&r, "2024-01-20", "2024-04-30"),
            [
                "2024-01-31 14:30",
                "2024-02-29 14:30",
                "2024-03-31 14:30",
                "2024-04-30 14:30"
            ]
        );
        // The 31st exists only in some months; RFC 5545 skips the others.
        let r = Recurrence::parse(
            "FREQ=MONTHLY;BYMONTHDAY=31",
            day("2025-01-01"),
            hm(9, 0),
            hm(10, 0),
            vec![],
        )
        .unwrap();
        assert_eq!(local_days(&r, "2025-01-01", "2025-06-30").len(), 3);
    }

    #[test]
    fn the_window_is_inclusive_and_starts_no_earlier_than_dtstart() {
        let r = Recurrence::parse(
            "FREQ=WEEKLY;BYDAY=SA",
            day("2025-03-01"),
            hm(9, 0),
            hm(11, 0),
            vec![],
        )
        .unwrap();
        assert_eq!(
            local_days(&r, "2025-02-01", "2025-03-15"),
            ["2025-03-01 09:00", "2025-03-08 09:00", "2025-03-15 09:00"]
        );
    }

    #[test]
    fn bad_rules_are_refused_with_the_field() {
        let bad = |rule: &str, start: NaiveTime, end: NaiveTime| {
            Recurrence::parse(rule, day("2025-01-01"), start, end, vec![])
                .unwrap_err()
                .0
        };
        assert_eq!(bad("FREQ=SOMETIMES", hm(9, 0), hm(10, 0)), "rrule");
        assert_eq!(bad("FREQ=HOURLY", hm(9, 0), hm(10, 0)), "rrule");
        assert_eq!(
            bad(
                "DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY",
                hm(9, 0),
                hm(10, 0)
            ),
            "rrule"
        );
        assert_eq!(
            bad("FREQ=MONTHLY;BYMONTHDAY=15", hm(11, 0), hm(9, 0)),
            "end_time"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn every_rule_the_pattern_allows_is_accepted(
            rule in proptest::string::string_regex(
                RRULE_PATTERN.trim_start_matches('^').trim_end_matches('$')
            ).unwrap()
        ) {
            let parsed = Recurrence::parse(&rule, day("2025-01-01"), hm(9, 0), hm(10, 0), vec![]);
            proptest::prop_assert!(parsed.is_ok(), "{rule}: {:?}", parsed.err());
        }
    }
}
