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

const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

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
    // An orchestrator polls this with a short timeout of its own: answer within a second,
    // whether the database is there, paused or gone.
    let check = async {
        let mut conn = state.db().await?;
        crate::db::migrations_current(&mut conn)
            .await
            .map_err(ApiError::service_unavailable)
    };
    let current = tokio::time::timeout(READY_WITHIN, check)
        .await
        .map_err(|_| {
            ApiError::service_unavailable(anyhow::anyhow!("the database did not answer in time"))
        })??;
    if !current {
        return Err(ApiError::service_unavailable(anyhow::anyhow!(
            "migrations are not current"
        )));
    }
    Ok(web::Json(HealthStatus { status: "ready" }))
}
