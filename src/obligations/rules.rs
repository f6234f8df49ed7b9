//! Each deputy's obligations for one year, decided from what they did. Pure: the caller loads
//! the activities, households, rota months and opinions; nothing here reads the clock.
//!
//! A rule is `met` when what it asks for is done, `due` when it is not done yet but its period
//! is still open, and `overdue` when a period closed without it.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::activities::domain::ActivityKind;
use crate::db::text_enum;

text_enum!(
    Rule {
        /// A report to the voters of the constituency at least once a year (述职).
        AnnualReport => "annual_report",
        /// Contact with each fixed-contact household at least monthly.
        FixedHouseholdContact => "fixed_household_contact",
        /// A station reception every month the deputy is on a station's rota.
        StationRota => "station_rota",
        /// The mid-year centralised contact (年中集中联系).
        CentralisedContact => "centralised_contact",
        /// The consultation before the congress session (会前征求意见).
        PreSessionConsultation => "pre_session_consultation",
        /// None of the deputy's opinions past its due date.
        NoOverdueOpinions => "no_overdue_opinions",
    }
);

text_enum!(
    Status {
        Met => "met",
        Due => "due",
        Overdue => "overdue",
        /// Done, but only after its deadline: never `met` (a November "mid-year" contact
        /// does not make up for the August one).
        Late => "late",
    }
);

/// Thresholds of the deputy's committee (`committee_policies`, inherited, seed defaults).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub annual_reports_per_year: u32,
    pub household_contacts_per_month: u32,
    pub rota_receptions_per_month: u32,
    /// Month (1–12) by whose end the centralised contact is done.
    pub centralised_contact_by_month: u32,
    pub pre_session_by_month: u32,
}

/// A held activity the deputy was present at, in the year.
#[derive(Debug, Clone)]
pub struct Attended {
    pub id: Uuid,
    pub kind: ActivityKind,
    /// Local (Beijing) date it started.
    pub day: NaiveDate,
    /// Voters met by name there.
    pub contacted: Vec<Uuid>,
}

/// One of the deputy's opinions still open.
#[derive(Debug, Clone, Copy)]
pub struct OpenOpinion {
    pub id: Uuid,
    pub overdue: bool,
}

#[derive(Debug, Clone)]
pub struct DeputyYear {
    pub year: i32,
    /// Today, local: periods that end before it are closed.
    pub today: NaiveDate,
    pub attended: Vec<Attended>,
    pub fixed_households: Vec<Uuid>,
    /// Months (1–12) the deputy is on some station's rota.
    pub rota_months: BTreeSet<u32>,
    pub open_opinions: Vec<OpenOpinion>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: Rule,
    pub status: Status,
    /// Ids of the activities that count (of the opinions, for `no_overdue_opinions`).
    pub evidence: Vec<Uuid>,
}

impl DeputyYear {
    fn last_day_of_month(&self, month: u32) -> NaiveDate {
        let (y, m) = if month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.pred_opt())
            .expect("month is 1 to 12")
    }

    fn closed_after(&self, month: u32) -> bool {
        self.today > self.last_day_of_month(month.clamp(1, 12))
    }

    /// Months of the year that have begun by today.
    fn begun_months(&self) -> impl Iterator<Item = u32> + '_ {
        (1..=12u32).filter(|m| {
            NaiveDate::from_ymd_opt(self.year, *m, 1).is_some_and(|first| first <= self.today)
        })
    }

    fn of_kind(&self, kind: ActivityKind) -> Vec<&Attended> {
        self.attended.iter().filter(|a| a.kind == kind).collect()
    }
}

/// Met when done; otherwise overdue once the period closed, else due.
fn by_deadline(done: bool, closed: bool) -> Status {
    match (done, closed) {
        (true, _) => Status::Met,
        (false, true) => Status::Overdue,
        (false, false) => Status::Due,
    }
}

/// A one-off duty due by the end of `by_month`: met when done by then, late when done only
/// after, otherwise overdue once the deadline has passed, else due.
fn by_dated_deadline(d: &DeputyYear, done: &[&Attended], by_month: u32) -> Status {
    let deadline = d.last_day_of_month(by_month.clamp(1, 12));
    match (
        done.iter().any(|a| a.day <= deadline),
        done.is_empty(),
        d.closed_after(by_month),
    ) {
        (true, ..) => Status::Met,
        (false, false, _) => Status::Late,
        (false, true, true) => Status::Overdue,
        (false, true, false) => Status::Due,
    }
}

fn ids(list: &[&Attended]) -> Vec<Uuid> {
    list.iter().map(|a| a.id).collect()
}

