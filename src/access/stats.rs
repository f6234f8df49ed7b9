//! Whose figures a reader of statistics may see. Statistics are computed in one SQL statement
//! over the timeline, so the scope is handed to it as data rather than as a row filter.

use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsScope {
    /// The whole district: admins and unbound service clients.
    District,
    /// A committee and everything below it: committee staff, bound service clients.
    Committee(Uuid),
    /// One liaison group's opinions: its staff.
    LiaisonGroup(Uuid),
    /// Referrals to one handling body, and nothing else: its own row.
    HandlingBody(Uuid),
}

/// The scope of the caller's figures; 403 for roles that read none.
pub fn stats_scope(caller: &Caller) -> ApiResult<StatsScope> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => Ok(StatsScope::District),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
            Ok(StatsScope::Committee(root))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(g)) => Ok(StatsScope::LiaisonGroup(g)),
        (Role::HandlingBody, Binding::HandlingBody(b)) => Ok(StatsScope::HandlingBody(b)),
        _ => Err(ApiError::forbidden(format!(
            "the {} role reads no statistics",
            caller.role.as_str()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::access::caller::{Binding, Caller, Role};
    use crate::access::stats::{StatsScope, stats_scope};

    #[test]
    fn each_reader_gets_their_own_scope() {
        let id = Uuid::now_v7();
        let of = |role, binding| stats_scope(&Caller::for_test(role, binding));
        assert_eq!(
            of(Role::Admin, Binding::Unbound).unwrap(),
            StatsScope::District
        );
        assert_eq!(
            of(Role::CommitteeStaff, Binding::Committee(id)).unwrap(),
            StatsScope::Committee(id)
        );
        assert_eq!(
            of(Role::HandlingBody, Binding::HandlingBody(id)).unwrap(),
            StatsScope::HandlingBody(id)
        );
        assert!(of(Role::Voter, Binding::Voter(id)).is_err());
        assert!(of(Role::Representative, Binding::Representative(id)).is_err());
    }
}
