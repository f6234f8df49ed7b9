//! What each role may do at all. Row-level scope comes on top (`filters`), and the rules of
//! one resource on top of that (`tree`, `opinions`, …).

use super::caller::{Caller, Role};
use super::scopes::Scope;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadCommittees,
    ManageCommittees,
    ReadLiaisonGroups,
    /// Create and delete groups.
    ManageLiaisonGroups,
    /// Keep a group's details current.
    EditLiaisonGroups,
    ManageUsers,
    ReadConstituencies,
    ManageConstituencies,
    ReadHandlingBodies,
    ManageHandlingBodies,
    ReadRepresentatives,
    /// Create and edit deputies and their contact links.
    ManageRepresentatives,
    ReadVoters,
    /// Create, verify and import voters.
    ManageVoters,
    /// Edit a voter record: staff in scope, or the voter their own.
    EditVoters,
    /// Holidays and make-up working days, which every committee's due dates count against.
    ManageCalendar,
    ReadOpinions,
    /// Submit (a voter) or record (staff, deputies) an opinion.
    RecordOpinions,
    /// Work plans and records of contact activities, reception rules.
    ReadActivities,
    /// Plan, publish, hold and cancel activities; keep reception rules.
    ManageActivities,
    /// Give or record an evaluation of a deputy's report to voters.
    EvaluateReports,
    ReadAppointments,
    /// Ask to meet a deputy (a voter; staff on a voter's behalf).
    RequestAppointments,
    /// Accept or decline a meeting request (the deputy, or staff in scope).
    AnswerAppointments,
    /// Deputies' duty records, report drafts and obligation checks.
    ReadDutyRecords,
    ReadCongressSessions,
    /// Read deputies' reports to voters: staff, the deputy, the constituency's voters.
    ReadAnnualReports,
    /// Record the dates of congress sessions (admins and district staff, see
    /// `tree::check_manage_congress_sessions`).
    ManageCongressSessions,
    /// Follow the changes feed (admins; committee staff for their subtree).
    ReadChanges,
    /// Create, rotate and revoke service clients (admins; committee staff in their subtree).
    ManageServiceClients,
    /// Keep webhook endpoints that receive the changes feed (admins, committee staff, and
    /// service clients granted `webhooks:manage`).
    ManageWebhooks,
    /// Figures for reports: staff for their scope, a handling body its own row.
    ReadStats,
    /// Take rows away as CSV or XLSX (on top of reading them): not voters.
    ExportRecords,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::ReadCommittees,
        Action::ManageCommittees,
        Action::ReadLiaisonGroups,
        Action::ManageLiaisonGroups,
        Action::EditLiaisonGroups,
        Action::ManageUsers,
        Action::ReadConstituencies,
        Action::ManageConstituencies,
        Action::ReadHandlingBodies,
        Action::ManageHandlingBodies,
        Action::ReadRepresentatives,
        Action::ManageRepresentatives,
        Action::ReadVoters,
        Action::ManageVoters,
        Action::EditVoters,
        Action::ManageCalendar,
        Action::ReadOpinions,
        Action::RecordOpinions,
        Action::ReadActivities,
        Action::ManageActivities,
        Action::EvaluateReports,
        Action::ReadAppointments,
        Action::RequestAppointments,
        Action::AnswerAppointments,
        Action::ReadDutyRecords,
        Action::ReadCongressSessions,
        Action::ManageCongressSessions,
        Action::ReadChanges,
        Action::ManageServiceClients,
        Action::ManageWebhooks,
        Action::ReadStats,
        Action::ExportRecords,
        Action::ReadAnnualReports,
    ];
}

/// The scope that opens `action` to a client, if any does: everything else (accounts,
/// the tree's shape, opinions' steps) stays with people.
pub fn scope_for(action: Action) -> Option<Scope> {
    use Action::*;
    Some(match action {
        ReadOpinions => Scope::OpinionsRead,
        ReadActivities | ReadAppointments | ReadCongressSessions => Scope::ActivitiesRead,
        ManageActivities => Scope::ActivitiesWrite,
        ReadCommittees | ReadLiaisonGroups | ReadConstituencies | ReadHandlingBodies
        | ReadRepresentatives => Scope::PeopleRead,
        ReadVoters => Scope::VotersRead,
        ReadDutyRecords | ExportRecords => Scope::ExportsRead,
        ReadChanges => Scope::ChangesRead,
        ManageWebhooks => Scope::WebhooksManage,
        ReadStats => Scope::StatsRead,
        _ => return None,
    })
}

