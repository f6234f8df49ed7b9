//! Long opinion reports from yearly and monthly sums (`opinion_measures_sums`, kept with the
//! measures by `refresh_opinion_measures`): each whole Beijing year and month of the period is
//! a few rows per row of the report, and only days at its ends are read from the measures. Counts are exact either way; durations come from 2%-wide buckets
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
use super::opinion_sql::{
    Binds, OPEN_SPAN_MONTHS, Window, first_referrals, key_of, opinion_measures,
};
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
    /// −1 for what is taken away (sums of months outside the period, stretches of measures).
    #[diesel(sql_type = BigInt)]
    sign: i64,
}

/// How a period is read: the months [first, after) from the sums, then stretches of the
/// measures added (+1) or taken away (−1). Each end of the period is met from whichever side
/// is shorter: the days of a partial month before the end are added, or the month is taken
/// whole and the days after the end taken away (for a period ending now: the few deadlines
/// still to come this month).
#[derive(Debug, PartialEq)]
struct Cover {
    first: NaiveDate,
    after: NaiveDate,
    stretches: Vec<(DateTime<Utc>, DateTime<Utc>, i64)>,
}

/// None when no month would be read from the sums.
fn cover(from: DateTime<Utc>, end: DateTime<Utc>) -> Option<Cover> {
    let mut stretches = Vec::new();
    let first = month_boundary(from, true, &mut stretches)?;
    let after = month_boundary(end, false, &mut stretches)?;
    (first < after).then_some(Cover {
        first,
        after,
        stretches,
    })
}

/// The month boundary standing for `at`, one end of the period (`starts`: the period runs
/// after it), noting the stretch to read from the measures: the part of `at`'s month outside
/// the period taken away when it is no longer than the part inside, else the inside added.
fn month_boundary(
    at: DateTime<Utc>,
    starts: bool,
    stretches: &mut Vec<(DateTime<Utc>, DateTime<Utc>, i64)>,
) -> Option<NaiveDate> {
    let month = local_date(at).with_day(1)?;
    let next = month.checked_add_months(Months::new(1))?;
    let (month_start, month_end) = (start_of_local_day(month), start_of_local_day(next));
    if month_start == at {
        return Some(month);
    }
    let (before, after) = ((month_start, at), (at, month_end));
    let (inside, outside) = if starts {
        (after, before)
    } else {
        (before, after)
    };
    let whole_month = outside.1 - outside.0 <= inside.1 - inside.0;
    if whole_month {
        stretches.push((outside.0, outside.1, -1));
    } else {
        stretches.push((inside.0, inside.1, 1));
    }
    // The month counts when taken whole at the start, or left whole before the end.
    Some(if whole_month == starts { month } else { next })
}

/// Which sums stand for the months [first, after): per calendar year, its months, or the year
/// with the months outside the period taken away when those are fewer (for a report up to
/// now, this year less the months still to come). A report by month reads its months.
#[derive(Debug, Default, PartialEq)]
struct SumRows {
    /// Months added.
    months: Vec<NaiveDate>,
    years: Vec<NaiveDate>,
    /// Months taken away (each of a year in `years`).
    less: Vec<NaiveDate>,
}

/// The first days of the months [from, to).
fn months_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    std::iter::successors(Some(from), |m| m.checked_add_months(Months::new(1)))
        .take_while(move |m| *m < to)
}

fn sum_rows(grouping: OpinionGrouping, first: NaiveDate, after: NaiveDate) -> SumRows {
    let mut rows = SumRows::default();
    let mut january = first.with_month(1).unwrap_or(first);
    while january < after {
        let next_january = january.checked_add_months(Months::new(12)).unwrap_or(after);
        let inside: Vec<NaiveDate> =
            months_between(first.max(january), after.min(next_january)).collect();
        if grouping != OpinionGrouping::Month && inside.len() > 6 {
            rows.years.push(january);
            let outside = months_between(january, next_january).filter(|m| !inside.contains(m));
            rows.less.extend(outside);
        } else {
            rows.months.extend(inside);
        }
        january = next_january;
    }
    rows
}

