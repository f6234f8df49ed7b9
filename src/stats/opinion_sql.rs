//! The opinion figures in one statement each: measures are read from `opinion_measures`, kept
//! from the timeline in the transaction that appends to it (and, per handling body, drawn
//! from referrals, whose steps carry their own times), every one dated, then
//! counted per row of the report with its total (`GROUPING SETS`). Only what was recorded by
//! `as_of` counts, and a measure counts in the period its date falls in.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::{OpinionFigures, OpinionGrouping, Spread, StatsKey};
use crate::access::stats::StatsScope;
use crate::error::ApiResult;

/// The period and what to count.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: DateTime<Utc>,
    /// The end of the period, or `as_of` if earlier (exclusive).
    pub end: DateTime<Utc>,
    /// Events after this are not counted at all (exclusive).
    pub known_by: DateTime<Utc>,
}

/// Narrowing asked for in the query, on top of the caller's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Narrowing {
    pub committee: Option<Uuid>,
    pub liaison_group: Option<Uuid>,
}

/// The caller's scope and the narrowing ($4, $5, $7, $8) over rows carrying an opinion's
/// committee and group (`alias`).
fn scoped(alias: &str) -> String {
    format!(
        "($4::uuid IS NULL OR {alias}.committee_id IN
                (SELECT id FROM committees WHERE ancestors @> ARRAY[$4::uuid]))
          AND ($5::uuid IS NULL OR {alias}.liaison_group_id = $5)
          AND ($7::uuid IS NULL OR {alias}.committee_id IN
                (SELECT id FROM committees WHERE ancestors @> ARRAY[$7::uuid]))
          AND ($8::uuid IS NULL OR {alias}.liaison_group_id = $8)"
    )
}

/// The opinions counted per handling body: the scope and narrowing, and a handling body's
/// own referrals ($6), received by `known_by`.
fn scoped_opinions() -> String {
    format!(
        "s AS (
            SELECT o.id FROM opinions o
            WHERE o.received_at < $2
              AND ($6::uuid IS NULL OR o.id IN
                    (SELECT opinion_id FROM referrals WHERE handling_body_id = $6))
              AND {}
        )",
        scoped("o")
    )
}

/// The months in which a span open at $3 may have begun, each read on its own from the open
/// spans' index (by the month they began, then their end): an index on either end alone reads
/// every span past $3 at that end, for a moment a year back most spans since. (Nothing this
/// service records predates 1970.)
pub(super) const OPEN_SPAN_MONTHS: &str = "generate_series(timestamp '1970-01-01',
    date_trunc('month', $3 AT TIME ZONE 'Asia/Shanghai'), interval '1 month') AS began (month)";

