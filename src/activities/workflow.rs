//! Planning, holding and cancelling an activity, each one unit of work that callers run inside
//! a transaction: the activity, its deputies, its registrations, the opinions raised at it, the
//! meeting request it answers and the outbox row commit together.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::domain::{ActivityEventKind, ActivityForm, ActivityKind, ActivityStatus};
use super::dto::{CreateActivity, HoldActivity, IssueInput};
use super::model::{self, Activity, NewActivity, Participant, Registration};
use crate::access::pipelined::SessionCheck;
use crate::access::{self, Caller};
use crate::appointments::model::follow_activity;
use crate::appointments::states::Step;
use crate::committees::policy;
use crate::conditional::IfMatch;
use crate::db::Ending;
use crate::db::schema::{
    activities, activity_contacts, activity_participants, committees, reception_registrations,
    voters,
};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::opinions::dto::CreateOpinion;
use crate::representatives::model::serving_in_scope;

/// Where an activity takes place and who organises it, once checked against the caller's scope.
pub struct Placement {
    pub committee_id: Uuid,
    pub organiser_committee_id: Option<Uuid>,
    pub organiser_group_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub address: Option<String>,
}

/// 三落实: person, time and place all set, reported together so a client fixes them at once.
pub(super) fn check_work_plan(b: &CreateActivity) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut miss = |field: &str, what: &str| {
        missing
            .entry(field.to_owned())
            .or_default()
            .push(what.to_owned());
    };
    if b.representative_ids.is_empty() {
        miss(
            "representative_ids",
            "a work plan names the deputies taking part (人员)",
        );
    }
    if b.starts_at.is_none() {
        miss("starts_at", "a work plan sets when it starts (时间)");
    }
    if b.ends_at.is_none() {
        miss("ends_at", "a work plan sets when it ends (时间)");
    }
    let address = b
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if b.liaison_group_id.is_none() && address.is_none() {
        miss(
            "liaison_group_id",
            "a work plan names a home or station, or an address (地点)",
        );
    }
    if let (Some(s), Some(e)) = (b.starts_at, b.ends_at) {
        if !missing.is_empty() {
            // Report the incomplete plan first; the order of times can wait.
        } else if e.0 <= s.0 {
            return Err(ApiError::invalid_field(
                "ends_at",
                "must be after starts_at",
            ));
        } else if e.0 - s.0 > Duration::days(31) {
            return Err(ApiError::invalid_field(
                "ends_at",
                "an activity lasts at most 31 days",
            ));
        } else {
            return Ok((s.0, e.0));
        }
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::WorkPlanIncomplete,
        "a work plan needs person, time and place all set (人员、时间、地点三落实)",
    )
    .with_field_errors(missing))
}

async fn place(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    b: &CreateActivity,
) -> ApiResult<Placement> {
    let (committee_id, organiser_committee_id, organiser_group_id) =
        match (b.organiser_committee_id, b.organiser_group_id) {
            (Some(c), None) => {
                let c =
                    crate::committees::model::attachable(conn, caller, c, "organiser_committee_id")
                        .await?;
                (c.id, Some(c.id), None)
            }
            (None, Some(g)) => {
                let g = crate::liaison_groups::model::find_visible(conn, caller, g)
                    .await
                    .map_err(|e| e.on_field("organiser_group_id", "no such liaison group"))?;
                (g.committee_id, None, Some(g.id))
            }
            _ => {
                return Err(ApiError::invalid_field(
                    "organiser_committee_id",
                    "name exactly one organiser: a committee or a liaison group",
                ));
            }
        };
    let address = b
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if b.liaison_group_id.is_some() && address.is_some() {
        return Err(ApiError::invalid_field(
            "address",
            "name a home or station, or an address, not both",
        ));
    }
    if let Some(g) = b.liaison_group_id {
        crate::liaison_groups::model::find_visible(conn, caller, g)
            .await
            .map_err(|e| e.on_field("liaison_group_id", "no such liaison group"))?;
    }
    Ok(Placement {
        committee_id,
        organiser_committee_id,
        organiser_group_id,
        liaison_group_id: b.liaison_group_id,
        address: address.map(str::to_owned),
    })
}