/// A per-month rule over the months it applies to: overdue if a closed month fell short, due
/// if only the current month still does, else met.
fn monthly(
    d: &DeputyYear,
    months: impl Iterator<Item = u32>,
    short: impl Fn(u32) -> bool,
) -> Status {
    let mut status = Status::Met;
    for m in months {
        if short(m) {
            if d.closed_after(m) {
                return Status::Overdue;
            }
            status = Status::Due;
        }
    }
    status
}

pub fn evaluate(d: &DeputyYear, t: &Thresholds) -> Vec<RuleResult> {
    let reports = d.of_kind(ActivityKind::AnnualReport);
    let annual_report = RuleResult {
        rule: Rule::AnnualReport,
        status: by_deadline(
            reports.len() as u32 >= t.annual_reports_per_year,
            d.closed_after(12),
        ),
        evidence: ids(&reports),
    };

    let month_of = |a: &Attended| a.day.month();
    let contacts_in = |m: u32, household: Uuid| {
        d.attended
            .iter()
            .filter(|a| month_of(a) == m && a.contacted.contains(&household))
            .count() as u32
    };
    let household_status = monthly(d, d.begun_months(), |m| {
        d.fixed_households
            .iter()
            .any(|h| contacts_in(m, *h) < t.household_contacts_per_month)
    });
    let household_evidence: Vec<Uuid> = d
        .attended
        .iter()
        .filter(|a| a.contacted.iter().any(|v| d.fixed_households.contains(v)))
        .map(|a| a.id)
        .collect();

    let receptions = d.of_kind(ActivityKind::StationReception);
    let rota_status = monthly(
        d,
        d.begun_months().filter(|m| d.rota_months.contains(m)),
        |m| {
            (receptions.iter().filter(|a| month_of(a) == m).count() as u32)
                < t.rota_receptions_per_month
        },
    );
    let rota_evidence: Vec<Uuid> = receptions
        .iter()
        .filter(|a| d.rota_months.contains(&month_of(a)))
        .map(|a| a.id)
        .collect();

    let centralised = d.of_kind(ActivityKind::CentralisedContact);
    let pre_session = d.of_kind(ActivityKind::PreSessionConsultation);

    let overdue: Vec<Uuid> = d
        .open_opinions
        .iter()
        .filter(|o| o.overdue)
        .map(|o| o.id)
        .collect();
    let opinions = if !overdue.is_empty() {
        RuleResult {
            rule: Rule::NoOverdueOpinions,
            status: Status::Overdue,
            evidence: overdue,
        }
    } else {
        RuleResult {
            rule: Rule::NoOverdueOpinions,
            status: if d.open_opinions.is_empty() {
                Status::Met
            } else {
                Status::Due
            },
            evidence: d.open_opinions.iter().map(|o| o.id).collect(),
        }
    };

    vec![
        annual_report,
        RuleResult {
            rule: Rule::FixedHouseholdContact,
            status: household_status,
            evidence: household_evidence,
        },
        RuleResult {
            rule: Rule::StationRota,
            status: rota_status,
            evidence: rota_evidence,
        },
        RuleResult {
            rule: Rule::CentralisedContact,
            status: by_dated_deadline(d, &centralised, t.centralised_contact_by_month),
            evidence: ids(&centralised),
        },
        RuleResult {
            rule: Rule::PreSessionConsultation,
            status: by_dated_deadline(d, &pre_session, t.pre_session_by_month),
            evidence: ids(&pre_session),
        },
        opinions,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        annual_reports_per_year: 1,
        household_contacts_per_month: 1,
        rota_receptions_per_month: 1,
        centralised_contact_by_month: 8,
        pre_session_by_month: 12,
    };

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn year(today: &str) -> DeputyYear {
        DeputyYear {
            year: 2025,
            today: day(today),
            attended: vec![],
            fixed_households: vec![],
            rota_months: BTreeSet::new(),
            open_opinions: vec![],
        }
    }

    fn act(kind: ActivityKind, on: &str, contacted: &[Uuid]) -> Attended {
        Attended {
            id: Uuid::now_v7(),
            kind,
            day: day(on),
            contacted: contacted.to_vec(),
        }
    }

    fn status(d: &DeputyYear, rule: Rule) -> Status {
        evaluate(d, &T)
            .into_iter()
            .find(|r| r.rule == rule)
            .unwrap()
            .status
    }

    #[test]
    fn a_contact_held_after_its_deadline_is_late_never_met() {
        let mut d = year("2025-12-01");
        d.attended
            .push(act(ActivityKind::CentralisedContact, "2025-11-12", &[]));
        assert_eq!(status(&d, Rule::CentralisedContact), Status::Late);
        d.attended
            .push(act(ActivityKind::CentralisedContact, "2025-08-31", &[]));
        assert_eq!(status(&d, Rule::CentralisedContact), Status::Met);
        let mut pre = year("2025-12-01");
        pre.attended
            .push(act(ActivityKind::PreSessionConsultation, "2025-11-20", &[]));
        assert_eq!(status(&pre, Rule::PreSessionConsultation), Status::Met);
        let mut strict = pre.clone();
        strict.attended[0].day = day("2025-12-20");
        let thresholds = Thresholds {
            pre_session_by_month: 11,
            ..T
        };
        let late = evaluate(&strict, &thresholds)
            .into_iter()
            .find(|r| r.rule == Rule::PreSessionConsultation)
            .unwrap();
        assert_eq!(late.status, Status::Late);
        assert_eq!(late.evidence.len(), 1, "the late contact is still shown");
    }

    #[test]
    fn nothing_done_is_due_while_the_period_is_open_and_overdue_after() {
        let mid = year("2025-06-30");
        assert_eq!(status(&mid, Rule::AnnualReport), Status::Due);
        assert_eq!(status(&mid, Rule::CentralisedContact), Status::Due);
        let autumn = year("2025-09-01");
        assert_eq!(status(&autumn, Rule::CentralisedContact), Status::Overdue);
        assert_eq!(status(&autumn, Rule::PreSessionConsultation), Status::Due);
        let after = year("2026-01-01");
        assert_eq!(status(&after, Rule::AnnualReport), Status::Overdue);
        assert_eq!(
            status(&after, Rule::PreSessionConsultation),
            Status::Overdue
        );
        // Nothing to do: no households, no rota, no opinions.
        assert_eq!(status(&after, Rule::FixedHouseholdContact), Status::Met);
        assert_eq!(status(&after, Rule::StationRota), Status::Met);
        assert_eq!(status(&after, Rule::NoOverdueOpinions), Status::Met);
    }

    #[test]
    fn households_are_counted_month_by_month() {
        let h = Uuid::now_v7();
        let mut d = year("2025-03-10");
        d.fixed_households = vec![h];
        d.attended = vec![
            act(ActivityKind::Inspection, "2025-01-05", &[h]),
            act(ActivityKind::Inspection, "2025-02-05", &[h]),
        ];
        // March has begun but is not over: due, not overdue.
        assert_eq!(status(&d, Rule::FixedHouseholdContact), Status::Due);
        d.attended
            .push(act(ActivityKind::Inspection, "2025-03-09", &[h]));
        assert_eq!(status(&d, Rule::FixedHouseholdContact), Status::Met);
        d.today = day("2025-05-01");
        // April passed without contact.
        assert_eq!(status(&d, Rule::FixedHouseholdContact), Status::Overdue);
        let evidence = &evaluate(&d, &T)[1].evidence;
        assert_eq!(evidence.len(), 3);
    }

    #[test]
    fn the_rota_applies_only_in_rota_months() {
        let mut d = year("2026-01-01");
        d.rota_months = [1, 3].into_iter().collect();
        d.attended = vec![act(ActivityKind::StationReception, "2025-01-15", &[])];
        assert_eq!(status(&d, Rule::StationRota), Status::Overdue);
        d.attended
            .push(act(ActivityKind::StationReception, "2025-03-15", &[]));
        assert_eq!(status(&d, Rule::StationRota), Status::Met);
        // A reception in a month off the rota is not evidence.
        d.attended
            .push(act(ActivityKind::StationReception, "2025-04-15", &[]));
        assert_eq!(evaluate(&d, &T)[2].evidence.len(), 2);
    }

    #[test]
    fn overdue_opinions_are_the_evidence() {
        let mut d = year("2025-06-01");
        let late = Uuid::now_v7();
        d.open_opinions = vec![
            OpenOpinion {
                id: Uuid::now_v7(),
                overdue: false,
            },
            OpenOpinion {
                id: late,
                overdue: true,
            },
        ];
        let r = evaluate(&d, &T).pop().unwrap();
        assert_eq!((r.status, r.evidence), (Status::Overdue, vec![late]));
        d.open_opinions.retain(|o| !o.overdue);
        assert_eq!(status(&d, Rule::NoOverdueOpinions), Status::Due);
    }

    #[test]
    fn a_zero_threshold_switches_a_rule_off() {
        let t = Thresholds {
            annual_reports_per_year: 0,
            ..T
        };
        let r = evaluate(&year("2026-01-01"), &t);
        assert_eq!(r[0].status, Status::Met);
        assert_eq!(r.iter().map(|r| r.rule).collect::<Vec<_>>(), Rule::ALL);
    }
}
