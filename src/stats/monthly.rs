//! Long opinion reports from monthly sums (`opinion_measures_monthly`, kept with the measures
//! by `refresh_opinion_measures`): each whole Beijing month of the period is a few rows per row
//! of the report, and only the days before the first whole month and after the last are read
//! from the measures. Counts are exact either way; durations come from 2%-wide buckets
//! (`histogram`), so a report is read this way only when it covers more measures than
//! `exact_up_to` (below that, the measures themselves are quick and give exact medians).
//!
//! A report narrowed to one liaison group is small and read from the measures: the sums are
//! kept per committee, not per group.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::{OpinionFigures, OpinionGrouping, Spread, StatsKey};
use super::histogram::Histogram;
use super::opinion_sql::{Binds, Window, first_referrals, key_of, opinion_measures};
use crate::access::stats::StatsScope;
use crate::calendar::working_days::{local_date, start_of_local_day};
use crate::error::ApiResult;

type Report = (Vec<(StatsKey, OpinionFigures)>, OpinionFigures);

/// One kind of measure for one row of the report: how many, and their durations' buckets.
#[derive(Debug, QueryableByName)]
struct Part {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    key_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    key_text: Option<String>,
    #[diesel(sql_type = Text)]
    kind: String,
    /// Counted in the totals and in its row (a referral counts only where it is an
    /// opinion's first: `first_referrals`).
    #[diesel(sql_type = Bool)]
    first_in_period: bool,
    #[diesel(sql_type = Bool)]
    first_in_row: bool,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Jsonb>)]
    hist: Option<serde_json::Value>,
}

/// The whole Beijing months inside [from, end): the first one's first day and the day after
/// the last one; None when there is none.
fn whole_months(from: DateTime<Utc>, end: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
    let first_day = local_date(from);
    let start_month = first_day.with_day(1)?;
    let first = if start_of_local_day(start_month) == from {
        start_month
    } else {
        start_month.checked_add_months(Months::new(1))?
    };
    let after = local_date(end).with_day(1)?;
    let after = if start_of_local_day(after) <= end {
        after
    } else {
        after.checked_sub_months(Months::new(1))?
    };
    (first < after).then_some((first, after))
}

/// The monthly sums of whole months [first, after) in the caller's scope, with which count
/// in the totals and in their rows (as `first_referrals` says, by the referrals' `since`).
fn sums_statement(grouping: OpinionGrouping) -> String {
    let (id, text) = match grouping {
        OpinionGrouping::Month => ("NULL::uuid", "to_char(r.month, 'YYYY-MM')"),
        OpinionGrouping::Category | OpinionGrouping::Source => ("NULL::uuid", "r.key_code"),
        _ => ("r.key_id", "NULL::text"),
    };
    let row_start = match grouping {
        OpinionGrouping::Month => "greatest($6, r.month)",
        _ => "$6",
    };
    format!(
        "SELECT {id} AS key_id, {text} AS key_text, r.kind, r.n, r.hist,
                (r.kind <> 'referred' OR r.since IS NULL OR r.since < $6) AS first_in_period,
                (r.kind <> 'referred' OR r.since IS NULL OR r.since < {row_start})
                    AS first_in_row
         FROM opinion_measures_monthly r
         WHERE r.grouping = $1 AND r.month >= $2 AND r.month < $3
           AND ($4::uuid IS NULL OR r.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$4::uuid]))
           AND ($5::uuid IS NULL OR r.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$5::uuid]))
           AND r.n <> 0"
    )
}

