//! Rules of accounts: which roles a manager may hand out, and what nobody does to themself.

use uuid::Uuid;

use super::caller::{Caller, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Roles an account manager may hand out: never above their own, and never `service`, which
/// belongs to service clients (machines sign in with client credentials, not a password).
pub fn check_grant(caller: &Caller, role: Role) -> ApiResult<()> {
    if role == Role::Service {
        return Err(ApiError::forbidden(
            "service access is through a service client (POST /api/v1/service-clients)",
        ));
    }
    let allowed = match caller.role {
        Role::Admin => true,
        Role::CommitteeStaff => matches!(
            role,
            Role::CommitteeStaff
                | Role::GroupStaff
                | Role::HandlingBody
                | Role::Representative
                | Role::Voter
        ),
        _ => false,
    };
    allowed.then_some(()).ok_or_else(|| {
        ApiError::forbidden(format!(
            "the {} role may not grant the {} role",
            caller.role, role
        ))
    })
}

/// A service client signs in with its secret, never a password.
pub fn check_has_password(caller: &Caller) -> ApiResult<()> {
    match caller.scopes {
        Some(_) => Err(ApiError::forbidden(
            "a service client has no password: rotate its secret instead",
        )),
        None => Ok(()),
    }
}

/// Who may bind a service client where: admins anywhere or to nothing (the whole district),
/// committee staff only inside their subtree (`committee_id` is checked as any attachment).
pub fn check_bind_service_client(caller: &Caller, committee: Option<Uuid>) -> ApiResult<()> {
    match (caller.role, committee) {
        (Role::Admin, _) | (Role::CommitteeStaff, Some(_)) => Ok(()),
        // A client for the whole district is more than committee staff may hand out.
        (Role::CommitteeStaff, None) => Err(ApiError::forbidden(
            "committee staff bind a client to their committee or one below it (committee_id)",
        )),
        _ => Err(ApiError::forbidden(format!(
            "the {} role may not manage service clients",
            caller.role
        ))),
    }
}

/// Resetting another account's password is for a role above it (one that may grant its
/// role). One's own password is changed with the current one (`PUT /me/password`), never
/// reset: a stolen access token must not be able to make itself permanent.
pub fn check_reset_password(caller: &Caller, account: Uuid, role: Role) -> ApiResult<()> {
    if caller.account_id == account {
        return Err(ApiError::invalid_field(
            "password",
            "change your own password with PUT /api/v1/me/password, which asks for the current one",
        ));
    }
    check_grant(caller, role)
}

/// Nobody changes their own role or binding: it would let an account widen its own scope.
pub fn check_change_role_of(caller: &Caller, account: Uuid) -> ApiResult<()> {
    (caller.account_id != account)
        .then_some(())
        .ok_or_else(|| ApiError::forbidden("you cannot change your own role or scope"))
}

/// Nobody disables their own account, so an admin cannot lock themself out by mistake.
pub fn check_disable(caller: &Caller, account: Uuid) -> ApiResult<()> {
    (caller.account_id != account).then_some(()).ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::CannotDisableSelf,
            "you cannot disable your own account",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::caller::Binding;

    #[test]
    fn service_clients_are_bound_as_the_manager_may() {
        let committee = Uuid::now_v7();
        let staff = Caller::for_test(Role::CommitteeStaff, Binding::Committee(committee));
        let admin = Caller::for_test(Role::Admin, Binding::Unbound);
        assert!(check_bind_service_client(&admin, None).is_ok());
        assert!(check_bind_service_client(&staff, Some(committee)).is_ok());
        assert_eq!(
            check_bind_service_client(&staff, None)
                .unwrap_err()
                .status()
                .as_u16(),
            403
        );
        let group = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(committee));
        assert!(check_bind_service_client(&group, Some(committee)).is_err());
        let client = Caller {
            scopes: Some(vec![]),
            ..Caller::for_test(Role::Service, Binding::Unbound)
        };
        assert!(check_has_password(&client).is_err());
        assert!(check_has_password(&admin).is_ok());
    }

    #[test]
    fn committee_staff_cannot_grant_admin_or_service() {
        let c = Caller::for_test(Role::CommitteeStaff, Binding::Committee(Uuid::now_v7()));
        let refused = check_grant(&c, Role::Admin).expect_err("admin is above them");
        assert_eq!(refused.status().as_u16(), 403);
        assert_eq!(
            refused.detail(),
            "the committee_staff role may not grant the admin role"
        );
        assert!(check_grant(&c, Role::Service).is_err());
        let admin = Caller::for_test(Role::Admin, Binding::Unbound);
        assert!(
            check_grant(&admin, Role::Service).is_err(),
            "machines are service clients"
        );
        assert!(check_grant(&c, Role::GroupStaff).is_ok());
        let group = Caller::for_test(Role::GroupStaff, Binding::LiaisonGroup(Uuid::now_v7()));
        assert!(check_grant(&group, Role::Voter).is_err());
    }

    #[test]
    fn passwords_are_reset_from_above_and_never_ones_own() {
        let staff = Caller::for_test(Role::CommitteeStaff, Binding::Committee(Uuid::now_v7()));
        let own = check_reset_password(&staff, staff.account_id, Role::CommitteeStaff)
            .expect_err("one's own is changed, not reset");
        assert_eq!(own.status().as_u16(), 422);
        assert!(check_reset_password(&staff, Uuid::now_v7(), Role::GroupStaff).is_ok());
        let above = check_reset_password(&staff, Uuid::now_v7(), Role::Admin).unwrap_err();
        assert_eq!(above.status().as_u16(), 403);
    }

    #[test]
    fn nobody_rebinds_or_disables_themself() {
        let admin = Caller::for_test(Role::Admin, Binding::Unbound);
        assert_eq!(
            check_change_role_of(&admin, admin.account_id)
                .unwrap_err()
                .status()
                .as_u16(),
            403
        );
        let own = check_disable(&admin, admin.account_id).unwrap_err();
        assert_eq!(own.status().as_u16(), 409);
        assert_eq!(own.code(), ErrorCode::CannotDisableSelf);
        assert!(check_disable(&admin, Uuid::now_v7()).is_ok());
        assert!(check_change_role_of(&admin, Uuid::now_v7()).is_ok());
    }
}