/// The sums of the months $2 and years $3 added, and of the months $4 taken away (`sign`), in the
/// caller's scope ($5, $6), with which count in the totals and in their rows (as
/// `first_referrals` says, by the referrals' `since` against the period's first day, $7).
fn sums_statement(grouping: OpinionGrouping) -> String {
    let (id, text) = match grouping {
        OpinionGrouping::Month => ("NULL::uuid", "to_char(r.period, 'YYYY-MM')"),
        // A handling body's role rides in the code.
        OpinionGrouping::Category | OpinionGrouping::Source | OpinionGrouping::HandlingBody => {
            ("r.key_id", "r.key_code")
        }
        _ => ("r.key_id", "NULL::text"),
    };
    let row_start = match grouping {
        OpinionGrouping::Month => "greatest($7, r.period)",
        _ => "$7",
    };
    format!(
        "SELECT {id} AS key_id, {text} AS key_text, r.kind, r.n, r.hist,
                (r.kind <> 'referred' OR r.since IS NULL OR r.since < $7) AS first_in_period,
                (r.kind <> 'referred' OR r.since IS NULL OR r.since < {row_start})
                    AS first_in_row,
                CASE WHEN r.grain = 'month' AND r.period = ANY($4) THEN -1 ELSE 1 END::bigint
                    AS sign
         FROM opinion_measures_sums r
         WHERE r.grouping = $1
           AND (r.grain = 'month' AND (r.period = ANY($2) OR r.period = ANY($4))
                OR r.grain = 'year' AND r.period = ANY($3))
           AND ($5::uuid IS NULL OR r.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$5::uuid]))
           AND ($6::uuid IS NULL OR r.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$6::uuid]))
           AND r.n <> 0"
    )
}

/// The measures of a part of the period read from `opinion_measures` (per handling body,
/// `referral_measures`), in the sums' shape.
fn measures_statement(grouping: OpinionGrouping) -> String {
    if grouping == OpinionGrouping::HandlingBody {
        return referral_measures_statement();
    }
    let (id, text, _) = key_of(grouping);
    let (first_in_period, first_in_row) = first_referrals(grouping);
    format!(
        "WITH {measures},
         per_bucket AS (
             SELECT {id} AS key_id, {text} AS key_text, m.k AS kind,
                    {first_in_period} AS first_in_period, {first_in_row} AS first_in_row,
                    duration_bucket(m.v) AS bucket, sum(m.n) AS n
             FROM m
             GROUP BY 1, 2, 3, 4, 5, 6
         )
         SELECT key_id, key_text, kind, first_in_period, first_in_row, sum(n)::bigint AS n,
                1::bigint AS sign,
                jsonb_object_agg(bucket, n) FILTER (WHERE bucket IS NOT NULL) AS hist
         FROM per_bucket GROUP BY key_id, key_text, kind, first_in_period, first_in_row",
        measures = opinion_measures(grouping),
    )
}

/// The statement `measures_statement` answers per handling body: each referral counted where
/// it is, what lead referrals held at the end ($3, when $9 asks) from their spans, in the
/// caller's committee ($4) and the narrowing ($7).
fn referral_measures_statement() -> String {
    format!(
        "
    WITH m AS (
        SELECT rm.kind AS k, rm.v, rm.handling_body_id, rm.role
        FROM referral_measures rm
        WHERE rm.kind <> 'open' AND rm.at >= $1 AND rm.at < $3
          AND ($4::uuid IS NULL OR rm.committee_id IN
                (SELECT id FROM committees WHERE ancestors @> ARRAY[$4::uuid]))
          AND ($7::uuid IS NULL OR rm.committee_id IN
                (SELECT id FROM committees WHERE ancestors @> ARRAY[$7::uuid]))
        UNION ALL
        SELECT CASE WHEN rm.due_at < $3 THEN 'overdue' ELSE 'open' END, NULL,
               rm.handling_body_id, rm.role
        FROM {OPEN_SPAN_MONTHS}
        CROSS JOIN LATERAL (
            SELECT * FROM referral_measures rm
            WHERE rm.kind = 'open'
              AND date_trunc('month', rm.at AT TIME ZONE 'Asia/Shanghai') = began.month
              AND rm.until_at >= $3 AND rm.at < $3
              AND ($4::uuid IS NULL OR rm.committee_id IN
                    (SELECT id FROM committees WHERE ancestors @> ARRAY[$4::uuid]))
              AND ($7::uuid IS NULL OR rm.committee_id IN
                    (SELECT id FROM committees WHERE ancestors @> ARRAY[$7::uuid]))
        ) AS rm
        WHERE $9
    ),
    per_bucket AS (
        SELECT handling_body_id AS key_id, role AS key_text, k AS kind,
               duration_bucket(v) AS bucket, count(*) AS n
        FROM m GROUP BY 1, 2, 3, 4
    )
    SELECT key_id, key_text, kind, true AS first_in_period, true AS first_in_row,
           sum(n)::bigint AS n, 1::bigint AS sign,
           jsonb_object_agg(bucket, n) FILTER (WHERE bucket IS NOT NULL) AS hist
    FROM per_bucket GROUP BY key_id, key_text, kind"
    )
}

