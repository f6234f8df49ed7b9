//! The opinion state machine (see the diagram in `shared/domain.md`). Pure: no I/O, no clock,
//! no roles. Handlers ask `next` before they write anything, and nothing else changes a state;
//! who may take a step is decided separately, in `access::opinions::may_step`.
//!
//! ```text
//!             refer / transfer
//! received ─────────────► referred ──answer──► answered ──feed_back──► fed_back
//!    │  ├──answer (on the spot, voter gone)──────▲                       ▲   │
//!    │  └──answer (on the spot, in person)───────────────────────────────┘   │
//!    └──decline──► declined                                 reopen (voter unsatisfied)
//!                                                           └──────────► referred
//! ```
//! An answer given on the spot to the voter in person (station rules §6: 能够即时答复的,当场予以
//! 答复) is fed back by being given: it lands on `fed_back` in the same step.
//! A received opinion may also be `escalate`d to the parent committee (it stays received).
//! Two steps keep the state and are recorded all the same: a body `accept`s a referral, and the
//! voter `rate`s the feedback (once per round; an unsatisfied rating is what allows `reopen`).

use crate::db::text_enum;

text_enum!(
    State {
        Received => "received",
        Referred => "referred",
        Answered => "answered",
        FedBack => "fed_back",
        Declined => "declined",
    }
);

text_enum!(
    /// Every step of the timeline, including the first (`receive`) and the in-place ones.
    Action {
        Receive => "receive",
        Refer => "refer",
        Transfer => "transfer",
        Answer => "answer",
        FeedBack => "feed_back",
        Decline => "decline",
        Reopen => "reopen",
        Rate => "rate",
        Accept => "accept",
        /// Staff correct the record (title, category, …) while it is still received.
        Edit => "edit",
        /// Hand a received opinion up to the parent committee (township station rules §6:
        /// district matters go through the township congress to the district).
        Escalate => "escalate",
    }
);

text_enum!(
    Rating {
        Satisfied => "satisfied",
        BasicallySatisfied => "basically_satisfied",
        Unsatisfied => "unsatisfied",
    }
);

impl Action {
    /// The event's name in the changes feed and webhooks: what happened (`opinion.referred`),
    /// as activities (`activity.held`) and appointments (`appointment.accepted`) say it.
    pub fn happened(self) -> &'static str {
        match self {
            Action::Receive => "received",
            Action::Refer => "referred",
            Action::Transfer => "transferred",
            Action::Answer => "answered",
            Action::FeedBack => "fed_back",
            Action::Decline => "declined",
            Action::Reopen => "reopened",
            Action::Rate => "rated",
            Action::Accept => "accepted",
            Action::Edit => "edited",
            Action::Escalate => "escalated",
        }
    }
}

/// What the machine needs to know about an opinion besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    /// 1 for the first round; each reopen adds one.
    pub round: i32,
    /// Reopens allowed in all (committee policy, default 2).
    pub max_reopen_rounds: i32,
    /// The voter's rating of the current round's feedback.
    pub rating: Option<Rating>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The action does not leave this state at all.
    NotFromState { state: State, allowed: Vec<Action> },
    /// `reopen` needs an unsatisfied rating of this round first.
    NotUnsatisfied,
    /// Every allowed round has been used.
    ReopenLimitReached { limit: i32 },
    /// This round's feedback has a rating already.
    AlreadyRated,
}

/// The state after `action`, or why it is refused. `Receive` is never a step: an opinion is
/// created received.
pub fn next(facts: &Facts, action: Action) -> Result<State, Refusal> {
    use Action::*;
    use State::*;
    let to = match (facts.state, action) {
        (Received, Refer) => Referred,
        (Received, Answer) => Answered,
        (Received, Decline) => Declined,
        (Received, Edit) => Received,
        (Received, Escalate) => Received,
        (Referred, Transfer) => Referred,
        (Referred, Answer) => Answered,
        (Referred, Accept) => Referred,
        (Answered, FeedBack) => FedBack,
        (FedBack, Rate) => {
            if facts.rating.is_some() {
                return Err(Refusal::AlreadyRated);
            }
            FedBack
        }
        (FedBack, Reopen) => {
            if facts.rating != Some(Rating::Unsatisfied) {
                return Err(Refusal::NotUnsatisfied);
            }
            if facts.round > facts.max_reopen_rounds {
                return Err(Refusal::ReopenLimitReached {
                    limit: facts.max_reopen_rounds,
                });
            }
            Referred
        }
        (state, _) => {
            return Err(Refusal::NotFromState {
                state,
                allowed: allowed(facts),
            });
        }
    };
    Ok(to)
}

/// Where an answer lands, once `next` has allowed it: on the spot to a voter who is there, the
/// voter has heard it, so it is fed back; otherwise it waits for the feedback step.
pub fn answer_lands_on(from: State, in_person: bool) -> State {
    match (from, in_person) {
        (State::Received, true) => State::FedBack,
        _ => State::Answered,
    }
}

/// Every action `next` would accept now, in declaration order.
pub fn allowed(facts: &Facts) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|&a| a != Action::Receive)
        .filter(|&a| matches_state(facts.state, a) && next(facts, a).is_ok())
        .collect()
}

/// The (state, action) pairs of the diagram, without preconditions; `allowed` uses it so that
/// `next` and `allowed` cannot recurse into each other.
fn matches_state(state: State, action: Action) -> bool {
    use Action::*;
    use State::*;
    matches!(
        (state, action),
        (Received, Refer | Answer | Decline | Edit | Escalate)
            | (Referred, Transfer | Answer | Accept)
            | (Answered, FeedBack)
            | (FedBack, Rate | Reopen)
    )
}

