//! Activities deputies declare themselves (township rules §5: 代表自行申报; station rules §6:
//! visits on their own initiative). A declaration is a plan naming only the deputy, at their
//! own home or station or an address, organised by their own group; it starts `declared` and
//! counts for nothing until group or committee staff confirm it (it becomes `planned`, to be
//! held like any plan) or reject it with a reason.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::domain::{ActivityEventKind, ActivityStatus};
use super::dto::CreateActivity;
use super::model::{self, Activity};
use super::workflow::{Placement, Plan, announce, check_work_plan, insert_plan, lock_in};
use crate::access::Caller;
use crate::access::activities::check_declare;
use crate::conditional::IfMatch;
use crate::db::schema::{activities, liaison_groups, representatives};
use crate::error::{ApiError, ApiResult};

#[tracing::instrument(skip_all)]
pub async fn declare(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    b: CreateActivity,
) -> ApiResult<Activity> {
    let deputy = check_declare(caller, &b.representative_ids)?;
    let (starts_at, ends_at) = check_work_plan(&b)?;
    let (group, committee): (Uuid, Uuid) = representatives::table
        .inner_join(liaison_groups::table)
        .filter(representatives::id.eq(deputy))
        .select((liaison_groups::id, liaison_groups::committee_id))
        .first(conn)
        .await?;
    if b.organiser_committee_id.is_some() || b.organiser_group_id.is_some_and(|g| g != group) {
        return Err(ApiError::invalid_field(
            "organiser_group_id",
            "a deputy's declaration is organised by their own home or station",
        ));
    }
    if b.liaison_group_id.is_some_and(|g| g != group) {
        return Err(ApiError::invalid_field(
            "liaison_group_id",
            "a deputy declares at their own home or station, or at an address",
        ));
    }
    let address = b
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    if b.liaison_group_id.is_some() && address.is_some() {
        return Err(ApiError::invalid_field(
            "address",
            "name a home or station, or an address, not both",
        ));
    }
    if b.published {
        return Err(ApiError::invalid_field(
            "published",
            "staff publish an activity once they have confirmed it",
        ));
    }
    let plan = Plan {
        kind: b.kind,
        form: b.form,
        placement: Placement {
            committee_id: committee,
            organiser_committee_id: None,
            organiser_group_id: Some(group),
            liaison_group_id: b.liaison_group_id,
            address,
        },
        starts_at,
        ends_at,
        deputies: vec![deputy],
        topic: b.topic.trim().to_owned(),
        published: false,
        status: ActivityStatus::Declared,
    };
    insert_plan(conn, caller.account_id, plan).await
}

/// Staff confirm a declaration: it becomes a plan.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
) -> ApiResult<Activity> {
    let a = lock_in(
        conn,
        caller,
        id,
        if_match,
        ActivityStatus::Declared,
        "confirmed",
    )
    .await?;
    let confirmed: Activity = diesel::update(activities::table.find(a.id))
        .set((
            activities::status.eq(ActivityStatus::Planned.as_str()),
            activities::version.eq(activities::version + 1),
            activities::updated_at.eq(Utc::now()),
        ))
        .returning(Activity::as_returning())
        .get_result(conn)
        .await?;
    announce(conn, &confirmed, "confirmed").await?;
    model::record_event(
        conn,
        a.id,
        ActivityEventKind::Confirmed,
        Some(caller.account_id),
        json!({}),
    )
    .await?;
    Ok(confirmed)
}

/// Staff reject a declaration, saying why.
#[tracing::instrument(skip_all)]
pub async fn reject(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    reason: &str,
) -> ApiResult<Activity> {
    let a = lock_in(
        conn,
        caller,
        id,
        if_match,
        ActivityStatus::Declared,
        "rejected",
    )
    .await?;
    let now = Utc::now();
    let reason = reason.trim();
    let rejected: Activity = diesel::update(activities::table.find(a.id))
        .set((
            activities::status.eq(ActivityStatus::Rejected.as_str()),
            activities::reject_reason.eq(reason),
            activities::rejected_at.eq(now),
            activities::version.eq(activities::version + 1),
            activities::updated_at.eq(now),
        ))
        .returning(Activity::as_returning())
        .get_result(conn)
        .await?;
    announce(conn, &rejected, "rejected").await?;
    model::record_event(
        conn,
        a.id,
        ActivityEventKind::Rejected,
        Some(caller.account_id),
        json!({"reason": reason}),
    )
    .await?;
    Ok(rejected)
}
