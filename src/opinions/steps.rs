//! One function per command of the lifecycle. Each gets the `Step` loaded once by
//! `workflow::step`, already checked, writes what belongs to its command alone (a referral
//! answered, returned or accepted, through `model`) and answers with what changes on the
//! opinion, the referrals it makes and what the timeline records. The opinion row, the new
//! referrals, the event and the outbox are written by `workflow::step`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use super::command::Command;
use super::context::{Step, check_category, no_such_body};
use super::domain::{Channel, FeedBackMethod, Outcome, ReferralRole};
use super::dto::UpdateOpinion;
use super::lifecycle::{Rating, State};
use super::model::{self, NewReferral, OpinionChanges};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// What a command changes on the opinion, the referrals it makes, and the payload of its
/// timeline event. The referrals go out with the opinion's update, which returns the live
/// ones, in one round trip.
#[derive(Debug, Default)]
pub struct Effect {
    pub changes: OpinionChanges,
    pub referrals: Vec<NewReferral>,
    pub payload: Value,
}

pub async fn dispatch(
    conn: &mut AsyncPgConnection,
    s: &Step<'_>,
    command: Command,
) -> ApiResult<Effect> {
    match command {
        Command::Refer {
            lead,
            assisting,
            channel,
            due_at,
        } => refer(conn, s, lead, assisting, channel, due_at).await,
        Command::Transfer {
            to,
            reason,
            channel,
            due_at,
        } => transfer(conn, s, to, reason, channel, due_at).await,
        Command::Answer {
            outcome,
            text,
            in_person,
        } => answer(conn, s, outcome, text, in_person).await,
        Command::FeedBack {
            method,
            text,
            officer,
        } => feed_back(conn, s, method, text, officer).await,
        Command::Decline { reason, guidance } => Ok(decline(reason, guidance)),
        Command::Reopen {
            reason,
            body,
            channel,
            due_at,
        } => reopen(conn, s, reason, body, channel, due_at).await,
        Command::Rate { rating, comment } => Ok(rate(s, rating, comment)),
        Command::Accept { referral } => accept(conn, s, referral).await,
        Command::Edit(changes) => edit(s, changes),
        Command::Escalate { reason } => escalate(s, reason),
    }
}

/// The opinion's owner becomes the parent committee; it stays received, for the parent's staff
/// to refer (the refer deadline runs on). The committee path is root first, itself last.
fn escalate(s: &Step<'_>, reason: String) -> ApiResult<Effect> {
    let parent = s
        .along
        .path
        .len()
        .checked_sub(2)
        .and_then(|i| s.along.path.get(i))
        .copied()
        .ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::NoParentCommittee,
                "this opinion's committee is at the top of the tree: refer it instead",
            )
        })?;
    Ok(Effect {
        referrals: Vec::new(),
        changes: OpinionChanges {
            committee_id: Some(parent),
            ..Default::default()
        },
        payload: json!({"from_committee_id": s.opinion.committee_id, "to_committee_id": parent, "reason": reason}),
    })
}

fn no_lead() -> ApiError {
    ApiError::conflict(
        ErrorCode::NoLeadReferral,
        "this opinion has no lead body for this step",
    )
}

/// The answer's due date: the caller's, if in the future, else the policy's from now.
fn answer_due(s: &Step<'_>, due_at: Option<DateTime<Utc>>) -> ApiResult<DateTime<Utc>> {
    match due_at {
        Some(d) if d <= s.now => Err(ApiError::invalid_field("due_at", "must be in the future")),
        Some(d) => Ok(d),
        None => Ok(s
            .calendar
            .due_at(s.now, s.along.policy.answer_period(s.opinion.urgent))),
    }
}