pub(super) fn deduped(ids: &[Uuid]) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Every voter named, contacted or registered, must be in the caller's scope (one query); the
/// error names the first field that is not.
async fn check_voters(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    b: &HoldActivity,
) -> ApiResult<()> {
    let mut named: Vec<Uuid> = b.contacted_voter_ids.clone();
    named.extend(b.registrations.iter().filter_map(|r| r.voter_id));
    let found: Vec<Uuid> = voters::table
        .filter(voters::id.eq_any(deduped(&named)))
        .filter(access::filters::voter_filter(caller))
        .select(voters::id)
        .load(conn)
        .await?;
    let unknown = |id: &Uuid| !found.contains(id);
    let field = if b.contacted_voter_ids.iter().any(unknown) {
        Some("contacted_voter_ids".to_owned())
    } else {
        b.registrations
            .iter()
            .position(|r| r.voter_id.as_ref().is_some_and(unknown))
            .map(|i| format!("registrations[{i}].voter_id"))
    };
    match field {
        Some(field) => Err(ApiError::invalid_field(
            &field,
            "no such voter in your scope",
        )),
        None => Ok(()),
    }
}

pub(super) async fn committee_policy(
    conn: &mut AsyncPgConnection,
    committee: Uuid,
) -> ApiResult<policy::EffectivePolicy> {
    let path: Vec<Uuid> = committees::table
        .find(committee)
        .select(committees::ancestors)
        .first(conn)
        .await?;
    crate::committees::model::effective_policy(conn, &path).await
}

pub(super) async fn announce(
    conn: &mut AsyncPgConnection,
    a: &Activity,
    action: &str,
) -> ApiResult<()> {
    let payload = json!({
        "activity_id": a.id,
        "action": action,
        "kind": a.kind,
        "status": a.status,
        "committee_id": a.committee_id,
        "starts_at": a.starts_at,
        "version": a.version,
    });
    let topic = format!("activity.{action}");
    crate::outbox::enqueue(conn, &topic, a.id, a.committee_id, payload).await
}

/// Records a work plan entry (planned). Also used for the activity an accepted meeting
/// request becomes.
#[tracing::instrument(skip_all)]
pub async fn plan(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    b: CreateActivity,
) -> ApiResult<Activity> {
    let (starts_at, ends_at) = check_work_plan(&b)?;
    let placement = place(conn, caller, &b).await?;
    let deputies = deduped(&b.representative_ids);
    if b.kind == ActivityKind::AnnualReport && deputies.len() != 1 {
        return Err(ApiError::invalid_field(
            "representative_ids",
            "a report to voters belongs to exactly one deputy",
        ));
    }
    serving_in_scope(conn, caller, &deputies, "representative_ids").await?;
    let now = Utc::now();
    if b.published {
        let days = committee_policy(conn, placement.committee_id)
            .await?
            .publish_days_ahead;
        if starts_at < now + Duration::days(days.into()) {
            return Err(ApiError::invalid_field(
                "published",
                format!("an activity is published at least {days} days before it starts"),
            ));
        }
    }
    let plan = Plan {
        kind: b.kind,
        form: b.form,
        placement,
        starts_at,
        ends_at,
        deputies,
        topic: b.topic.trim().to_owned(),
        published: b.published,
        status: ActivityStatus::Planned,
    };
    insert_plan(conn, caller.account_id, plan).await
}

/// A work plan entry whose every part has been checked against the caller's scope.
pub struct Plan {
    pub kind: ActivityKind,
    pub form: ActivityForm,
    pub placement: Placement,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub deputies: Vec<Uuid>,
    pub topic: String,
    pub published: bool,
    /// Planned, or declared by the deputy for staff to confirm.
    pub status: ActivityStatus,
}

