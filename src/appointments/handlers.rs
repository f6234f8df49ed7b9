use actix_web::{HttpResponse, get, post, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    AcceptAppointment, AppointmentListQuery, AppointmentReason, AppointmentView, CreateAppointment,
};
use super::model::{self, Appointment, NewAppointment, StepDetails};
use super::states::{self, AppointmentState, Step};
use crate::access::{self, Action, Authed, Caller};
use crate::activities::domain::{ActivityForm, ActivityKind, ActivityStatus};
use crate::activities::workflow::{Placement, Plan, insert_plan, mark_cancelled};
use crate::db::schema::{appointments, liaison_groups, representatives, voters};
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;

fn refused(a: &Appointment, step: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::InvalidTransition,
        format!("a request that is {} cannot be {step}", a.state),
    )
    .with_extension("appointment_state", json!(a.state))
}

/// Locks a request the caller can see and checks the step is allowed from its state.
async fn lock_for(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    step: Step,
    label: &str,
) -> ApiResult<(Appointment, AppointmentState)> {
    let a = model::lock_visible(conn, caller, id).await?;
    if matches!(step, Step::Accept | Step::Decline) {
        access::activities::check_answer_appointment(caller)?;
    }
    match states::next(a.state, step) {
        Some(to) => Ok((a, to)),
        None => Err(refused(&a, label)),
    }
}

fn reply(a: Appointment, status: actix_web::http::StatusCode) -> HttpResponse {
    HttpResponse::build(status).json(AppointmentView::from(a))
}

/// Ask to meet a deputy of your constituency (a voter), or record a voter's request (staff).
#[utoipa::path(
    tag = "appointments",
    operation_id = "create_appointment",
    request_body = CreateAppointment,
    responses(
        (status = 201, description = "Requested", body = AppointmentView),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_appointment(
    authed: Authed,
    body: ValidJson<CreateAppointment>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::RequestAppointments)?;
    let b = body.0;
    for (i, t) in b.preferred_times.iter().enumerate() {
        if t.ends_at <= t.starts_at {
            return Err(ApiError::invalid_field(
                &format!("preferred_times[{i}].ends_at"),
                "must be after starts_at",
            ));
        }
    }
    crate::voters::phone::check_may_submit(&mut conn, &caller).await?;
    let voter = match (access::people::own_voter(&caller), b.voter_id) {
        (Some(own), Some(named)) if own != named => {
            return Err(ApiError::invalid_field(
                "voter_id",
                "a voter asks only for themself",
            ));
        }
        (Some(own), _) => own,
        (None, Some(named)) => {
            crate::voters::model::find_visible(&mut conn, &caller, named)
                .await
                .map_err(|e| e.on_field("voter_id", "no such voter"))?
                .id
        }
        (None, None) => {
            return Err(ApiError::invalid_field(
                "voter_id",
                "name the voter you ask for",
            ));
        }
    };
    // A voter meets the deputies elected by their constituency.
    let (group, committee): (Uuid, Uuid) = representatives::table
        .inner_join(liaison_groups::table)
        .filter(representatives::id.eq(b.representative_id))
        .filter(representatives::status.eq("serving"))
        .filter(
            representatives::constituency_id.eq_any(
                voters::table
                    .filter(voters::id.eq(voter))
                    .select(voters::constituency_id.nullable()),
            ),
        )
        .select((liaison_groups::id, liaison_groups::committee_id))
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| {
            ApiError::invalid_field(
                "representative_id",
                "no such serving deputy in the voter's constituency",
            )
        })?;
    let times = serde_json::to_value(&b.preferred_times).map_err(ApiError::internal)?;
    let created = crate::db::in_transaction(&mut conn, async |conn| {
        let a: Appointment = diesel::insert_into(appointments::table)
            .values(&NewAppointment {
                id: Uuid::now_v7(),
                voter_id: voter,
                representative_id: b.representative_id,
                committee_id: committee,
                liaison_group_id: group,
                topic: b.topic.trim().to_owned(),
                preferred_times: times.clone(),
                created_by: Some(caller.account_id),
            })
            .returning(Appointment::as_returning())
            .get_result(conn)
            .await?;
        model::announce(conn, &a).await?;
        Ok::<_, ApiError>(a)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/appointments/{}", created.id)))
        .json(AppointmentView::from(created)))
}

/// Meeting requests in your scope (a voter: their own), newest first.
#[utoipa::path(
    tag = "appointments",
    operation_id = "list_appointments",
    params(AppointmentListQuery),
    responses((status = 200, description = "A page of requests", body = Page<AppointmentView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_appointments(
    authed: Authed,
    query: web::Query<AppointmentListQuery>,
) -> ApiResult<web::Json<Page<AppointmentView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadAppointments)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |a| a.id,
        AppointmentView::from,
    )))
}

