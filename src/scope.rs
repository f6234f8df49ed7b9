//! Who may see and do what: the one place for permission rules.
//!
//! Two layers, as in Lemmy and Meilisearch:
//! - role-level: `Caller::require(Action)` answers 403 when a role may never do an action;
//! - row-level: the `*_filter` functions narrow every query to the caller's scope, so an
//!   out-of-scope row is simply not found (404), indistinguishable from a missing one.
//!
//! Handlers never test roles themselves; they call into this module.

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};
use uuid::Uuid;

use crate::db::schema::{
    accounts, activities, activity_participants, appointments, committees, constituencies,
    contact_links, handling_bodies, liaison_groups, opinions, referrals, representatives, voters,
};
use crate::db::text_enum;
use crate::db::tree::{committee_of_group, subtree_of};
use crate::error::ApiError;
use crate::opinions::lifecycle::{Action as OpinionAction, State};

text_enum!(
    Role {
        Admin => "admin",
        CommitteeStaff => "committee_staff",
        GroupStaff => "group_staff",
        Representative => "representative",
        HandlingBody => "handling_body",
        Voter => "voter",
        Service => "service",
    }
);

/// What an account is bound to. The binding *is* the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Unbound,
    Committee(Uuid),
    LiaisonGroup(Uuid),
    HandlingBody(Uuid),
    Representative(Uuid),
    Voter(Uuid),
}

/// The binding columns of an account row, in table order: committee, liaison group, handling
/// body, representative, voter.
pub type BindingIds = (
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
);

impl Binding {
    pub fn from_columns((committee, group, body, representative, voter): BindingIds) -> Self {
        match (committee, group, body, representative, voter) {
            (Some(c), ..) => Binding::Committee(c),
            (_, Some(g), ..) => Binding::LiaisonGroup(g),
            (_, _, Some(b), ..) => Binding::HandlingBody(b),
            (.., Some(r), _) => Binding::Representative(r),
            (.., Some(v)) => Binding::Voter(v),
            _ => Binding::Unbound,
        }
    }

    pub fn id(self) -> Option<Uuid> {
        match self {
            Binding::Unbound => None,
            Binding::Committee(id)
            | Binding::LiaisonGroup(id)
            | Binding::HandlingBody(id)
            | Binding::Representative(id)
            | Binding::Voter(id) => Some(id),
        }
    }

    pub fn columns(self) -> BindingIds {
        let mut ids: BindingIds = (None, None, None, None, None);
        match self {
            Binding::Unbound => {}
            Binding::Committee(id) => ids.0 = Some(id),
            Binding::LiaisonGroup(id) => ids.1 = Some(id),
            Binding::HandlingBody(id) => ids.2 = Some(id),
            Binding::Representative(id) => ids.3 = Some(id),
            Binding::Voter(id) => ids.4 = Some(id),
        }
        ids
    }
}

/// The authenticated account behind a request (see `auth::caller` for how it is loaded).
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: Uuid,
    pub username: String,
    pub role: Role,
    pub binding: Binding,
    pub session_id: Uuid,
}

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
                    | ReadHandlingBodies
                    | ManageHandlingBodies
                    | ManageCalendar
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
            ),
            HandlingBody => matches!(action, ReadHandlingBodies | ReadOpinions),
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
            ),
            Service => false,
        }
    }

    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.may(action) {
            Ok(())
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

    fn committee_root(&self) -> Option<Uuid> {
        match (self.role, self.binding) {
            (Role::CommitteeStaff, Binding::Committee(id)) => Some(id),
            _ => None,
        }
    }
}

type Filter<T> = Box<dyn BoxableExpression<T, Pg, SqlType = Bool>>;
type NullableFilter<T> = Box<dyn BoxableExpression<T, Pg, SqlType = Nullable<Bool>>>;

fn everything<T>() -> Filter<T>
where
    diesel::expression::SqlLiteral<Bool>: BoxableExpression<T, Pg, SqlType = Bool>,
{
    Box::new(sql::<Bool>("TRUE"))
}

fn nothing<T>() -> Filter<T>
where
    diesel::expression::SqlLiteral<Bool>: BoxableExpression<T, Pg, SqlType = Bool>,
{
    Box::new(sql::<Bool>("FALSE"))
}