/// Writes a checked plan: the activity, its deputies and the outbox row.
pub async fn insert_plan(
    conn: &mut AsyncPgConnection,
    account: Uuid,
    plan: Plan,
) -> ApiResult<Activity> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let created: Activity = diesel::insert_into(activities::table)
        .values(&NewActivity {
            id,
            kind: plan.kind,
            form: plan.form,
            committee_id: plan.placement.committee_id,
            organiser_committee_id: plan.placement.organiser_committee_id,
            organiser_group_id: plan.placement.organiser_group_id,
            liaison_group_id: plan.placement.liaison_group_id,
            address: plan.placement.address,
            starts_at: plan.starts_at,
            ends_at: plan.ends_at,
            topic: plan.topic,
            published: plan.published,
            published_at: plan.published.then_some(now),
            created_by: Some(account),
            status: plan.status,
        })
        .returning(Activity::as_returning())
        .get_result(conn)
        .await?;
    let participants: Vec<Participant> = plan
        .deputies
        .iter()
        .map(|&r| Participant {
            activity_id: id,
            representative_id: r,
            planned: true,
            attended: false,
        })
        .collect();
    diesel::insert_into(activity_participants::table)
        .values(&participants)
        .execute(conn)
        .await?;
    let (topic, event) = match plan.status {
        ActivityStatus::Declared => ("declared", ActivityEventKind::Declared),
        _ => ("planned", ActivityEventKind::Planned),
    };
    announce(conn, &created, topic).await?;
    model::record_event(
        conn,
        id,
        event,
        Some(account),
        json!({"starts_at": created.starts_at, "ends_at": created.ends_at, "published": created.published}),
    )
    .await?;
    Ok(created)
}

fn not_planned(a: &Activity, step: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::InvalidTransition,
        format!("an activity that is {} cannot be {step}", a.status),
    )
    .with_extension("activity_status", json!(a.status))
}

/// Locks a planned activity in the caller's scope at the version they saw.
pub(super) async fn lock_planned(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    step: &str,
) -> ApiResult<Activity> {
    lock_in(conn, caller, id, if_match, ActivityStatus::Planned, step).await
}

/// Locks an activity in the caller's scope at the version they saw, if it is in `status`.
pub(super) async fn lock_in(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    status: ActivityStatus,
    step: &str,
) -> ApiResult<Activity> {
    let a = model::lock_visible(conn, caller, id).await?;
    if_match.check(a.version)?;
    if a.status != status {
        return Err(not_planned(&a, step));
    }
    Ok(a)
}

/// The opinion an issue raised at the activity becomes.
fn opinion_of(
    a: &Activity,
    issue: IssueInput,
    voter: Option<Uuid>,
    registration: Uuid,
    deputies: &[(Uuid, Option<Uuid>)],
    first_attendee: Uuid,
) -> ApiResult<CreateOpinion> {
    let constituency = issue
        .constituency_id
        .or_else(|| deputies.iter().find_map(|(_, c)| *c))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "constituency_id",
                "no deputy present has a constituency; name one",
            )
        })?;
    Ok(CreateOpinion {
        title: issue.title,
        content: issue.content,
        category: issue.category,
        constituency_id: constituency,
        voter_id: voter,
        representative_id: Some(issue.representative_id.unwrap_or(first_attendee)),
        source: a.form.opinion_source(),
        urgent: issue.urgent,
        public_consent: false,
        activity_id: Some(a.id),
        registration_id: Some(registration),
        location: None,
        external_ref: None,
    })
}

