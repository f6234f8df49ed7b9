use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{self, DeputyFilter};
use super::rules::{self, RuleResult};
use crate::access::{Action, Authed};
use crate::calendar::year_or_current;
use crate::db::bulk_reads::BulkReads;
use crate::error::ApiResult;
use crate::pagination::{Page, PageRequest};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationQuery {
    /// Default: the current year (Beijing time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Deputies of groups in this committee's subtree.
    pub committee_id: Option<Uuid>,
    /// Deputies of this liaison group.
    pub liaison_group_id: Option<Uuid>,
    /// This deputy only.
    pub representative_id: Option<Uuid>,
    /// Deprecated: use `committee_id` (kept for one release).
    pub committee: Option<Uuid>,
    /// Deprecated: use `liaison_group_id` (kept for one release).
    pub group: Option<Uuid>,
    /// Deprecated: use `representative_id` (kept for one release).
    pub representative: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeputyObligations {
    pub representative_id: Uuid,
    pub name: String,
    /// One entry per rule, in a fixed order.
    pub rules: Vec<RuleResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationList {
    pub year: i32,
    /// Deputies in your scope, by id.
    pub items: Vec<DeputyObligations>,
    pub next_cursor: Option<String>,
}

/// For each deputy in your scope, each obligation's status for the year (met, due, overdue, or late:
/// done only after its deadline)
/// with the activities that count. Rules and thresholds follow the deputy's committee.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_obligations",
    params(ObligationQuery),
    responses((status = 200, description = "A page of deputies and their obligations", body = ObligationList)),
)]
#[get("/obligations")]
#[tracing::instrument(skip_all)]
pub async fn list_obligations(
    authed: Authed,
    query: web::Query<ObligationQuery>,
    bulk_reads: web::Data<BulkReads>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadDutyRecords)?;
    let year = year_or_current(query.year)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = DeputyFilter {
        committee: query.committee_id.or(query.committee),
        group: query.liaison_group_id.or(query.group),
        representative: query.representative_id.or(query.representative),
    };
    // A page reads a year of many deputies' activities and opinions: plans for its values,
    // and a turn among such loads (`db::bulk_reads`), ended once the rows are in.
    let turn = bulk_reads.turn().await?;
    let (rows, next_cursor, mut years) = crate::db::with_custom_plans(&mut conn, async |conn| {
        let rows = model::deputies(conn, &caller, &filter, page).await?;
        let (rows, next_cursor) = Page::<DeputyObligations>::cut(rows, page, |r| r.0);
        let years = model::years_of(conn, &rows, year, Utc::now()).await?;
        Ok((rows, next_cursor, years))
    })
    .await?;
    // Back to the pool before the judging and writing out, which need no database.
    drop(conn);
    drop(turn);
    // Judged as the response is written: a deputy's year is dropped once they are written
    // out, and the page is never whole in memory (`stream`).
    let items = rows.into_iter().filter_map(move |(id, name, ..)| {
        years.remove(&id).map(|(d, t)| DeputyObligations {
            representative_id: id,
            name,
            rules: rules::evaluate(&d, &t),
        })
    });
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .streaming(super::stream::json(year, items, next_cursor)))
}
