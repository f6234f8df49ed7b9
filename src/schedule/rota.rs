//! Which deputies are on duty at each occurrence of a reception rule. A rule's rota and its
//! called-off dates change over time (station rules §3: deputies take turns monthly); each
//! change applies from its `effective_from` on, so the months already past keep the deputies
//! they had. Pure: the caller loads the versions.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

use super::recurrence::Recurrence;
use crate::calendar::working_days::local_date;

/// One version of a rule's rota, in force from `effective_from` until the next version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotaVersion {
    pub effective_from: NaiveDate,
    /// The deputies on duty, in the rota's order.
    pub representative_ids: Vec<Uuid>,
    /// Local dates called off.
    pub exdates: Vec<NaiveDate>,
}

/// One reception: when, and who is on duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence<'a> {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub representative_ids: &'a [Uuid],
}

/// The first day a change may take effect: the first of the current month, so months already
/// judged (the obligations report, the duty record) stay as they were.
pub fn earliest_change(today: NaiveDate) -> NaiveDate {
    today.with_day(1).expect("every month has a first day")
}

/// The version in force on `day`: the latest that began on or before it. A day before the
/// first version (a rule whose first version starts after its `dtstart`) takes the first.
/// `versions` are sorted by `effective_from`.
pub fn version_on(versions: &[RotaVersion], day: NaiveDate) -> Option<&RotaVersion> {
    versions
        .iter()
        .rev()
        .find(|v| v.effective_from <= day)
        .or(versions.first())
}

/// Every reception of the rule on a local day from `from` to `to` inclusive, before `ends_on`,
/// each with the rota of the version in force that day. `recurrence` carries no exdates of its
/// own: each version's are applied to its own days.
pub fn occurrences<'a>(
    recurrence: &Recurrence,
    ends_on: Option<NaiveDate>,
    versions: &'a [RotaVersion],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Occurrence<'a>> {
    let to = match ends_on.and_then(|end| end.pred_opt()) {
        Some(last) if last < to => last,
        _ => to,
    };
    if to < from {
        return Vec::new();
    }
    recurrence
        .between(from, to)
        .into_iter()
        .filter_map(|(starts_at, ends_at)| {
            let day = local_date(starts_at);
            let version = version_on(versions, day)?;
            (!version.exdates.contains(&day)).then_some(Occurrence {
                starts_at,
                ends_at,
                representative_ids: &version.representative_ids,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn monthly_on_the_10th() -> Recurrence {
        Recurrence::parse(
            "FREQ=MONTHLY;BYMONTHDAY=10",
            day("2025-01-01"),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
            vec![],
        )
        .unwrap()
    }

    fn version(from: &str, deputies: &[Uuid], off: &[&str]) -> RotaVersion {
        RotaVersion {
            effective_from: day(from),
            representative_ids: deputies.to_vec(),
            exdates: off.iter().map(|d| day(d)).collect(),
        }
    }

    #[test]
    fn each_month_keeps_the_rota_in_force_in_it() {
        let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
        let versions = vec![
            version("2025-01-01", &[old], &[]),
            version("2025-07-01", &[new], &[]),
        ];
        let all = occurrences(
            &monthly_on_the_10th(),
            None,
            &versions,
            day("2025-01-01"),
            day("2025-12-31"),
        );
        assert_eq!(all.len(), 12);
        for o in &all {
            let month = local_date(o.starts_at).month();
            let expected = if month < 7 { old } else { new };
            assert_eq!(o.representative_ids, [expected], "month {month}");
        }
    }

    #[test]
    fn called_off_dates_belong_to_their_version() {
        let d = Uuid::now_v7();
        // Calling off 10 March in a later version does not reach back to March.
        let versions = vec![
            version("2025-01-01", &[d], &["2025-02-10"]),
            version("2025-04-01", &[d], &["2025-03-10", "2025-05-10"]),
        ];
        let days: Vec<NaiveDate> = occurrences(
            &monthly_on_the_10th(),
            None,
            &versions,
            day("2025-01-01"),
            day("2025-06-30"),
        )
        .iter()
        .map(|o| local_date(o.starts_at))
        .collect();
        assert_eq!(
            days,
            [
                day("2025-01-10"),
                day("2025-03-10"),
                day("2025-04-10"),
                day("2025-06-10")
            ]
        );
    }

    #[test]
    fn an_ended_rule_has_no_receptions_from_its_end() {
        let versions = vec![version("2025-01-01", &[Uuid::now_v7()], &[])];
        let r = monthly_on_the_10th();
        let ended = occurrences(
            &r,
            Some(day("2025-04-10")),
            &versions,
            day("2025-01-01"),
            day("2025-12-31"),
        );
        assert_eq!(ended.len(), 3, "January to March");
        assert!(
            occurrences(
                &r,
                Some(day("2025-01-01")),
                &versions,
                day("2025-01-01"),
                day("2025-12-31")
            )
            .is_empty()
        );
    }

    #[test]
    fn a_day_before_the_first_version_takes_the_first() {
        let first = version("2025-03-01", &[Uuid::now_v7()], &[]);
        let versions = vec![first.clone()];
        assert_eq!(version_on(&versions, day("2025-01-10")), Some(&first));
        assert_eq!(version_on(&[], day("2025-01-10")), None);
    }
}
