//! The one error type of the API, rendered as RFC 9457 `application/problem+json`.
//!
//! Every failure a client can see goes through `ApiError`, so the shape of an error and its
//! stable `code` never depend on which layer failed. Causes of 500s are logged, never sent.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::text_enum;
use crate::telemetry::current_request_id;

text_enum!(
    /// Every stable error code the API answers with: clients branch on these, never on
    /// `detail`. A new refusal adds a code here, so the published list stays whole.
    ErrorCode {
        AlreadyEvaluated => "already_evaluated",
        AlreadyExists => "already_exists",
        AlreadyRated => "already_rated",
        AlreadyVerified => "already_verified",
        BadRequest => "bad_request",
        CannotDisableSelf => "cannot_disable_self",
        ConstraintViolated => "constraint_violated",
        CursorExpired => "cursor_expired",
        ExternalRefConflict => "external_ref_conflict",
        ContactLimitExceeded => "contact_limit_exceeded",
        FilterNotAllowed => "filter_not_allowed",
        Forbidden => "forbidden",
        IdempotencyKeyInUse => "idempotency_key_in_use",
        IdempotencyKeyReused => "idempotency_key_reused",
        ImportRejected => "import_rejected",
        InUse => "in_use",
        InsufficientScope => "insufficient_scope",
        InternalError => "internal_error",
        InvalidCredentials => "invalid_credentials",
        InvalidCursor => "invalid_cursor",
        InvalidIdempotencyKey => "invalid_idempotency_key",
        InvalidQuery => "invalid_query",
        InvalidRefreshToken => "invalid_refresh_token",
        InvalidTransition => "invalid_transition",
        MalformedJson => "malformed_json",
        MethodNotAllowed => "method_not_allowed",
        NoLeadReferral => "no_lead_referral",
        NoParentCommittee => "no_parent_committee",
        NotAnEvaluableReport => "not_an_evaluable_report",
        NotFound => "not_found",
        PasswordChangeRequired => "password_change_required",
        PayloadTooLarge => "payload_too_large",
        PhoneNotVerified => "phone_not_verified",
        PreconditionFailed => "precondition_failed",
        RateLimited => "rate_limited",
        ReferenceConflict => "reference_conflict",
        ReferralNotOpen => "referral_not_open",
        RefreshTokenReused => "refresh_token_reused",
        ReopenLimitReached => "reopen_limit_reached",
        ReopenNeedsUnsatisfiedRating => "reopen_needs_unsatisfied_rating",
        ConflictsWithRecord => "conflicts_with_record",
        ServiceUnavailable => "service_unavailable",
        Unauthorized => "unauthorized",
        UnreadableBody => "unreadable_body",
        UnsupportedMediaType => "unsupported_media_type",
        UsernameTaken => "username_taken",
        ValidationFailed => "validation_failed",
        WorkPlanIncomplete => "work_plan_incomplete",
    }
);

pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Field path (`registrations[1].issues[0].category`) → the messages for that field.
#[derive(ToSchema)]
#[schema(as = FieldErrors)]
#[allow(dead_code)]
pub struct FieldErrorsSchema(BTreeMap<String, Vec<String>>);

/// One refused row of an import.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportRowError {
    /// 1-based line of the file (the header is line 1).
    line: u32,
    column: Option<String>,
    reason: String,
}

/// Boxed so `Result<T, ApiError>` stays small on the happy path.
#[derive(Debug)]
pub struct ApiError(Box<Details>);

