//! Probes for orchestrators: `/healthz` says the process serves requests, `/readyz` that it
//! can do useful work (database reachable, schema current).

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(
    tag = "health",
    operation_id = "healthz",
    responses((status = 200, description = "Alive", body = HealthStatus)),
    security(()),
)]
#[get("/healthz")]
#[tracing::instrument(skip_all)]
pub async fn healthz() -> web::Json<HealthStatus> {
    web::Json(HealthStatus { status: "ok" })
}

/// Readiness: the database answers and every migration this binary knows is applied.
#[utoipa::path(
    tag = "health",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = HealthStatus),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
#[get("/readyz")]
#[tracing::instrument(skip_all)]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<web::Json<HealthStatus>> {
    let mut conn = state.db().await?;
    let current = crate::db::migrations_current(&mut conn)
        .await
        .map_err(ApiError::service_unavailable)?;
    if !current {
        return Err(ApiError::service_unavailable(anyhow::anyhow!(
            "migrations are not current"
        )));
    }
    Ok(web::Json(HealthStatus { status: "ready" }))
}
