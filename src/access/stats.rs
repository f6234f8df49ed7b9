//! Whose figures a reader of statistics may see. Statistics are computed in one SQL statement
//! over the timeline, so the scope is handed to it as data rather than as a row filter.

use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use super::roles::Action;
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

/// The scope of an opinion report: a handling body reads only its own row, so only a report
/// grouped by handling body (`by_handling_body`).
pub fn opinion_stats_scope(caller: &Caller, by_handling_body: bool) -> ApiResult<StatsScope> {
    caller.require(Action::ReadStats)?;
    let scope = stats_scope(caller)?;
    if matches!(scope, StatsScope::HandlingBody(_)) && !by_handling_body {
        return Err(ApiError::forbidden(
            "a handling body reads its own row only: group_by=handling_body",
        ));
    }
    Ok(scope)
}

/// The scope of activity figures: handling bodies read none.
pub fn activity_stats_scope(caller: &Caller) -> ApiResult<StatsScope> {
    caller.require(Action::ReadStats)?;
    match stats_scope(caller)? {
        StatsScope::HandlingBody(_) => Err(ApiError::forbidden(
            "handling bodies read no activity figures",
        )),
        scope => Ok(scope),
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::access::caller::{Binding, Caller, Role};
    use crate::access::stats::{
        StatsScope, activity_stats_scope, opinion_stats_scope, stats_scope,
    };

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
        let body = Caller::for_test(Role::HandlingBody, Binding::HandlingBody(id));
        assert!(opinion_stats_scope(&body, true).is_ok());
        assert!(opinion_stats_scope(&body, false).is_err());
        assert!(activity_stats_scope(&body).is_err());
        assert!(of(Role::Representative, Binding::Representative(id)).is_err());
    }
}