/// Each measure in the period as (date, kind, value, how many) with the opinion's dimensions,
/// from `opinion_measures` (its migration defines every measure). What was open at the end
/// of the period is dated just before it, when $9 asks for it, and counted per value of the
/// report's own dimension (tens of thousands of spans become a row per key: only that
/// dimension is kept, the others are null). A measure is dated when its event was recorded,
/// so `at < end` (never past `known_by`) is all `as_of` needs. `prev`: a referral's previous
/// one.
pub(super) fn opinion_measures(grouping: OpinionGrouping) -> String {
    let scope = scoped("om");
    let kept = dimension(grouping);
    let open_columns = DIMENSIONS
        .iter()
        .map(|&(column, ty)| {
            if Some(column) == kept {
                format!("om.{column}")
            } else {
                format!("NULL::{ty}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "m AS (
            SELECT om.at, om.kind AS k, om.v, om.until_at AS prev, om.committee_id,
                   om.liaison_group_id, om.representative_id, om.constituency_id, om.category,
                   om.source, 1::bigint AS n
            FROM opinion_measures om
            WHERE om.kind <> 'open' AND om.at >= $1 AND om.at < $3 AND {scope}
            UNION ALL
            SELECT $3 - interval '1 microsecond',
                   CASE WHEN om.due_at < $3 THEN 'overdue' ELSE 'open' END, NULL, NULL,
                   {open_columns}, count(*)
            FROM {OPEN_SPAN_MONTHS}
            CROSS JOIN LATERAL (
                SELECT * FROM opinion_measures om
                WHERE om.kind = 'open'
                  AND date_trunc('month', om.at AT TIME ZONE 'Asia/Shanghai') = began.month
                  AND om.until_at >= $3 AND om.at < $3 AND {scope}
            ) AS om
            WHERE $9
            GROUP BY 2, 5, 6, 7, 8, 9, 10
        )"
    )
}

/// The opinion's dimensions a report may be grouped by, as `m` carries them, with their types.
const DIMENSIONS: [(&str, &str); 6] = [
    ("committee_id", "uuid"),
    ("liaison_group_id", "uuid"),
    ("representative_id", "uuid"),
    ("constituency_id", "uuid"),
    ("category", "text"),
    ("source", "text"),
];

/// The dimension (of `DIMENSIONS`) a grouping's rows are keyed by, if it is one of them.
fn dimension(grouping: OpinionGrouping) -> Option<&'static str> {
    use OpinionGrouping::*;
    match grouping {
        Committee => Some("committee_id"),
        LiaisonGroup => Some("liaison_group_id"),
        Representative => Some("representative_id"),
        Constituency => Some("constituency_id"),
        Category => Some("category"),
        Source => Some("source"),
        Month | HandlingBody => None,
    }
}

/// Which referrals count (an opinion once, however many times it is referred): in the
/// totals, the first since the period began ($10); in a row, the first since the row's own
/// start, which for a month is the later of the period's and the month's.
pub(super) fn first_referrals(grouping: OpinionGrouping) -> (&'static str, &'static str) {
    const IN_PERIOD: &str = "(m.k <> 'referred' OR m.prev IS NULL OR m.prev < $10)";
    match grouping {
        OpinionGrouping::Month => (
            IN_PERIOD,
            "(m.k <> 'referred' OR m.prev IS NULL OR m.prev < greatest($10,
                date_trunc('month', m.at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'))",
        ),
        _ => (IN_PERIOD, IN_PERIOD),
    }
}

/// Per referral: what each handling body received, answered and still holds.
const REFERRAL_MEASURES: &str = "
    r AS (
        SELECT r.id, r.opinion_id, r.handling_body_id, r.role, r.round, r.referred_at, r.due_at,
               r.answered_at, r.returned_at, r.outcome
        FROM referrals r JOIN s ON s.id = r.opinion_id
        WHERE r.referred_at < $2 AND ($6::uuid IS NULL OR r.handling_body_id = $6)
    ),
    m AS (
        SELECT id AS referral_id, handling_body_id, role, referred_at AS at, 'received' AS k,
               NULL::float8 AS v
        FROM r
        UNION ALL
        SELECT id, handling_body_id, role, referred_at, 'referred', NULL FROM r
        UNION ALL
        SELECT id, handling_body_id, role, answered_at,
               CASE outcome WHEN 'resolved' THEN 'resolved'
                    WHEN 'partly_resolved' THEN 'partly_resolved' ELSE 'answered' END,
               EXTRACT(EPOCH FROM answered_at - referred_at) / 86400
        FROM r WHERE answered_at < $2
        UNION ALL
        SELECT id, handling_body_id, role, $3 - interval '1 microsecond',
               CASE WHEN due_at < $3 THEN 'overdue' ELSE 'open' END, NULL
        FROM r
        WHERE role = 'lead' AND referred_at < $3
          AND (answered_at IS NULL OR answered_at >= $3)
          AND (returned_at IS NULL OR returned_at >= $3)
        UNION ALL
        SELECT r.id, r.handling_body_id, r.role, e.at,
               CASE WHEN e.payload->>'rating' IN ('satisfied', 'basically_satisfied')
                    THEN 'satisfied' ELSE 'unsatisfied' END, NULL
        FROM opinion_events e
        JOIN r ON r.opinion_id = e.opinion_id AND r.round = e.round AND r.role = 'lead'
              AND (r.returned_at IS NULL OR r.returned_at > e.at)
        WHERE e.action = 'rate' AND e.at < $2
    )";

/// The counts of one row, from measures dated within the period. A step's duration rides on
/// its own row (`v`; null where there is none, which percentiles skip).
const COUNTS: &str = "
        count(*) FILTER (WHERE k = 'received') AS received,
        CASE WHEN GROUPING(key_id, key_text, key_role) <> 0
             THEN count(*) FILTER (WHERE k = 'referred' AND first_in_period)
             ELSE count(*) FILTER (WHERE k = 'referred' AND first_in_row) END AS referred,
        count(*) FILTER (WHERE k IN ('resolved', 'partly_resolved', 'answered')) AS answered,
        count(*) FILTER (WHERE k = 'resolved') AS resolved,
        count(*) FILTER (WHERE k = 'partly_resolved') AS partly_resolved,
        count(*) FILTER (WHERE k = 'fed_back') AS fed_back,
        count(*) FILTER (WHERE k = 'declined') AS declined,
        coalesce(sum(n) FILTER (WHERE k IN ('open', 'overdue')), 0)::bigint AS open,
        coalesce(sum(n) FILTER (WHERE k = 'overdue'), 0)::bigint AS overdue,
        count(*) FILTER (WHERE k IN ('responded', 'late')) AS response_due,
        count(*) FILTER (WHERE k = 'responded') AS responded_in_time,
        count(*) FILTER (WHERE k IN ('satisfied', 'unsatisfied')) AS ratings,
        count(*) FILTER (WHERE k = 'satisfied') AS satisfied,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE k = 'referred')
            AS refer_hours_median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FILTER (WHERE k = 'referred')
            AS refer_hours_p90,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE k IN ('resolved', 'partly_resolved', 'answered'))
            AS answer_days_median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FILTER (WHERE k IN ('resolved', 'partly_resolved', 'answered'))
            AS answer_days_p90,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE k = 'fed_back')
            AS feed_back_days_median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FILTER (WHERE k = 'fed_back')
            AS feed_back_days_p90";

