use actix_web::{HttpResponse, delete, get, put, web};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::DayKind;
use super::model::{self, CalendarDayView};
use crate::access::{Action, Authed};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::request::ValidJson;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// A calendar year, e.g. 2026 (default: the current one).
    #[param(minimum = 1949, maximum = 2200)]
    pub year: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutCalendarDay {
    pub kind: DayKind,
    #[serde(default)]
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    #[schema(max_length = 100)]
    pub name: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CalendarYear {
    pub year: i32,
    /// Only the days that differ from the Monday–Friday week.
    pub items: Vec<CalendarDayView>,
}

/// The holidays and make-up working days of a year. Any other day is a working day from Monday
/// to Friday.
#[utoipa::path(
    tag = "calendar",
    operation_id = "get_calendar",
    params(CalendarQuery),
    responses((status = 200, description = "The year's exceptions", body = CalendarYear)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn get_calendar(
    authed: Authed,
    query: web::Query<CalendarQuery>,
) -> ApiResult<web::Json<CalendarYear>> {
    let Authed { mut conn, .. } = authed;
    let year = query.year.unwrap_or_else(|| chrono::Utc::now().year());
    let bounds = NaiveDate::from_ymd_opt(year, 1, 1).zip(NaiveDate::from_ymd_opt(year, 12, 31));
    let Some((from, to)) = bounds.filter(|_| (1949..=2200).contains(&year)) else {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            "year must be between 1949 and 2200",
        ));
    };
    let items = model::list_between(&mut conn, from, to).await?;
    Ok(web::Json(CalendarYear {
        year,
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Mark a day as a holiday or a make-up working day. Due dates already set keep their value;
/// steps taken from now on count with the new calendar.
#[utoipa::path(
    tag = "calendar",
    operation_id = "put_calendar_day",
    params(("day" = NaiveDate, Path, description = "The date, e.g. 2026-10-01")),
    request_body = PutCalendarDay,
    responses((status = 200, description = "The day as stored", body = CalendarDayView)),
)]
#[put("/{day}")]
#[tracing::instrument(skip_all)]
pub async fn put_calendar_day(
    authed: Authed,
    day: web::Path<NaiveDate>,
    body: ValidJson<PutCalendarDay>,
) -> ApiResult<web::Json<CalendarDayView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageCalendar)?;
    let row = model::upsert(&mut conn, *day, body.0.kind, body.0.name.trim()).await?;
    Ok(web::Json(row.into()))
}

/// Make a day ordinary again (a working day Monday to Friday).
#[utoipa::path(
    tag = "calendar",
    operation_id = "delete_calendar_day",
    params(("day" = NaiveDate, Path, description = "The date")),
    responses((status = 204, description = "Removed")),
)]
#[delete("/{day}")]
#[tracing::instrument(skip_all)]
pub async fn delete_calendar_day(
    authed: Authed,
    day: web::Path<NaiveDate>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageCalendar)?;
    if model::delete(&mut conn, *day).await? == 0 {
        return Err(ApiError::not_found("calendar day"));
    }
    Ok(HttpResponse::NoContent().finish())
}