/// Get a meeting request in your scope (a voter: their own).
#[utoipa::path(
    tag = "appointments",
    operation_id = "get_appointment",
    params(("id" = Uuid, Path, description = "Appointment id")),
    responses((status = 200, description = "The request", body = AppointmentView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_appointment(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<AppointmentView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadAppointments)?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Accept a request with time and place: it becomes a planned `voter_requested` activity of
/// the deputy's group, with the deputy.
#[utoipa::path(
    tag = "appointments",
    operation_id = "accept_appointment",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = AcceptAppointment,
    responses(
        (status = 200, description = "Accepted; `activity_id` is the planned meeting", body = AppointmentView),
        (status = 409, description = "Not requested any more", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/accept")]
#[tracing::instrument(skip_all)]
pub async fn accept_appointment(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<AcceptAppointment>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::AnswerAppointments)?;
    let b = body.0;
    if b.ends_at <= b.starts_at {
        return Err(ApiError::invalid_field(
            "ends_at",
            "must be after starts_at",
        ));
    }
    let address = b
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if b.liaison_group_id.is_some() == address.is_some() {
        return Err(ApiError::invalid_field(
            "liaison_group_id",
            "name a home or station, or an address (one of the two)",
        ));
    }
    let address = address.map(str::to_owned);
    let accepted = crate::db::in_transaction(&mut conn, async |conn| {
        let (a, to) = lock_for(conn, &caller, *id, Step::Accept, "accepted").await?;
        if let Some(g) = b.liaison_group_id {
            liaison_groups::table
                .find(g)
                .select(liaison_groups::id)
                .first::<Uuid>(conn)
                .await
                .optional()?
                .ok_or_else(|| {
                    ApiError::invalid_field("liaison_group_id", "no such liaison group")
                })?;
        }
        let activity = insert_plan(
            conn,
            caller.account_id,
            Plan {
                kind: ActivityKind::VoterRequested,
                form: b.form.unwrap_or(ActivityForm::IndividualTalk),
                placement: Placement {
                    committee_id: a.committee_id,
                    organiser_committee_id: None,
                    organiser_group_id: Some(a.liaison_group_id),
                    liaison_group_id: b.liaison_group_id,
                    address: address.clone(),
                },
                starts_at: b.starts_at.0,
                ends_at: b.ends_at.0,
                deputies: vec![a.representative_id],
                topic: a.topic.clone(),
                published: false,
                status: ActivityStatus::Planned,
            },
        )
        .await?;
        let details = StepDetails {
            activity_id: Some(activity.id),
            ..StepDetails::default()
        };
        model::advance(conn, &a, to, details).await
    })
    .await?;
    Ok(reply(accepted, actix_web::http::StatusCode::OK))
}

/// Decline a request, with the reason the voter will see.
#[utoipa::path(
    tag = "appointments",
    operation_id = "decline_appointment",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = AppointmentReason,
    responses(
        (status = 200, description = "Declined", body = AppointmentView),
        (status = 409, description = "Not requested any more", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/decline")]
#[tracing::instrument(skip_all)]
pub async fn decline_appointment(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<AppointmentReason>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::AnswerAppointments)?;
    let reason = body.0.reason.trim().to_owned();
    let declined = crate::db::in_transaction(&mut conn, async |conn| {
        let (a, to) = lock_for(conn, &caller, *id, Step::Decline, "declined").await?;
        let details = StepDetails {
            decline_reason: Some(&reason),
            ..StepDetails::default()
        };
        model::advance(conn, &a, to, details).await
    })
    .await?;
    Ok(reply(declined, actix_web::http::StatusCode::OK))
}

/// Call off a request or an accepted meeting (the voter, the deputy or staff); the planned
/// activity is cancelled with it.
#[utoipa::path(
    tag = "appointments",
    operation_id = "cancel_appointment",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = AppointmentReason,
    responses(
        (status = 200, description = "Cancelled", body = AppointmentView),
        (status = 409, description = "Already declined, held or cancelled", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/cancel")]
#[tracing::instrument(skip_all)]
pub async fn cancel_appointment(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<AppointmentReason>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadAppointments)?;
    let reason = body.0.reason.trim().to_owned();
    let cancelled = crate::db::in_transaction(&mut conn, async |conn| {
        let (a, to) = lock_for(conn, &caller, *id, Step::Cancel, "cancelled").await?;
        // An accepted request is cancelled through its activity, which takes the request
        // with it; the caller's scope was decided through the request.
        if let Some(activity) = a.activity_id {
            let activity = crate::activities::model::lock(conn, activity).await?;
            if activity.status == ActivityStatus::Planned {
                mark_cancelled(conn, &activity, &reason, caller.account_id).await?;
                return model::find_visible(conn, &caller, a.id).await;
            }
        }
        let details = StepDetails {
            cancel_reason: Some(&reason),
            ..StepDetails::default()
        };
        model::advance(conn, &a, to, details).await
    })
    .await?;
    Ok(reply(cancelled, actix_web::http::StatusCode::OK))
}