#[derive(Debug, QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    key_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    key_text: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    key_role: Option<String>,
    #[diesel(sql_type = Bool)]
    is_total: bool,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    referred: i64,
    #[diesel(sql_type = BigInt)]
    answered: i64,
    #[diesel(sql_type = BigInt)]
    resolved: i64,
    #[diesel(sql_type = BigInt)]
    partly_resolved: i64,
    #[diesel(sql_type = BigInt)]
    fed_back: i64,
    #[diesel(sql_type = BigInt)]
    declined: i64,
    #[diesel(sql_type = BigInt)]
    open: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
    #[diesel(sql_type = BigInt)]
    response_due: i64,
    #[diesel(sql_type = BigInt)]
    responded_in_time: i64,
    #[diesel(sql_type = BigInt)]
    ratings: i64,
    #[diesel(sql_type = BigInt)]
    satisfied: i64,
    #[diesel(sql_type = Nullable<Double>)]
    refer_hours_median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    refer_hours_p90: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    answer_days_median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    answer_days_p90: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    feed_back_days_median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    feed_back_days_p90: Option<f64>,
}

impl Row {
    fn figures(&self) -> OpinionFigures {
        OpinionFigures {
            received: self.received,
            referred: self.referred,
            answered: self.answered,
            resolved: self.resolved,
            partly_resolved: self.partly_resolved,
            fed_back: self.fed_back,
            declined: self.declined,
            open: self.open,
            overdue: self.overdue,
            response_due: self.response_due,
            responded_in_time: self.responded_in_time,
            ratings: self.ratings,
            satisfied: self.satisfied,
            refer_hours: Spread {
                median: self.refer_hours_median,
                p90: self.refer_hours_p90,
            },
            answer_days: Spread {
                median: self.answer_days_median,
                p90: self.answer_days_p90,
            },
            feed_back_days: Spread {
                median: self.feed_back_days_median,
                p90: self.feed_back_days_p90,
            },
            ..Default::default()
        }
        .with_rates()
    }

    fn key(&self, grouping: OpinionGrouping) -> StatsKey {
        let (code, month) = match grouping {
            OpinionGrouping::Month => (None, self.key_text.clone()),
            _ => (self.key_text.clone(), None),
        };
        StatsKey {
            kind: grouping.as_str().to_owned(),
            id: self.key_id,
            name: self.name.clone(),
            code,
            month,
            role: self.key_role.clone(),
        }
    }
}

/// (id expression, text expression, name table) of a grouping over the opinion measures.
pub(super) fn key_of(
    grouping: OpinionGrouping,
) -> (&'static str, &'static str, Option<&'static str>) {
    use OpinionGrouping::*;
    match grouping {
        Committee => ("m.committee_id", "NULL::text", Some("committees")),
        LiaisonGroup => ("m.liaison_group_id", "NULL::text", Some("liaison_groups")),
        Representative => ("m.representative_id", "NULL::text", Some("representatives")),
        Constituency => ("m.constituency_id", "NULL::text", Some("constituencies")),
        Category => ("NULL::uuid", "m.category", None),
        Source => ("NULL::uuid", "m.source", None),
        Month => (
            "NULL::uuid",
            "to_char(m.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
            None,
        ),
        HandlingBody => ("m.handling_body_id", "NULL::text", Some("handling_bodies")),
    }
}

