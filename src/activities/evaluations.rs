//! Voters' evaluations of reports to voters (述职评议, Measures Art. 7).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::{ActivityKind, ActivityStatus};
use super::model::Activity;
use crate::access::{self, Caller};
use crate::db::schema::{activities, activity_evaluations};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::opinions::lifecycle::Rating;

/// An evaluation of a held report to voters: a voter's own (once), or a paper form recorded by
/// staff.
#[tracing::instrument(skip_all)]
pub async fn evaluate(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    rating: Rating,
) -> ApiResult<Activity> {
    let a: Activity = activities::table
        .filter(activities::id.eq(id))
        .filter(access::filters::evaluable_report_filter(caller))
        .select(Activity::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("activity"))?;
    if a.kind != ActivityKind::AnnualReport || a.status != ActivityStatus::Held {
        return Err(ApiError::conflict(
            ErrorCode::NotAnEvaluableReport,
            "only a report to voters that has been held can be evaluated",
        ));
    }
    crate::voters::phone::check_may_submit(conn, caller).await?;
    let voter = access::people::own_voter(caller);
    diesel::insert_into(activity_evaluations::table)
        .values((
            activity_evaluations::id.eq(Uuid::now_v7()),
            activity_evaluations::activity_id.eq(a.id),
            activity_evaluations::voter_id.eq(voter),
            activity_evaluations::rating.eq(rating.as_str()),
            activity_evaluations::recorded_by.eq(caller.account_id),
        ))
        .execute(conn)
        .await
        .map_err(|e| {
            ApiError::on_unique(
                e,
                "activity_evaluations_activity_id_voter_id_key",
                ErrorCode::AlreadyEvaluated,
                "you have evaluated this report already",
            )
        })?;
    Ok(a)
}
