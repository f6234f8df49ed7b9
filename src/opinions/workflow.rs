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
use super::context::{Step, check_category, facts_of, ties_of};
use super::domain::Source;
use super::dto::CreateOpinion;
use super::lifecycle::Action;
use super::model::{self, NewEvent, NewOpinion, Opinion};
use super::outline::Outline;
use super::steps;
use crate::access::Caller;
use crate::access::opinions::{Recorder, opinion_recorder, permitted_steps};
use crate::access::pipelined::SessionCheck;
use crate::committees::kept_policies::{KeptPolicies, current_generation};
use crate::committees::policy::EffectivePolicy;
use crate::conditional::IfMatch;
use crate::db::Ending;
use crate::db::prepared::KeepPreparedDsl;
use crate::db::schema::{opinions, representatives};
use crate::error::{ApiError, ApiResult};

/// Records a new opinion: received, with its refer-by date, its first timeline event and its
/// outbox rows (an urgent one is announced at once). `ending`: whether its last round trip
/// commits.
#[tracing::instrument(skip_all)]
pub async fn receive(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    check: SessionCheck<'_>,
    kept: &KeptPolicies,
    b: CreateOpinion,
    ending: Ending,
) -> ApiResult<Written> {
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
            if b.activity_id.is_some() {
                return Err(ApiError::invalid_field(
                    "activity_id",
                    "voters submit online, not at an activity",
                ));
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
    // Every check and what the opinion takes from its constituency in one round trip; the
    // first refusal, in this order, is the answer.
    let shared: &AsyncPgConnection = conn;
    let (mut c1, mut c2, mut c3, mut c4, mut c5, mut c6) =
        (shared, shared, shared, shared, shared, shared);
    let (constituency, (), rep_group, (), (), generation) = futures_util::try_join!(
        async {
            crate::constituencies::model::find_visible(&mut c1, caller, b.constituency_id)
                .await
                .map_err(|e| e.on_field("constituency_id", "no such constituency"))
        },
        crate::voters::phone::check_may_submit(&mut c2, caller),
        async {
            let Some(r) = representative else {
                return Ok(None);
            };
            // A voter may address any serving deputy of the constituency; others name
            // deputies in their own scope.
            let group = if let Recorder::Voter(_) = recorder {
                representatives::table
                    .filter(representatives::id.eq(r))
                    .filter(representatives::constituency_id.eq(b.constituency_id))
                    .filter(representatives::status.eq("serving"))
                    .select(representatives::liaison_group_id)
                    .first(&mut c3)
                    .await
                    .optional()?
                    .ok_or_else(|| ApiError::invalid_field("representative_id", "no such deputy"))?
            } else {
                crate::representatives::model::find_visible(&mut c3, caller, r)
                    .await
                    .map_err(|e| e.on_field("representative_id", "no such deputy"))?
                    .liaison_group_id
            };
            Ok(Some(group))
        },
        async {
            // A voter's own record needs no lookup; anyone else names a voter in their scope.
            match voter {
                Some(v) if !matches!(recorder, Recorder::Voter(_)) => {
                    crate::voters::model::find_visible(&mut c4, caller, v)
                        .await
                        .map_err(|e| e.on_field("voter_id", "no such voter"))?;
                    Ok(())
                }
                _ => Ok(()),
            }
        },
        async {
            if let Some(activity) = b.activity_id {
                crate::activities::model::find_visible(&mut c5, caller, activity)
                    .await
                    .map_err(|e| e.on_field("activity_id", "no such activity"))?;
            }
            Ok(())
        },
        async { Ok(current_generation(&mut c6, check).await?) },
    )?;
    let group = rep_group.or(group);
    let committee = constituency.committee_id;
    let along = kept.of(conn, committee, Some(generation)).await?;
    let calendar = kept.calendar(conn, Some(generation)).await?;
    let policy = &along.policy;
    check_category(policy, &b.category)?;
    let now = Utc::now();
    let due = calendar.due_at(now, policy.refer_period(b.urgent));
    let new = NewOpinion {
        id: Uuid::now_v7(),
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
    };
    let after = Outline::received(&new);
    let event = event_of(
        caller,
        None,
        &after,
        Action::Receive,
        now,
        json!({"source": b.source, "urgent": b.urgent, "due_at": due}),
        false,
    );
    // The opinion, its event and its announcements in one round trip, in this order, with the
    // COMMIT where nothing follows.
    let insert = diesel::insert_into(opinions::table)
        .values(&new)
        .returning((Opinion::as_returning(), after.check()))
        .keep_prepared();
    let shared: &AsyncPgConnection = conn;
    let mut c = shared;
    let (created, (), ()) = futures_util::try_join!(
        async {
            let (created, _): (Opinion, bool) = insert.get_result(&mut c).await?;
            Ok(created)
        },
        record(shared, &event, (None, &after)),
        async { Ok(ending.commit(shared).await?) },
    )?;
    ending.ended(conn)?;
    Ok(Written {
        opinion: created,
        live: Vec::new(),
        policy: policy.clone(),
    })
}

/// An opinion after a write, with what its view needs: the live referrals of its current
/// round as (body, is lead), and the policy the write applied.
pub struct Written {
    pub opinion: Opinion,
    pub live: Vec<(Uuid, bool)>,
    pub policy: EffectivePolicy,
}

/// Takes one step on an opinion the caller can see, at the version they name. `ending`: whether
/// its last round trip commits.
#[tracing::instrument(skip_all, fields(opinion = %id, action = command.action().as_str()))]
pub async fn step(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    check: SessionCheck<'_>,
    kept: &KeptPolicies,
    (id, if_match): (Uuid, &IfMatch),
    (command, internal): (Command, bool),
    ending: Ending,
) -> ApiResult<Written> {
    let s = Step::load(conn, caller, check, kept, id, if_match).await?;
    let action = command.action();
    let to = command.lands_on(s.facts.state, s.check(action)?);
    let mut effect = steps::dispatch(conn, &s, command).await?;
    effect.changes.state = Some(to);
    let after = Outline::after(&s.opinion, &effect.changes);
    let event = event_of(
        caller,
        Some(&s.opinion),
        &after,
        action,
        s.now,
        effect.payload,
        internal,
    );
    // The referrals, the update, its event and its announcements in one round trip, in this
    // order (`model::apply` says why the order holds), with the COMMIT where nothing follows.
    let shared: &AsyncPgConnection = conn;
    let ((updated, live), (), ()) = futures_util::try_join!(
        model::apply(
            shared,
            (s.opinion.id, after.check()),
            &effect.referrals,
            &effect.changes,
            s.now,
        ),
        record(shared, &event, (Some(&s.opinion), &after)),
        async { Ok(ending.commit(shared).await?) },
    )?;
    ending.ended(conn)?;
    Ok(Written {
        opinion: updated,
        live,
        policy: s.along.policy.clone(),
    })
}

/// The timeline event of a write that leads `before` (None for the first event) to `after`.
fn event_of(
    caller: &Caller,
    before: Option<&Opinion>,
    after: &Outline,
    action: Action,
    at: DateTime<Utc>,
    payload: serde_json::Value,
    internal: bool,
) -> NewEvent {
    NewEvent {
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
    }
}

/// Appends the timeline event of a write that leads `before` (None for a new opinion) to
/// `after` and announces it in the outbox (`opinion.<action>`); an opinion the write made
/// urgent is announced once more, on `opinion.urgent`, and those who must hear of it at once
/// are notified. All sent at once on `conn`, after whatever was sent on it before.
async fn record(
    conn: &AsyncPgConnection,
    event: &NewEvent,
    (before, after): (Option<&Opinion>, &Outline),
) -> ApiResult<()> {
    let topic = format!("opinion.{}", event.action.happened());
    let urgent = after.became_urgent(before);
    let (mut a, mut b, mut c, mut d) = (conn, conn, conn, conn);
    futures_util::try_join!(
        model::insert_event(&mut a, event),
        after.announce(&mut b, &topic, event.action),
        async {
            if !urgent {
                return Ok(());
            }
            after.announce(&mut c, "opinion.urgent", event.action).await
        },
        async {
            if !urgent {
                return Ok(());
            }
            crate::notifications::model::notify_urgent(&mut d, after.id).await
        },
    )?;
    Ok(())
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