/// Whether the state still owes the voter something (and so has a due date).
pub fn is_open(state: State) -> bool {
    matches!(state, State::Received | State::Referred | State::Answered)
}

/// The state an opinion's timeline leads to: the target of its last event.
pub fn fold<'a>(targets: impl IntoIterator<Item = &'a State>) -> Option<State> {
    targets.into_iter().last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(state: State) -> Facts {
        Facts {
            state,
            round: 1,
            max_reopen_rounds: 2,
            rating: None,
        }
    }

    /// The whole table, written out independently of `next`: every (state, action) pair.
    fn expected(state: State, action: Action) -> Option<State> {
        use Action::*;
        use State::*;
        match (state, action) {
            (Received, Refer) => Some(Referred),
            (Received, Answer) => Some(Answered),
            (Received, Decline) => Some(Declined),
            (Received, Edit) => Some(Received),
            (Received, Escalate) => Some(Received),
            (Referred, Transfer) => Some(Referred),
            (Referred, Answer) => Some(Answered),
            (Referred, Accept) => Some(Referred),
            (Answered, FeedBack) => Some(FedBack),
            (FedBack, Rate) => Some(FedBack),
            _ => None,
        }
    }

    #[test]
    fn every_state_and_action_pair_is_as_drawn() {
        for &state in State::ALL {
            for &action in Action::ALL {
                if action == Action::Reopen {
                    continue;
                }
                let got = next(&facts(state), action).ok();
                assert_eq!(got, expected(state, action), "{state:?} --{action:?}-->");
            }
        }
    }

    #[test]
    fn refusals_name_the_state_and_what_is_allowed() {
        let err = next(&facts(State::Received), Action::FeedBack).unwrap_err();
        assert_eq!(
            err,
            Refusal::NotFromState {
                state: State::Received,
                allowed: vec![
                    Action::Refer,
                    Action::Answer,
                    Action::Decline,
                    Action::Edit,
                    Action::Escalate
                ],
            }
        );
        let err = next(&facts(State::Declined), Action::Reopen).unwrap_err();
        assert_eq!(
            err,
            Refusal::NotFromState {
                state: State::Declined,
                allowed: vec![],
            }
        );
    }

    #[test]
    fn receive_is_never_a_step() {
        for &state in State::ALL {
            assert!(next(&facts(state), Action::Receive).is_err());
        }
    }

    #[test]
    fn reopen_needs_an_unsatisfied_rating() {
        let mut f = facts(State::FedBack);
        assert_eq!(next(&f, Action::Reopen), Err(Refusal::NotUnsatisfied));
        f.rating = Some(Rating::BasicallySatisfied);
        assert_eq!(next(&f, Action::Reopen), Err(Refusal::NotUnsatisfied));
        f.rating = Some(Rating::Unsatisfied);
        assert_eq!(next(&f, Action::Reopen), Ok(State::Referred));
        assert_eq!(allowed(&f), vec![Action::Reopen]);
    }

    #[test]
    fn reopen_rounds_are_limited() {
        let mut f = Facts {
            rating: Some(Rating::Unsatisfied),
            ..facts(State::FedBack)
        };
        f.round = 2;
        assert_eq!(next(&f, Action::Reopen), Ok(State::Referred));
        f.round = 3;
        assert_eq!(
            next(&f, Action::Reopen),
            Err(Refusal::ReopenLimitReached { limit: 2 })
        );
        f.max_reopen_rounds = 0;
        f.round = 1;
        assert_eq!(
            next(&f, Action::Reopen),
            Err(Refusal::ReopenLimitReached { limit: 0 })
        );
    }

    #[test]
    fn a_round_is_rated_once() {
        let mut f = facts(State::FedBack);
        assert_eq!(next(&f, Action::Rate), Ok(State::FedBack));
        f.rating = Some(Rating::Satisfied);
        assert_eq!(next(&f, Action::Rate), Err(Refusal::AlreadyRated));
        assert!(allowed(&f).is_empty());
    }

    #[test]
    fn allowed_agrees_with_next() {
        let ratings = [
            None,
            Some(Rating::Satisfied),
            Some(Rating::BasicallySatisfied),
            Some(Rating::Unsatisfied),
        ];
        for &state in State::ALL {
            for rating in ratings {
                for round in 1..=4 {
                    let f = Facts {
                        state,
                        round,
                        max_reopen_rounds: 2,
                        rating,
                    };
                    for &action in Action::ALL {
                        assert_eq!(
                            allowed(&f).contains(&action),
                            next(&f, action).is_ok(),
                            "{f:?} {action:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_answer_in_person_on_the_spot_is_fed_back_in_one_step() {
        for &from in State::ALL {
            for in_person in [true, false] {
                let expected = if from == State::Received && in_person {
                    State::FedBack
                } else {
                    State::Answered
                };
                assert_eq!(answer_lands_on(from, in_person), expected, "{from:?}");
            }
        }
        // And the voter may then rate it like any feedback.
        assert_eq!(
            next(&facts(State::FedBack), Action::Rate),
            Ok(State::FedBack)
        );
    }

    #[test]
    fn closed_states_owe_nothing() {
        assert!(is_open(State::Received));
        assert!(is_open(State::Referred));
        assert!(is_open(State::Answered));
        assert!(!is_open(State::FedBack));
        assert!(!is_open(State::Declined));
    }

    #[test]
    fn fold_is_the_last_target() {
        assert_eq!(fold(&[]), None);
        assert_eq!(
            fold(&[State::Received, State::Referred, State::Answered]),
            Some(State::Answered)
        );
    }
}