fn statement(grouping: OpinionGrouping) -> String {
    let (id, text, names) = key_of(grouping);
    let by_body = grouping == OpinionGrouping::HandlingBody;
    // `referred` counts opinions once each (however many bodies and transfers: the referral
    // whose previous one is not in the period), and referrals per body. A referral's
    // measures are one each; the opinions' open spans come counted (`n`).
    let (measures, role, n, (first_in_period, first_in_row)) = if by_body {
        (
            format!("{}, {REFERRAL_MEASURES}", scoped_opinions()),
            "m.role",
            "1::bigint",
            ("true", "true"),
        )
    } else {
        (
            opinion_measures(grouping),
            "NULL::text",
            "m.n",
            first_referrals(grouping),
        )
    };
    let name = match names {
        Some(table) => format!("(SELECT n.name FROM {table} n WHERE n.id = agg.key_id)"),
        None => "NULL::text".to_owned(),
    };
    format!(
        "WITH {measures},
         keyed AS (
             SELECT {id} AS key_id, {text} AS key_text, {role} AS key_role,
                    m.k, m.v, {n} AS n, {first_in_period} AS first_in_period,
                    {first_in_row} AS first_in_row
             FROM m
             WHERE m.at >= $1 AND m.at < $3
         ),
         agg AS (
             SELECT key_id, key_text, key_role,
                    GROUPING(key_id, key_text, key_role) <> 0 AS is_total, {COUNTS}
             FROM keyed
             GROUP BY GROUPING SETS ((key_id, key_text, key_role), ())
         )
         SELECT agg.*, {name} AS name FROM agg
         ORDER BY is_total, name NULLS LAST, key_text NULLS LAST, key_id, key_role",
    )
}

/// What every opinion statement binds: $1 from, $2 known by, $3 end, $4–$6 the caller's
/// committee, group or handling body, $7–$8 the narrowing, $9 whether to count what was open
/// at the end, $10 the start of the whole period (when a period is read in parts).
#[derive(Debug, Clone, Copy)]
pub(super) struct Binds {
    pub window: Window,
    pub scope: StatsScope,
    pub narrowing: Narrowing,
    pub count_open: bool,
    pub period_from: DateTime<Utc>,
}

impl Binds {
    pub fn new(scope: StatsScope, narrowing: Narrowing, window: Window) -> Self {
        Binds {
            window,
            scope,
            narrowing,
            count_open: window.end > window.from,
            period_from: window.from,
        }
    }

    /// Runs `sql` with these binds. Statements here sort every measure of what they read
    /// (room to do it in memory), and a plan for the actual values drops the narrowings not
    /// asked for (`$4 IS NULL OR …`).
    pub async fn run<T>(&self, conn: &mut AsyncPgConnection, sql: String) -> ApiResult<Vec<T>>
    where
        T: QueryableByName<diesel::pg::Pg> + Send + 'static,
    {
        let (committee, group, body) = match self.scope {
            StatsScope::District => (None, None, None),
            StatsScope::Committee(c) => (Some(c), None, None),
            StatsScope::LiaisonGroup(g) => (None, Some(g), None),
            StatsScope::HandlingBody(b) => (None, None, Some(b)),
        };
        let query = diesel::sql_query(sql)
            .bind::<Timestamptz, _>(self.window.from)
            .bind::<Timestamptz, _>(self.window.known_by)
            .bind::<Timestamptz, _>(self.window.end)
            .bind::<Nullable<SqlUuid>, _>(committee)
            .bind::<Nullable<SqlUuid>, _>(group)
            .bind::<Nullable<SqlUuid>, _>(body)
            .bind::<Nullable<SqlUuid>, _>(self.narrowing.committee)
            .bind::<Nullable<SqlUuid>, _>(self.narrowing.liaison_group)
            .bind::<Bool, _>(self.count_open)
            .bind::<Timestamptz, _>(self.period_from);
        crate::db::with_custom_plans(conn, async |conn| Ok(query.load(conn).await?)).await
    }
}

/// The report's rows and its totals: from yearly and monthly sums where the period is long
/// enough for them to pay (`super::sums`), otherwise from the measures.
pub async fn opinion_figures(
    conn: &mut AsyncPgConnection,
    grouping: OpinionGrouping,
    scope: StatsScope,
    narrowing: Narrowing,
    window: Window,
    exact_up_to: i64,
) -> ApiResult<(Vec<(StatsKey, OpinionFigures)>, OpinionFigures)> {
    let binds = Binds::new(scope, narrowing, window);
    // A handling body reads only its own row, straight from its referrals (always current,
    // and small); every other report has the noted opinions measured first, and may read sums.
    if !matches!(scope, StatsScope::HandlingBody(_)) {
        super::measures::catch_up(conn).await?;
        if let Some(report) = super::sums::figures(conn, grouping, binds, exact_up_to).await? {
            return Ok(report);
        }
    }
    let rows: Vec<Row> = binds.run(conn, statement(grouping)).await?;
    let mut totals = OpinionFigures::default().with_rates();
    let mut items = Vec::new();
    for row in rows {
        if row.is_total {
            totals = row.figures();
        } else {
            items.push((row.key(grouping), row.figures()));
        }
    }
    Ok((items, totals))
}
