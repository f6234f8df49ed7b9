//! Row filters: each narrows a table to what the caller may read, in SQL, so an out-of-scope
//! row is never loaded and answers 404 exactly like a missing one. Every query that reads or
//! writes a resource on a caller's behalf goes through its filter.

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};
use uuid::Uuid;

use super::caller::{Binding, Caller, Role};
use crate::committees::domain::ReferralRoute;
use crate::db::schema::{
    accounts, activities, activity_participants, appointments, committees, constituencies,
    contact_links, handling_bodies, liaison_groups, opinions, outbox, referrals, representatives,
    service_clients, voters, webhook_endpoints,
};
use crate::db::tree::{committee_of_group, subtree_of};

pub type Filter<T> = Box<dyn BoxableExpression<T, Pg, SqlType = Bool>>;
pub type NullableFilter<T> = Box<dyn BoxableExpression<T, Pg, SqlType = Nullable<Bool>>>;

/// Every row. A bound `TRUE` rather than SQL text: diesel never keeps a statement holding SQL
/// text prepared, so an admin's reads would be planned afresh each time.
pub(crate) fn everything<T>() -> Filter<T>
where
    Constant: BoxableExpression<T, Pg, SqlType = Bool>,
{
    Box::new(true.into_sql::<Bool>())
}

pub(crate) fn nothing<T>() -> Filter<T>
where
    Constant: BoxableExpression<T, Pg, SqlType = Bool>,
{
    Box::new(false.into_sql::<Bool>())
}

type Constant = diesel::dsl::AsExprOf<bool, Bool>;

/// Committees the caller may read.
pub fn committee_filter(caller: &Caller) -> Filter<committees::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
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
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
            Box::new(liaison_groups::committee_id.eq_any(subtree_of(root)))
        }
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => Box::new(liaison_groups::id.eq(group)),
        _ => nothing(),
    }
}

/// Handling bodies the caller may read (and, for staff, bind accounts to).
pub fn handling_body_filter(caller: &Caller) -> Filter<handling_bodies::table> {
    match (caller.role, caller.committee_root()) {
        (Role::Admin, _) | (Role::Service, None) => everything(),
        (Role::HandlingBody, _) => match caller.binding {
            Binding::HandlingBody(id) => Box::new(handling_bodies::id.eq(id)),
            _ => nothing(),
        },
        (_, Some(root)) => Box::new(handling_bodies::committee_id.eq_any(subtree_of(root))),
        _ => nothing(),
    }
}

/// Handling bodies the caller may read: those they manage, and those of the committees above
/// theirs, which their opinions may be referred to (`referable_body_filter`). Group staff read
/// those of their group's committee, below it and above it.
pub fn readable_handling_body_filter(caller: &Caller) -> Filter<handling_bodies::table> {
    use diesel::sql_types::Uuid as SqlUuid;
    let committee_above =
        "handling_bodies.committee_id IN (SELECT unnest(ancestors) FROM committees WHERE id = ";
    match (caller.role, caller.binding) {
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => Box::new(
            handling_bodies::committee_id
                .eq_any(subtree_of(root))
                .or(sql::<Bool>(committee_above)
                    .bind::<SqlUuid, _>(root)
                    .sql(")")),
        ),
        (Role::GroupStaff, Binding::LiaisonGroup(group)) => Box::new(
            sql::<Bool>(
                "handling_bodies.committee_id IN (SELECT c.id FROM committees c, committees gc, \
                 liaison_groups g WHERE g.id = ",
            )
            .bind::<SqlUuid, _>(group)
            .sql(
                " AND gc.id = g.committee_id \
                 AND (c.ancestors @> ARRAY[gc.id] OR c.id = ANY(gc.ancestors)))",
            ),
        ),
        _ => handling_body_filter(caller),
    }
}

/// Constituencies the caller may read.
pub fn constituency_filter(caller: &Caller) -> Filter<constituencies::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
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
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => Box::new(
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

/// Deputies whose reports to voters the caller may read (Measures Art. 7): the voters of the
/// deputy's constituency, and whoever may read the deputy.
pub fn report_author_filter(caller: &Caller) -> Filter<representatives::table> {
    match (caller.role, caller.binding) {
        (Role::Voter, Binding::Voter(id)) => Box::new(
            representatives::constituency_id.assume_not_null().eq_any(
                voters::table
                    .filter(voters::id.eq(id))
                    .select(voters::constituency_id),
            ),
        ),
        _ => representative_filter(caller),
    }
}

/// Voters the caller may read: staff by constituency, a deputy the voters linked to them,
/// a voter themself.
pub fn voter_filter(caller: &Caller) -> Filter<voters::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => Box::new(
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
                    .filter(contact_links::valid_until.is_null())
                    .select(contact_links::voter_id),
            ),
        ),
        (Role::Voter, Binding::Voter(id)) => Box::new(voters::id.eq(id)),
        _ => nothing(),
    }
}

/// The opinions the caller may read. Staff by committee subtree or group, a deputy what they
/// took, a handling body what is referred to it (and not returned), a voter their own. The
/// rules are written once, here; reads that need an opinion's live referrals take them from
/// its row (`opinions::in_full`), so no read joins the referrals under this filter.
pub fn opinion_filter(caller: &Caller) -> Filter<opinions::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root))
            if caller.leaf_committee =>
        {
            Box::new(opinions::committee_id.eq(root))
        }
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
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

