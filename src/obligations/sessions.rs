//! The pre-session consultation judged per congress session (township rules §2: "before each
//! congress session"): a consultation counts for a session when held in the policy's window of
//! days before it opens. Pure.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::rules::Status;

/// A congress session of the deputy's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

/// One consultation the deputy took part in: (activity, local day).
pub type Consultation = (Uuid, NaiveDate);

/// Met when a consultation fell in the `window_days` before the session opened; late when one
/// was held only while the session sat; otherwise overdue once it opened, else due. With the
/// activities that counted either way.
pub fn judge(
    session: &Session,
    consultations: &[Consultation],
    window_days: u32,
    today: NaiveDate,
) -> (Status, Vec<Uuid>) {
    let window_opens = session
        .opens_on
        .checked_sub_days(Days::new(window_days.into()))
        .unwrap_or(NaiveDate::MIN);
    let in_window: Vec<Uuid> = consultations
        .iter()
        .filter(|(_, day)| (window_opens..session.opens_on).contains(day))
        .map(|(id, _)| *id)
        .collect();
    if !in_window.is_empty() {
        return (Status::Met, in_window);
    }
    let during: Vec<Uuid> = consultations
        .iter()
        .filter(|(_, day)| (session.opens_on..=session.closes_on).contains(day))
        .map(|(id, _)| *id)
        .collect();
    if !during.is_empty() {
        (Status::Late, during)
    } else if today >= session.opens_on {
        (Status::Overdue, vec![])
    } else {
        (Status::Due, vec![])
    }
}

/// The rule over every session of the year: the worst session decides (overdue, then late,
/// then due).
pub fn judge_all(
    sessions: &[Session],
    consultations: &[Consultation],
    window_days: u32,
    today: NaiveDate,
) -> (Status, Vec<Uuid>) {
    let rank = |s: Status| match s {
        Status::Met => 0,
        Status::Due => 1,
        Status::Late => 2,
        Status::Overdue => 3,
    };
    let mut status = Status::Met;
    let mut evidence = Vec::new();
    for s in sessions {
        let (one, counted) = judge(s, consultations, window_days, today);
        if rank(one) > rank(status) {
            status = one;
        }
        for id in counted {
            if !evidence.contains(&id) {
                evidence.push(id);
            }
        }
    }
    (status, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn session(opens: &str, closes: &str) -> Session {
        Session {
            id: Uuid::now_v7(),
            opens_on: day(opens),
            closes_on: day(closes),
        }
    }

    #[test]
    fn a_consultation_counts_in_the_window_before_its_session() {
        let january = session("2025-01-08", "2025-01-11");
        let held = Uuid::now_v7();
        // 40 days before: inside a 60-day window, outside a 30-day one.
        let c = [(held, day("2024-11-29"))];
        assert_eq!(
            judge(&january, &c, 60, day("2025-03-01")),
            (Status::Met, vec![held])
        );
        assert_eq!(
            judge(&january, &c, 30, day("2025-03-01")).0,
            Status::Overdue
        );
        // Before the session opens, nothing yet is due, not overdue.
        assert_eq!(judge(&january, &[], 60, day("2025-01-07")).0, Status::Due);
        assert_eq!(
            judge(&january, &[], 60, day("2025-01-08")).0,
            Status::Overdue
        );
    }

    #[test]
    fn one_held_while_the_session_sits_is_late() {
        let s = session("2025-01-08", "2025-01-11");
        let c = [(Uuid::now_v7(), day("2025-01-09"))];
        assert_eq!(judge(&s, &c, 60, day("2025-02-01")).0, Status::Late);
    }

    #[test]
    fn the_worst_session_of_the_year_decides() {
        let spring = session("2025-01-08", "2025-01-11");
        let extra = session("2025-09-20", "2025-09-21");
        let c = [(Uuid::now_v7(), day("2024-12-20"))];
        let (status, evidence) = judge_all(&[spring, extra], &c, 60, day("2025-06-01"));
        assert_eq!((status, evidence.len()), (Status::Due, 1));
        let (status, _) = judge_all(&[spring, extra], &c, 60, day("2025-10-01"));
        assert_eq!(status, Status::Overdue);
    }
}
