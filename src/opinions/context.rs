//! What one step of the lifecycle loads before it acts, loaded once (`Step::load`) and then
//! read by the check, by the command's own function in `steps.rs` and by the view.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::domain::{Channel, ReferralRole};
use super::lifecycle::{self, Action, Facts, Refusal, State};
use super::model::{self, NewReferral, Opinion, Referral};
use crate::access::Caller;
use crate::access::filters::body_is_referable;
use crate::access::opinions::{OpinionTies, check_step, permitted_steps};
use crate::access::pipelined::SessionCheck;
use crate::calendar::WorkCalendar;
use crate::committees::kept_policies::{KeptPolicies, PathAndPolicy};
use crate::committees::policy::EffectivePolicy;
use crate::conditional::IfMatch;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Everything one step needs, loaded once, in this order, under the opinion's row lock.
pub struct Step<'a> {
    pub caller: &'a Caller,
    /// The row as it was before the step, locked until the transaction ends.
    pub opinion: Opinion,
    /// The committee path of the opinion (root first: where it may be referred) and its
    /// policy, kept by the server (`KeptPolicies`) while the tree and policies stay as they are.
    pub along: Arc<PathAndPolicy>,
    pub facts: Facts,
    pub ties: OpinionTies,
    /// The body leading now (or, once answered or fed back, the last one to lead).
    pub lead: Option<Referral>,
    /// The current round's live referrals as (body, is lead).
    pub live: Vec<(Uuid, bool)>,
    pub calendar: Arc<WorkCalendar>,
    pub now: DateTime<Utc>,
    /// What the server keeps, and the generation the row lock read it at: where the bodies a
    /// step names sit comes from there (`referable`).
    kept: &'a KeptPolicies,
    generation: Option<i64>,
}

impl<'a> Step<'a> {
    /// Locks the opinion (404 outside the caller's scope, or once a folded `check` fails) and
    /// checks the caller's version.
    pub async fn load(
        conn: &mut AsyncPgConnection,
        caller: &'a Caller,
        check: SessionCheck<'_>,
        kept: &'a KeptPolicies,
        id: Uuid,
        if_match: &IfMatch,
    ) -> ApiResult<Self> {
        // One round trip: the lock (with the policy generation) first, then the referrals,
        // sent after the lock's statement, so read once it is held and seeing what the
        // previous holder left. The committee's path and policy and the calendar are kept,
        // read again only if the generation has moved.
        let shared: &AsyncPgConnection = conn;
        let (mut a, mut b) = (shared, shared);
        let ((opinion, generation), referrals) = futures_util::try_join!(
            model::lock_visible(&mut a, caller, check, id),
            model::referrals_not_returned(&mut b, id),
        )?;
        // Dated once the lock is held: after the step before it.
        let now = Utc::now();
        if_match.check(opinion.version)?;
        let along = kept.of(conn, opinion.committee_id, generation).await?;
        let calendar = kept.calendar(conn, generation).await?;
        let live: Vec<(Uuid, bool)> = referrals
            .iter()
            .filter(|r| r.round == opinion.round)
            .map(|r| (r.handling_body_id, r.role == ReferralRole::Lead))
            .collect();
        let lead = referrals
            .into_iter()
            .filter(|r| r.role == ReferralRole::Lead)
            .max_by_key(|r| r.round);
        Ok(Step {
            facts: facts_of(&opinion, &along.policy),
            ties: ties_of(caller, &opinion, &live),
            caller,
            opinion,
            along,
            lead,
            live,
            calendar,
            now,
            kept,
            generation,
        })
    }

    /// The state the step leads to: 409 if the lifecycle does not allow it from here, 403 if
    /// it does but not for this caller. The 409 lists what this caller may do instead.
    pub fn check(&self, action: Action) -> ApiResult<State> {
        let to = lifecycle::next(&self.facts, action).map_err(|r| self.refused(r, action))?;
        check_step(self.caller, self.ties, self.facts.state, action)?;
        Ok(to)
    }