async fn refer(
    conn: &mut AsyncPgConnection,
    s: &Step<'_>,
    lead: Uuid,
    assisting: Vec<Uuid>,
    channel: Channel,
    due_at: Option<DateTime<Utc>>,
) -> ApiResult<Effect> {
    // The lead and the assisting bodies checked in one statement, refused in this order.
    let bodies: Vec<Uuid> = std::iter::once(lead)
        .chain(assisting.iter().copied())
        .collect();
    let found = s.referable(conn, &bodies).await?;
    if !found.contains(&lead) {
        return Err(no_such_body("handling_body_id"));
    }
    let mut seen = HashSet::from([lead]);
    if !assisting.iter().all(|body| seen.insert(*body)) {
        return Err(ApiError::invalid_field(
            "assisting_body_ids",
            "each body may appear once, and not as the lead too",
        ));
    }
    if !assisting.iter().all(|b| found.contains(b)) {
        return Err(no_such_body("assisting_body_ids"));
    }
    let due = answer_due(s, due_at)?;
    let mut rows = vec![s.referral(lead, ReferralRole::Lead, channel, due)];
    rows.extend(
        assisting
            .iter()
            .map(|b| s.referral(*b, ReferralRole::Assisting, channel, due)),
    );
    Ok(Effect {
        changes: OpinionChanges {
            current_due_at: Some(Some(due)),
            ..Default::default()
        },
        referrals: rows,
        payload: json!({"handling_body_id": lead, "assisting_body_ids": assisting, "channel": channel, "due_at": due}),
    })
}

async fn transfer(
    conn: &mut AsyncPgConnection,
    s: &Step<'_>,
    to: Uuid,
    reason: String,
    channel: Option<Channel>,
    due_at: Option<DateTime<Utc>>,
) -> ApiResult<Effect> {
    s.check_referable(conn, &[to], "handling_body_id").await?;
    if s.live.iter().any(|(b, _)| *b == to) {
        return Err(ApiError::invalid_field(
            "handling_body_id",
            "it is already referred to this body",
        ));
    }
    let returned = s.lead.as_ref().ok_or_else(no_lead)?;
    model::return_referral(conn, returned.id, s.now, &reason).await?;
    let channel = channel.unwrap_or(returned.channel);
    let due = answer_due(s, due_at)?;
    Ok(Effect {
        changes: OpinionChanges {
            current_due_at: Some(Some(due)),
            ..Default::default()
        },
        referrals: vec![s.referral(to, ReferralRole::Lead, channel, due)],
        payload: json!({"returned_referral_id": returned.id, "handling_body_id": to, "reason": reason, "channel": channel, "due_at": due}),
    })
}

/// The lead body's answer to a referral, or the deputy's on the spot to a received opinion. On
/// the spot and in person, the voter heard it: no feedback clock runs.
async fn answer(
    conn: &mut AsyncPgConnection,
    s: &Step<'_>,
    outcome: Outcome,
    text: String,
    in_person: Option<bool>,
) -> ApiResult<Effect> {
    let on_the_spot = s.facts.state == State::Received;
    if !on_the_spot && in_person.is_some() {
        return Err(ApiError::invalid_field(
            "in_person",
            "applies only to an answer on the spot to a received opinion",
        ));
    }
    let in_person = on_the_spot && in_person.unwrap_or(true);
    if !on_the_spot {
        let answered = s.lead.as_ref().ok_or_else(no_lead)?;
        model::answer_referral(
            conn,
            answered.id,
            s.now,
            outcome,
            &text,
            s.caller.account_id,
        )
        .await?;
    }
    let due = (!in_person).then(|| {
        s.calendar
            .due_at(s.now, s.along.policy.feed_back_period(s.opinion.urgent))
    });
    Ok(Effect {
        referrals: Vec::new(),
        changes: OpinionChanges {
            outcome: Some(Some(outcome)),
            current_due_at: Some(due),
            ..Default::default()
        },
        payload: json!({"outcome": outcome, "text": text, "on_the_spot": on_the_spot, "in_person": in_person, "feed_back_due_at": due}),
    })
}

/// The answer passed back to the voter, by staff, the deputy, or (station rules §6) one of the
/// station's liaison officers, named as `officer_id`.
async fn feed_back(
    conn: &mut AsyncPgConnection,
    s: &Step<'_>,
    method: FeedBackMethod,
    text: String,
    officer: Option<Uuid>,
) -> ApiResult<Effect> {
    if let Some(officer) = officer {
        let group = s.opinion.liaison_group_id.ok_or_else(|| {
            ApiError::invalid_field("officer_id", "this opinion came through no home or station")
        })?;
        crate::liaison_groups::model::check_designated_officers(
            conn,
            group,
            &[officer],
            "officer_id",
        )
        .await?;
    }
    Ok(Effect {
        referrals: Vec::new(),
        changes: OpinionChanges {
            current_due_at: Some(None),
            ..Default::default()
        },
        payload: json!({"method": method, "text": text, "officer_id": officer}),
    })
}

