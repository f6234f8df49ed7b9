use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::activities::domain::ActivityKind;
use crate::db::schema::{activities, liaison_groups, reception_rules, representatives};
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
    pub representative_ids: Vec<Uuid>,
    pub exdates: Vec<NaiveDate>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    pub representative_ids: Vec<Uuid>,
    pub exdates: Vec<NaiveDate>,
    pub created_by: Option<Uuid>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = reception_rules)]
pub struct ReceptionRuleChanges {
    pub representative_ids: Option<Vec<Uuid>>,
    pub exdates: Option<Vec<NaiveDate>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn rules_of_group(
    conn: &mut AsyncPgConnection,
    group: Uuid,
) -> ApiResult<Vec<ReceptionRule>> {
    Ok(reception_rules::table
        .filter(reception_rules::liaison_group_id.eq(group))
        .select(ReceptionRule::as_select())
        .order(reception_rules::id)
        .load(conn)
        .await?)
}

pub async fn find_in_group(
    conn: &mut AsyncPgConnection,
    group: Uuid,
    id: Uuid,
) -> ApiResult<ReceptionRule> {
    reception_rules::table
        .filter(reception_rules::id.eq(id))
        .filter(reception_rules::liaison_group_id.eq(group))
        .select(ReceptionRule::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("reception rule"))
}

/// Every rule, or one station's, for the public schedule.
pub async fn public_rules(
    conn: &mut AsyncPgConnection,
    station: Option<Uuid>,
) -> ApiResult<Vec<ReceptionRule>> {
    let mut query = reception_rules::table.into_boxed();
    if let Some(s) = station {
        query = query.filter(reception_rules::liaison_group_id.eq(s));
    }
    Ok(query.select(ReceptionRule::as_select()).load(conn).await?)
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
}

/// Published activities, not cancelled, starting in [from, to).
pub async fn public_activities(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    station: Option<Uuid>,
) -> ApiResult<Vec<PublicActivity>> {
    let mut query = activities::table
        .filter(activities::published.eq(true))
        .filter(activities::status.ne("cancelled"))
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
