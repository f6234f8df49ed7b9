use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::recurrence::Recurrence;
use super::rota::{self, Occurrence, RotaVersion};
use crate::activities::domain::ActivityKind;
use crate::db::schema::{
    activities, liaison_groups, reception_rule_versions, reception_rules, representatives,
};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reception_rules, check_for_backend(Pg))]
pub struct ReceptionRule {
    pub id: Uuid,
    pub liaison_group_id: Uuid,
    pub rrule: String,
    pub dtstart: NaiveDate,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// No receptions from this local date on.
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = reception_rules)]
pub struct NewReceptionRule {
    pub id: Uuid,
    pub liaison_group_id: Uuid,
    pub rrule: String,
    pub dtstart: NaiveDate,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub created_by: Option<Uuid>,
}

/// A rule with its rota versions, oldest first.
#[derive(Debug, Clone)]
pub struct Rota {
    pub rule: ReceptionRule,
    pub versions: Vec<RotaVersion>,
}

impl Rota {
    /// The recurrence without called-off dates: those belong to each version.
    pub fn recurrence(&self) -> Option<Recurrence> {
        let r = &self.rule;
        // Rules are validated when saved; one that no longer parses (a newer rrule crate being
        // stricter) is left out rather than failing the whole schedule.
        Recurrence::parse(&r.rrule, r.dtstart, r.start_time, r.end_time, vec![])
            .map_err(|(_, e)| tracing::warn!(rule = %r.id, error = %e, "reception rule no longer parses"))
            .ok()
    }

    pub fn occurrences(&self, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence<'_>> {
        self.recurrence()
            .map(|r| rota::occurrences(&r, self.rule.ends_on, &self.versions, from, to))
            .unwrap_or_default()
    }
}

/// Attach each rule's versions: one query for all of them.
type VersionRow = (Uuid, NaiveDate, Vec<Uuid>, Vec<NaiveDate>);

async fn with_versions(
    conn: &mut AsyncPgConnection,
    rules: Vec<ReceptionRule>,
) -> ApiResult<Vec<Rota>> {
    let ids: Vec<Uuid> = rules.iter().map(|r| r.id).collect();
    let rows: Vec<VersionRow> = reception_rule_versions::table
        .filter(reception_rule_versions::rule_id.eq_any(&ids))
        .select(VERSION_COLUMNS)
        .order(VERSION_ORDER)
        .load(conn)
        .await?;
    Ok(rotas(rules, rows))
}

const VERSION_COLUMNS: (
    reception_rule_versions::rule_id,
    reception_rule_versions::effective_from,
    reception_rule_versions::representative_ids,
    reception_rule_versions::exdates,
) = (
    reception_rule_versions::rule_id,
    reception_rule_versions::effective_from,
    reception_rule_versions::representative_ids,
    reception_rule_versions::exdates,
);

const VERSION_ORDER: (
    reception_rule_versions::rule_id,
    reception_rule_versions::effective_from,
) = (
    reception_rule_versions::rule_id,
    reception_rule_versions::effective_from,
);

/// Each rule with its versions (`rows`, in order of rule and date).
fn rotas(rules: Vec<ReceptionRule>, rows: Vec<VersionRow>) -> Vec<Rota> {
    let mut by_rule: HashMap<Uuid, Vec<RotaVersion>> = HashMap::new();
    for (rule, effective_from, representative_ids, exdates) in rows {
        by_rule.entry(rule).or_default().push(RotaVersion {
            effective_from,
            representative_ids,
            exdates,
        });
    }
    rules
        .into_iter()
        .map(|rule| Rota {
            versions: by_rule.remove(&rule.id).unwrap_or_default(),
            rule,
        })
        .collect()
}

pub async fn rules_of_group(conn: &mut AsyncPgConnection, group: Uuid) -> ApiResult<Vec<Rota>> {
    let rules = reception_rules::table
        .filter(reception_rules::liaison_group_id.eq(group))
        .select(ReceptionRule::as_select())
        .order(reception_rules::id)
        .load(conn)
        .await?;
    with_versions(conn, rules).await
}

pub async fn find_in_group(conn: &mut AsyncPgConnection, group: Uuid, id: Uuid) -> ApiResult<Rota> {
    let rule = reception_rules::table
        .filter(reception_rules::id.eq(id))
        .filter(reception_rules::liaison_group_id.eq(group))
        .select(ReceptionRule::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("reception rule"))?;
    Ok(with_versions(conn, vec![rule]).await?.remove(0))
}

