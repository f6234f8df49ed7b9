//! Rules of activities and meeting requests beyond their row filters.

use super::caller::{Caller, Role};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::caller::Binding;
    use uuid::Uuid;

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
}
