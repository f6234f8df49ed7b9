//! Each lifecycle step as one unit of work: lock the opinion, check the version, ask the state
//! machine and the scope module, then write the opinion, its timeline event, any referral rows
//! and the outbox row together. Callers run these inside a transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::domain::{Channel, FeedBackMethod, Outcome, ReferralRole, Source};
use super::dto::{CreateOpinion, UpdateOpinion};
use super::lifecycle::{self, Action, Facts, Rating, Refusal, State};
use super::model::{self, NewEvent, NewOpinion, NewReferral, Opinion, OpinionChanges};
use crate::calendar::model::load_from as load_calendar;
use crate::calendar::working_days::local_date;
use crate::committees::policy::{self, EffectivePolicy};
use crate::conditional::IfMatch;
use crate::db::schema::{committees, handling_bodies, opinions, referrals, representatives};
use crate::error::{ApiError, ApiResult};
use crate::scope::{self, Caller, OpinionTies, Recorder};

/// A validated step, built from a request by `TransitionRequest::into_command`.
#[derive(Debug)]
pub enum Command {
    Refer {
        lead: Uuid,
        assisting: Vec<Uuid>,
        channel: Channel,
        due_at: Option<DateTime<Utc>>,
    },
    Transfer {
        to: Uuid,
        reason: String,
        channel: Option<Channel>,
        due_at: Option<DateTime<Utc>>,
    },
    Answer {
        outcome: Outcome,
        text: String,
    },
    FeedBack {
        method: FeedBackMethod,
        text: String,
    },
    Decline {
        reason: String,
        guidance: String,
    },
    Reopen {
        reason: Option<String>,
        body: Option<Uuid>,
        channel: Option<Channel>,
        due_at: Option<DateTime<Utc>>,
    },
    Rate {
        rating: Rating,
        comment: Option<String>,
    },
    Accept {
        referral: Uuid,
    },
    Edit(UpdateOpinion),
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Refer { .. } => Action::Refer,
            Command::Transfer { .. } => Action::Transfer,
            Command::Answer { .. } => Action::Answer,
            Command::FeedBack { .. } => Action::FeedBack,
            Command::Decline { .. } => Action::Decline,
            Command::Reopen { .. } => Action::Reopen,
            Command::Rate { .. } => Action::Rate,
            Command::Accept { .. } => Action::Accept,
            Command::Edit(_) => Action::Edit,
        }
    }
}

async fn committee_path(conn: &mut AsyncPgConnection, committee: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(committees::table
        .find(committee)
        .select(committees::ancestors)
        .first(conn)
        .await?)
}

fn refused(refusal: Refusal, facts: &Facts, action: Action) -> ApiError {
    let allowed = lifecycle::allowed(facts);
    let (code, detail) = match refusal {
        Refusal::NotFromState { state, .. } => (
            "invalid_transition",
            format!(
                "an opinion that is {} cannot take the {} step",
                state.as_str(),
                action.as_str()
            ),
        ),
        Refusal::NotUnsatisfied => (
            "reopen_needs_unsatisfied_rating",
            "only feedback the voter rated unsatisfied can be reopened".to_owned(),
        ),
        Refusal::ReopenLimitReached { limit } => (
            "reopen_limit_reached",
            format!("this opinion has been reopened the {limit} times allowed"),
        ),
        Refusal::AlreadyRated => (
            "already_rated",
            "this round's feedback has been rated already".to_owned(),
        ),
    };
    ApiError::conflict(code, detail)
        .with_extension("state", json!(facts.state))
        .with_extension("allowed_actions", json!(allowed))
}

fn check_category(policy: &EffectivePolicy, category: &str) -> ApiResult<()> {
    if policy.categories.iter().any(|c| c == category) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "category",
            format!("must be one of: {}", policy.categories.join(", ")),
        ))
    }
}

