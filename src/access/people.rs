//! Rules of voters and deputies beyond their row filters.

use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use crate::error::{ApiError, ApiResult};

/// A voter may edit their own record, but moving between constituencies is for staff.
pub fn check_move_voter(caller: &Caller) -> ApiResult<()> {
    caller
        .is_staff()
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("ask staff to move you to another constituency"))
}

/// The voter a caller is, if they are one: a voter acts for themself, staff name the voter
/// they act for.
pub fn own_voter(caller: &Caller) -> Option<Uuid> {
    match (caller.role, caller.binding) {
        (Role::Voter, Binding::Voter(id)) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_move_voters() {
        let id = Uuid::now_v7();
        let voter = Caller::for_test(Role::Voter, Binding::Voter(id));
        let refused = check_move_voter(&voter).expect_err("voters ask staff");
        assert_eq!(refused.status().as_u16(), 403);
        assert_eq!(own_voter(&voter), Some(id));
        let staff = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::now_v7()));
        assert!(check_move_voter(&staff).is_ok());
        assert_eq!(own_voter(&staff), None);
    }
}