#[derive(Debug)]
struct Details {
    status: StatusCode,
    code: ErrorCode,
    detail: String,
    errors: Option<FieldErrors>,
    extensions: serde_json::Map<String, serde_json::Value>,
    retry_after_secs: Option<u64>,
    /// A deadlock or serialization failure: the transaction may simply be run again.
    transient: bool,
    /// Met after the write's own COMMIT had succeeded: the write must not run again.
    after_commit: bool,
    source: Option<anyhow::Error>,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:problem-type:liaison:validation_failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "the request has invalid fields",
    "code": "validation_failed",
    "errors": {"name": ["must be 1 to 200 characters"]},
    "request_id": "6f1c2a3e-0b5d-4f1e-9a77-3c9d1e2f4a5b"
}))]
pub struct Problem {
    /// `urn:problem-type:liaison:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code; clients branch on this, never on `detail`.
    pub code: ErrorCode,
    /// Field path → messages, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FieldErrorsSchema>)]
    pub errors: Option<FieldErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    // The members below are written by the answers that carry them (`with_extension`); they
    // are listed here so the document says what a client may find.
    /// 409 `invalid_transition` and its kin: the opinion's state now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::opinions::lifecycle::State>)]
    pub state: Option<()>,
    /// 409 on an opinion: the steps this caller may take instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::opinions::lifecycle::Action>>)]
    pub allowed_actions: Option<()>,
    /// 412 `precondition_failed`: the version now, to read again before retrying.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "\"v4\"")]
    pub current_etag: Option<()>,
    /// 422 `contact_limit_exceeded`: the committee's limit, and the link `kind` it applies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i32>)]
    pub limit: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<()>,
    /// 422 `import_rejected`: every refused row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ImportRowError>>)]
    pub rows: Option<()>,
    /// 429 and 503: seconds to wait, as in the `Retry-After` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    pub retry_after: Option<()>,
    /// 400 `invalid_query`: the query parameter refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub parameter: Option<()>,
    /// 409 on an activity or a meeting request: its status now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub activity_status: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub appointment_state: Option<()>,
    /// 409 on an ID number already recorded: the voter who has it, when you may see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub voter_id: Option<()>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(Box::new(Details {
            status,
            code,
            detail: detail.into(),
            errors: None,
            extensions: serde_json::Map::new(),
            retry_after_secs: None,
            transient: false,
            after_commit: false,
            source: None,
        }))
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, detail)
    }

    /// A 403 with a code of its own, for refusals a client handles apart from "not allowed".
    pub fn forbidden_with(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    /// A service client's token lacks the scope the action needs (RFC 6750 §3.1).
    pub fn insufficient_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::InsufficientScope,
            format!("this needs the {scope} scope"),
        )
        .with_extension("scope", serde_json::Value::String(scope.to_owned()))
    }

    /// The answer for both "does not exist" and "exists but not in your scope": the two must be
    /// indistinguishable or scope leaks through status codes.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "the request has invalid fields",
        );
        e.0.errors = Some(errors);
        e
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(BTreeMap::from([(field.to_owned(), vec![message.into()])]))
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many attempts; try again later",
        );
        e.0.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "an unexpected error occurred; quote the request id when reporting it",
        );
        e.0.source = Some(source.into());
        e
    }

    pub fn service_unavailable(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            "the service is temporarily unavailable; retry shortly",
        );
        e.0.retry_after_secs = Some(1);
        e.0.source = Some(source.into());
        e
    }

    pub fn with_field_errors(mut self, errors: FieldErrors) -> Self {
        self.0.errors = Some(errors);
        self
    }

    /// Extra top-level members of the problem document (RFC 9457 §3.2).
    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        self.0.extensions.insert(key.to_owned(), value);
        self
    }

    /// Field errors of a nested item (the third registration's first issue) keep their place:
    /// `category` becomes `registrations[2].issues[0].category`.
    pub fn nested_under(mut self, prefix: &str) -> Self {
        if let Some(errors) = self.0.errors.take() {
            self.0.errors = Some(
                errors
                    .into_iter()
                    .map(|(field, messages)| (format!("{prefix}.{field}"), messages))
                    .collect(),
            );
        }
        self
    }

    /// For a record named in a request body: its "not found" becomes a 422 on that field (the
    /// route itself exists); any other error passes through unchanged.
    pub fn on_field(self, field: &str, message: impl Into<String>) -> Self {
        if self.0.status == StatusCode::NOT_FOUND {
            Self::invalid_field(field, message)
        } else {
            self
        }
    }

    /// Whether the write this error came from had already committed (`db::Transient`).
    pub fn met_after_commit(&self) -> bool {
        self.0.after_commit
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// The detail with each field's messages, for a command line that has no JSON to show.
    pub fn detail_with_fields(&self) -> String {
        let fields = self
            .0
            .errors
            .iter()
            .flatten()
            .map(|(field, messages)| format!("{field}: {}", messages.join("; ")));
        std::iter::once(self.0.detail.clone())
            .chain(fields)
            .collect::<Vec<_>>()
            .join(" — ")
    }

    fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:problem-type:liaison:{}", self.0.code),
            title: self
                .0
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: self.0.status.as_u16(),
            detail: self.0.detail.clone(),
            code: self.0.code,
            errors: self.0.errors.clone(),
            request_id: current_request_id(),
            state: None,
            allowed_actions: None,
            current_etag: None,
            limit: None,
            kind: None,
            rows: None,
            retry_after: None,
            parameter: None,
            activity_status: None,
            appointment_state: None,
            voter_id: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.0.source {
            tracing::error!(
                error = format!("{source:#}"),
                code = self.0.code.as_str(),
                "request failed"
            );
        }
        let mut body = serde_json::to_value(self.problem()).unwrap_or_default();
        if let Some(object) = body.as_object_mut() {
            for (k, v) in &self.0.extensions {
                object.insert(k.clone(), v.clone());
            }
            if let Some(secs) = self.0.retry_after_secs {
                object.insert("retry_after".into(), serde_json::json!(secs));
            }
        }
        let mut response = HttpResponse::build(self.0.status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        // The rest of an oversized body is never read, so the connection cannot be reused.
        if self.0.status == StatusCode::PAYLOAD_TOO_LARGE {
            response.force_close();
        }
        if let Some(secs) = self.0.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        // RFC 6750 §3.1: say which scope the token lacks.
        if self.0.code == ErrorCode::InsufficientScope {
            if let Some(scope) = self.0.extensions.get("scope").and_then(|s| s.as_str()) {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
                ));
            }
        }
        response.body(body.to_string())
    }
}