/// Committees the caller may read.
pub fn committee_filter(caller: &Caller) -> Filter<committees::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => {
            Box::new(committees::ancestors.contains(vec![root]))
        }
        // Group staff see the committee their group belongs to, to show where it sits.
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => Box::new(
            committees::id.eq_any(
                liaison_groups::table
                    .filter(liaison_groups::id.eq(group))
                    .select(liaison_groups::committee_id),
            ),
        ),
        _ => nothing(),
    }
}

/// Liaison groups the caller may read.
pub fn liaison_group_filter(caller: &Caller) -> Filter<liaison_groups::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => {
            Box::new(liaison_groups::committee_id.eq_any(subtree_of(root)))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => Box::new(liaison_groups::id.eq(group)),
        _ => nothing(),
    }
}

/// Handling bodies the caller may read (and, for staff, bind accounts to).
pub fn handling_body_filter(caller: &Caller) -> Filter<handling_bodies::table> {
    match (caller.role, caller.committee_root()) {
        (Role::Admin, _) => everything(),
        (Role::HandlingBody, _) => match caller.binding {
            Binding::HandlingBody(id) => Box::new(handling_bodies::id.eq(id)),
            _ => nothing(),
        },
        (_, Some(root)) => Box::new(handling_bodies::committee_id.eq_any(subtree_of(root))),
        _ => nothing(),
    }
}

/// Constituencies the caller may read.
pub fn constituency_filter(caller: &Caller) -> Filter<constituencies::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => {
            Box::new(constituencies::committee_id.eq_any(subtree_of(root)))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => {
            Box::new(constituencies::committee_id.eq_any(committee_of_group(group)))
        }
        (Role::Representative, Binding::Representative(id)) => Box::new(
            constituencies::id.eq_any(
                representatives::table
                    .filter(representatives::id.eq(id))
                    .filter(representatives::constituency_id.is_not_null())
                    .select(representatives::constituency_id.assume_not_null()),
            ),
        ),
        (Role::Voter, Binding::Voter(id)) => Box::new(
            constituencies::id.eq_any(
                voters::table
                    .filter(voters::id.eq(id))
                    .select(voters::constituency_id),
            ),
        ),
        _ => nothing(),
    }
}

/// Deputies the caller may read.
pub fn representative_filter(caller: &Caller) -> Filter<representatives::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => Box::new(
            representatives::liaison_group_id.eq_any(
                liaison_groups::table
                    .filter(liaison_groups::committee_id.eq_any(subtree_of(root)))
                    .select(liaison_groups::id),
            ),
        ),
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => {
            Box::new(representatives::liaison_group_id.eq(group))
        }
        (Role::Representative, Binding::Representative(id)) => Box::new(representatives::id.eq(id)),
        _ => nothing(),
    }
}

/// Voters the caller may read: staff by constituency, a deputy the voters linked to them,
/// a voter themself.
pub fn voter_filter(caller: &Caller) -> Filter<voters::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => Box::new(
            voters::constituency_id.eq_any(
                constituencies::table
                    .filter(constituencies::committee_id.eq_any(subtree_of(root)))
                    .select(constituencies::id),
            ),
        ),
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => Box::new(
            voters::constituency_id.eq_any(
                constituencies::table
                    .filter(constituencies::committee_id.eq_any(committee_of_group(group)))
                    .select(constituencies::id),
            ),
        ),
        (Role::Representative, Binding::Representative(id)) => Box::new(
            voters::id.eq_any(
                contact_links::table
                    .filter(contact_links::representative_id.eq(id))
                    .select(contact_links::voter_id),
            ),
        ),
        (Role::Voter, Binding::Voter(id)) => Box::new(voters::id.eq(id)),
        _ => nothing(),
    }
}