impl Caller {
    /// Role-level permission: may this role do `action` at all? Row-level scope comes on top.
    pub fn may(&self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match self.role {
            Admin => true,
            CommitteeStaff => action != ManageCalendar,
            GroupStaff => !matches!(
                action,
                ManageCommittees
                    | ManageLiaisonGroups
                    | ManageUsers
                    | ManageConstituencies
                    | ManageHandlingBodies
                    | ManageCalendar
                    | ManageCongressSessions
                    | ReadChanges
                    | ManageServiceClients
                    | ManageWebhooks
            ),
            Representative => matches!(
                action,
                ReadConstituencies
                    | ReadRepresentatives
                    | ReadVoters
                    | ReadOpinions
                    | RecordOpinions
                    | ReadActivities
                    | ReadAppointments
                    | AnswerAppointments
                    | ReadDutyRecords
                    | ReadCongressSessions
                    | ReadAnnualReports
                    | ExportRecords
            ),
            HandlingBody => matches!(
                action,
                ReadHandlingBodies | ReadOpinions | ReadStats | ExportRecords
            ),
            Voter => matches!(
                action,
                ReadConstituencies
                    | ReadVoters
                    | EditVoters
                    | ReadOpinions
                    | RecordOpinions
                    | EvaluateReports
                    | ReadAppointments
                    | RequestAppointments
                    | ReadAnnualReports
            ),
            // A service client: what one of its scopes opens (`scopes.rs`).
            Service => match (&self.scopes, scope_for(action)) {
                (Some(granted), Some(needed)) => granted.contains(&needed),
                _ => false,
            },
        }
    }

    pub fn require(&self, action: Action) -> ApiResult<()> {
        if self.may(action) {
            Ok(())
        } else if let (Some(_), Some(needed)) = (&self.scopes, scope_for(action)) {
            Err(ApiError::insufficient_scope(needed.as_str()))
        } else {
            Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                self.role.as_str()
            )))
        }
    }

    /// Full phone numbers of voters: staff in scope, and a voter (who only ever sees their own
    /// record). Deputies see them masked.
    pub fn sees_voter_phones(&self) -> bool {
        matches!(
            self.role,
            Role::Admin | Role::CommitteeStaff | Role::GroupStaff | Role::Voter
        )
    }

    /// A deputy's private phone: staff in scope and the deputy themself.
    pub fn sees_representative_phones(&self) -> bool {
        matches!(
            self.role,
            Role::Admin | Role::CommitteeStaff | Role::GroupStaff | Role::Representative
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::access::caller::Binding;
    use crate::access::roles::{Action, Caller, Role};

    fn caller(role: Role) -> Caller {
        Caller::for_test(role, Binding::Unbound)
    }

    #[test]
    fn only_staff_roles_read_the_tree() {
        for &role in Role::ALL {
            let expected = matches!(role, Role::Admin | Role::CommitteeStaff | Role::GroupStaff);
            assert_eq!(
                caller(role).may(Action::ReadCommittees),
                expected,
                "{role:?}"
            );
        }
    }

    #[test]
    fn require_refuses_with_the_role_named() {
        let err = caller(Role::Voter)
            .require(Action::ManageUsers)
            .expect_err("voters do not manage accounts");
        assert_eq!(err.status().as_u16(), 403);
        assert!(err.detail().contains("voter"), "{}", err.detail());
        assert!(caller(Role::Admin).require(Action::ManageUsers).is_ok());
    }

    #[test]
    fn service_clients_hold_no_interactive_permission() {
        let service = caller(Role::Service);
        for &action in Action::ALL {
            assert!(!service.may(action), "{action:?}");
        }
    }

    #[test]
    fn no_scope_opens_account_or_tree_management() {
        for action in [
            Action::ManageUsers,
            Action::ManageCommittees,
            Action::RecordOpinions,
        ] {
            assert_eq!(crate::access::roles::scope_for(action), None, "{action:?}");
        }
        assert_eq!(
            crate::access::roles::scope_for(Action::ReadChanges),
            Some(crate::access::scopes::Scope::ChangesRead)
        );
    }
}
