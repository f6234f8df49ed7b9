//! Unit tests of `rules`: each rule's statuses, from hand-made years.
use super::*;

const T: Thresholds = Thresholds {
    annual_reports_per_year: 1,
    household_contacts_per_month: 1,
    rota_receptions_per_month: 1,
    centralised_contact_by_month: 8,
    pre_session_by_month: 12,
    pre_session_window_days: 60,
    min_fixed_households: 2,
    min_voter_liaisons: 0,
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
        voter_liaisons: vec![],
        rota_months: BTreeSet::new(),
        sessions: vec![],
        open_opinions: vec![],
    }
}

fn linked(voter: Uuid, from: &str) -> Link {
    Link {
        voter,
        from: day(from),
        until: None,
    }
}

fn result(d: &DeputyYear, t: &Thresholds, rule: Rule) -> RuleResult {
    evaluate(d, t).into_iter().find(|r| r.rule == rule).unwrap()
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
    result(d, &T, rule).status
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
    let late = result(&strict, &thresholds, Rule::PreSessionConsultation);
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
    // No rota and no opinions: nothing to do. No households named is not "nothing to do":
    // each deputy names at least two (county rules §3①).
    let households = result(&after, &T, Rule::FixedHouseholdContact);
    assert_eq!(
        (households.status, households.shortfall),
        (Status::Overdue, Some(2))
    );
    assert_eq!(status(&after, Rule::StationRota), Status::Met);
    assert_eq!(status(&after, Rule::NoOverdueOpinions), Status::Met);
}

#[test]
fn households_are_counted_month_by_month() {
    let h = Uuid::now_v7();
    let mut d = year("2025-03-10");
    d.fixed_households = vec![linked(h, "2024-12-01")];
    let t = Thresholds {
        min_fixed_households: 1,
        ..T
    };
    let status = |d: &DeputyYear| result(d, &t, Rule::FixedHouseholdContact).status;
    d.attended = vec![
        act(ActivityKind::Inspection, "2025-01-05", &[h]),
        act(ActivityKind::Inspection, "2025-02-05", &[h]),
    ];
    // March has begun but is not over: due, not overdue.
    assert_eq!(status(&d), Status::Due);
    d.attended
        .push(act(ActivityKind::Inspection, "2025-03-09", &[h]));
    assert_eq!(status(&d), Status::Met);
    d.today = day("2025-05-01");
    // April passed without contact.
    assert_eq!(status(&d), Status::Overdue);
    let evidence = result(&d, &t, Rule::FixedHouseholdContact).evidence;
    assert_eq!(evidence.len(), 3);
}

#[test]
fn fewer_households_than_the_minimum_is_overdue_with_the_shortfall() {
    let mut d = year("2025-03-10");
    d.fixed_households = vec![linked(Uuid::now_v7(), "2025-01-01")];
    let r = result(&d, &T, Rule::FixedHouseholdContact);
    assert_eq!((r.status, r.shortfall), (Status::Overdue, Some(1)));
    d.fixed_households
        .push(linked(Uuid::now_v7(), "2025-03-10"));
    let r = result(&d, &T, Rule::FixedHouseholdContact);
    assert_eq!(r.shortfall, Some(0));
    // Enough now; January and February are judged on the one household then in force,
    // never contacted: overdue for the months, not for the count.
    assert_eq!(r.status, Status::Overdue);
    let liaisons = Thresholds {
        min_voter_liaisons: 5,
        ..T
    };
    let r = result(&d, &liaisons, Rule::VoterLiaisons);
    assert_eq!((r.status, r.shortfall), (Status::Overdue, Some(5)));
    assert_eq!(status(&d, Rule::VoterLiaisons), Status::Met);
}

#[test]
fn each_month_is_judged_on_the_households_in_force_in_it() {
    let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
    let mut d = year("2025-08-31");
    let t = Thresholds {
        min_fixed_households: 1,
        ..T
    };
    // `old` was a household January to May; `new` from 10 June.
    d.fixed_households = vec![
        Link {
            voter: old,
            from: day("2025-01-01"),
            until: Some(day("2025-06-01")),
        },
        linked(new, "2025-06-10"),
    ];
    for m in 1..=5 {
        d.attended.push(act(
            ActivityKind::Inspection,
            &format!("2025-{m:02}-05"),
            &[old],
        ));
    }
    for m in 7..=8 {
        d.attended.push(act(
            ActivityKind::Inspection,
            &format!("2025-{m:02}-05"),
            &[new],
        ));
    }
    let r = result(&d, &t, Rule::FixedHouseholdContact);
    // June owes nothing (neither link covers the whole month); the rest were contacted.
    assert_eq!(r.status, Status::Met);
    assert_eq!(r.evidence.len(), 7);
    // A contact with `old` after its removal is not evidence.
    d.attended
        .push(act(ActivityKind::Inspection, "2025-08-20", &[old]));
    assert_eq!(
        result(&d, &t, Rule::FixedHouseholdContact).evidence.len(),
        7
    );
}

#[test]
fn the_consultation_is_judged_per_session() {
    let mut d = year("2025-12-31");
    d.sessions = vec![Session {
        id: Uuid::now_v7(),
        opens_on: day("2025-02-20"),
        closes_on: day("2025-02-23"),
    }];
    // Held in December: the old year-end rule would call it met; the session was in
    // February, so December is neither in its window nor during it.
    d.attended
        .push(act(ActivityKind::PreSessionConsultation, "2025-12-10", &[]));
    assert_eq!(status(&d, Rule::PreSessionConsultation), Status::Overdue);
    // One from the year before, in the 60 days before the session, counts.
    d.attended
        .push(act(ActivityKind::PreSessionConsultation, "2025-01-05", &[]));
    assert_eq!(status(&d, Rule::PreSessionConsultation), Status::Met);
    let mut early = year("2025-12-31");
    early.sessions = d.sessions.clone();
    early
        .attended
        .push(act(ActivityKind::PreSessionConsultation, "2024-12-30", &[]));
    assert_eq!(status(&early, Rule::PreSessionConsultation), Status::Met);
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
    assert_eq!(result(&d, &T, Rule::StationRota).evidence.len(), 2);
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