/// Opinions the caller may read: staff by committee subtree or group, a deputy what they took,
/// a handling body what is referred to it (and not returned), a voter their own.
pub fn opinion_filter(caller: &Caller) -> Filter<opinions::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => {
            Box::new(opinions::committee_id.eq_any(subtree_of(root)))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => {
            Box::new(opinions::liaison_group_id.assume_not_null().eq(group))
        }
        (Role::Representative, Binding::Representative(id)) => {
            Box::new(opinions::representative_id.assume_not_null().eq(id))
        }
        (Role::HandlingBody, Binding::HandlingBody(body)) => Box::new(
            opinions::id.eq_any(
                referrals::table
                    .filter(referrals::handling_body_id.eq(body))
                    .filter(referrals::returned_at.is_null())
                    .select(referrals::opinion_id),
            ),
        ),
        (Role::Voter, Binding::Voter(id)) => Box::new(opinions::voter_id.assume_not_null().eq(id)),
        _ => nothing(),
    }
}

/// Activities the caller may read: staff by the organiser's committee subtree, group staff
/// what their group organises or hosts, a deputy those they take part in.
pub fn activity_filter(caller: &Caller) -> Filter<activities::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => {
            Box::new(activities::committee_id.eq_any(subtree_of(root)))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => Box::new(
            activities::organiser_group_id
                .assume_not_null()
                .eq(group)
                .or(activities::liaison_group_id.assume_not_null().eq(group)),
        ),
        (Role::Representative, Binding::Representative(id)) => Box::new(
            activities::id.eq_any(
                activity_participants::table
                    .filter(activity_participants::representative_id.eq(id))
                    .select(activity_participants::activity_id),
            ),
        ),
        _ => nothing(),
    }
}

/// Reports to voters a caller may evaluate: staff those they can read (recording paper
/// forms), a voter those given by a deputy of their own constituency.
pub fn evaluable_report_filter(caller: &Caller) -> Filter<activities::table> {
    match (caller.role, caller.binding) {
        (Role::Voter, Binding::Voter(id)) => Box::new(
            activities::id.eq_any(
                activity_participants::table
                    .inner_join(representatives::table)
                    .filter(
                        representatives::constituency_id.assume_not_null().eq_any(
                            voters::table
                                .filter(voters::id.eq(id))
                                .select(voters::constituency_id),
                        ),
                    )
                    .select(activity_participants::activity_id),
            ),
        ),
        (Role::Admin | Role::CommitteeStaff | Role::GroupStaff, _) => activity_filter(caller),
        _ => nothing(),
    }
}

/// Meeting requests the caller may read: staff by the deputy's committee or group, the deputy
/// asked, the voter who asked.
pub fn appointment_filter(caller: &Caller) -> Filter<appointments::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => {
            Box::new(appointments::committee_id.eq_any(subtree_of(root)))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => {
            Box::new(appointments::liaison_group_id.eq(group))
        }
        (Role::Representative, Binding::Representative(id)) => {
            Box::new(appointments::representative_id.eq(id))
        }
        (Role::Voter, Binding::Voter(id)) => Box::new(appointments::voter_id.eq(id)),
        _ => nothing(),
    }
}

/// Registration forms name visitors and their phones: for staff who keep them. A deputy sees
/// the visitors' names with the phones masked, like voters' phones elsewhere.
pub fn sees_visitor_phones(caller: &Caller) -> bool {
    matches!(
        caller.role,
        Role::Admin | Role::CommitteeStaff | Role::GroupStaff
    )
}

/// The voter a caller is, if they are one: a voter asks to meet for themself, staff name the
/// voter they ask for.
pub fn own_voter(caller: &Caller) -> Option<Uuid> {
    match (caller.role, caller.binding) {
        (Role::Voter, Binding::Voter(id)) => Some(id),
        _ => None,
    }
}

/// A voter's side of a meeting request is asking and calling it off; answering it is for the
/// deputy and staff.
pub fn may_answer_appointment(caller: &Caller) -> bool {
    caller.role != Role::Voter && caller.may(Action::AnswerAppointments)
}