/// Each body must exist and sit on the opinion's line of the committee tree (one query).
async fn referable_bodies(
    conn: &mut AsyncPgConnection,
    path: &[Uuid],
    committee: Uuid,
    bodies: &[Uuid],
    field: &str,
) -> ApiResult<()> {
    let found: Vec<Uuid> = handling_bodies::table
        .filter(handling_bodies::id.eq_any(bodies))
        .filter(scope::referable_body_filter(path, committee))
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

fn no_lead() -> ApiError {
    ApiError::conflict(
        "no_lead_referral",
        "this opinion has no lead body for this step",
    )
}

fn future_due(
    due_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ApiResult<Option<DateTime<Utc>>> {
    match due_at {
        Some(d) if d <= now => Err(ApiError::invalid_field("due_at", "must be in the future")),
        other => Ok(other),
    }
}

/// Records a new opinion: received, with its refer-by date, its first timeline event and its
/// outbox rows (an urgent one is announced at once).
pub async fn receive(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    b: CreateOpinion,
) -> ApiResult<Opinion> {
    let constituency = crate::constituencies::model::find_visible(conn, caller, b.constituency_id)
        .await
        .map_err(|e| e.on_field("constituency_id", "no such constituency"))?;
    let recorder = scope::opinion_recorder(caller);
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
    let path = committee_path(conn, constituency.committee_id).await?;
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
    Ok(created)
}

/// Takes one step on an opinion the caller can see.
pub async fn step(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
    command: Command,
    internal: bool,
) -> ApiResult<Opinion> {
    let opinion = model::lock_visible(conn, caller, id).await?;
    if_match.check(opinion.version)?;
    let path = committee_path(conn, opinion.committee_id).await?;
    let policy = policy::effective(conn, &path).await?;
    let facts = facts_of(&opinion, &policy);
    let action = command.action();
    let to = lifecycle::next(&facts, action).map_err(|r| refused(r, &facts, action))?;
    let live = model::live_referrals(conn, &[&opinion]).await?;
    let live = live.get(&opinion.id).cloned().unwrap_or_default();
    let ties = ties_of(caller, &opinion, &live);
    if !scope::may_step(caller, ties, facts.state, action) {
        return Err(ApiError::forbidden(format!(
            "you may not take the {} step on this opinion",
            action.as_str()
        )));
    }
    let now = Utc::now();
    let calendar = load_calendar(conn, local_date(now)).await?;
    let urgent = opinion.urgent;
    // The body leading now (or, once answered or fed back, the last one to lead).
    let lead = model::latest_lead(conn, opinion.id).await?;
    let mut changes = OpinionChanges::default();
    let payload = match command {
        Command::Refer {
            lead,
            assisting,
            channel,
            due_at,
        } => {
            referable_bodies(
                conn,
                &path,
                opinion.committee_id,
                &[lead],
                "handling_body_id",
            )
            .await?;
            let mut seen = std::collections::HashSet::from([lead]);
            for body in &assisting {
                if !seen.insert(*body) {
                    return Err(ApiError::invalid_field(
                        "assisting_body_ids",
                        "each body may appear once, and not as the lead too",
                    ));
                }
            }
            referable_bodies(
                conn,
                &path,
                opinion.committee_id,
                &assisting,
                "assisting_body_ids",
            )
            .await?;
            let due = future_due(due_at, now)?
                .unwrap_or_else(|| calendar.due_at(now, policy.answer_period(urgent)));
            let mut rows = vec![new_referral(
                &opinion,
                lead,
                ReferralRole::Lead,
                channel,
                due,
                caller,
                now,
            )];
            rows.extend(assisting.iter().map(|b| {
                new_referral(
                    &opinion,
                    *b,
                    ReferralRole::Assisting,
                    channel,
                    due,
                    caller,
                    now,
                )
            }));
            diesel::insert_into(referrals::table)
                .values(&rows)
                .execute(conn)
                .await?;
            changes.current_due_at = Some(Some(due));
            json!({"handling_body_id": lead, "assisting_body_ids": assisting, "channel": channel, "due_at": due})
        }
        Command::Transfer {
            to: new_body,
            reason,
            channel,
            due_at,
        } => {
            referable_bodies(
                conn,
                &path,
                opinion.committee_id,
                &[new_body],
                "handling_body_id",
            )
            .await?;
            if live.iter().any(|(b, _)| *b == new_body) {
                return Err(ApiError::invalid_field(
                    "handling_body_id",
                    "it is already referred to this body",
                ));
            }
            let returned = lead.ok_or_else(no_lead)?;
            diesel::update(referrals::table.find(returned.id))
                .set((
                    referrals::returned_at.eq(now),
                    referrals::return_reason.eq(&reason),
                ))
                .execute(conn)
                .await?;
            let channel = channel.unwrap_or_else(|| returned.channel);
            let due = future_due(due_at, now)?
                .unwrap_or_else(|| calendar.due_at(now, policy.answer_period(urgent)));
            diesel::insert_into(referrals::table)
                .values(&new_referral(
                    &opinion,
                    new_body,
                    ReferralRole::Lead,
                    channel,
                    due,
                    caller,
                    now,
                ))
                .execute(conn)
                .await?;
            changes.current_due_at = Some(Some(due));
            json!({"returned_referral_id": returned.id, "handling_body_id": new_body, "reason": reason, "channel": channel, "due_at": due})
        }
        Command::Answer { outcome, text } => {
            if facts.state == State::Referred {
                let answered = lead.ok_or_else(no_lead)?;
                diesel::update(referrals::table.find(answered.id))
                    .set((
                        referrals::answered_at.eq(now),
                        referrals::outcome.eq(outcome.as_str()),
                        referrals::answer_text.eq(&text),
                        referrals::answered_by.eq(caller.account_id),
                    ))
                    .execute(conn)
                    .await?;
            }
            let due = calendar.due_at(now, policy.feed_back_period(urgent));
            changes.outcome = Some(Some(outcome));
            changes.current_due_at = Some(Some(due));
            json!({"outcome": outcome, "text": text, "on_the_spot": facts.state == State::Received, "feed_back_due_at": due})
        }
        Command::FeedBack { method, text } => {
            changes.current_due_at = Some(None);
            json!({"method": method, "text": text})
        }
        Command::Decline { reason, guidance } => {
            changes.current_due_at = Some(None);
            json!({"reason": reason, "guidance": guidance})
        }
        Command::Reopen {
            reason,
            body,
            channel,
            due_at,
        } => {
            let never_referred = |field| {
                ApiError::invalid_field(field, "is required: this opinion was never referred")
            };
            let body = match (body, &lead) {
                (Some(b), _) => b,
                (None, Some(last)) => last.handling_body_id,
                (None, None) => return Err(never_referred("handling_body_id")),
            };
            referable_bodies(
                conn,
                &path,
                opinion.committee_id,
                &[body],
                "handling_body_id",
            )
            .await?;
            let channel = match (channel, &lead) {
                (Some(c), _) => c,
                (None, Some(last)) => last.channel,
                (None, None) => return Err(never_referred("channel")),
            };
            let round = opinion.round + 1;
            let due = future_due(due_at, now)?
                .unwrap_or_else(|| calendar.due_at(now, policy.answer_period(urgent)));
            let mut row = new_referral(
                &opinion,
                body,
                ReferralRole::Lead,
                channel,
                due,
                caller,
                now,
            );
            row.round = round;
            diesel::insert_into(referrals::table)
                .values(&row)
                .execute(conn)
                .await?;
            changes.round = Some(round);
            changes.current_due_at = Some(Some(due));
            changes.outcome = Some(None);
            changes.rating = Some(None);
            changes.rating_comment = Some(None);
            changes.rated_at = Some(None);
            json!({"reason": reason, "handling_body_id": body, "channel": channel, "due_at": due, "previous_rating": opinion.rating})
        }
        Command::Rate { rating, comment } => {
            changes.rating = Some(Some(rating));
            changes.rating_comment = Some(comment.clone());
            changes.rated_at = Some(Some(now));
            json!({"rating": rating, "comment": comment})
        }
        Command::Accept { referral } => {
            let accepted = diesel::update(
                referrals::table
                    .filter(referrals::id.eq(referral))
                    .filter(referrals::opinion_id.eq(opinion.id))
                    .filter(referrals::returned_at.is_null())
                    .filter(referrals::accepted_at.is_null())
                    .filter(
                        referrals::handling_body_id
                            .nullable()
                            .eq(caller.binding.id()),
                    ),
            )
            .set(referrals::accepted_at.eq(now))
            .execute(conn)
            .await?;
            if accepted != 1 {
                return Err(ApiError::conflict(
                    "referral_not_open",
                    "this referral is not yours to accept, or is accepted or returned already",
                ));
            }
            json!({"referral_id": referral})
        }
        Command::Edit(u) => {
            if let Some(c) = &u.category {
                check_category(&policy, c)?;
            }
            let fields: Vec<&str> = [
                ("title", u.title.is_some()),
                ("content", u.content.is_some()),
                ("category", u.category.is_some()),
                ("location", u.location.is_some()),
                ("urgent", u.urgent.is_some()),
                ("public_consent", u.public_consent.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name))
            .collect();
            if u.urgent == Some(true) && !opinion.urgent {
                // Becoming urgent shortens the refer-by date, counted from receipt.
                changes.current_due_at = Some(Some(
                    calendar.due_at(opinion.received_at, policy.refer_period(true)),
                ));
            }
            changes.title = u.title.map(|t| t.trim().to_owned());
            changes.content = u.content.map(|t| t.trim().to_owned());
            changes.category = u.category;
            changes.location = u.location.map(|l| l.map(|l| l.trim().to_owned()));
            changes.urgent = u.urgent;
            changes.public_consent = u.public_consent;
            json!({"fields": fields})
        }
    };
    changes.state = Some(to);
    let updated: Opinion = diesel::update(opinions::table.find(opinion.id))
        .set((
            &changes,
            opinions::version.eq(opinions::version + 1),
            opinions::updated_at.eq(now),
        ))
        .returning(Opinion::as_returning())
        .get_result(conn)
        .await?;
    record(
        conn,
        caller,
        Some(&opinion),
        &updated,
        action,
        now,
        payload,
        internal,
    )
    .await?;
    Ok(updated)
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
            action: action,
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

fn new_referral(
    opinion: &Opinion,
    body: Uuid,
    role: ReferralRole,
    channel: Channel,
    due_at: DateTime<Utc>,
    caller: &Caller,
    now: DateTime<Utc>,
) -> NewReferral {
    NewReferral {
        id: Uuid::now_v7(),
        opinion_id: opinion.id,
        handling_body_id: body,
        role: role,
        channel: channel,
        round: opinion.round,
        referred_at: now,
        referred_by: Some(caller.account_id),
        due_at,
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

/// The steps this caller could take now.
pub fn actions_for(
    caller: &Caller,
    opinion: &Opinion,
    policy: &EffectivePolicy,
    live: &[(Uuid, bool)],
) -> Vec<Action> {
    let facts = facts_of(opinion, policy);
    let ties = ties_of(caller, opinion, live);
    lifecycle::allowed(&facts)
        .into_iter()
        .filter(|&a| scope::may_step(caller, ties, facts.state, a))
        .collect()
}
