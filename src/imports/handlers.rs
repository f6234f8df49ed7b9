use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::table::{self, Charset};
use super::{ImportReport, Outcome, RowError, representatives, voters};
use crate::access::{Action, Authed};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldErrors, Problem};
use crate::request::{BodyLimit, read_body};
use crate::state::AppState;

/// Spreadsheets are bigger than JSON bodies: allow this many times the JSON limit.
const IMPORT_LIMIT_FACTOR: usize = 16;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `utf-8` or `gb18030` (GBK). Detected when omitted: a UTF-8 BOM or valid UTF-8 is UTF-8,
    /// anything else GB18030. Ignored for XLSX.
    #[param(pattern = r"^([Uu][Tt][Ff]-?8|[Gg][Bb](18030|[Kk]|2312))$")]
    pub charset: Option<String>,
    /// Validate and report without writing.
    #[serde(default)]
    pub dry_run: bool,
}

fn rejected(rows: Vec<RowError>) -> ApiError {
    let mut fields = FieldErrors::new();
    for e in &rows {
        fields
            .entry(format!("line {}: {}", e.line, e.column))
            .or_default()
            .push(e.reason.clone());
    }
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ImportRejected,
        format!(
            "{} problem(s) in the file; nothing was imported",
            rows.len()
        ),
    )
    .with_field_errors(fields)
    .with_extension("rows", serde_json::to_value(&rows).unwrap_or_default())
}

/// An XLSX workbook sent as the body itself: bytes, not JSON.
pub struct XlsxFile;

impl utoipa::PartialSchema for XlsxFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The workbook's bytes (first sheet read)"))
            .into()
    }
}

impl utoipa::ToSchema for XlsxFile {}

/// Import voters from CSV or XLSX: header `name,constituency_code,phone,id_number,address`.
///
/// All or nothing; bad rows are listed by line and column (422, `rows`). Rows matching an
/// existing voter (constituency, name, phone) are left unchanged, so re-importing is a no-op.
#[utoipa::path(
    tag = "imports",
    operation_id = "import_voters",
    params(ImportQuery),
    request_body(
        content(
            (String = "text/csv", example = "name,constituency_code,phone,id_number,address\n李华,BBS-03,13900000002,,玉泉路 59 号院"),
            (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        description = "The file itself as the body",
    ),
    responses(
        (status = 200, description = "Imported (or, with dry_run, would import)", body = ImportReport),
        (status = 422, description = "Bad rows; nothing imported", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/voters")]
#[tracing::instrument(skip_all)]
pub async fn import_voters(
    state: web::Data<AppState>,
    authed: Authed,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageVoters)?;
    let table = read_upload(&req, &query, payload).await?;
    respond(voters::import(&mut conn, &caller, &state.pii, &table, query.dry_run).await?)
}

/// Import deputies from CSV or XLSX: header
/// `name,gender,level,term,constituency_code,liaison_group,employer,position,public_contact,phone`.
///
/// `gender` is male/female (or 男/女), `level` district/city (or 区/市), `liaison_group` the
/// group's name in your scope. All or nothing, like the voter import; rows matching an existing
/// deputy (term, group, name) are left unchanged.
#[utoipa::path(
    tag = "imports",
    operation_id = "import_representatives",
    params(ImportQuery),
    request_body(
        content(
            (String = "text/csv", example = "name,gender,level,term,constituency_code,liaison_group,employer,position,public_contact,phone\n张明,男,区,16,BBS-03,八宝山街道代表联络站,某医院,主任,联络站 010-68880001,13800000001"),
            (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
        description = "The file itself as the body",
    ),
    responses(
        (status = 200, description = "Imported (or, with dry_run, would import)", body = ImportReport),
        (status = 422, description = "Bad rows; nothing imported", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/representatives")]
#[tracing::instrument(skip_all)]
pub async fn import_representatives(
    authed: Authed,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageRepresentatives)?;
    let table = read_upload(&req, &query, payload).await?;
    respond(representatives::import(&mut conn, &caller, &table, query.dry_run).await?)
}

async fn read_upload(
    req: &HttpRequest,
    query: &ImportQuery,
    payload: web::Payload,
) -> ApiResult<table::Table> {
    let charset = match query.charset.as_deref() {
        None => None,
        Some(c) => Some(Charset::parse(c).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::InvalidQuery, "charset must be utf-8 or gb18030")
        })?),
    };
    let limit = req
        .app_data::<BodyLimit>()
        .map(|l| l.0)
        .unwrap_or(1024 * 1024)
        * IMPORT_LIMIT_FACTOR;
    let bytes = read_body(payload.into_inner(), limit, None).await?;
    table::read(&bytes, charset).map_err(|reason| {
        rejected(vec![RowError {
            line: 0,
            column: "file".into(),
            reason,
        }])
    })
}

fn respond(outcome: Outcome) -> ApiResult<HttpResponse> {
    match outcome {
        Outcome::Done(report) => Ok(HttpResponse::Ok().json(report)),
        Outcome::Rejected(rows) => Err(rejected(rows)),
    }
}
