//! Working-day arithmetic against the official calendar. Pure: the caller loads the calendar
//! rows; nothing here reads the clock or the database.
//!
//! Due dates are counted in local (Beijing) time, which has had no daylight saving since 1991,
//! so a fixed +08:00 offset is exact and needs no time-zone database.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, TimeZone, Utc, Weekday};

use crate::db::text_enum;

text_enum!(
    DayKind {
        /// A day off that would otherwise be worked (法定节假日 on a weekday).
        Holiday => "holiday",
        /// A weekend day that is worked instead (调休上班).
        Workday => "workday",
    }
);

pub fn local_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&local_offset()).date_naive()
}

/// The instant a local day begins.
pub fn start_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    local_offset()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .expect("a fixed offset maps every local time once")
        .with_timezone(&Utc)
}

/// The instant a local day ends: midnight at the start of the next one. A step due "on" a day
/// is overdue from this instant.
pub fn end_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day + Days::new(1);
    local_offset()
        .from_local_datetime(&next.and_time(chrono::NaiveTime::MIN))
        .single()
        .expect("a fixed offset maps every local time once")
        .with_timezone(&Utc)
}

/// How long a step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    WorkingDays(u32),
    Months(u32),
}

#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    overrides: HashMap<NaiveDate, DayKind>,
}

impl WorkCalendar {
    pub fn new(overrides: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        Self {
            overrides: overrides.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.overrides.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`th working day after `from` (the start day itself does not count: a step taken
    /// on Friday with one working day is due on Monday).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// When a step started at `start` and allowed `period` is due: the end of its last day.
    /// A period in months ends on the same day of the month (or the month's last day).
    pub fn due_at(&self, start: DateTime<Utc>, period: Period) -> DateTime<Utc> {
        let day = local_date(start);
        let last = match period {
            Period::WorkingDays(n) => self.add_working_days(day, n),
            Period::Months(n) => day
                .checked_add_months(Months::new(n))
                .unwrap_or(NaiveDate::MAX),
        };
        end_of_local_day(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// National Day 2025 as announced: 1–8 October off, Sunday 28 September and Saturday
    /// 11 October worked.
    fn national_day_2025() -> WorkCalendar {
        let mut days: Vec<(NaiveDate, DayKind)> = (1..=8)
            .map(|day| (d(2025, 10, day), DayKind::Holiday))
            .collect();
        days.push((d(2025, 9, 28), DayKind::Workday));
        days.push((d(2025, 10, 11), DayKind::Workday));
        WorkCalendar::new(days)
    }

    #[test]
    fn weekends_are_skipped() {
        let cal = WorkCalendar::default();
        // Friday + 1 working day = Monday.
        assert_eq!(cal.add_working_days(d(2026, 11, 20), 1), d(2026, 11, 23));
        assert_eq!(cal.add_working_days(d(2026, 11, 20), 5), d(2026, 11, 27));
        assert_eq!(cal.add_working_days(d(2026, 11, 21), 0), d(2026, 11, 21));
    }

    #[test]
    fn holidays_are_skipped_and_make_up_days_count() {
        let cal = national_day_2025();
        assert!(cal.is_working_day(d(2025, 9, 28)), "make-up Sunday");
        assert!(!cal.is_working_day(d(2025, 10, 1)));
        assert!(cal.is_working_day(d(2025, 10, 11)), "make-up Saturday");
        // Friday 26 Sep: Sun 28 (make-up), Mon 29, Tue 30, then 1–8 Oct off, Thu 9, Fri 10.
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 5), d(2025, 10, 10));
        // Then the make-up Saturday counts: 6 working days end on Saturday 11 Oct.
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 6), d(2025, 10, 11));
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 7), d(2025, 10, 13));
    }

    #[test]
    fn due_is_the_end_of_the_local_day() {
        let cal = WorkCalendar::default();
        // 23:30 UTC on Thursday 19 Nov is 07:30 Friday 20 Nov in Beijing.
        let start = Utc.with_ymd_and_hms(2026, 11, 19, 23, 30, 0).unwrap();
        let due = cal.due_at(start, Period::WorkingDays(1));
        // Due Monday 23 Nov, i.e. before 00:00 Tuesday local = 16:00 UTC Monday.
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 23, 16, 0, 0).unwrap());
    }

    #[test]
    fn months_keep_the_day_or_clamp_to_the_month_end() {
        let cal = WorkCalendar::default();
        let start = Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap();
        assert_eq!(
            cal.due_at(start, Period::Months(3)),
            end_of_local_day(d(2027, 2, 28))
        );
        let start = Utc.with_ymd_and_hms(2026, 1, 15, 4, 0, 0).unwrap();
        assert_eq!(
            cal.due_at(start, Period::Months(3)),
            end_of_local_day(d(2026, 4, 15))
        );
    }
}