/// The measures of a part of the period read from `opinion_measures`, in the sums' shape.
fn measures_statement(grouping: OpinionGrouping) -> String {
    let (id, text, _) = key_of(grouping);
    let (first_in_period, first_in_row) = first_referrals(grouping);
    format!(
        "WITH {measures},
         per_bucket AS (
             SELECT {id} AS key_id, {text} AS key_text, m.k AS kind,
                    {first_in_period} AS first_in_period, {first_in_row} AS first_in_row,
                    duration_bucket(m.v) AS bucket, count(*) AS n
             FROM m
             GROUP BY 1, 2, 3, 4, 5, 6
         )
         SELECT key_id, key_text, kind, first_in_period, first_in_row, sum(n)::bigint AS n,
                jsonb_object_agg(bucket, n) FILTER (WHERE bucket IS NOT NULL) AS hist
         FROM per_bucket GROUP BY key_id, key_text, kind, first_in_period, first_in_row",
        measures = opinion_measures(),
    )
}

/// The report from monthly sums, or None when it is not worth it (see the module).
pub(super) async fn figures(
    conn: &mut AsyncPgConnection,
    grouping: OpinionGrouping,
    binds: Binds,
    exact_up_to: i64,
) -> ApiResult<Option<Report>> {
    let committee = match binds.scope {
        StatsScope::District => None,
        StatsScope::Committee(c) => Some(c),
        StatsScope::LiaisonGroup(_) | StatsScope::HandlingBody(_) => return Ok(None),
    };
    let window = binds.window;
    if binds.narrowing.liaison_group.is_some() || grouping == OpinionGrouping::HandlingBody {
        return Ok(None);
    }
    let Some((first, after)) = whole_months(window.from, window.end) else {
        return Ok(None);
    };
    let stored = match grouping {
        OpinionGrouping::Month => OpinionGrouping::Committee,
        other => other,
    };
    let mut parts: Vec<Part> = diesel::sql_query(sums_statement(grouping))
        .bind::<Text, _>(stored.as_str())
        .bind::<Date, _>(first)
        .bind::<Date, _>(after)
        .bind::<Nullable<SqlUuid>, _>(committee)
        .bind::<Nullable<SqlUuid>, _>(binds.narrowing.committee)
        .bind::<Date, _>(local_date(window.from))
        .load(conn)
        .await?;
    if parts.iter().map(|p| p.n.abs()).sum::<i64>() <= exact_up_to {
        return Ok(None);
    }
    // The days before the first whole month, and after the last with what was open at the end.
    let before = Binds {
        window: Window {
            end: start_of_local_day(first),
            ..window
        },
        count_open: false,
        ..binds
    };
    let after = Binds {
        window: Window {
            from: start_of_local_day(after),
            ..window
        },
        ..binds
    };
    for part in [before, after] {
        parts.extend(part.run::<Part>(conn, measures_statement(grouping)).await?);
    }
    let mut rows: HashMap<(Option<Uuid>, Option<String>), Tally> = HashMap::new();
    let mut totals = Tally::default();
    for part in &parts {
        let mut hist = Histogram::default();
        if let Some(json) = &part.hist {
            hist.add_json(json);
        }
        let row = rows
            .entry((part.key_id, part.key_text.clone()))
            .or_default();
        if part.first_in_period {
            totals.add(&part.kind, part.n, &hist);
        }
        if part.first_in_row {
            row.add(&part.kind, part.n, &hist);
        }
    }
    let names = names_of(conn, grouping, rows.keys().filter_map(|k| k.0).collect()).await?;
    let mut items: Vec<_> = rows
        .into_iter()
        .map(|((id, text), tally)| {
            let (code, month) = match grouping {
                OpinionGrouping::Month => (None, text),
                _ => (text, None),
            };
            let key = StatsKey {
                kind: grouping.as_str().to_owned(),
                id,
                name: id.and_then(|id| names.get(&id).map(|(_, name)| name.clone())),
                code,
                month,
                role: None,
            };
            (key, tally.figures())
        })
        .collect();
    // As the statement over the measures orders its rows: by name, code or month, then id.
    items.sort_by(|(a, _), (b, _)| {
        let rank = |k: &StatsKey| k.id.and_then(|id| names.get(&id).map(|(rank, _)| *rank));
        (
            rank(a).is_none(),
            rank(a),
            a.code.is_none(),
            &a.code,
            &a.month,
            a.id,
        )
            .cmp(&(
                rank(b).is_none(),
                rank(b),
                b.code.is_none(),
                &b.code,
                &b.month,
                b.id,
            ))
    });
    Ok(Some((items, totals.figures())))
}