impl ApiError {
    /// A write that broke the named unique constraint becomes 409 `code` with `detail`; any
    /// other database error maps as usual.
    pub fn on_unique(
        err: diesel::result::Error,
        constraint: &str,
        code: ErrorCode,
        detail: &str,
    ) -> Self {
        if crate::db::is_constraint(&err, constraint) {
            Self::conflict(code, detail)
        } else {
            err.into()
        }
    }

    /// A delete refused by a foreign key becomes 409 `in_use` with `detail`.
    pub fn on_delete(err: diesel::result::Error, detail: &str) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::conflict(ErrorCode::InUse, detail)
            }
            other => other.into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match err {
            Error::NotFound => Self::not_found("resource"),
            // Constraint names are ours, never user data, so they may be named to the client.
            Error::DatabaseError(Kind::UniqueViolation, info) => Self::conflict(
                ErrorCode::AlreadyExists,
                match info.constraint_name() {
                    Some(c) => format!("a record with the same unique value already exists ({c})"),
                    None => "a record with the same unique value already exists".to_owned(),
                },
            ),
            Error::DatabaseError(Kind::ForeignKeyViolation, _) => Self::conflict(
                ErrorCode::ReferenceConflict,
                "the record refers to, or is referred to by, records that prevent this change",
            ),
            Error::DatabaseError(Kind::CheckViolation, _) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ConstraintViolated,
                "the values break a rule of the data model",
            ),
            // The database is away or refused to wait (restart, terminated connection, lock or
            // statement timeout, deadlock): nothing was written, and a retry may succeed.
            Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _)
            | Error::BrokenTransactionManager => Self::service_unavailable(err),
            ref e if crate::db::Transient::is_transient(e) => {
                let mut e = Self::service_unavailable(err);
                e.0.transient = true;
                e
            }
            Error::DatabaseError(_, ref info) if database_away(info.message()) => {
                Self::service_unavailable(err)
            }
            other => Self::internal(other),
        }
    }
}

/// Server messages that mean "not now" rather than "never": SQLSTATE classes 57 (operator
/// intervention: admin shutdown, crash, starting up), 08 (connection), 53300 (too many
/// clients), 55P03 (lock timeout), 57014 (statement timeout), 40P01 (deadlock), 25P03 (idle in
/// transaction). diesel does not hand out the SQLSTATE, so the (English) message is matched.
fn database_away(message: &str) -> bool {
    const AWAY: &[&str] = &[
        "terminating connection",
        "the database system is",
        "canceling statement due to",
        "deadlock detected",
        "too many clients",
        "connection closed",
        "server closed the connection",
        "could not serialize access",
        "connection to server",
    ];
    AWAY.iter().any(|m| message.contains(m))
}

impl crate::db::Transient for ApiError {
    fn is_transient(&self) -> bool {
        self.0.transient
    }

    fn after_commit(mut self) -> Self {
        self.0.after_commit = true;
        self
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::service_unavailable(err)
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = FieldErrors::new();
        collect_validation_errors("", &errors, &mut fields);
        Self::validation(fields)
    }
}

fn collect_validation_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut FieldErrors,
) {
    use validator::ValidationErrorsKind as K;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            K::Field(list) => {
                let messages = out.entry(path).or_default();
                for e in list {
                    messages.push(match &e.message {
                        Some(m) => m.to_string(),
                        None => e.code.to_string(),
                    });
                }
            }
            K::Struct(inner) => collect_validation_errors(&path, inner, out),
            K::List(items) => {
                for (index, inner) in items {
                    collect_validation_errors(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
