use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::activities::ActivityRows;
use super::cells::{BOM, csv_line};
use super::format::{ExportFormat, ExportOptions, attachment};
use super::opinions::OpinionRows;
use super::source::RowSource;
use super::xlsx::{Sheets, stream_file};
use crate::access::{Action, Authed};
use crate::activities::dto::ActivityListQuery;
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::opinions::dto::OpinionListQuery;
use crate::pagination::PageRequest;
use crate::state::AppState;
use crate::stats::dto::{OpinionGrouping, OpinionStatsQuery};
use crate::stats::report::opinion_report;

/// The opinions the list shows (same scope, filters and order; `limit` and `cursor` are
/// ignored: an export holds every row) as CSV or XLSX. CSV is streamed as rows are read. No
/// phone numbers, addresses or ID numbers; a voter's name for staff only. Cells that a
/// spreadsheet would run as a formula are written with a leading apostrophe.
#[utoipa::path(
    tag = "exports",
    operation_id = "export_opinions",
    params(OpinionListQuery, ExportOptions),
    responses(
        (status = 200, description = "The rows, as an attachment", content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "attachment, with the Chinese file name in filename*"))),
    ),
)]
#[get("/opinions")]
#[tracing::instrument(skip_all)]
pub async fn export_opinions(
    req: HttpRequest,
    state: web::Data<AppState>,
    authed: Authed,
    filters: web::Query<OpinionListQuery>,
    options: web::Query<ExportOptions>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, conn } = authed;
    caller.require(Action::ExportRecords)?;
    caller.require(Action::ReadOpinions)?;
    let filters = filters.into_inner();
    // Paging does not apply to an export, but a malformed value is still refused.
    PageRequest::parse(filters.limit, filters.cursor.as_deref())?;
    let period = filters.received_from.zip(filters.received_to);
    let file = Attachment {
        names: ("意见建议", "opinions"),
        period,
    };
    respond(
        &req,
        Batches::new(conn, state),
        OpinionRows::new(caller, filters),
        &options,
        file,
    )
    .await
}

/// The activities the list shows (same scope, filters and order; `limit` and `cursor` are
/// ignored) as CSV or XLSX, deputies and venues by name. CSV is streamed as rows are read;
/// formula-like cells are neutralised.
#[utoipa::path(
    tag = "exports",
    operation_id = "export_activities",
    params(ActivityListQuery, ExportOptions),
    responses(
        (status = 200, description = "The rows, as an attachment", content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "attachment, with the Chinese file name in filename*"))),
    ),
)]
#[get("/activities")]
#[tracing::instrument(skip_all)]
pub async fn export_activities(
    req: HttpRequest,
    state: web::Data<AppState>,
    authed: Authed,
    filters: web::Query<ActivityListQuery>,
    options: web::Query<ExportOptions>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, conn } = authed;
    caller.require(Action::ExportRecords)?;
    caller.require(Action::ReadActivities)?;
    let filters = filters.into_inner();
    PageRequest::parse(filters.limit, filters.cursor.as_deref())?;
    let file = Attachment {
        names: ("代表活动", "activities"),
        period: filters.from.zip(filters.to),
    };
    respond(
        &req,
        Batches::new(conn, state),
        ActivityRows::new(caller, filters),
        &options,
        file,
    )
    .await
}

/// The opinion report (`GET /stats/opinions`, same parameters) as CSV, or as XLSX with the
/// report and the same period by month on two sheets, each with a native Excel chart of
/// received and answered counts and the three rates.
#[utoipa::path(
    tag = "exports",
    operation_id = "export_opinion_stats",
    params(OpinionStatsQuery, ExportOptions),
    responses(
        (status = 200, description = "The report, as an attachment", content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "attachment, with the Chinese file name in filename*"))),
    ),
)]
#[get("/stats/opinions")]
#[tracing::instrument(skip_all)]
pub async fn export_opinion_stats(
    req: HttpRequest,
    state: web::Data<AppState>,
    authed: Authed,
    query: web::Query<OpinionStatsQuery>,
    options: web::Query<ExportOptions>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ExportRecords)?;
    let format = options.format(&req);
    let language = options.language();
    let exact_up_to = state.settings.stats_exact_up_to;
    let asked = opinion_report(&mut conn, &caller, &query, query.group_by, exact_up_to).await?;
    let body = match format {
        ExportFormat::Csv => super::stats::csv(&asked, language),
        ExportFormat::Xlsx => {
            let by_month = opinion_report(
                &mut conn,
                &caller,
                &query,
                Some(OpinionGrouping::Month),
                exact_up_to,
            )
            .await?;
            super::stats::xlsx(&asked, &by_month, language)?
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(format.media_type())
        .insert_header((
            "Content-Disposition",
            attachment(
                ("意见建议统计", "opinion-stats"),
                Some((asked.from, asked.to)),
                format,
            ),
        ))
        .body(body))
}