/// Each id's name and its place in name order.
async fn names_of(
    conn: &mut AsyncPgConnection,
    grouping: OpinionGrouping,
    ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, (usize, String)>> {
    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        name: String,
    }
    let (_, _, Some(table)) = key_of(grouping) else {
        return Ok(HashMap::new());
    };
    let named: Vec<Named> = diesel::sql_query(format!(
        "SELECT id, name FROM {table} WHERE id = ANY($1) ORDER BY name, id"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await?;
    Ok(named
        .into_iter()
        .enumerate()
        .map(|(rank, n)| (n.id, (rank, n.name)))
        .collect())
}

/// One row's counts and durations, added up from parts.
#[derive(Debug, Default)]
struct Tally {
    figures: OpinionFigures,
    refer_hours: Histogram,
    answer_days: Histogram,
    feed_back_days: Histogram,
}

impl Tally {
    /// Adds `n` measures of `kind` (as `refresh_opinion_measures` names them, with the open
    /// snapshot's `open` and `overdue`), counted as the statement over the measures counts them.
    fn add(&mut self, kind: &str, n: i64, hist: &Histogram) {
        let f = &mut self.figures;
        match kind {
            "received" => f.received += n,
            "referred" => {
                f.referred += n;
                self.refer_hours.merge(hist);
            }
            "resolved" | "partly_resolved" | "answered" => {
                f.answered += n;
                f.resolved += i64::from(kind == "resolved") * n;
                f.partly_resolved += i64::from(kind == "partly_resolved") * n;
                self.answer_days.merge(hist);
            }
            "fed_back" => {
                f.fed_back += n;
                self.feed_back_days.merge(hist);
            }
            "declined" => f.declined += n,
            "open" | "overdue" => {
                f.open += n;
                f.overdue += i64::from(kind == "overdue") * n;
            }
            "responded" | "late" => {
                f.response_due += n;
                f.responded_in_time += i64::from(kind == "responded") * n;
            }
            "satisfied" | "unsatisfied" => {
                f.ratings += n;
                f.satisfied += i64::from(kind == "satisfied") * n;
            }
            _ => {}
        }
    }

    fn figures(&self) -> OpinionFigures {
        let spread = |h: &Histogram| Spread {
            median: h.percentile(0.5),
            p90: h.percentile(0.9),
        };
        OpinionFigures {
            refer_hours: spread(&self.refer_hours),
            answer_days: spread(&self.answer_days),
            feed_back_days: spread(&self.feed_back_days),
            ..self.figures.clone()
        }
        .with_rates()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::working_days::end_of_local_day;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn whole_months_are_those_inside_the_period() {
        let months = |from: &str, to: &str| {
            whole_months(start_of_local_day(day(from)), end_of_local_day(day(to)))
        };
        assert_eq!(
            months("2026-01-01", "2026-03-31"),
            Some((day("2026-01-01"), day("2026-04-01")))
        );
        assert_eq!(
            months("2026-01-02", "2026-03-30"),
            Some((day("2026-02-01"), day("2026-03-01")))
        );
        assert_eq!(months("2026-01-02", "2026-02-27"), None);
        assert_eq!(months("2026-03-01", "2026-03-30"), None);
        // A period ending now, in the middle of a day.
        let now = start_of_local_day(day("2026-11-30")) + chrono::Duration::hours(15);
        assert_eq!(
            whole_months(start_of_local_day(day("2023-11-30")), now),
            Some((day("2023-12-01"), day("2026-11-01")))
        );
    }
}
