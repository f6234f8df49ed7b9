//! Where an opinion may be referred: the one list a front end offers for `refer`, `transfer`
//! and `reopen`, drawn by the same rule the step itself checks (`referable_body_filter` with
//! the committee's `referral_route`; the step applies its form for the bodies' places the
//! server keeps, `body_is_referable`, and a test holds the two to one answer).

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::handlers::{only, views_with};
use super::in_full;
use super::lifecycle::Action as Step;
use crate::access::{Action, Authed};
use crate::committees::kept_policies::KeptPolicies;
use crate::error::{ApiError, ApiResult};
use crate::handling_bodies::dto::HandlingBodyView;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferableBodies {
    /// The steps you may take now that name a body (`refer`, `transfer`, `reopen`); empty when
    /// none, and then `items` is empty too.
    pub steps: Vec<Step>,
    /// By name.
    pub items: Vec<HandlingBodyView>,
}

/// The handling bodies a `refer`, `transfer` or `reopen` by you would accept for this opinion
/// now: exactly those, by name.
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_referable_bodies",
    params(("id" = Uuid, Path, description = "Opinion id")),
    responses((status = 200, description = "The bodies", body = ReferableBodies)),
)]
#[get("/{id}/referable-bodies")]
#[tracing::instrument(skip_all)]
pub async fn list_referable_bodies(
    authed: Authed,
    kept: web::Data<KeptPolicies>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ReferableBodies>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadOpinions)?;
    crate::access::opinions::check_list_referable(&caller)?;
    let read = in_full::find_visible_in_full(&mut conn, &caller, *id).await?;
    let policies = read.policies(&mut conn, &kept).await?;
    let view = only(views_with(&caller, read, &policies))?;
    let committee = view.committee_id;
    let along = policies
        .get(&committee)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no policy for {committee}")))?;
    let steps: Vec<Step> = view
        .actions
        .into_iter()
        .filter(|a| matches!(a, Step::Refer | Step::Transfer | Step::Reopen))
        .collect();
    if steps.is_empty() {
        return Ok(web::Json(ReferableBodies {
            steps,
            items: vec![],
        }));
    }
    let items = crate::handling_bodies::model::referable(
        &mut conn,
        &along.path,
        committee,
        along.policy.referral_route,
    )
    .await?
    .into_iter()
    .map(HandlingBodyView::from)
    .collect();
    Ok(web::Json(ReferableBodies { steps, items }))
}
