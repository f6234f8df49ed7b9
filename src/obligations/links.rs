//! Contact links in time: a fixed-contact household or voter liaison is in force from the day
//! it was named until the day it was removed, and each month is judged on the links in force
//! in it (county rules §3①). Pure.

use chrono::NaiveDate;
use uuid::Uuid;

/// A link as stored: in force from `from`, no longer on `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub voter: Uuid,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Link {
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day < until)
    }
}

/// Voters linked on `day`, each once.
pub fn in_force_on(links: &[Link], day: NaiveDate) -> Vec<Uuid> {
    let mut voters: Vec<Uuid> = links
        .iter()
        .filter(|l| l.in_force_on(day))
        .map(|l| l.voter)
        .collect();
    voters.sort_unstable();
    voters.dedup();
    voters
}

/// Voters linked on every day from `first` to `last`: those owed a contact in that month. A
/// household named mid-month is owed one from the next month; one removed mid-month no longer
/// that month. A link removed and named again the same day counts as unbroken.
pub fn in_force_throughout(links: &[Link], first: NaiveDate, last: NaiveDate) -> Vec<Uuid> {
    let mut voters: Vec<Uuid> = links.iter().map(|l| l.voter).collect();
    voters.sort_unstable();
    voters.dedup();
    voters.retain(|voter| {
        let mut spans: Vec<&Link> = links.iter().filter(|l| l.voter == *voter).collect();
        spans.sort_by_key(|l| l.from);
        // Walk the spans from `first`, moving the covered-until mark while they join up.
        let mut covered_to = first;
        for span in spans {
            if span.from > covered_to {
                break;
            }
            match span.until {
                None => return true,
                Some(until) if until > covered_to => covered_to = until,
                Some(_) => {}
            }
            if covered_to > last {
                return true;
            }
        }
        false
    });
    voters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn link(voter: Uuid, from: &str, until: Option<&str>) -> Link {
        Link {
            voter,
            from: day(from),
            until: until.map(day),
        }
    }

    #[test]
    fn a_household_named_in_june_is_owed_contacts_from_july_only() {
        let h = Uuid::now_v7();
        let links = [link(h, "2025-06-15", None)];
        assert!(in_force_throughout(&links, day("2025-05-01"), day("2025-05-31")).is_empty());
        assert!(in_force_throughout(&links, day("2025-06-01"), day("2025-06-30")).is_empty());
        assert_eq!(
            in_force_throughout(&links, day("2025-07-01"), day("2025-07-31")),
            [h]
        );
        assert_eq!(in_force_on(&links, day("2025-06-15")), [h]);
        assert!(in_force_on(&links, day("2025-06-14")).is_empty());
    }

    #[test]
    fn a_removed_household_stays_in_the_months_it_was_in_force() {
        let h = Uuid::now_v7();
        let links = [link(h, "2025-01-01", Some("2025-04-10"))];
        assert_eq!(
            in_force_throughout(&links, day("2025-03-01"), day("2025-03-31")),
            [h]
        );
        assert!(in_force_throughout(&links, day("2025-04-01"), day("2025-04-30")).is_empty());
        assert!(in_force_on(&links, day("2025-04-10")).is_empty());
        assert_eq!(in_force_on(&links, day("2025-04-09")), [h]);
    }

    #[test]
    fn links_that_join_up_cover_the_month() {
        let h = Uuid::now_v7();
        let joined = [
            link(h, "2025-01-01", Some("2025-03-10")),
            link(h, "2025-03-10", None),
        ];
        assert_eq!(
            in_force_throughout(&joined, day("2025-03-01"), day("2025-03-31")),
            [h]
        );
        let gap = [
            link(h, "2025-01-01", Some("2025-03-10")),
            link(h, "2025-03-12", None),
        ];
        assert!(in_force_throughout(&gap, day("2025-03-01"), day("2025-03-31")).is_empty());
    }
}