/// Whether `opinion_filter(caller)` is one value of one indexed column (or nothing), so an
/// index of that column and the id gives the caller's opinions newest first. Not for staff of
/// a committee with others below it (any of several committees) nor for a handling body (the
/// opinions its referrals name): their matches must be gathered and sorted. Follows the arms
/// of `opinion_filter`.
pub fn opinion_filter_walks_in_order(caller: &Caller) -> bool {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => true,
        (Role::CommitteeStaff | Role::Service, Binding::Committee(_)) => caller.leaf_committee,
        (Role::GroupStaff, Binding::LiaisonGroup(_))
        | (Role::Representative, Binding::Representative(_))
        | (Role::Voter, Binding::Voter(_)) => true,
        _ => false,
    }
}

/// Activities the caller may read: staff by the organiser's committee subtree, group staff
/// what their group organises or hosts, a deputy those they take part in.
pub fn activity_filter(caller: &Caller) -> Filter<activities::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
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
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => {
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

/// Bodies an opinion may be referred to: those of its committee and below it, and, when the
/// committee's `referral_route` is `direct` (Measures Art. 6(4)), those of the committees above
/// it too. Under `via_parent` (township station rules §6) matters for the bodies above are
/// `escalate`d instead. Independent of the caller, so a deputy or a handling body passing it on
/// is held to the same line of the tree.
pub fn referable_body_filter(
    committee_path: &[Uuid],
    committee: Uuid,
    route: ReferralRoute,
) -> Filter<handling_bodies::table> {
    let within = handling_bodies::committee_id.eq_any(subtree_of(committee));
    match route {
        ReferralRoute::Direct => Box::new(
            handling_bodies::committee_id
                .eq_any(committee_path.to_vec())
                .or(within),
        ),
        ReferralRoute::ViaParent => Box::new(within),
    }
}

/// `referable_body_filter`'s rule for a body whose committee's path (root first, the
/// committee itself last) the server keeps (`KeptPolicies::places_of`): what a step checks
/// without a statement.
pub fn body_is_referable(
    committee_path: &[Uuid],
    committee: Uuid,
    route: ReferralRoute,
    body_committee_path: &[Uuid],
) -> bool {
    let within = body_committee_path.contains(&committee);
    match route {
        ReferralRoute::Direct => {
            within
                || body_committee_path
                    .last()
                    .is_some_and(|body_committee| committee_path.contains(body_committee))
        }
        ReferralRoute::ViaParent => within,
    }
}

/// Accounts the caller may read and manage: those bound to something inside their subtree.
pub fn account_filter(caller: &Caller) -> NullableFilter<accounts::table> {
    match caller.committee_root() {
        _ if caller.role == Role::Admin => Box::new(Some(true).into_sql::<Nullable<Bool>>()),
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
        None => Box::new(Some(false).into_sql::<Nullable<Bool>>()),
    }
}

/// Changes (the outbox) the caller may read from the feed: by the committee whose subtree the
/// subject belongs to. Admins read every change; committee staff their subtree's.
pub fn change_filter(caller: &Caller) -> Filter<outbox::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) | (Role::Service, Binding::Unbound) => everything(),
        (Role::CommitteeStaff | Role::Service, Binding::Committee(root)) => Box::new(
            outbox::committee_id
                .assume_not_null()
                .eq_any(subtree_of(root)),
        ),
        _ => nothing(),
    }
}

/// Webhook endpoints the caller may read and manage: admins every one, committee staff those
/// reading inside their subtree (their own and their clients'), a service client its own.
pub fn webhook_filter(caller: &Caller) -> Filter<webhook_endpoints::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => Box::new(
            webhook_endpoints::committee_id
                .assume_not_null()
                .eq_any(subtree_of(root)),
        ),
        (Role::Service, _) => Box::new(
            webhook_endpoints::owner_client_id
                .assume_not_null()
                .eq(caller.account_id),
        ),
        _ => nothing(),
    }
}

/// Service clients the caller may read and manage: admins every one, committee staff those
/// bound inside their subtree.
pub fn service_client_filter(caller: &Caller) -> Filter<service_clients::table> {
    match (caller.role, caller.binding) {
        (Role::Admin, _) => everything(),
        (Role::CommitteeStaff, Binding::Committee(root)) => Box::new(
            service_clients::committee_id
                .assume_not_null()
                .eq_any(subtree_of(root)),
        ),
        _ => nothing(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_body_is_referable_as_the_filter_says() {
        // The district above township A (its path: district, A), a committee below A, and
        // township B beside A.
        let (district, a, below_a, b) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let path_of_a = [district, a];
        let referable =
            |route, body_path: &[Uuid]| body_is_referable(&path_of_a, a, route, body_path);
        for route in [ReferralRoute::Direct, ReferralRoute::ViaParent] {
            assert!(referable(route, &[district, a]), "A's own body");
            assert!(referable(route, &[district, a, below_a]), "a body below A");
            assert!(!referable(route, &[district, b]), "B's body, beside A");
            assert!(!referable(route, &[]), "a body with no path");
        }
        assert!(
            referable(ReferralRoute::Direct, &[district]),
            "the district's, directly"
        );
        assert!(
            !referable(ReferralRoute::ViaParent, &[district]),
            "the district's is escalated to, not referred to, via the parent"
        );
    }
}
