//! Rules of opinions: in whose name one is recorded, how a caller stands to one, and which
//! steps of the lifecycle they may take. The lifecycle (`opinions::lifecycle`) says what the
//! state allows; this file says who; `permitted_steps` joins the two, and it is the one answer
//! to "what may I do now" for both the view's `actions` and a 409's `allowed_actions`.

use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::opinions::lifecycle::{self, Action as OpinionAction, Facts, State};

/// Who raised an opinion: everyone who can see it except handling bodies, who answer the
/// matter, not the person (PIPL's minimum necessary).
pub fn sees_who_raised_opinions(caller: &Caller) -> bool {
    caller.role != Role::HandlingBody
}

/// An export leaves the system (PIPL's minimum necessary): a voter's name goes only to staff
/// in scope; handling bodies, deputies and service clients get no voter identity in it.
pub fn exports_voter_names(caller: &Caller) -> bool {
    caller.is_staff()
}

/// Internal timeline notes are for the service's own side, not the voter.
pub fn sees_internal_notes(caller: &Caller) -> bool {
    caller.role != Role::Voter
}

/// In whose name a caller records an opinion. A voter submits their own (online only); a
/// deputy records what they took; group staff record for their group; other staff for anyone
/// in their scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    Voter(Uuid),
    Deputy(Uuid),
    Group(Uuid),
    Staff,
}

/// Callers that may not record at all are refused earlier by `Action::RecordOpinions`.
pub fn opinion_recorder(caller: &Caller) -> Recorder {
    match (caller.role, caller.binding) {
        (Role::Voter, Binding::Voter(id)) => Recorder::Voter(id),
        (Role::Representative, Binding::Representative(id)) => Recorder::Deputy(id),
        (Role::GroupStaff, Binding::LiaisonGroup(id)) => Recorder::Group(id),
        _ => Recorder::Staff,
    }
}

/// How the caller stands to one opinion they can already see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpinionTies {
    /// The caller is the deputy who took it.
    pub own_deputy: bool,
    /// The caller is the voter who raised it.
    pub own_voter: bool,
    /// The caller is the body leading the current round.
    pub lead_body: bool,
    /// The caller is a body it is referred to (lead or assisting), not returned.
    pub referred_body: bool,
}

impl OpinionTies {
    pub fn of(
        caller: &Caller,
        opinion: (Option<Uuid>, Option<Uuid>),
        lead: Option<Uuid>,
        referred: &[Uuid],
    ) -> Self {
        let (representative, voter) = opinion;
        let bound = |id: Option<Uuid>, binding: fn(Uuid) -> Binding| {
            id.is_some_and(|id| caller.binding == binding(id))
        };
        Self {
            own_deputy: bound(representative, Binding::Representative),
            own_voter: bound(voter, Binding::Voter),
            lead_body: bound(lead, Binding::HandlingBody),
            referred_body: referred
                .iter()
                .any(|b| caller.binding == Binding::HandlingBody(*b)),
        }
    }
}

/// Who may take a step of the lifecycle on an opinion in their scope: staff refer, transfer,
/// feed back, decline and reopen, and record a body's answer received on paper; the deputy who
/// took it does the same for their own and alone answers on the spot; the lead body answers or
/// hands it on; a referred body accepts; the voter rates.
fn may_step(caller: &Caller, ties: OpinionTies, state: State, action: OpinionAction) -> bool {
    use OpinionAction::*;
    let staff = caller.is_staff();
    let deputy = caller.role == Role::Representative && ties.own_deputy;
    let body = caller.role == Role::HandlingBody;
    match action {
        Receive => false,
        Refer | Decline | FeedBack | Edit | Escalate => staff || deputy,
        Transfer => staff || deputy || (body && ties.lead_body),
        Answer if state == State::Received => deputy,
        Answer => staff || (body && ties.lead_body),
        Accept => body && ties.referred_body,
        Reopen => staff,
        Rate => caller.role == Role::Voter && ties.own_voter,
    }
}

/// Referral targets are for those who refer: never voters or service clients.
pub fn check_list_referable(caller: &Caller) -> ApiResult<()> {
    if matches!(caller.role, Role::Voter | Role::Service) {
        return Err(ApiError::forbidden("voters do not refer opinions"));
    }
    Ok(())
}

/// Refuses a step the caller may not take on an opinion they can see.
pub fn check_step(
    caller: &Caller,
    ties: OpinionTies,
    state: State,
    action: OpinionAction,
) -> ApiResult<()> {
    may_step(caller, ties, state, action)
        .then_some(())
        .ok_or_else(|| {
            ApiError::forbidden(format!(
                "you may not take the {} step on this opinion",
                action.as_str()
            ))
        })
}