pub async fn insert_version(
    conn: &mut AsyncPgConnection,
    rule: Uuid,
    v: &RotaVersion,
    by: Uuid,
) -> ApiResult<()> {
    diesel::insert_into(reception_rule_versions::table)
        .values((
            reception_rule_versions::rule_id.eq(rule),
            reception_rule_versions::effective_from.eq(v.effective_from),
            reception_rule_versions::representative_ids.eq(&v.representative_ids),
            reception_rule_versions::exdates.eq(&v.exdates),
            reception_rule_versions::created_by.eq(by),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// From `v.effective_from` on, `v` is the rota: changes scheduled for later are replaced. The
/// rule's row is locked first so two changes at once apply one after the other.
pub async fn replace_versions_from(
    conn: &mut AsyncPgConnection,
    rule: Uuid,
    v: &RotaVersion,
    by: Uuid,
) -> ApiResult<()> {
    diesel::update(reception_rules::table.find(rule))
        .set(reception_rules::updated_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    diesel::delete(
        reception_rule_versions::table
            .filter(reception_rule_versions::rule_id.eq(rule))
            .filter(reception_rule_versions::effective_from.ge(v.effective_from)),
    )
    .execute(conn)
    .await?;
    insert_version(conn, rule, v, by).await
}

/// Every rule not ended by `from`, or one station's, for the public schedule.
pub async fn public_rules(
    conn: &mut AsyncPgConnection,
    station: Option<Uuid>,
    from: NaiveDate,
) -> ApiResult<Vec<Rota>> {
    let mut query = reception_rules::table
        .filter(
            reception_rules::ends_on
                .is_null()
                .or(reception_rules::ends_on.gt(from)),
        )
        .into_boxed();
    if let Some(s) = station {
        query = query.filter(reception_rules::liaison_group_id.eq(s));
    }
    let rules = query.select(ReceptionRule::as_select()).load(conn).await?;
    with_versions(conn, rules).await
}

/// Rules any of whose versions puts one of `deputies` on duty.
/// The rules whose rota ever named one of `deputies`, with all their versions: both read in
/// one round trip.
pub async fn rules_of_deputies(
    conn: &AsyncPgConnection,
    deputies: &[Uuid],
) -> ApiResult<Vec<Rota>> {
    let naming = || {
        let v = diesel::alias!(reception_rule_versions as naming);
        v.filter(
            v.field(reception_rule_versions::representative_ids)
                .overlaps_with(deputies),
        )
        .select(v.field(reception_rule_versions::rule_id))
    };
    let (mut a, mut b) = (conn, conn);
    let (rules, rows) = futures_util::try_join!(
        reception_rules::table
            .filter(reception_rules::id.eq_any(naming()))
            .select(ReceptionRule::as_select())
            .load::<ReceptionRule>(&mut a),
        reception_rule_versions::table
            .filter(reception_rule_versions::rule_id.eq_any(naming()))
            .select(VERSION_COLUMNS)
            .order(VERSION_ORDER)
            .load::<VersionRow>(&mut b),
    )?;
    Ok(rotas(rules, rows))
}

/// The public columns of a published activity.
#[derive(Debug, Clone, Queryable)]
pub struct PublicActivity {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub liaison_group_id: Option<Uuid>,
    pub address: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub topic: String,
    pub cancelled: bool,
    /// Grows with every change: the iCalendar SEQUENCE.
    pub version: i32,
}

/// Published activities starting in [from, to), cancelled ones too: a subscriber's calendar
/// learns of the cancellation.
pub async fn public_activities(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    station: Option<Uuid>,
) -> ApiResult<Vec<PublicActivity>> {
    let mut query = activities::table
        .filter(activities::published.eq(true))
        .filter(activities::starts_at.ge(from))
        .filter(activities::starts_at.lt(to))
        .into_boxed();
    if let Some(s) = station {
        query = query.filter(activities::liaison_group_id.eq(s));
    }
    Ok(query
        .select((
            activities::id,
            activities::kind,
            activities::liaison_group_id,
            activities::address,
            activities::starts_at,
            activities::ends_at,
            activities::topic,
            activities::status.eq("cancelled"),
            activities::version,
        ))
        .order(activities::starts_at)
        .limit(5000)
        .load(conn)
        .await?)
}

/// Deputies' public names and constituencies, by id.
pub async fn deputies(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, (String, Option<Uuid>)>> {
    let rows: Vec<(Uuid, String, Option<Uuid>)> = representatives::table
        .filter(representatives::id.eq_any(ids))
        .select((
            representatives::id,
            representatives::name,
            representatives::constituency_id,
        ))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n, c)| (id, (n, c))).collect())
}

/// Public name and address of groups, by id.
pub async fn places(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String, String)> = liaison_groups::table
        .filter(liaison_groups::id.eq_any(ids))
        .select((
            liaison_groups::id,
            liaison_groups::name,
            liaison_groups::address,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, address)| (id, format!("{name}（{address}）")))
        .collect())
}

/// A home or station on the public list, by id: its name, or 404.
pub async fn public_station(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<String> {
    liaison_groups::table
        .filter(liaison_groups::id.eq(id))
        .filter(liaison_groups::kind.eq_any(["home", "station"]))
        .select(liaison_groups::name)
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("station"))
}
