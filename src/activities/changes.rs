//! Changing a planned activity (Measures Art. 8(2)–(3): plans change and are published later).
//! The changed plan is checked as a new one would be (三落实, the venue in scope, deputies
//! serving in scope, publish-ahead), written with a higher version, and each changed field is
//! put on the activity's timeline with what it was and what it is now.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::domain::{ActivityEventKind, ActivityKind};
use super::dto::{CreateActivity, UpdateActivity};
use super::model::{self, Activity, Participant};
use super::workflow::{announce, check_work_plan, committee_policy, deduped, lock_planned};
use crate::access::Caller;
use crate::calendar::LocalDateTime;
use crate::conditional::IfMatch;
use crate::db::schema::{activities, activity_participants};
use crate::error::{ApiError, ApiResult};
use crate::representatives::model::serving_in_scope;

/// The plan as it would be after the change, in the shape a new plan is checked in.
fn merged(a: &Activity, planned: Vec<Uuid>, b: &UpdateActivity) -> CreateActivity {
    CreateActivity {
        kind: a.kind,
        form: a.form,
        organiser_committee_id: a.organiser_committee_id,
        organiser_group_id: a.organiser_group_id,
        liaison_group_id: b.liaison_group_id.unwrap_or(a.liaison_group_id),
        address: b.address.clone().unwrap_or_else(|| a.address.clone()),
        starts_at: Some(b.starts_at.unwrap_or(LocalDateTime(a.starts_at))),
        ends_at: Some(b.ends_at.unwrap_or(LocalDateTime(a.ends_at))),
        representative_ids: b.representative_ids.clone().unwrap_or(planned),
        topic: b.topic.clone().unwrap_or_else(|| a.topic.clone()),
        published: b.published.unwrap_or(a.published),
        external_ref: None,
    }
}

/// `{field: {from, to}}` for every field whose value differs.
fn differences(before: &[(&str, Value)], after: &[(&str, Value)]) -> Map<String, Value> {
    before
        .iter()
        .zip(after)
        .filter(|((_, from), (_, to))| from != to)
        .map(|((field, from), (_, to))| (field.to_string(), json!({"from": from, "to": to})))
        .collect()
}

fn fields(a: &Activity, deputies: &[Uuid]) -> Vec<(&'static str, Value)> {
    vec![
        ("starts_at", json!(a.starts_at)),
        ("ends_at", json!(a.ends_at)),
        ("liaison_group_id", json!(a.liaison_group_id)),
        ("address", json!(a.address)),
        ("representative_ids", json!(deputies)),
        ("topic", json!(a.topic)),
        ("published", json!(a.published)),
    ]
}

#[tracing::instrument(skip_all)]
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    b: UpdateActivity,
) -> ApiResult<Activity> {
    let a = lock_planned(conn, caller, id, if_match, "changed").await?;
    let planned: Vec<Uuid> = model::participants_of(conn, &[a.id])
        .await?
        .into_iter()
        .filter(|p| p.planned)
        .map(|p| p.representative_id)
        .collect();
    let planned = deduped(&planned);
    let plan = merged(&a, planned.clone(), &b);
    let (starts_at, ends_at) = check_work_plan(&plan)?;
    let address = plan
        .address
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if plan.liaison_group_id.is_some() && address.is_some() {
        return Err(ApiError::invalid_field(
            "address",
            "name a home or station, or an address, not both",
        ));
    }
    if let Some(g) = b.liaison_group_id.flatten() {
        crate::liaison_groups::model::find_visible(conn, caller, g)
            .await
            .map_err(|e| e.on_field("liaison_group_id", "no such liaison group"))?;
    }
    let deputies = deduped(&plan.representative_ids);
    if a.kind == ActivityKind::AnnualReport && deputies.len() != 1 {
        return Err(ApiError::invalid_field(
            "representative_ids",
            "a report to voters belongs to exactly one deputy",
        ));
    }
    if b.representative_ids.is_some() {
        serving_in_scope(conn, caller, &deputies, "representative_ids").await?;
    }
    let now = Utc::now();
    // Publishing, or moving what is published, needs the same notice as at creation.
    let newly_published = plan.published && !a.published;
    if newly_published || (plan.published && starts_at != a.starts_at) {
        let days = committee_policy(conn, a.committee_id)
            .await?
            .publish_days_ahead;
        if starts_at < now + Duration::days(days.into()) {
            return Err(ApiError::invalid_field(
                if newly_published {
                    "published"
                } else {
                    "starts_at"
                },
                format!(
                    "a published activity starts at least {days} days after it is published or moved"
                ),
            ));
        }
    }
    let published_at = match (plan.published, newly_published) {
        (false, _) => None,
        (true, true) => Some(now),
        (true, false) => a.published_at,
    };
    let updated: Activity = diesel::update(activities::table.find(a.id))
        .set((
            activities::starts_at.eq(starts_at),
            activities::ends_at.eq(ends_at),
            activities::liaison_group_id.eq(plan.liaison_group_id),
            activities::address.eq(address),
            activities::topic.eq(plan.topic.trim()),
            activities::published.eq(plan.published),
            activities::published_at.eq(published_at),
            activities::version.eq(activities::version + 1),
            activities::updated_at.eq(now),
        ))
        .returning(Activity::as_returning())
        .get_result(conn)
        .await?;
    if deputies != planned {
        diesel::delete(
            activity_participants::table.filter(activity_participants::activity_id.eq(a.id)),
        )
        .execute(conn)
        .await?;
        let rows: Vec<Participant> = deputies
            .iter()
            .map(|&r| Participant {
                activity_id: a.id,
                representative_id: r,
                planned: true,
                attended: false,
            })
            .collect();
        diesel::insert_into(activity_participants::table)
            .values(&rows)
            .execute(conn)
            .await?;
    }
    let changes = differences(&fields(&a, &planned), &fields(&updated, &deputies));
    announce(conn, &updated, "changed").await?;
    model::record_event(
        conn,
        a.id,
        ActivityEventKind::Changed,
        Some(caller.account_id),
        Value::Object(changes),
    )
    .await?;
    Ok(updated)
}
