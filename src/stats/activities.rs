//! Activity figures: what was planned, held and cancelled, voters met, deputies taking part,
//! registrations and the opinions they raised, and for each home or station the rota's
//! receptions held against those scheduled. One statement reads each activity's facts in the
//! period (registrations and opinions counted in it); they are added up here, per row.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::StatsKey;
use crate::access::stats::StatsScope;
use crate::calendar::working_days::local_date;
use crate::db::text_enum;
use crate::error::ApiResult;

text_enum!(
    ActivityGrouping {
        Kind => "kind",
        Form => "form",
        /// The home or station it was held at (or organised by); rota figures per station.
        LiaisonGroup => "liaison_group",
        /// Each deputy planned or present.
        Representative => "representative",
        /// The Beijing-time month it started in.
        Month => "month",
    }
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityStatsQuery {
    /// First local day of the period (activities starting on or after it); default 1 January
    /// of `to`'s year.
    pub from: Option<NaiveDate>,
    /// Last local day; default today.
    pub to: Option<NaiveDate>,
    /// Default `kind`.
    pub group_by: Option<ActivityGrouping>,
    /// Only activities of this committee and everything under it.
    pub committee_id: Option<Uuid>,
    /// Only activities this liaison group organises or hosts.
    pub liaison_group_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ActivityFigures {
    /// Activities starting in the period (declared ones once confirmed).
    pub activities: i64,
    pub held: i64,
    pub cancelled: i64,
    /// Voters met at the activities held.
    pub voters_met: i64,
    /// Distinct deputies present at the activities held.
    pub deputies_taking_part: i64,
    /// Visitors registered at receptions.
    pub registrations: i64,
    /// Opinions recorded from these activities.
    pub opinions_raised: i64,
    /// Rota receptions the station's reception rules scheduled in the period (up to today);
    /// null outside `group_by=liaison_group` and for groups without rules.
    pub rota_scheduled: Option<i64>,
    /// Station receptions held there in the period.
    pub rota_held: Option<i64>,
    /// `rota_held / rota_scheduled`; null when nothing was scheduled.
    pub rota_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityStatsRow {
    pub key: StatsKey,
    #[serde(flatten)]
    pub figures: ActivityFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: ActivityGrouping,
    pub items: Vec<ActivityStatsRow>,
    pub totals: ActivityFigures,
}

#[derive(Debug, QueryableByName)]
pub struct Fact {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    form: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    group_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    group_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    voters_met: i64,
    #[diesel(sql_type = BigInt)]
    registrations: i64,
    #[diesel(sql_type = BigInt)]
    opinions: i64,
    #[diesel(sql_type = Array<SqlUuid>)]
    taking_part: Vec<Uuid>,
    #[diesel(sql_type = Array<SqlUuid>)]
    present: Vec<Uuid>,
}

/// Every activity of the scope starting in [from, to), with what it counts for.
pub async fn facts(
    conn: &mut AsyncPgConnection,
    scope: StatsScope,
    query: &ActivityStatsQuery,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> ApiResult<Vec<Fact>> {
    let (committee, group) = match scope {
        StatsScope::District => (None, None),
        StatsScope::Committee(c) => (Some(c), None),
        StatsScope::LiaisonGroup(g) => (None, Some(g)),
        // `access::stats::activity_stats_scope` refuses bodies; their scope holds no activity.
        StatsScope::HandlingBody(_) => return Ok(Vec::new()),
    };
    Ok(diesel::sql_query(
        "SELECT a.kind, a.form, a.status,
                to_char(a.starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
                COALESCE(a.liaison_group_id, a.organiser_group_id) AS group_id,
                g.name AS group_name,
                COALESCE(a.voters_met, 0)::bigint AS voters_met,
                (SELECT count(*) FROM reception_registrations r WHERE r.activity_id = a.id)
                    AS registrations,
                (SELECT count(*) FROM opinions o WHERE o.activity_id = a.id) AS opinions,
                ARRAY(SELECT p.representative_id FROM activity_participants p
                      WHERE p.activity_id = a.id AND (p.planned OR p.attended)) AS taking_part,
                ARRAY(SELECT p.representative_id FROM activity_participants p
                      WHERE p.activity_id = a.id AND p.attended) AS present
         FROM activities a
         LEFT JOIN liaison_groups g ON g.id = COALESCE(a.liaison_group_id, a.organiser_group_id)
         WHERE a.starts_at >= $1 AND a.starts_at < $2
           AND a.status NOT IN ('declared', 'rejected')
           AND ($3::uuid IS NULL OR a.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$3::uuid]))
           AND ($4::uuid IS NULL OR a.organiser_group_id = $4 OR a.liaison_group_id = $4)
           AND ($5::uuid IS NULL OR a.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$5::uuid]))
           AND ($6::uuid IS NULL OR a.organiser_group_id = $6 OR a.liaison_group_id = $6)",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Nullable<SqlUuid>, _>(committee)
    .bind::<Nullable<SqlUuid>, _>(group)
    .bind::<Nullable<SqlUuid>, _>(query.committee_id)
    .bind::<Nullable<SqlUuid>, _>(query.liaison_group_id)
    .load(conn)
    .await?)
}

#[derive(Default)]
struct Tally {
    name: Option<String>,
    figures: ActivityFigures,
    present: HashSet<Uuid>,
}

impl Tally {
    fn add(&mut self, f: &Fact) {
        let held = f.status == "held";
        self.figures.activities += 1;
        self.figures.held += i64::from(held);
        self.figures.cancelled += i64::from(f.status == "cancelled");
        if held {
            self.figures.voters_met += f.voters_met;
            self.present.extend(f.present.iter().copied());
        }
        self.figures.registrations += f.registrations;
        self.figures.opinions_raised += f.opinions;
    }

    fn done(mut self) -> ActivityFigures {
        self.figures.deputies_taking_part = self.present.len() as i64;
        self.figures
    }
}

/// A row's key: what it is grouped by, as text or an id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Code(String),
    Id(Option<Uuid>),
}

/// The rows and totals, adding rota figures per station when grouped by liaison group.
/// `rota` maps a station to (its name, receptions scheduled) for stations with rules in scope.
pub fn tally(
    facts: &[Fact],
    grouping: ActivityGrouping,
    rota: &BTreeMap<Uuid, (String, i64)>,
) -> (Vec<ActivityStatsRow>, ActivityFigures) {
    let mut rows: BTreeMap<Key, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for f in facts {
        total.add(f);
        let keys: Vec<(Key, Option<String>)> = match grouping {
            ActivityGrouping::Kind => vec![(Key::Code(f.kind.clone()), None)],
            ActivityGrouping::Form => vec![(Key::Code(f.form.clone()), None)],
            ActivityGrouping::Month => vec![(Key::Code(f.month.clone()), None)],
            ActivityGrouping::LiaisonGroup => {
                vec![(Key::Id(f.group_id), f.group_name.clone())]
            }
            ActivityGrouping::Representative => f
                .taking_part
                .iter()
                .map(|r| (Key::Id(Some(*r)), None))
                .collect(),
        };
        for (key, name) in keys {
            let row = rows.entry(key).or_default();
            row.name = row.name.take().or(name);
            row.add(f);
        }
    }
    let mut totals = total.done();
    if grouping == ActivityGrouping::LiaisonGroup {
        for (station, (name, _)) in rota {
            let row = rows.entry(Key::Id(Some(*station))).or_default();
            row.name = row.name.take().or_else(|| Some(name.clone()));
        }
    }
    let held_at = |station: Uuid| {
        facts
            .iter()
            .filter(|f| f.group_id == Some(station) && f.status == "held")
            .filter(|f| f.kind == "station_reception")
            .count() as i64
    };
    let items = rows
        .into_iter()
        .map(|(key, tally)| {
            let name = tally.name.clone();
            let mut figures = tally.done();
            if let (Key::Id(Some(station)), Some((_, scheduled))) = (
                &key,
                match &key {
                    Key::Id(Some(s)) => rota.get(s),
                    _ => None,
                },
            ) {
                let held = held_at(*station);
                figures.rota_scheduled = Some(*scheduled);
                figures.rota_held = Some(held);
                figures.rota_rate = (*scheduled > 0).then(|| held as f64 / *scheduled as f64);
            }
            let (id, code, month) = match (&key, grouping) {
                (Key::Code(c), ActivityGrouping::Month) => (None, None, Some(c.clone())),
                (Key::Code(c), _) => (None, Some(c.clone()), None),
                (Key::Id(id), _) => (*id, None, None),
            };
            ActivityStatsRow {
                key: StatsKey {
                    kind: grouping.as_str().to_owned(),
                    id,
                    name,
                    code,
                    month,
                    role: None,
                },
                figures,
            }
        })
        .collect::<Vec<_>>();
    if grouping == ActivityGrouping::LiaisonGroup && !rota.is_empty() {
        let scheduled: i64 = rota.values().map(|(_, n)| n).sum();
        let held: i64 = rota.keys().map(|s| held_at(*s)).sum();
        totals.rota_scheduled = Some(scheduled);
        totals.rota_held = Some(held);
        totals.rota_rate = (scheduled > 0).then(|| held as f64 / scheduled as f64);
    }
    (items, totals)
}

/// Receptions each station's rules scheduled from `from` to `to` (not past today), for the
/// stations in scope that have rules.
pub async fn rota_scheduled(
    conn: &mut AsyncPgConnection,
    scope: StatsScope,
    query: &ActivityStatsQuery,
    (from, to): (NaiveDate, NaiveDate),
) -> ApiResult<BTreeMap<Uuid, (String, i64)>> {
    let to = to.min(local_date(Utc::now()));
    if to < from {
        return Ok(BTreeMap::new());
    }
    let rules = crate::schedule::model::public_rules(conn, query.liaison_group_id, from).await?;
    let stations: Vec<Uuid> = rules.iter().map(|r| r.rule.liaison_group_id).collect();
    let visible = stations_in_scope(conn, scope, query.committee_id, &stations).await?;
    let mut out: BTreeMap<Uuid, (String, i64)> = BTreeMap::new();
    for rota in &rules {
        let station = rota.rule.liaison_group_id;
        let Some(name) = visible.get(&station) else {
            continue;
        };
        let n = rota.occurrences(from, to).len() as i64;
        out.entry(station).or_insert_with(|| (name.clone(), 0)).1 += n;
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct Station {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
}

async fn stations_in_scope(
    conn: &mut AsyncPgConnection,
    scope: StatsScope,
    committee: Option<Uuid>,
    stations: &[Uuid],
) -> ApiResult<BTreeMap<Uuid, String>> {
    let (root, group) = match scope {
        StatsScope::District => (None, None),
        StatsScope::Committee(c) => (Some(c), None),
        StatsScope::LiaisonGroup(g) => (None, Some(g)),
        StatsScope::HandlingBody(_) => return Ok(BTreeMap::new()),
    };
    let rows: Vec<Station> = diesel::sql_query(
        "SELECT g.id, g.name FROM liaison_groups g
         WHERE g.id = ANY($1)
           AND ($2::uuid IS NULL OR g.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$2::uuid]))
           AND ($3::uuid IS NULL OR g.id = $3)
           AND ($4::uuid IS NULL OR g.committee_id IN
                 (SELECT id FROM committees WHERE ancestors @> ARRAY[$4::uuid]))",
    )
    .bind::<Array<SqlUuid>, _>(stations)
    .bind::<Nullable<SqlUuid>, _>(root)
    .bind::<Nullable<SqlUuid>, _>(group)
    .bind::<Nullable<SqlUuid>, _>(committee)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|s| (s.id, s.name)).collect())
}
