//! Loads what the obligation rules judge, for a page of deputies at once: eight queries
//! whatever the page size.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::rules::{Attended, DeputyYear, OpenOpinion, Thresholds};
use crate::access::Caller;
use crate::access::filters::representative_filter;
use crate::activities::domain::ActivityKind;
use crate::calendar::working_days::{local_date, start_of_local_day};
use crate::committees::policy::{self, EffectivePolicy};
use crate::db::schema::{
    activities, activity_contacts, activity_participants, contact_links, liaison_groups, opinions,
    reception_rules, representatives,
};
use crate::db::tree::subtree_of;
use crate::error::ApiResult;
use crate::opinions::lifecycle::State;
use crate::pagination::PageRequest;
use crate::schedule::model::ReceptionRule;
use crate::schedule::recurrence::Recurrence;

pub struct DeputyFilter {
    pub committee: Option<Uuid>,
    pub group: Option<Uuid>,
    pub representative: Option<Uuid>,
}

/// (id, name, liaison group) of a page of deputies in scope, by id.
pub async fn deputies(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    f: &DeputyFilter,
    page: PageRequest,
) -> ApiResult<Vec<(Uuid, String, Uuid)>> {
    let mut query = representatives::table
        .filter(representative_filter(caller))
        .into_boxed();
    if let Some(c) = f.committee {
        query = query.filter(
            representatives::liaison_group_id.eq_any(
                liaison_groups::table
                    .filter(liaison_groups::committee_id.eq_any(subtree_of(c)))
                    .select(liaison_groups::id),
            ),
        );
    }
    if let Some(g) = f.group {
        query = query.filter(representatives::liaison_group_id.eq(g));
    }
    if let Some(r) = f.representative {
        query = query.filter(representatives::id.eq(r));
    }
    if let Some(after) = page.after {
        query = query.filter(representatives::id.gt(after));
    }
    Ok(query
        .select((
            representatives::id,
            representatives::name,
            representatives::liaison_group_id,
        ))
        .order(representatives::id)
        .limit(page.fetch_limit())
        .load(conn)
        .await?)
}

fn thresholds(p: &EffectivePolicy) -> Thresholds {
    let n = |v: i32| v.max(0) as u32;
    Thresholds {
        annual_reports_per_year: n(p.annual_reports_per_year),
        household_contacts_per_month: n(p.household_contacts_per_month),
        rota_receptions_per_month: n(p.rota_receptions_per_month),
        centralised_contact_by_month: n(p.centralised_contact_by_month),
        pre_session_by_month: n(p.pre_session_by_month),
    }
}