/// Who raised an opinion: everyone who can see it except handling bodies, who answer the
/// matter, not the person (PIPL's minimum necessary).
pub fn sees_who_raised_opinions(caller: &Caller) -> bool {
    caller.role != Role::HandlingBody
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

/// Bodies an opinion may be referred to: those of its committee, the committees above it (a
/// township passes larger matters up to the district) and below it. Independent of the caller,
/// so a deputy or a handling body passing it on is held to the same line of the tree.
pub fn referable_body_filter(
    committee_path: &[Uuid],
    committee: Uuid,
) -> Filter<handling_bodies::table> {
    Box::new(
        handling_bodies::committee_id
            .eq_any(committee_path.to_vec())
            .or(handling_bodies::committee_id.eq_any(subtree_of(committee))),
    )
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
pub fn may_step(caller: &Caller, ties: OpinionTies, state: State, action: OpinionAction) -> bool {
    use OpinionAction::*;
    let staff = matches!(
        caller.role,
        Role::Admin | Role::CommitteeStaff | Role::GroupStaff
    );
    let deputy = caller.role == Role::Representative && ties.own_deputy;
    let body = caller.role == Role::HandlingBody;
    match action {
        Receive => false,
        Refer | Decline | FeedBack | Edit => staff || deputy,
        Transfer => staff || deputy || (body && ties.lead_body),
        Answer if state == State::Received => deputy,
        Answer => staff || (body && ties.lead_body),
        Accept => body && ties.referred_body,
        Reopen => staff,
        Rate => caller.role == Role::Voter && ties.own_voter,
    }
}

/// Accounts the caller may read and manage: those bound to something inside their subtree.
pub fn account_filter(caller: &Caller) -> NullableFilter<accounts::table> {
    match caller.committee_root() {
        _ if caller.role == Role::Admin => Box::new(sql::<Nullable<Bool>>("TRUE")),
        Some(root) => {
            let subtree = || subtree_of(root);
            Box::new(
                accounts::committee_id
                    .eq_any(
                        committees::table
                            .filter(committees::ancestors.contains(vec![root]))
                            .select(committees::id.nullable()),
                    )
                    .or(accounts::liaison_group_id.eq_any(
                        liaison_groups::table
                            .filter(liaison_groups::committee_id.eq_any(subtree()))
                            .select(liaison_groups::id.nullable()),
                    ))
                    .or(accounts::handling_body_id.eq_any(
                        handling_bodies::table
                            .filter(handling_bodies::committee_id.eq_any(subtree()))
                            .select(handling_bodies::id.nullable()),
                    ))
                    .or(accounts::representative_id.eq_any(
                        representatives::table
                            .filter(
                                representatives::liaison_group_id.eq_any(
                                    liaison_groups::table
                                        .filter(liaison_groups::committee_id.eq_any(subtree()))
                                        .select(liaison_groups::id),
                                ),
                            )
                            .select(representatives::id.nullable()),
                    ))
                    .or(accounts::voter_id.eq_any(
                        voters::table
                            .filter(
                                voters::constituency_id.eq_any(
                                    constituencies::table
                                        .filter(constituencies::committee_id.eq_any(subtree()))
                                        .select(constituencies::id),
                                ),
                            )
                            .select(voters::id.nullable()),
                    )),
            )
        }
        None => Box::new(sql::<Nullable<Bool>>("FALSE")),
    }
}

/// Which committees the caller may create, edit or delete. Committee staff manage what lies
/// strictly below their own committee; their own node is read-only so they cannot move or
/// delete the root of their scope.
pub fn may_manage_committee(caller: &Caller, ancestors: &[Uuid]) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::CommitteeStaff => caller
            .committee_root()
            .is_some_and(|root| ancestors.contains(&root) && ancestors.last() != Some(&root)),
        _ => false,
    }
}

/// May the caller place something (a child committee, a group) under this committee?
pub fn may_attach_to_committee(caller: &Caller, ancestors: &[Uuid]) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::CommitteeStaff => caller
            .committee_root()
            .is_some_and(|root| ancestors.contains(&root)),
        _ => false,
    }
}

/// The fields of a liaison group a caller may change: group staff keep their own group's
/// details current but cannot move it to another committee.
pub fn may_move_liaison_group(caller: &Caller) -> bool {
    matches!(caller.role, Role::Admin | Role::CommitteeStaff)
}

/// Top-level (standing) committees are the roots of whole districts: admins only.
pub fn may_create_root_committee(caller: &Caller) -> bool {
    caller.role == Role::Admin
}

