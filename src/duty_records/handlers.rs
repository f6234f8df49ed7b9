use actix_web::{HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::draft::{self, ReportDraft};
use super::model::{self, DutyRecord};
use crate::access::{Action, Authed, Caller};
use crate::calendar::year_or_current;
use crate::error::{ApiError, ApiResult};
use crate::exports::cells::{BOM, csv_line};

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftFormat {
    #[default]
    Json,
    Markdown,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// Default: the current year (Beijing time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// `json` (default) or `csv` (UTF-8 with a BOM, for spreadsheets).
    #[param(inline)]
    pub format: Option<RecordFormat>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DraftQuery {
    /// Default: the current year (Beijing time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// `json` (default, with the Markdown text inside) or `markdown` (the text alone).
    #[param(inline)]
    pub format: Option<DraftFormat>,
}

/// The year of a record the caller may read (403 for a role that reads none, 400 for a year
/// out of range), checked before anything is read.
fn permitted_year(caller: &Caller, year: Option<i32>) -> ApiResult<i32> {
    caller.require(Action::ReadDutyRecords)?;
    year_or_current(year)
}

async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    year: Option<i32>,
) -> ApiResult<DutyRecord> {
    let year = permitted_year(caller, year)?;
    model::load(conn, caller, id, year).await
}

fn csv(record: &DutyRecord) -> ApiResult<String> {
    let mut out = csv_line([
        "record",
        "id",
        "date",
        "kind",
        "title",
        "status",
        "outcome",
        "attended",
        "voters_met",
    ]);
    for a in &record.activities {
        out.extend(csv_line([
            "activity",
            &a.id.to_string(),
            &a.starts_at.format("%Y-%m-%d %H:%M").to_string(),
            a.kind.as_str(),
            &a.topic,
            a.status.as_str(),
            "",
            if a.attended { "yes" } else { "no" },
            &a.voters_met.map(|n| n.to_string()).unwrap_or_default(),
        ]));
    }
    for o in &record.opinions {
        out.extend(csv_line([
            "opinion",
            &o.id.to_string(),
            &o.received_at.format("%Y-%m-%d %H:%M").to_string(),
            &o.category,
            &o.title,
            o.state.as_str(),
            o.outcome.map_or("", |x| x.as_str()),
            "",
            "",
        ]));
    }
    String::from_utf8(out)
        .map(|text| format!("{BOM}{text}"))
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

/// A deputy's duty record (履职档案) for a year: activities taken part in, opinions taken and
/// where each stands, reports to voters. `format=csv` gives one row per activity and opinion.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_duty_record",
    params(("id" = Uuid, Path, description = "Representative id"), RecordQuery),
    responses(
        (status = 200, description = "The duty record (JSON, or CSV with format=csv)", content(
            (DutyRecord = "application/json"),
            (String = "text/csv"),
        )),
    ),
)]
#[get("/{id}/duty-record")]
#[tracing::instrument(skip_all)]
pub async fn get_duty_record(
    authed: Authed,
    id: web::Path<Uuid>,
    query: web::Query<RecordQuery>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    if let RecordFormat::Json = query.format.unwrap_or_default() {
        let year = permitted_year(&caller, query.year)?;
        let head = crate::db::with_custom_plans(&mut conn, async |conn| {
            model::load_head(conn, &caller, *id, year).await
        })
        .await?;
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .streaming(super::stream::json(conn, head)?));
    }
    // A year of one deputy's activities and opinions: plans for its values.
    let r = crate::db::with_custom_plans(&mut conn, async |conn| {
        record(conn, &caller, *id, query.year).await
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"duty-record-{}-{}.csv\"",
                r.representative_id, r.year
            ),
        ))
        .body(csv(&r)?))
}

/// A draft of the deputy's report to voters for the year, from the duty record: activities,
/// opinions by state and outcome, feedback given, evaluations. JSON (with the Markdown text)
/// or `format=markdown`.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_annual_report_draft",
    params(("id" = Uuid, Path, description = "Representative id"), DraftQuery),
    responses(
        (status = 200, description = "The draft (JSON, or text/markdown with format=markdown)", content(
            (ReportDraft = "application/json"),
            (String = "text/markdown"),
        )),
    ),
)]
#[get("/{id}/annual-report-draft")]
#[tracing::instrument(skip_all)]
pub async fn get_annual_report_draft(
    authed: Authed,
    id: web::Path<Uuid>,
    query: web::Query<DraftQuery>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    let r = record(&mut conn, &caller, *id, query.year).await?;
    let d = draft::draft(&r);
    Ok(match query.format.unwrap_or_default() {
        DraftFormat::Markdown => HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .body(d.markdown),
        DraftFormat::Json => HttpResponse::Ok().json(d),
    })
}
