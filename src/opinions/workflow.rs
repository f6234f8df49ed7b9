//! Each write to an opinion as one unit of work, run inside the caller's transaction.
//!
//! `step` reads top to bottom: **load** what the step needs once (`Step::load`: the locked
//! row, its policy, its referrals, how the caller stands to it), **check** it (the version,
//! the lifecycle, then `access::opinions`), **dispatch** to the command's own function in
//! `steps.rs`, **write** the opinion, and **record** the timeline event and outbox rows. The
//! view of the result reuses what the step loaded.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::command::Command;
use super::domain::{Channel, ReferralRole, Source};
use super::dto::CreateOpinion;
use super::lifecycle::{self, Action, Facts, Refusal};
use super::model::{self, NewEvent, NewOpinion, NewReferral, Opinion, Referral};
use super::steps;
use crate::access::Caller;
use crate::access::filters::referable_body_filter;
use crate::access::opinions::{
    OpinionTies, Recorder, check_step, opinion_recorder, permitted_steps,
};
use crate::calendar::WorkCalendar;
use crate::calendar::model::load_from as load_calendar;
use crate::calendar::working_days::local_date;
use crate::committees::policy::{self, EffectivePolicy};
use crate::conditional::IfMatch;
use crate::db::schema::{handling_bodies, opinions, representatives};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Records a new opinion: received, with its refer-by date, its first timeline event and its
/// outbox rows (an urgent one is announced at once).
#[tracing::instrument(skip_all)]
pub async fn receive(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    b: CreateOpinion,
) -> ApiResult<Written> {
    let constituency = crate::constituencies::model::find_visible(conn, caller, b.constituency_id)
        .await
        .map_err(|e| e.on_field("constituency_id", "no such constituency"))?;
    let recorder = opinion_recorder(caller);
    let mut representative = b.representative_id;
    let mut voter = b.voter_id;
    let mut group = None;
    match recorder {
        Recorder::Voter(own) => {
            if voter.is_some_and(|v| v != own) {
                return Err(ApiError::invalid_field(
                    "voter_id",
                    "a voter submits only their own",
                ));
            }
            if b.source != Source::Online {
                return Err(ApiError::invalid_field("source", "voters submit online"));
            }
            voter = Some(own);
        }
        Recorder::Deputy(own) => {
            if representative.is_some_and(|r| r != own) {
                return Err(ApiError::invalid_field(
                    "representative_id",
                    "a deputy records opinions they took themself",
                ));
            }
            representative = Some(own);
        }
        Recorder::Group(own) => group = Some(own),
        Recorder::Staff => {}
    }
    if let Some(r) = representative {
        // A voter may address any serving deputy of the constituency; others name deputies
        // in their own scope.
        let rep_group = if let Recorder::Voter(_) = recorder {
            representatives::table
                .filter(representatives::id.eq(r))
                .filter(representatives::constituency_id.eq(constituency.id))
                .filter(representatives::status.eq("serving"))
                .select(representatives::liaison_group_id)
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| ApiError::invalid_field("representative_id", "no such deputy"))?
        } else {
            crate::representatives::model::find_visible(conn, caller, r)
                .await
                .map_err(|e| e.on_field("representative_id", "no such deputy"))?
                .liaison_group_id
        };
        group = Some(rep_group);
    }
    // A voter's own record needs no lookup; anyone else names a voter in their scope.
    if !matches!(recorder, Recorder::Voter(_))
        && let Some(v) = voter
    {
        crate::voters::model::find_visible(conn, caller, v)
            .await
            .map_err(|e| e.on_field("voter_id", "no such voter"))?;
    }
    if let Some(activity) = b.activity_id {
        // Voters submit online, never at an activity; others name one they can see.
        if matches!(recorder, Recorder::Voter(_)) {
            return Err(ApiError::invalid_field(
                "activity_id",
                "voters submit online, not at an activity",
            ));
        }
        crate::activities::model::find_visible(conn, caller, activity)
            .await
            .map_err(|e| e.on_field("activity_id", "no such activity"))?;
    }
    let path = model::committee_path(conn, constituency.committee_id).await?;
    let policy = policy::effective(conn, &path).await?;
    check_category(&policy, &b.category)?;
    let now = Utc::now();
    let calendar = load_calendar(conn, local_date(now)).await?;
    let due = calendar.due_at(now, policy.refer_period(b.urgent));
    let id = Uuid::now_v7();
    let created: Opinion = diesel::insert_into(opinions::table)
        .values(&NewOpinion {
            id,
            committee_id: constituency.committee_id,
            constituency_id: constituency.id,
            liaison_group_id: group,
            representative_id: representative,
            voter_id: voter,
            activity_id: b.activity_id,
            title: b.title.trim().to_owned(),
            content: b.content.trim().to_owned(),
            category: b.category,
            location: b
                .location
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty()),
            source: b.source,
            urgent: b.urgent,
            public_consent: b.public_consent,
            received_at: now,
            current_due_at: Some(due),
            created_by: Some(caller.account_id),
            registration_id: b.registration_id,
        })
        .returning(Opinion::as_returning())
        .get_result(conn)
        .await?;
    let payload = json!({"source": b.source, "urgent": b.urgent, "due_at": due});
    record(
        conn,
        caller,
        None,
        &created,
        Action::Receive,
        now,
        payload,
        false,
    )
    .await?;
    Ok(Written {
        opinion: created,
        policy,
    })
}