/// The steps this caller may take now: those the state allows and the caller may take.
pub fn permitted_steps(caller: &Caller, ties: OpinionTies, facts: &Facts) -> Vec<OpinionAction> {
    lifecycle::allowed(facts)
        .into_iter()
        .filter(|&a| may_step(caller, ties, facts.state, a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_steps_by_role_and_tie() {
        use OpinionAction::*;
        let none = OpinionTies::default();
        let deputy_own = OpinionTies {
            own_deputy: true,
            ..none
        };
        let lead = OpinionTies {
            lead_body: true,
            referred_body: true,
            ..none
        };
        let assisting = OpinionTies {
            referred_body: true,
            ..none
        };
        let voter_own = OpinionTies {
            own_voter: true,
            ..none
        };
        let staff = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::nil()));
        let deputy = Caller::for_test(Role::Representative, Binding::Representative(Uuid::nil()));
        let body = Caller::for_test(Role::HandlingBody, Binding::HandlingBody(Uuid::nil()));
        let voter = Caller::for_test(Role::Voter, Binding::Voter(Uuid::nil()));
        let service = Caller::for_test(Role::Service, Binding::Unbound);
        // (caller, ties, state, action, allowed)
        let cases = [
            (&staff, none, State::Received, Refer, true),
            (&staff, none, State::Received, Escalate, true),
            (&deputy, deputy_own, State::Received, Escalate, true),
            (&deputy, none, State::Received, Escalate, false),
            (&body, lead, State::Received, Escalate, false),
            (&staff, none, State::Received, Answer, false),
            (&staff, none, State::Referred, Answer, true),
            (&staff, none, State::FedBack, Reopen, true),
            (&staff, none, State::FedBack, Rate, false),
            (&deputy, deputy_own, State::Received, Answer, true),
            (&deputy, deputy_own, State::Referred, Answer, false),
            (&deputy, deputy_own, State::Answered, FeedBack, true),
            (&deputy, none, State::Answered, FeedBack, false),
            (&deputy, deputy_own, State::FedBack, Reopen, false),
            (&body, lead, State::Referred, Answer, true),
            (&body, assisting, State::Referred, Answer, false),
            (&body, assisting, State::Referred, Accept, true),
            (&body, lead, State::Referred, Transfer, true),
            (&body, lead, State::Answered, FeedBack, false),
            (&voter, voter_own, State::FedBack, Rate, true),
            (&voter, none, State::FedBack, Rate, false),
            (&voter, voter_own, State::Received, Refer, false),
            (&service, none, State::Received, Refer, false),
        ];
        for (c, ties, state, action, expected) in cases {
            assert_eq!(
                may_step(c, ties, state, action),
                expected,
                "{:?} {ties:?} {state:?} {action:?}",
                c.role
            );
        }
        for &state in State::ALL {
            for c in [&staff, &deputy, &body, &voter] {
                assert!(
                    !may_step(c, lead, state, Receive),
                    "receive is never a step"
                );
            }
        }
    }

    #[test]
    fn ties_follow_the_binding() {
        let rep = Uuid::now_v7();
        let body = Uuid::now_v7();
        let deputy = Caller::for_test(Role::Representative, Binding::Representative(rep));
        let t = OpinionTies::of(&deputy, (Some(rep), None), Some(body), &[body]);
        assert!(t.own_deputy && !t.lead_body && !t.referred_body && !t.own_voter);
        let b = Caller::for_test(Role::HandlingBody, Binding::HandlingBody(body));
        let t = OpinionTies::of(&b, (Some(rep), None), Some(body), &[body]);
        assert!(t.lead_body && t.referred_body && !t.own_deputy);
    }

    #[test]
    fn check_step_refuses_with_the_step_named() {
        let voter = Caller::for_test(Role::Voter, Binding::Voter(Uuid::nil()));
        let refused = check_step(
            &voter,
            OpinionTies::default(),
            State::Received,
            OpinionAction::Refer,
        )
        .expect_err("voters do not refer");
        assert_eq!(refused.status().as_u16(), 403);
        assert_eq!(
            refused.detail(),
            "you may not take the refer step on this opinion"
        );
    }

    #[test]
    fn permitted_steps_are_the_allowed_ones_the_caller_may_take() {
        let facts = Facts {
            state: State::Received,
            round: 1,
            max_reopen_rounds: 2,
            rating: None,
        };
        let staff = Caller::for_test(Role::CommitteeStaff, Binding::Committee(Uuid::nil()));
        let deputy = Caller::for_test(Role::Representative, Binding::Representative(Uuid::nil()));
        let own = OpinionTies {
            own_deputy: true,
            ..OpinionTies::default()
        };
        use OpinionAction::*;
        // Only the deputy who took it answers on the spot.
        assert_eq!(
            permitted_steps(&staff, OpinionTies::default(), &facts),
            vec![Refer, Decline, Edit, Escalate]
        );
        assert_eq!(
            permitted_steps(&deputy, own, &facts),
            vec![Refer, Answer, Decline, Edit, Escalate]
        );
        for &state in State::ALL {
            for &action in OpinionAction::ALL {
                let f = Facts { state, ..facts };
                let permitted = permitted_steps(&deputy, own, &f).contains(&action);
                let by_parts = lifecycle::next(&f, action).is_ok()
                    && check_step(&deputy, own, state, action).is_ok();
                assert_eq!(permitted, by_parts, "{state:?} {action:?}");
            }
        }
    }
}