/// Everything the rules need for `deputies` in `year`, with each deputy's thresholds.
pub async fn years_of(
    conn: &mut AsyncPgConnection,
    deputies: &[(Uuid, String, Uuid)],
    year: i32,
    now: DateTime<Utc>,
) -> ApiResult<HashMap<Uuid, (DeputyYear, Thresholds)>> {
    let ids: Vec<Uuid> = deputies.iter().map(|d| d.0).collect();
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("year checked by the handler");
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("year checked by the handler");
    let (from, to) = (start_of_local_day(first), start_of_local_day(next));

    let mut groups: Vec<Uuid> = deputies.iter().map(|d| d.2).collect();
    groups.sort_unstable();
    groups.dedup();
    let committee_of: HashMap<Uuid, Uuid> = liaison_groups::table
        .filter(liaison_groups::id.eq_any(&groups))
        .select((liaison_groups::id, liaison_groups::committee_id))
        .load::<(Uuid, Uuid)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut committees: Vec<Uuid> = committee_of.values().copied().collect();
    committees.sort_unstable();
    committees.dedup();
    let policies = crate::committees::model::effective_policies(conn, &committees).await?;

    let attended: Vec<(Uuid, Uuid, ActivityKind, DateTime<Utc>)> = activity_participants::table
        .inner_join(activities::table)
        .filter(activity_participants::representative_id.eq_any(&ids))
        .filter(activity_participants::attended.eq(true))
        .filter(activities::status.eq("held"))
        .filter(activities::starts_at.ge(from))
        .filter(activities::starts_at.lt(to))
        .select((
            activity_participants::representative_id,
            activities::id,
            activities::kind,
            activities::starts_at,
        ))
        .order(activities::starts_at)
        .load(conn)
        .await?;
    let activity_ids: Vec<Uuid> = attended.iter().map(|a| a.1).collect();
    let contacts: Vec<(Uuid, Uuid)> = activity_contacts::table
        .filter(activity_contacts::activity_id.eq_any(&activity_ids))
        .select((activity_contacts::activity_id, activity_contacts::voter_id))
        .load(conn)
        .await?;
    let households: Vec<(Uuid, Uuid)> = contact_links::table
        .filter(contact_links::representative_id.eq_any(&ids))
        .filter(contact_links::kind.eq("fixed_household"))
        .select((contact_links::representative_id, contact_links::voter_id))
        .load(conn)
        .await?;
    let rules: Vec<ReceptionRule> = reception_rules::table
        .filter(reception_rules::representative_ids.overlaps_with(&ids))
        .select(ReceptionRule::as_select())
        .load(conn)
        .await?;
    let open_states: Vec<&str> = State::ALL
        .iter()
        .filter(|s| crate::opinions::lifecycle::is_open(**s))
        .map(|s| s.as_str())
        .collect();
    let open: Vec<(Option<Uuid>, Uuid, Option<DateTime<Utc>>)> = opinions::table
        .filter(opinions::representative_id.eq_any(&ids))
        .filter(opinions::state.eq_any(open_states))
        .filter(opinions::received_at.lt(to))
        .select((
            opinions::representative_id,
            opinions::id,
            opinions::current_due_at,
        ))
        .load(conn)
        .await?;

    // Months each deputy is on some station's rota: the months a rule has a reception in.
    let mut rota: HashMap<Uuid, BTreeSet<u32>> = HashMap::new();
    for rule in rules {
        let Ok(r) = Recurrence::parse(
            &rule.rrule,
            rule.dtstart,
            rule.start_time,
            rule.end_time,
            rule.exdates,
        ) else {
            continue;
        };
        let months: BTreeSet<u32> = r
            .between(first, next.pred_opt().unwrap_or(next))
            .into_iter()
            .map(|(s, _)| local_date(s).month())
            .collect();
        for d in rule.representative_ids.iter().filter(|d| ids.contains(d)) {
            rota.entry(*d).or_default().extend(months.iter().copied());
        }
    }

    let today = local_date(now);
    Ok(deputies
        .iter()
        .map(|(id, _, group)| {
            let year = DeputyYear {
                year,
                today,
                attended: attended
                    .iter()
                    .filter(|a| a.0 == *id)
                    .map(|(_, activity, kind, starts_at)| Attended {
                        id: *activity,
                        kind: *kind,
                        day: local_date(*starts_at),
                        contacted: contacts
                            .iter()
                            .filter(|c| c.0 == *activity)
                            .map(|c| c.1)
                            .collect(),
                    })
                    .collect(),
                fixed_households: households
                    .iter()
                    .filter(|h| h.0 == *id)
                    .map(|h| h.1)
                    .collect(),
                rota_months: rota.remove(id).unwrap_or_default(),
                open_opinions: open
                    .iter()
                    .filter(|o| o.0 == Some(*id))
                    .map(|(_, o, due)| OpenOpinion {
                        id: *o,
                        overdue: due.is_some_and(|d| d < now),
                    })
                    .collect(),
            };
            let policy = committee_of
                .get(group)
                .and_then(|c| policies.get(c))
                .cloned()
                .unwrap_or_else(policy::defaults);
            (*id, (year, thresholds(&policy)))
        })
        .collect())
}