fn decline(reason: String, guidance: String) -> Effect {
    Effect {
        referrals: Vec::new(),
        changes: OpinionChanges {
            current_due_at: Some(None),
            ..Default::default()
        },
        payload: json!({"reason": reason, "guidance": guidance}),
    }
}

/// A new round after an unsatisfied rating: by default to the body and channel that led the
/// last one.
async fn reopen(
    conn: &mut AsyncPgConnection,
    s: &Step<'_>,
    reason: Option<String>,
    body: Option<Uuid>,
    channel: Option<Channel>,
    due_at: Option<DateTime<Utc>>,
) -> ApiResult<Effect> {
    let never_referred =
        |field| ApiError::invalid_field(field, "is required: this opinion was never referred");
    let body = match (body, &s.lead) {
        (Some(b), _) => b,
        (None, Some(last)) => last.handling_body_id,
        (None, None) => return Err(never_referred("handling_body_id")),
    };
    s.check_referable(conn, &[body], "handling_body_id").await?;
    let channel = match (channel, &s.lead) {
        (Some(c), _) => c,
        (None, Some(last)) => last.channel,
        (None, None) => return Err(never_referred("channel")),
    };
    let round = s.opinion.round + 1;
    let due = answer_due(s, due_at)?;
    let mut row = s.referral(body, ReferralRole::Lead, channel, due);
    row.round = round;
    Ok(Effect {
        referrals: vec![row],
        changes: OpinionChanges {
            round: Some(round),
            current_due_at: Some(Some(due)),
            outcome: Some(None),
            rating: Some(None),
            rating_comment: Some(None),
            rated_at: Some(None),
            ..Default::default()
        },
        payload: json!({"reason": reason, "handling_body_id": body, "channel": channel, "due_at": due, "previous_rating": s.opinion.rating}),
    })
}

fn rate(s: &Step<'_>, rating: Rating, comment: Option<String>) -> Effect {
    Effect {
        referrals: Vec::new(),
        payload: json!({"rating": rating, "comment": comment}),
        changes: OpinionChanges {
            rating: Some(Some(rating)),
            rating_comment: Some(comment),
            rated_at: Some(Some(s.now)),
            ..Default::default()
        },
    }
}

async fn accept(conn: &mut AsyncPgConnection, s: &Step<'_>, referral: Uuid) -> ApiResult<Effect> {
    let body = s.caller.binding.id();
    if !model::accept_referral(conn, s.opinion.id, referral, body, s.now).await? {
        return Err(ApiError::conflict(
            ErrorCode::ReferralNotOpen,
            "this referral is not yours to accept, or is accepted or returned already",
        ));
    }
    Ok(Effect {
        referrals: Vec::new(),
        changes: OpinionChanges::default(),
        payload: json!({"referral_id": referral}),
    })
}

/// Staff correct the record while it is still received.
fn edit(s: &Step<'_>, u: UpdateOpinion) -> ApiResult<Effect> {
    if let Some(c) = &u.category {
        check_category(&s.along.policy, c)?;
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
    // Becoming urgent shortens the refer-by date, counted from receipt.
    let current_due_at = (u.urgent == Some(true) && !s.opinion.urgent).then(|| {
        Some(
            s.calendar
                .due_at(s.opinion.received_at, s.along.policy.refer_period(true)),
        )
    });
    Ok(Effect {
        referrals: Vec::new(),
        changes: OpinionChanges {
            current_due_at,
            title: u.title.map(|t| t.trim().to_owned()),
            content: u.content.map(|t| t.trim().to_owned()),
            category: u.category,
            location: u.location.map(|l| l.map(|l| l.trim().to_owned())),
            urgent: u.urgent,
            public_consent: u.public_consent,
            ..Default::default()
        },
        payload: json!({"fields": fields}),
    })
}
