//! Each deputy's obligations for one year, decided from what they did. Pure: the caller loads
//! the activities, households, rota months and opinions; nothing here reads the clock.
//!
//! A rule is `met` when what it asks for is done, `due` when it is not done yet but its period
//! is still open, `overdue` when a period closed without it (or fewer contact links are named
//! than the minimum), and `late` when a dated duty was done only after its deadline.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::links::{self, Link};
use super::sessions::{self, Consultation, Session};
use crate::activities::domain::ActivityKind;
use crate::db::text_enum;

text_enum!(
    Rule {
        /// A report to the voters of the constituency at least once a year (述职).
        AnnualReport => "annual_report",
        /// At least the minimum of fixed-contact households named, and contact with each at
        /// least monthly in every month it is in force.
        FixedHouseholdContact => "fixed_household_contact",
        /// At least the minimum of voter liaisons named (a district sets 5; default none).
        VoterLiaisons => "voter_liaisons",
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
    /// In a year with no congress session recorded: the month by whose end the pre-session
    /// consultation is done.
    pub pre_session_by_month: u32,
    pub pre_session_window_days: u32,
    pub min_fixed_households: u32,
    pub min_voter_liaisons: u32,
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
    /// Activities of the year; pre-session consultations also from the year before (a window
    /// before a January session begins in the autumn).
    pub attended: Vec<Attended>,
    pub fixed_households: Vec<Link>,
    pub voter_liaisons: Vec<Link>,
    /// Months (1–12) the deputy is on some station's rota.
    pub rota_months: BTreeSet<u32>,
    /// Congress sessions of the deputy's level that open in the year.
    pub sessions: Vec<Session>,
    /// What `no_overdue_opinions` judges: the deputy's overdue opinions, or all its open ones
    /// when none is overdue (the loader reads no more than the evidence).
    pub open_opinions: Vec<OpenOpinion>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: Rule,
    pub status: Status,
    /// Ids of the activities that count (of the opinions, for `no_overdue_opinions`).
    pub evidence: Vec<Uuid>,
    /// For a rule that asks for a number of contact links: how many are missing today (at the
    /// end of a past year); 0 when none. Null for the other rules.
    pub shortfall: Option<u32>,
}

impl RuleResult {
    fn new(rule: Rule, status: Status, evidence: Vec<Uuid>) -> Self {
        Self {
            rule,
            status,
            evidence,
            shortfall: None,
        }
    }
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

    /// Activities of a kind held in the year.
    fn of_kind(&self, kind: ActivityKind) -> Vec<&Attended> {
        self.attended
            .iter()
            .filter(|a| a.kind == kind && a.day.year() == self.year)
            .collect()
    }

    /// The day links are counted on: today, or the last day of a past year.
    fn links_as_of(&self) -> NaiveDate {
        self.today.min(self.last_day_of_month(12))
    }

    fn first_of_month(&self, month: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, month, 1).expect("month is 1 to 12")
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

/// How many links are missing below the minimum, as of the day links are counted on.
fn shortfall(d: &DeputyYear, links: &[Link], minimum: u32) -> u32 {
    minimum.saturating_sub(links::in_force_on(links, d.links_as_of()).len() as u32)
}

fn fixed_households(d: &DeputyYear, t: &Thresholds) -> RuleResult {
    let missing = shortfall(d, &d.fixed_households, t.min_fixed_households);
    let in_year = |a: &&Attended| a.day.year() == d.year;
    let contacts_in = |m: u32, household: Uuid| {
        d.attended
            .iter()
            .filter(in_year)
            .filter(|a| a.day.month() == m && a.contacted.contains(&household))
            .count() as u32
    };
    let status = if missing > 0 {
        Status::Overdue
    } else {
        monthly(d, d.begun_months(), |m| {
            let owed = links::in_force_throughout(
                &d.fixed_households,
                d.first_of_month(m),
                d.last_day_of_month(m),
            );
            owed.iter()
                .any(|h| contacts_in(m, *h) < t.household_contacts_per_month)
        })
    };
    let evidence = d
        .attended
        .iter()
        .filter(in_year)
        .filter(|a| {
            let linked = links::in_force_on(&d.fixed_households, a.day);
            a.contacted.iter().any(|v| linked.contains(v))
        })
        .map(|a| a.id)
        .collect();
    RuleResult {
        shortfall: Some(missing),
        ..RuleResult::new(Rule::FixedHouseholdContact, status, evidence)
    }
}

fn voter_liaisons(d: &DeputyYear, t: &Thresholds) -> RuleResult {
    let missing = shortfall(d, &d.voter_liaisons, t.min_voter_liaisons);
    let status = if missing > 0 {
        Status::Overdue
    } else {
        Status::Met
    };
    RuleResult {
        shortfall: Some(missing),
        ..RuleResult::new(Rule::VoterLiaisons, status, vec![])
    }
}

fn pre_session(d: &DeputyYear, t: &Thresholds) -> RuleResult {
    if d.sessions.is_empty() {
        let held = d.of_kind(ActivityKind::PreSessionConsultation);
        return RuleResult::new(
            Rule::PreSessionConsultation,
            by_dated_deadline(d, &held, t.pre_session_by_month),
            ids(&held),
        );
    }
    let consultations: Vec<Consultation> = d
        .attended
        .iter()
        .filter(|a| a.kind == ActivityKind::PreSessionConsultation)
        .map(|a| (a.id, a.day))
        .collect();
    let (status, evidence) = sessions::judge_all(
        &d.sessions,
        &consultations,
        t.pre_session_window_days,
        d.today,
    );
    RuleResult::new(Rule::PreSessionConsultation, status, evidence)
}

pub fn evaluate(d: &DeputyYear, t: &Thresholds) -> Vec<RuleResult> {
    let reports = d.of_kind(ActivityKind::AnnualReport);
    let annual_report = RuleResult::new(
        Rule::AnnualReport,
        by_deadline(
            reports.len() as u32 >= t.annual_reports_per_year,
            d.closed_after(12),
        ),
        ids(&reports),
    );

    let month_of = |a: &Attended| a.day.month();
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

    let overdue: Vec<Uuid> = d
        .open_opinions
        .iter()
        .filter(|o| o.overdue)
        .map(|o| o.id)
        .collect();
    let opinions = if !overdue.is_empty() {
        RuleResult::new(Rule::NoOverdueOpinions, Status::Overdue, overdue)
    } else {
        RuleResult::new(
            Rule::NoOverdueOpinions,
            if d.open_opinions.is_empty() {
                Status::Met
            } else {
                Status::Due
            },
            d.open_opinions.iter().map(|o| o.id).collect(),
        )
    };

    vec![
        annual_report,
        fixed_households(d, t),
        voter_liaisons(d, t),
        RuleResult::new(Rule::StationRota, rota_status, rota_evidence),
        RuleResult::new(
            Rule::CentralisedContact,
            by_dated_deadline(d, &centralised, t.centralised_contact_by_month),
            ids(&centralised),
        ),
        pre_session(d, t),
        opinions,
    ]
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
