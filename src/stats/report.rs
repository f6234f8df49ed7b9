//! The opinion report as the route answers it and the stats export writes it: the period and
//! `as_of` resolved, the caller's scope, the figures, and every month of a monthly report.

use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;

use super::dto::{DEFINITIONS, OpinionGrouping, OpinionStats, OpinionStatsQuery, OpinionStatsRow};
use super::opinion_sql::{self, Narrowing, Window};
use crate::access::Caller;
use crate::access::stats::opinion_stats_scope;
use crate::calendar::working_days::{end_of_local_day, local_date, start_of_local_day};
use crate::error::ApiResult;

/// The opinion report `query` asks for, grouped by `grouping` (default `committee`), as the
/// caller may see it: the route's answer, and what the stats export writes. Durations are
/// exact up to `exact_up_to` measures (`Settings::stats_exact_up_to`).
pub async fn opinion_report(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    query: &OpinionStatsQuery,
    grouping: Option<OpinionGrouping>,
    exact_up_to: i64,
) -> ApiResult<OpinionStats> {
    let grouping = grouping.unwrap_or(OpinionGrouping::Committee);
    let scope = opinion_stats_scope(caller, grouping == OpinionGrouping::HandlingBody)?;
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
        opinion_sql::opinion_figures(conn, grouping, scope, narrowing, window, exact_up_to).await?;
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
