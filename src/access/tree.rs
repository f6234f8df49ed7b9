//! Rules of the organisation tree: who may shape committees and liaison groups.

use uuid::Uuid;

use super::caller::{Caller, Role};
use crate::error::{ApiError, ApiResult};

/// Committee staff manage what lies strictly below their own committee; their own node is
/// read-only so they cannot move or delete the root of their scope. `ancestors` is the
/// committee's path, root first, itself last.
pub fn check_manage_committee(caller: &Caller, ancestors: &[Uuid]) -> ApiResult<()> {
    let allowed = match caller.role {
        Role::Admin => true,
        Role::CommitteeStaff => caller
            .committee_root()
            .is_some_and(|root| ancestors.contains(&root) && ancestors.last() != Some(&root)),
        _ => false,
    };
    allowed
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("you may not change this committee"))
}

/// May the caller place something (a child committee, a group, rules) under this committee?
pub fn check_attach_to_committee(caller: &Caller, ancestors: &[Uuid]) -> ApiResult<()> {
    let allowed = match caller.role {
        Role::Admin => true,
        Role::CommitteeStaff => caller
            .committee_root()
            .is_some_and(|root| ancestors.contains(&root)),
        _ => false,
    };
    allowed
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("you may not add records under this committee"))
}

/// Top-level (standing) committees are the roots of whole districts: admins only.
pub fn check_create_root_committee(caller: &Caller) -> ApiResult<()> {
    (caller.role == Role::Admin)
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("only admins make top-level committees"))
}

/// Group staff keep their own group's details current but cannot move it to another committee.
pub fn check_move_liaison_group(caller: &Caller) -> ApiResult<()> {
    matches!(caller.role, Role::Admin | Role::CommitteeStaff)
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("you may not move a liaison group to another committee"))
}

/// Congress sessions are the district's own calendar: admins, and staff of a Standing
/// Committee (a committee at the root of its tree), may record them.
pub fn check_manage_congress_sessions(caller: &Caller, bound_to_root: bool) -> ApiResult<()> {
    let allowed = match caller.role {
        Role::Admin => true,
        Role::CommitteeStaff => bound_to_root,
        _ => false,
    };
    allowed.then_some(()).ok_or_else(|| {
        ApiError::forbidden("only admins and district Standing Committee staff record sessions")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::caller::Binding;

    #[test]
    fn committee_staff_manage_strictly_below_their_committee() {
        let (root, child, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let c = Caller::for_test(Role::CommitteeStaff, Binding::Committee(root));
        let refused = check_manage_committee(&c, &[root]).expect_err("own root is read-only");
        assert_eq!(refused.status().as_u16(), 403);
        assert_eq!(refused.detail(), "you may not change this committee");
        assert!(check_manage_committee(&c, &[root, child]).is_ok());
        assert!(check_manage_committee(&c, &[other, child]).is_err());
        assert!(check_attach_to_committee(&c, &[root]).is_ok());
        assert!(check_attach_to_committee(&c, &[other]).is_err());
    }

    #[test]
    fn only_admins_make_roots_and_group_staff_do_not_move_groups() {
        let admin = Caller::for_test(Role::Admin, Binding::Unbound);
        let staff = Caller::for_test(Role::CommitteeStaff, Binding::Committee(Uuid::now_v7()));
        let group = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::now_v7()));
        assert!(check_create_root_committee(&admin).is_ok());
        assert_eq!(
            check_create_root_committee(&staff)
                .unwrap_err()
                .status()
                .as_u16(),
            403
        );
        assert!(check_move_liaison_group(&staff).is_ok());
        assert!(check_move_liaison_group(&group).is_err());
    }

    #[test]
    fn only_admins_and_district_staff_record_sessions() {
        let district = Caller::for_test(Role::CommitteeStaff, Binding::Committee(Uuid::now_v7()));
        assert!(check_manage_congress_sessions(&district, true).is_ok());
        assert!(check_manage_congress_sessions(&district, false).is_err());
        let admin = Caller::for_test(Role::Admin, Binding::Unbound);
        assert!(check_manage_congress_sessions(&admin, false).is_ok());
        let group = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::now_v7()));
        assert!(check_manage_congress_sessions(&group, true).is_err());
    }
}