/// Everything one step needs, loaded once, in this order, under the opinion's row lock.
pub struct Step<'a> {
    pub caller: &'a Caller,
    /// The row as it was before the step, locked until the transaction ends.
    pub opinion: Opinion,
    /// The committee path of the opinion, root first: where it may be referred.
    pub path: Vec<Uuid>,
    pub policy: EffectivePolicy,
    pub facts: Facts,
    pub ties: OpinionTies,
    /// The body leading now (or, once answered or fed back, the last one to lead).
    pub lead: Option<Referral>,
    /// The current round's live referrals as (body, is lead).
    pub live: Vec<(Uuid, bool)>,
    pub calendar: WorkCalendar,
    pub now: DateTime<Utc>,
}

/// An opinion after a write, with the policy the write applied, for its view.
pub struct Written {
    pub opinion: Opinion,
    pub policy: EffectivePolicy,
}

impl<'a> Step<'a> {
    /// Locks the opinion (404 outside the caller's scope) and checks the caller's version.
    pub async fn load(
        conn: &mut AsyncPgConnection,
        caller: &'a Caller,
        id: Uuid,
        if_match: &IfMatch,
    ) -> ApiResult<Self> {
        let opinion = model::lock_visible(conn, caller, id).await?;
        if_match.check(opinion.version)?;
        let path = model::committee_path(conn, opinion.committee_id).await?;
        let policy = policy::effective(conn, &path).await?;
        let live = model::live_referrals(conn, &[&opinion])
            .await?
            .remove(&opinion.id)
            .unwrap_or_default();
        let lead = model::latest_lead(conn, opinion.id).await?;
        let now = Utc::now();
        let calendar = load_calendar(conn, local_date(now)).await?;
        Ok(Step {
            facts: facts_of(&opinion, &policy),
            ties: ties_of(caller, &opinion, &live),
            caller,
            opinion,
            path,
            policy,
            lead,
            live,
            calendar,
            now,
        })
    }

    /// The state the step leads to: 409 if the lifecycle does not allow it from here, 403 if
    /// it does but not for this caller. The 409 lists what this caller may do instead.
    fn check(&self, action: Action) -> ApiResult<lifecycle::State> {
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

    /// Each body must exist and sit on the opinion's line of the committee tree (one query).
    pub async fn check_referable(
        &self,
        conn: &mut AsyncPgConnection,
        bodies: &[Uuid],
        field: &str,
    ) -> ApiResult<()> {
        let found: Vec<Uuid> = handling_bodies::table
            .filter(handling_bodies::id.eq_any(bodies))
            .filter(referable_body_filter(&self.path, self.opinion.committee_id))
            .select(handling_bodies::id)
            .load(conn)
            .await?;
        if bodies.iter().all(|b| found.contains(b)) {
            Ok(())
        } else {
            Err(ApiError::invalid_field(
                field,
                "no such handling body for this opinion",
            ))
        }
    }
}

/// Takes one step on an opinion the caller can see.
#[tracing::instrument(skip_all, fields(opinion = %id, action = command.action().as_str()))]
pub async fn step(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    command: Command,
    internal: bool,
) -> ApiResult<Written> {
    let s = Step::load(conn, caller, id, if_match).await?;
    let action = command.action();
    let to = s.check(action)?;
    let mut effect = steps::dispatch(conn, &s, command).await?;
    effect.changes.state = Some(to);
    let updated = model::apply(conn, s.opinion.id, &effect.changes, s.now).await?;
    record(
        conn,
        caller,
        Some(&s.opinion),
        &updated,
        action,
        s.now,
        effect.payload,
        internal,
    )
    .await?;
    Ok(Written {
        opinion: updated,
        policy: s.policy,
    })
}

/// Appends the timeline event of a step and announces it in the outbox (`opinion.<action>`,
/// and `opinion.urgent` when the opinion has just become urgent). `before` is None for the
/// first event.
#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    before: Option<&Opinion>,
    after: &Opinion,
    action: Action,
    at: DateTime<Utc>,
    payload: serde_json::Value,
    internal: bool,
) -> ApiResult<()> {
    model::insert_event(
        conn,
        &NewEvent {
            id: Uuid::now_v7(),
            opinion_id: after.id,
            action,
            from_state: before.map(|o| o.state),
            to_state: after.state,
            round: after.round,
            actor_id: Some(caller.account_id),
            actor_role: caller.role.as_str(),
            at,
            payload,
            internal,
        },
    )
    .await?;
    model::announce(conn, after, &format!("opinion.{}", action.as_str()), action).await?;
    if after.urgent && !before.is_some_and(|o| o.urgent) {
        model::announce(conn, after, "opinion.urgent", action).await?;
    }
    Ok(())
}

pub fn check_category(policy: &EffectivePolicy, category: &str) -> ApiResult<()> {
    if policy.categories.iter().any(|c| c == category) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "category",
            format!("must be one of: {}", policy.categories.join(", ")),
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

/// The steps this caller could take now on an opinion: the one answer used by views and 409s.
pub fn actions_for(
    caller: &Caller,
    opinion: &Opinion,
    policy: &EffectivePolicy,
    live: &[(Uuid, bool)],
) -> Vec<Action> {
    permitted_steps(
        caller,
        ties_of(caller, opinion, live),
        &facts_of(opinion, policy),
    )
}