    fn refused(&self, refusal: Refusal, action: Action) -> ApiError {
        let (code, detail) = match refusal {
            Refusal::NotFromState { state, .. } => (
                ErrorCode::InvalidTransition,
                format!(
                    "an opinion that is {} cannot take the {} step",
                    state.as_str(),
                    action.as_str()
                ),
            ),
            Refusal::NotUnsatisfied => (
                ErrorCode::ReopenNeedsUnsatisfiedRating,
                "only feedback the voter rated unsatisfied can be reopened".to_owned(),
            ),
            Refusal::ReopenLimitReached { limit } => (
                ErrorCode::ReopenLimitReached,
                format!("this opinion has been reopened the {limit} times allowed"),
            ),
            Refusal::AlreadyRated => (
                ErrorCode::AlreadyRated,
                "this round's feedback has been rated already".to_owned(),
            ),
        };
        ApiError::conflict(code, detail)
            .with_extension("state", json!(self.facts.state))
            .with_extension(
                "allowed_actions",
                json!(permitted_steps(self.caller, self.ties, &self.facts)),
            )
    }

    /// A new referral of this opinion's current round, made now by the caller.
    pub fn referral(
        &self,
        body: Uuid,
        role: ReferralRole,
        channel: Channel,
        due_at: DateTime<Utc>,
    ) -> NewReferral {
        NewReferral {
            id: Uuid::now_v7(),
            opinion_id: self.opinion.id,
            handling_body_id: body,
            role,
            channel,
            round: self.opinion.round,
            referred_at: self.now,
            referred_by: Some(self.caller.account_id),
            due_at,
        }
    }

    /// Each body must exist and sit on the opinion's line of the committee tree.
    pub async fn check_referable(
        &self,
        conn: &mut AsyncPgConnection,
        bodies: &[Uuid],
        field: &str,
    ) -> ApiResult<()> {
        let found = self.referable(conn, bodies).await?;
        if bodies.iter().all(|b| found.contains(b)) {
            Ok(())
        } else {
            Err(no_such_body(field))
        }
    }

    /// Which of `bodies` this opinion may be referred to: by where they sit, kept by the
    /// server while the tree and the bodies stay as they are (no statement then).
    pub async fn referable(
        &self,
        conn: &mut AsyncPgConnection,
        bodies: &[Uuid],
    ) -> ApiResult<Vec<Uuid>> {
        let places = self.kept.places_of(conn, bodies, self.generation).await?;
        Ok(bodies
            .iter()
            .copied()
            .filter(|body| {
                places.get(body).is_some_and(|place| {
                    body_is_referable(
                        &self.along.path,
                        self.opinion.committee_id,
                        self.along.policy.referral_route,
                        &place.committee_path,
                    )
                })
            })
            .collect())
    }
}

/// The refusal of a handling body this opinion cannot be referred to, on `field`.
pub fn no_such_body(field: &str) -> ApiError {
    ApiError::invalid_field(field, "no such handling body for this opinion")
}

pub fn check_category(policy: &EffectivePolicy, category: &str) -> ApiResult<()> {
    if policy.categories.iter().any(|c| c == category) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "category",
            format!(
                "no such category here; one of: {}",
                policy.categories.join(", ")
            ),
        ))
    }
}

pub fn facts_of(opinion: &Opinion, policy: &EffectivePolicy) -> Facts {
    Facts {
        state: opinion.state,
        round: opinion.round,
        max_reopen_rounds: policy.max_reopen_rounds,
        rating: opinion.rating,
    }
}

/// `live`: the current round's live referrals as (body, is lead).
pub fn ties_of(caller: &Caller, opinion: &Opinion, live: &[(Uuid, bool)]) -> OpinionTies {
    let lead = live.iter().find(|(_, is_lead)| *is_lead).map(|(b, _)| *b);
    let bodies: Vec<Uuid> = live.iter().map(|(b, _)| *b).collect();
    OpinionTies::of(
        caller,
        (opinion.representative_id, opinion.voter_id),
        lead,
        &bodies,
    )
}