struct Attachment {
    names: (&'static str, &'static str),
    period: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
}

/// Reads an export's rows a batch at a time: the first on the request's own connection, each
/// later one on a connection taken from the pool for it and given back before the batch is
/// sent. A download goes at the client's pace, and a client that reads slowly or stops
/// part-way would otherwise keep a database connection from everyone else until it finished.
/// The walk is by keyset, a statement per batch, so it needs no one connection or snapshot.
struct Batches {
    first: Option<DbConn>,
    state: web::Data<AppState>,
}

impl Batches {
    fn new(conn: DbConn, state: web::Data<AppState>) -> Self {
        Batches {
            first: Some(conn),
            state,
        }
    }

    async fn next<S: RowSource>(&mut self, rows: &mut S) -> ApiResult<Option<Vec<Vec<String>>>> {
        let mut conn = match self.first.take() {
            Some(conn) => conn,
            // A download under way waits longer for a connection than a new request would:
            // its client is already waiting, and breaking it off loses what was sent.
            None => self.state.db_after_waiting(POOL_WAITS).await?,
        };
        rows.next_batch(&mut conn).await
    }
}

/// How many pool waits a later batch of an export may take for its connection.
const POOL_WAITS: u32 = 10;

/// CSV streamed batch by batch, or XLSX built in constant memory and sent from its file.
async fn respond<S: RowSource + 'static>(
    req: &HttpRequest,
    batches: Batches,
    rows: S,
    options: &ExportOptions,
    file: Attachment,
) -> ApiResult<HttpResponse> {
    let format = options.format(req);
    let headings = rows.headings(options.language());
    let mut response = HttpResponse::Ok();
    response.content_type(format.media_type()).insert_header((
        "Content-Disposition",
        attachment(file.names, file.period, format),
    ));
    Ok(match format {
        ExportFormat::Csv => response.streaming(csv_stream(batches, rows, headings)),
        ExportFormat::Xlsx => {
            let file = xlsx_file(batches, rows, &headings).await?;
            response.streaming(stream_file(file))
        }
    })
}

/// The header line with the byte-order mark, then a chunk per batch as each is read.
fn csv_stream<S: RowSource + 'static>(
    batches: Batches,
    rows: S,
    headings: Vec<&'static str>,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    let mut head = BOM.as_bytes().to_vec();
    head.extend(csv_line(headings));
    let first = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    let rest =
        futures_util::stream::try_unfold((batches, rows), |(mut batches, mut rows)| async move {
            let Some(batch) = batches.next(&mut rows).await? else {
                return Ok(None);
            };
            let mut chunk = Vec::new();
            for row in &batch {
                chunk.extend(csv_line(row.iter().map(String::as_str)));
            }
            Ok(Some((Bytes::from(chunk), (batches, rows))))
        });
    futures_util::StreamExt::chain(
        first,
        futures_util::TryStreamExt::map_err(rest, |e: crate::error::ApiError| {
            tracing::error!(error = %e.detail(), "an export failed part-way");
            actix_web::error::ErrorInternalServerError("the export failed part-way")
        }),
    )
}

async fn xlsx_file<S: RowSource>(
    mut batches: Batches,
    mut rows: S,
    headings: &[&str],
) -> ApiResult<std::fs::File> {
    let mut sheets = Sheets::new(headings)?;
    while let Some(batch) = batches.next(&mut rows).await? {
        sheets.append(&batch)?;
    }
    sheets.finish()
}