/// The report from the sums, or None when it is not worth it (see the module).
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
    if binds.narrowing.liaison_group.is_some() {
        return Ok(None);
    }
    let Some(cover) = cover(window.from, window.end) else {
        return Ok(None);
    };
    let stored = match grouping {
        OpinionGrouping::Month => OpinionGrouping::Committee,
        other => other,
    };
    let read = sum_rows(grouping, cover.first, cover.after);
    let mut parts: Vec<Part> = diesel::sql_query(sums_statement(grouping))
        .bind::<Text, _>(stored.as_str())
        .bind::<Array<Date>, _>(read.months)
        .bind::<Array<Date>, _>(read.years)
        .bind::<Array<Date>, _>(read.less)
        .bind::<Nullable<SqlUuid>, _>(committee)
        .bind::<Nullable<SqlUuid>, _>(binds.narrowing.committee)
        .bind::<Date, _>(local_date(window.from))
        .load(conn)
        .await?;
    if parts.iter().map(|p| p.n.abs()).sum::<i64>() <= exact_up_to {
        return Ok(None);
    }
    // The stretches at the ends, and what was open at the end (an empty stretch).
    let stretches = cover
        .stretches
        .iter()
        .map(|&(from, end, sign)| (from, end, sign, false));
    for (from, end, sign, count_open) in stretches.chain([(window.end, window.end, 1, true)]) {
        let stretch = Binds {
            window: Window {
                from,
                end,
                ..window
            },
            count_open,
            ..binds
        };
        let read: Vec<Part> = stretch.run(conn, measures_statement(grouping)).await?;
        parts.extend(read.into_iter().map(|part| Part { sign, ..part }));
    }
    // Per row, how many measures it has (a row shows when it has any, as over the measures).
    let mut rows: HashMap<(Option<Uuid>, Option<String>), (i64, Tally)> = HashMap::new();
    let mut totals = Tally::default();
    for part in &parts {
        let sign = part.sign;
        let mut hist = Histogram::default();
        if let Some(json) = &part.hist {
            hist.add_json(json, sign);
        }
        let n = sign * part.n;
        let (measures, row) = rows
            .entry((part.key_id, part.key_text.clone()))
            .or_default();
        *measures += n;
        // Per handling body, each referral received is one referred.
        let kinds: &[&str] = match (grouping, part.kind.as_str()) {
            (OpinionGrouping::HandlingBody, "received") => &["received", "referred"],
            (_, kind) => &[kind],
        };
        for kind in kinds {
            if part.first_in_period {
                totals.add(kind, n, &hist);
            }
            if part.first_in_row {
                row.add(kind, n, &hist);
            }
        }
    }
    let names = names_of(conn, grouping, rows.keys().filter_map(|k| k.0).collect()).await?;
    let mut items: Vec<_> = rows
        .into_iter()
        .filter(|(_, (measures, _))| *measures > 0)
        .map(|((id, text), (_, tally))| {
            let (code, month, role) = match grouping {
                OpinionGrouping::Month => (None, text, None),
                OpinionGrouping::HandlingBody => (None, None, text),
                _ => (text, None, None),
            };
            let key = StatsKey {
                kind: grouping.as_str().to_owned(),
                id,
                name: id.and_then(|id| names.get(&id).map(|(_, name)| name.clone())),
                code,
                month,
                role,
            };
            (key, tally.figures())
        })
        .collect();
    // As the statement over the measures orders its rows: by name, code or month, id, role.
    items.sort_by_cached_key(|(k, _)| {
        let rank = k.id.and_then(|id| names.get(&id).map(|(rank, _)| *rank));
        let (code, month, role) = (k.code.clone(), k.month.clone(), k.role.clone());
        (
            rank.is_none(),
            rank,
            code.is_none(),
            code,
            month,
            k.id,
            role,
        )
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
    fn years_stand_in_for_their_months_less_the_fewer_outside() {
        let by_committee = OpinionGrouping::Committee;
        let rows = |first: &str, after: &str, g| sum_rows(g, day(first), day(after));
        let days = |ds: &[&str]| ds.iter().map(|d| day(d)).collect::<Vec<_>>();
        let months = |from: &str, to: &str| months_between(day(from), day(to)).collect::<Vec<_>>();
        // Three years to the end of November: December alone, two years, this year less
        // December.
        assert_eq!(
            rows("2023-12-01", "2026-12-01", by_committee),
            SumRows {
                months: days(&["2023-12-01"]),
                years: days(&["2024-01-01", "2025-01-01", "2026-01-01"]),
                less: days(&["2026-12-01"]),
            }
        );
        assert_eq!(
            rows("2024-01-01", "2025-01-01", by_committee),
            SumRows {
                years: days(&["2024-01-01"]),
                ..SumRows::default()
            }
        );
        // Six months each side of a new year: months; seven: the year less five.
        assert_eq!(
            rows("2024-07-01", "2025-07-01", by_committee),
            SumRows {
                months: months("2024-07-01", "2025-07-01"),
                ..SumRows::default()
            }
        );
        // February to August: the year less January and September to December.
        let less: Vec<_> = [day("2024-01-01")]
            .into_iter()
            .chain(months_between(day("2024-09-01"), day("2025-01-01")))
            .collect();
        assert_eq!(
            rows("2024-02-01", "2024-09-01", by_committee),
            SumRows {
                years: days(&["2024-01-01"]),
                less,
                ..SumRows::default()
            }
        );
        // A report by month reads its months.
        assert_eq!(
            rows("2023-12-01", "2026-12-01", OpinionGrouping::Month),
            SumRows {
                months: months("2023-12-01", "2026-12-01"),
                ..SumRows::default()
            }
        );
    }

    #[test]
    fn a_period_is_read_from_whole_months_and_the_shorter_side_of_each_end() {
        let at = |d: &str| start_of_local_day(day(d));
        let read = |from: &str, to: &str| cover(at(from), end_of_local_day(day(to)));
        let months = |c: Option<Cover>| c.map(|c| (c.first, c.after, c.stretches.len()));
        assert_eq!(
            months(read("2026-01-01", "2026-03-31")),
            Some((day("2026-01-01"), day("2026-04-01"), 0))
        );
        // The 2nd: take January whole and its first day away; the 30th of March: add it.
        assert_eq!(
            read("2026-01-02", "2026-03-30"),
            Some(Cover {
                first: day("2026-01-01"),
                after: day("2026-04-01"),
                stretches: vec![
                    (at("2026-01-01"), at("2026-01-02"), -1),
                    (at("2026-03-31"), at("2026-04-01"), -1)
                ],
            })
        );
        // The 20th: add the days to February; the 10th of March: add them from March 1st.
        assert_eq!(
            read("2026-01-20", "2026-03-10"),
            Some(Cover {
                first: day("2026-02-01"),
                after: day("2026-03-01"),
                stretches: vec![
                    (at("2026-01-20"), at("2026-02-01"), 1),
                    (at("2026-03-01"), at("2026-03-11"), 1)
                ],
            })
        );
        // Within a month, both ends added: nothing left for the sums.
        assert_eq!(read("2026-03-20", "2026-04-05"), None);
        // A period ending now, in the middle of the last day of a month.
        let now = at("2026-11-30") + chrono::Duration::hours(15);
        let c = cover(at("2026-01-01"), now).unwrap();
        assert_eq!((c.first, c.after), (day("2026-01-01"), day("2026-12-01")));
        assert_eq!(c.stretches, vec![(now, at("2026-12-01"), -1)]);
    }
}
