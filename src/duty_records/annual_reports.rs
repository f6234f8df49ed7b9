//! Deputies' reports to voters as the voters read them (Measures Art. 7): the held reports,
//! with their text when given in writing, for the voters of the deputy's constituency and for
//! staff in scope. Voters evaluate them through `POST /activities/{id}/evaluations`.

use actix_web::{get, web};
use chrono::{DateTime, FixedOffset, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::filters::report_author_filter;
use crate::access::{Action, Authed};
use crate::activities::domain::{ActivityKind, ActivityStatus};
use crate::calendar::to_local;
use crate::db::schema::{activities, activity_participants, representatives};
use crate::error::{ApiError, ApiResult};

/// (activity, starts, held, topic, text) of a held report.
type ReportRow = (
    Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
    Option<String>,
);

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnualReportView {
    /// The activity: evaluate it with `POST /api/v1/activities/{id}/evaluations`.
    pub activity_id: Uuid,
    pub starts_at: DateTime<FixedOffset>,
    pub held_at: DateTime<FixedOffset>,
    pub topic: String,
    /// Markdown; null for a report given orally.
    pub report_text: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnualReportList {
    pub representative_id: Uuid,
    pub name: String,
    /// Newest first.
    pub items: Vec<AnnualReportView>,
}

/// A deputy's reports to voters, newest first: for the voters of the deputy's constituency
/// (404 for a voter elsewhere), the deputy and staff in scope.
#[utoipa::path(
    tag = "representatives",
    operation_id = "list_annual_reports",
    params(("id" = Uuid, Path, description = "Representative id")),
    responses((status = 200, description = "The held reports", body = AnnualReportList)),
)]
#[get("/{id}/annual-reports")]
#[tracing::instrument(skip_all)]
pub async fn list_annual_reports(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<AnnualReportList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadAnnualReports)?;
    let (representative_id, name): (Uuid, String) = representatives::table
        .filter(representatives::id.eq(*id))
        .filter(report_author_filter(&caller))
        .select((representatives::id, representatives::name))
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("representative"))?;
    let rows: Vec<ReportRow> = activities::table
        .inner_join(activity_participants::table)
        .filter(activity_participants::representative_id.eq(representative_id))
        .filter(activity_participants::attended.eq(true))
        .filter(activities::kind.eq(ActivityKind::AnnualReport))
        .filter(activities::status.eq(ActivityStatus::Held.as_str()))
        .select((
            activities::id,
            activities::starts_at,
            activities::held_at,
            activities::topic,
            activities::report_text,
        ))
        .order(activities::starts_at.desc())
        .limit(100)
        .load(&mut conn)
        .await?;
    let items = rows
        .into_iter()
        .map(
            |(activity_id, starts_at, held_at, topic, report_text)| AnnualReportView {
                activity_id,
                starts_at: to_local(starts_at),
                held_at: to_local(held_at.unwrap_or(starts_at)),
                topic,
                report_text,
            },
        )
        .collect();
    Ok(web::Json(AnnualReportList {
        representative_id,
        name,
        items,
    }))
}