/// Records a planned activity as held: who was present, how many voters came, the summary,
/// the registration forms and an opinion for every issue raised.
#[tracing::instrument(skip_all)]
pub async fn hold(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    kept: &crate::committees::kept_policies::KeptPolicies,
    id: Uuid,
    if_match: &IfMatch,
    b: HoldActivity,
) -> ApiResult<Activity> {
    let a = lock_planned(conn, caller, id, if_match, "held").await?;
    if b.report_text.is_some() && a.kind != ActivityKind::AnnualReport {
        return Err(ApiError::invalid_field(
            "report_text",
            "only a report to voters has a text",
        ));
    }
    let officers = deduped(&b.attendee_officer_ids);
    if !officers.is_empty() {
        let group = a.liaison_group_id.or(a.organiser_group_id).ok_or_else(|| {
            ApiError::invalid_field(
                "attendee_officer_ids",
                "only an activity of a home or station has liaison officers",
            )
        })?;
        crate::liaison_groups::model::check_designated_officers(
            conn,
            group,
            &officers,
            "attendee_officer_ids",
        )
        .await?;
    }
    let attendees = deduped(&b.attendee_representative_ids);
    let mut deputies =
        serving_in_scope(conn, caller, &attendees, "attendee_representative_ids").await?;
    // Issues default to the first deputy named, in the order the client gave.
    let first_attendee = b.attendee_representative_ids[0];
    deputies.sort_by_key(|(r, _)| *r != first_attendee);
    check_voters(conn, caller, &b).await?;
    let now = Utc::now();
    let held: Activity = diesel::update(activities::table.find(a.id))
        .set((
            activities::status.eq(ActivityStatus::Held.as_str()),
            activities::voters_met.eq(b.voters_met),
            activities::summary.eq(b.summary.trim()),
            activities::report_text.eq(b.report_text.as_deref().map(str::trim)),
            activities::attendee_officer_ids.eq(&officers),
            activities::held_at.eq(now),
            activities::version.eq(activities::version + 1),
            activities::updated_at.eq(now),
        ))
        .returning(Activity::as_returning())
        .get_result(conn)
        .await?;
    let present: Vec<Participant> = attendees
        .iter()
        .map(|&r| Participant {
            activity_id: a.id,
            representative_id: r,
            planned: false,
            attended: true,
        })
        .collect();
    diesel::insert_into(activity_participants::table)
        .values(&present)
        .on_conflict((
            activity_participants::activity_id,
            activity_participants::representative_id,
        ))
        .do_update()
        .set(activity_participants::attended.eq(true))
        .execute(conn)
        .await?;
    let contacts: Vec<_> = deduped(&b.contacted_voter_ids)
        .into_iter()
        .map(|v| {
            (
                activity_contacts::activity_id.eq(a.id),
                activity_contacts::voter_id.eq(v),
            )
        })
        .collect();
    diesel::insert_into(activity_contacts::table)
        .values(&contacts)
        .execute(conn)
        .await?;
    for (i, reg) in b.registrations.into_iter().enumerate() {
        let registration = Registration {
            id: Uuid::now_v7(),
            activity_id: a.id,
            visitor_name: reg.visitor_name.trim().to_owned(),
            phone: reg.phone.map(|p| p.as_str().to_owned()),
            created_at: now,
        };
        diesel::insert_into(reception_registrations::table)
            .values(&registration)
            .execute(conn)
            .await?;
        for (j, issue) in reg.issues.into_iter().enumerate() {
            let at = format!("registrations[{i}].issues[{j}]");
            let opinion = opinion_of(
                &held,
                issue,
                reg.voter_id,
                registration.id,
                &deputies,
                first_attendee,
            )
            .map_err(|e| e.nested_under(&at))?;
            let check = SessionCheck::done();
            // More is written after each: the activity's own transaction commits.
            let ending = Ending::AfterTheWork;
            crate::opinions::workflow::receive(conn, caller, check, kept, opinion, ending)
                .await
                .map_err(|e| e.nested_under(&at))?;
        }
    }
    follow_activity(conn, a.id, Step::Hold, None).await?;
    announce(conn, &held, "held").await?;
    model::record_event(
        conn,
        a.id,
        ActivityEventKind::Held,
        Some(caller.account_id),
        json!({"attended": attendees, "voters_met": held.voters_met}),
    )
    .await?;
    Ok(held)
}

/// Calls off a planned activity, and the meeting request it answered.
#[tracing::instrument(skip_all)]
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    reason: &str,
) -> ApiResult<Activity> {
    let a = lock_planned(conn, caller, id, if_match, "cancelled").await?;
    mark_cancelled(conn, &a, reason, caller.account_id).await
}

/// Cancels a planned activity already locked and checked, and the meeting request it answered.
pub async fn mark_cancelled(
    conn: &mut AsyncPgConnection,
    a: &Activity,
    reason: &str,
    actor: Uuid,
) -> ApiResult<Activity> {
    let now = Utc::now();
    let reason = reason.trim();
    let cancelled: Activity = diesel::update(activities::table.find(a.id))
        .set((
            activities::status.eq(ActivityStatus::Cancelled.as_str()),
            activities::cancel_reason.eq(reason),
            activities::cancelled_at.eq(now),
            activities::version.eq(activities::version + 1),
            activities::updated_at.eq(now),
        ))
        .returning(Activity::as_returning())
        .get_result(conn)
        .await?;
    follow_activity(conn, a.id, Step::Cancel, Some(reason)).await?;
    announce(conn, &cancelled, "cancelled").await?;
    model::record_event(
        conn,
        a.id,
        ActivityEventKind::Cancelled,
        Some(actor),
        json!({"reason": reason}),
    )
    .await?;
    Ok(cancelled)
}