/// A voter may edit their own record but moving between constituencies is for staff.
pub fn may_move_voter(caller: &Caller) -> bool {
    matches!(
        caller.role,
        Role::Admin | Role::CommitteeStaff | Role::GroupStaff
    )
}

/// Nobody changes their own role or binding: it would let an account widen its own scope.
pub fn may_change_role_of(caller: &Caller, account: Uuid) -> bool {
    caller.account_id != account
}

/// Nobody disables their own account, so an admin cannot lock themself out by mistake.
pub fn may_disable(caller: &Caller, account: Uuid) -> bool {
    caller.account_id != account
}

/// Roles an account manager may hand out: never above their own.
pub fn may_grant(caller: &Caller, role: Role) -> bool {
    match caller.role {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, binding: Binding) -> Caller {
        Caller {
            account_id: Uuid::nil(),
            username: "t".into(),
            role,
            binding,
            session_id: Uuid::nil(),
        }
    }

    #[test]
    fn committee_staff_cannot_grant_admin_or_service() {
        let c = caller(Role::CommitteeStaff, Binding::Committee(Uuid::now_v7()));
        assert!(!may_grant(&c, Role::Admin));
        assert!(!may_grant(&c, Role::Service));
        assert!(may_grant(&c, Role::GroupStaff));
    }

    #[test]
    fn committee_staff_manage_strictly_below_their_committee() {
        let root = Uuid::now_v7();
        let child = Uuid::now_v7();
        let other = Uuid::now_v7();
        let c = caller(Role::CommitteeStaff, Binding::Committee(root));
        assert!(!may_manage_committee(&c, &[root]));
        assert!(may_manage_committee(&c, &[root, child]));
        assert!(!may_manage_committee(&c, &[other, child]));
        assert!(may_attach_to_committee(&c, &[root]));
    }

    #[test]
    fn only_staff_roles_read_the_tree() {
        for &role in Role::ALL {
            let c = caller(role, Binding::Unbound);
            let expected = matches!(role, Role::Admin | Role::CommitteeStaff | Role::GroupStaff);
            assert_eq!(c.may(Action::ReadCommittees), expected, "{role:?}");
        }
    }

    #[test]
    fn only_staff_move_voters_and_nobody_rebinds_themself() {
        let voter = caller(Role::Voter, Binding::Voter(Uuid::now_v7()));
        assert!(!may_move_voter(&voter));
        assert!(may_move_voter(&caller(
            Role::GroupStaff,
            Binding::LiaisonGroup(Uuid::now_v7())
        )));
        let admin = Caller {
            account_id: Uuid::now_v7(),
            ..caller(Role::Admin, Binding::Unbound)
        };
        assert!(!may_change_role_of(&admin, admin.account_id));
        assert!(!may_disable(&admin, admin.account_id));
        assert!(may_disable(&admin, Uuid::now_v7()));
        assert!(may_create_root_committee(&admin));
        assert!(!may_create_root_committee(&caller(
            Role::CommitteeStaff,
            Binding::Committee(Uuid::now_v7())
        )));
    }

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
        let staff = caller(Role::GroupStaff, Binding::LiaisonGroup(Uuid::nil()));
        let deputy = caller(Role::Representative, Binding::Representative(Uuid::nil()));
        let body = caller(Role::HandlingBody, Binding::HandlingBody(Uuid::nil()));
        let voter = caller(Role::Voter, Binding::Voter(Uuid::nil()));
        let service = caller(Role::Service, Binding::Unbound);
        // (caller, ties, state, action, allowed)
        let cases = [
            (&staff, none, State::Received, Refer, true),
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
        let deputy = caller(Role::Representative, Binding::Representative(rep));
        let t = OpinionTies::of(&deputy, (Some(rep), None), Some(body), &[body]);
        assert!(t.own_deputy && !t.lead_body && !t.referred_body && !t.own_voter);
        let b = caller(Role::HandlingBody, Binding::HandlingBody(body));
        let t = OpinionTies::of(&b, (Some(rep), None), Some(body), &[body]);
        assert!(t.lead_body && t.referred_body && !t.own_deputy);
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
    }
}
