//! The life of a meeting request. Pure.
//!
//! ```text
//! requested ──accept──► accepted ──(activity held)──► held
//!     │                    │
//!     ├──decline──► declined
//!     └──cancel──► cancelled ◄──cancel──┘   (and when the activity is cancelled)
//! ```

use crate::db::text_enum;

text_enum!(
    AppointmentState {
        Requested => "requested",
        Accepted => "accepted",
        Declined => "declined",
        Held => "held",
        Cancelled => "cancelled",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Decline,
    Cancel,
    /// The activity it became was held.
    Hold,
}

pub fn next(state: AppointmentState, step: Step) -> Option<AppointmentState> {
    use AppointmentState::*;
    match (state, step) {
        (Requested, Step::Accept) => Some(Accepted),
        (Requested, Step::Decline) => Some(Declined),
        (Requested | Accepted, Step::Cancel) => Some(Cancelled),
        (Accepted, Step::Hold) => Some(Held),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_step() {
        use AppointmentState::*;
        let steps = [Step::Accept, Step::Decline, Step::Cancel, Step::Hold];
        let table = [
            (
                Requested,
                [Some(Accepted), Some(Declined), Some(Cancelled), None],
            ),
            (Accepted, [None, None, Some(Cancelled), Some(Held)]),
            (Declined, [None, None, None, None]),
            (Held, [None, None, None, None]),
            (Cancelled, [None, None, None, None]),
        ];
        assert_eq!(table.len(), AppointmentState::ALL.len());
        for (state, expected) in table {
            for (step, want) in steps.iter().zip(expected) {
                assert_eq!(next(state, *step), want, "{state:?} {step:?}");
            }
        }
    }
}
