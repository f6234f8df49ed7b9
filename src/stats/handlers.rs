use actix_web::{get, web};
use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;

use super::activities::{self, ActivityGrouping, ActivityStats, ActivityStatsQuery};
use super::dto::{DEFINITIONS, OpinionGrouping, OpinionStats, OpinionStatsQuery, OpinionStatsRow};
use super::opinion_sql::{self, Narrowing, Window};
use crate::access::stats::{StatsScope, stats_scope};
use crate::access::{Action, Authed, Caller};
use crate::calendar::working_days::{end_of_local_day, local_date, start_of_local_day};
use crate::error::{ApiError, ApiResult};

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
#[get("/stats/opinions")]
#[tracing::instrument(skip_all)]
pub async fn opinion_stats(
    authed: Authed,
    query: web::Query<OpinionStatsQuery>,
) -> ApiResult<web::Json<OpinionStats>> {
    let Authed { caller, mut conn } = authed;
    Ok(web::Json(
        report(&mut conn, &caller, &query, query.group_by).await?,
    ))
}

/// The opinion report `query` asks for, grouped by `grouping` (default `committee`), as the
/// caller may see it: the route's answer, and what the stats export writes.
pub async fn report(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    query: &OpinionStatsQuery,
    grouping: Option<OpinionGrouping>,
) -> ApiResult<OpinionStats> {
    caller.require(Action::ReadStats)?;
    let scope = stats_scope(caller)?;
    let grouping = grouping.unwrap_or(OpinionGrouping::Committee);
    if matches!(scope, StatsScope::HandlingBody(_)) && grouping != OpinionGrouping::HandlingBody {
        return Err(ApiError::forbidden(
            "a handling body reads its own row only: group_by=handling_body",
        ));
    }
    let now = Utc::now();
    let today = local_date(now);
    let to = query.to.unwrap_or(today);
    let from = query
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    let as_of = query.as_of.unwrap_or(today);
    let known_by = match query.as_of {
        Some(day) => end_of_local_day(day).min(now),
        None => now,
    };
    let window = Window {
        from: start_of_local_day(from),
        end: end_of_local_day(to).min(known_by),
        known_by,
    };
    let narrowing = Narrowing {
        committee: query.committee_id,
        liaison_group: query.liaison_group_id,
    };
    let (rows, totals) =
        opinion_sql::opinion_figures(conn, grouping, scope, narrowing, window).await?;
    let mut items: Vec<OpinionStatsRow> = rows
        .into_iter()
        .map(|(key, figures)| OpinionStatsRow { key, figures })
        .collect();
    if grouping == OpinionGrouping::Month {
        items = every_month(items, from, to.min(as_of));
    }
    Ok(OpinionStats {
        from,
        to,
        as_of,
        group_by: grouping,
        items,
        totals,
        definitions: DEFINITIONS,
    })
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
#[get("/stats/activities")]
#[tracing::instrument(skip_all)]
pub async fn activity_stats(
    authed: Authed,
    query: web::Query<ActivityStatsQuery>,
) -> ApiResult<web::Json<ActivityStats>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadStats)?;
    caller.require(Action::ReadActivities)?;
    let scope = stats_scope(&caller)?;
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

/// The longest period whose quiet months are filled in (20 years); longer ones list the months
/// that have figures.
const FILL_AT_MOST_MONTHS: i32 = 240;

/// A monthly report has a row for every month of the period, quiet ones too (zero counts,
/// null rates), so a chart has no gaps.
fn every_month(rows: Vec<OpinionStatsRow>, from: NaiveDate, to: NaiveDate) -> Vec<OpinionStatsRow> {
    let mut rows = rows;
    let span = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let Some(mut month) = from.with_day(1).filter(|_| span <= FILL_AT_MOST_MONTHS) else {
        return rows;
    };
    while month <= to {
        let label = month.format("%Y-%m").to_string();
        if !rows
            .iter()
            .any(|r| r.key.month.as_deref() == Some(label.as_str()))
        {
            rows.push(OpinionStatsRow {
                key: super::dto::StatsKey {
                    kind: OpinionGrouping::Month.as_str().to_owned(),
                    id: None,
                    name: None,
                    code: None,
                    month: Some(label),
                    role: None,
                },
                figures: Default::default(),
            });
        }
        let Some(next) = month.checked_add_months(Months::new(1)) else {
            break;
        };
        month = next;
    }
    rows.sort_by(|a, b| a.key.month.cmp(&b.key.month));
    rows
}
