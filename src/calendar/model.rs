use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;

use super::{DayKind, WorkCalendar};
use crate::db::schema::calendar_days;
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_days, check_for_backend(Pg))]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDayView {
    pub day: NaiveDate,
    pub kind: DayKind,
    /// E.g. "国庆节".
    pub name: String,
}

impl From<CalendarDay> for CalendarDayView {
    fn from(d: CalendarDay) -> Self {
        Self {
            day: d.day,
            kind: d.kind,
            name: d.name,
        }
    }
}

/// Every day the calendar sets apart (holidays and make-up working days): a few dozen rows a
/// year, kept by each server (`KeptPolicies::calendar`) until one changes.
pub async fn load_all<C>(conn: &mut C) -> ApiResult<WorkCalendar>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let rows: Vec<(NaiveDate, DayKind)> = calendar_days::table
        .select((calendar_days::day, calendar_days::kind))
        .load(conn)
        .await?;
    Ok(WorkCalendar::new(rows))
}

pub async fn list_between(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<Vec<CalendarDay>> {
    Ok(calendar_days::table
        .filter(calendar_days::day.between(from, to))
        .order(calendar_days::day.asc())
        .select(CalendarDay::as_select())
        .load(conn)
        .await?)
}

pub async fn upsert(
    conn: &mut AsyncPgConnection,
    day: NaiveDate,
    kind: DayKind,
    name: &str,
) -> ApiResult<CalendarDay> {
    let values = (
        calendar_days::day.eq(day),
        calendar_days::kind.eq(kind.as_str()),
        calendar_days::name.eq(name),
        calendar_days::updated_at.eq(diesel::dsl::now),
    );
    Ok(diesel::insert_into(calendar_days::table)
        .values(values)
        .on_conflict(calendar_days::day)
        .do_update()
        .set(values)
        .returning(CalendarDay::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, day: NaiveDate) -> ApiResult<usize> {
    Ok(
        diesel::delete(calendar_days::table.filter(calendar_days::day.eq(day)))
            .execute(conn)
            .await?,
    )
}
