//! Rules of activities and meeting requests beyond their row filters.

use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use super::roles::Action;
use crate::error::{ApiError, ApiResult};

/// Registration forms name visitors and their phones: for staff who keep them. A deputy sees
/// the visitors' names with the phones masked, like voters' phones elsewhere.
pub fn sees_visitor_phones(caller: &Caller) -> bool {
    caller.is_staff()
}

/// A voter's side of a meeting request is asking and calling it off; answering it is for the
/// deputy and staff.
pub fn check_answer_appointment(caller: &Caller) -> ApiResult<()> {
    (caller.role != Role::Voter && caller.may(Action::AnswerAppointments))
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("the deputy or staff in scope answer meeting requests"))
}

/// Whether `POST /activities` by this caller declares (a deputy, for staff to confirm) or plans
/// (staff, who must be allowed to manage activities).
pub fn creates_declaration(caller: &Caller) -> ApiResult<bool> {
    if caller.role == Role::Representative {
        return Ok(true);
    }
    caller.require(Action::ManageActivities)?;
    Ok(false)
}

/// A deputy declares only their own activities: the plan names them and nobody else. Returns
/// the deputy.
pub fn check_declare(caller: &Caller, representative_ids: &[Uuid]) -> ApiResult<Uuid> {
    let Binding::Representative(me) = caller.binding else {
        return Err(ApiError::forbidden(
            "only a deputy declares their own activities",
        ));
    };
    if caller.role != Role::Representative {
        return Err(ApiError::forbidden(
            "only a deputy declares their own activities",
        ));
    }
    if representative_ids.is_empty() || representative_ids.iter().any(|r| *r != me) {
        return Err(ApiError::invalid_field(
            "representative_ids",
            "a deputy declares their own activities: name yourself only",
        ));
    }
    Ok(me)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voters_ask_but_do_not_answer() {
        let voter = Caller::for_test(Role::Voter, Binding::Voter(Uuid::now_v7()));
        let refused = check_answer_appointment(&voter).expect_err("voters ask");
        assert_eq!(refused.status().as_u16(), 403);
        assert!(!sees_visitor_phones(&voter));
        let deputy = Caller::for_test(
            Role::Representative,
            Binding::Representative(Uuid::now_v7()),
        );
        assert!(check_answer_appointment(&deputy).is_ok());
        assert!(!sees_visitor_phones(&deputy));
        let body = Caller::for_test(Role::HandlingBody, Binding::HandlingBody(Uuid::now_v7()));
        assert!(check_answer_appointment(&body).is_err());
    }

    #[test]
    fn a_deputy_declares_only_for_themself() {
        let me = Uuid::now_v7();
        let deputy = Caller::for_test(Role::Representative, Binding::Representative(me));
        assert_eq!(check_declare(&deputy, &[me]).unwrap(), me);
        assert_eq!(check_declare(&deputy, &[me, me]).unwrap(), me);
        let other = check_declare(&deputy, &[me, Uuid::now_v7()]).unwrap_err();
        assert_eq!(other.status().as_u16(), 422);
        assert_eq!(
            check_declare(&deputy, &[]).unwrap_err().status().as_u16(),
            422
        );
        let staff = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::now_v7()));
        assert_eq!(
            check_declare(&staff, &[me]).unwrap_err().status().as_u16(),
            403
        );
    }
}
