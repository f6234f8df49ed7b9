use actix_web::{get, web};
use chrono::{Datelike, NaiveDate, Utc};

use super::activities::{self, ActivityGrouping, ActivityStats, ActivityStatsQuery};
use super::dto::{OpinionStats, OpinionStatsQuery};
use super::report::opinion_report;
use crate::access::stats::activity_stats_scope;
use crate::access::{Action, Authed};
use crate::calendar::working_days::{end_of_local_day, local_date, start_of_local_day};
use crate::error::ApiResult;
use crate::state::AppState;

/// Opinion figures per committee, liaison group, deputy, handling body, category,
/// constituency, source or month, with totals: counts of each step, the three rates (响应率,
/// 解决率, 满意率) and how long steps took, from the timeline. `definitions` says exactly how
/// each is counted; `as_of` reproduces a past report.
#[utoipa::path(
    tag = "stats",
    operation_id = "opinion_stats",
    params(OpinionStatsQuery),
    responses((status = 200, description = "The report", body = OpinionStats)),
)]
#[get("/opinions")]
#[tracing::instrument(skip_all)]
pub async fn opinion_stats(
    state: web::Data<AppState>,
    authed: Authed,
    query: web::Query<OpinionStatsQuery>,
) -> ApiResult<web::Json<OpinionStats>> {
    let Authed { caller, mut conn } = authed;
    let exact_up_to = state.settings.stats_exact_up_to;
    Ok(web::Json(
        opinion_report(&mut conn, &caller, &query, query.group_by, exact_up_to).await?,
    ))
}

/// Activity figures per kind, form, liaison group, deputy or month, with totals: planned,
/// held and cancelled, voters met, deputies present, registrations and the opinions they
/// raised; with `group_by=liaison_group`, each station's rota receptions held against those its
/// reception rules scheduled.
#[utoipa::path(
    tag = "stats",
    operation_id = "activity_stats",
    params(ActivityStatsQuery),
    responses((status = 200, description = "The report", body = ActivityStats)),
)]
#[get("/activities")]
#[tracing::instrument(skip_all)]
pub async fn activity_stats(
    authed: Authed,
    query: web::Query<ActivityStatsQuery>,
) -> ApiResult<web::Json<ActivityStats>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let scope = activity_stats_scope(&caller)?;
    let grouping = query.group_by.unwrap_or(ActivityGrouping::Kind);
    let to = query.to.unwrap_or_else(|| local_date(Utc::now()));
    let from = query
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    let span = (start_of_local_day(from), end_of_local_day(to));
    let facts = activities::facts(&mut conn, scope, &query, span).await?;
    let rota = if grouping == ActivityGrouping::LiaisonGroup {
        activities::rota_scheduled(&mut conn, scope, &query, (from, to)).await?
    } else {
        Default::default()
    };
    let (items, totals) = activities::tally(&facts, grouping, &rota);
    Ok(web::Json(ActivityStats {
        from,
        to,
        group_by: grouping,
        items,
        totals,
    }))
}
