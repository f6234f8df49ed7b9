//! Rules of voters and deputies beyond their row filters.

use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// A voter may edit their own record, but moving between constituencies is for staff.
pub fn check_move_voter(caller: &Caller) -> ApiResult<()> {
    caller
        .is_staff()
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("ask staff to move you to another constituency"))
}

/// An ID number is set by staff, who verify it against the card: a voter who could set their
/// own could also test anyone's against the register.
pub fn check_set_id_number(caller: &Caller) -> ApiResult<()> {
    caller
        .is_staff()
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("ask staff to record or correct your ID number"))
}

/// Searching voters by exact phone or ID number is for those who see the field in full: to a
/// caller who sees it masked, a yes/no per query would spell the number out digit by digit.
pub fn check_search_voters_by(caller: &Caller, field: &str) -> ApiResult<()> {
    let in_full = match field {
        "phone" => caller.sees_voter_phones(),
        // ID numbers are masked in every view; only staff, who verify them, look voters up
        // by one.
        _ => caller.is_staff(),
    };
    in_full.then_some(()).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::FilterNotAllowed,
            format!("you may not search voters by {field}"),
        )
    })
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

    #[test]
    fn masked_fields_are_not_search_keys() {
        let deputy = Caller::for_test(Role::Representative, Binding::Representative(Uuid::nil()));
        for field in ["phone", "id_number"] {
            let refused = check_search_voters_by(&deputy, field).expect_err(field);
            assert_eq!(refused.status().as_u16(), 400);
            assert_eq!(refused.code(), ErrorCode::FilterNotAllowed);
        }
        let staff = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::nil()));
        assert!(check_search_voters_by(&staff, "phone").is_ok());
        assert!(check_search_voters_by(&staff, "id_number").is_ok());
        let voter = Caller::for_test(Role::Voter, Binding::Voter(Uuid::nil()));
        assert!(check_search_voters_by(&voter, "id_number").is_err());
    }
}
