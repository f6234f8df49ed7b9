use crate::external_refs::ExternalRef;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::domain::{Channel, Outcome, ReferralRole, Source};
use super::lifecycle::{Action, Rating, State};
use crate::db::text_enum;
use crate::request::{double_option, not_blank};

text_enum!(
    /// The steps `POST /opinions/{id}/transitions` takes (rating and accepting a referral have
    /// their own routes).
    TransitionAction {
        Refer => "refer",
        Transfer => "transfer",
        Answer => "answer",
        FeedBack => "feed_back",
        Decline => "decline",
        Reopen => "reopen",
        Escalate => "escalate",
    }
);

impl From<TransitionAction> for Action {
    fn from(a: TransitionAction) -> Self {
        match a {
            TransitionAction::Refer => Action::Refer,
            TransitionAction::Transfer => Action::Transfer,
            TransitionAction::Answer => Action::Answer,
            TransitionAction::FeedBack => Action::FeedBack,
            TransitionAction::Decline => Action::Decline,
            TransitionAction::Reopen => Action::Reopen,
            TransitionAction::Escalate => Action::Escalate,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOpinion {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub title: String,
    #[validate(
        length(min = 1, max = 10000, message = "must be 1 to 10000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 10000)]
    pub content: String,
    /// A code from the committee's category taxonomy (`GET /opinion-categories`).
    pub category: String,
    pub constituency_id: Uuid,
    /// Staff and deputies name the voter (omit for anonymous); a voter's own submission needs
    /// none.
    pub voter_id: Option<Uuid>,
    /// The deputy it is addressed to or who took it; a deputy recording one is always it.
    pub representative_id: Option<Uuid>,
    pub source: Source,
    #[serde(default)]
    pub urgent: bool,
    /// The voter agrees to a public, redacted view of the opinion.
    #[serde(default)]
    pub public_consent: bool,
    /// The reception, visit or forum it was raised at (an activity in your scope).
    pub activity_id: Option<Uuid>,
    /// Set when an activity's record turns a registration's issue into an opinion.
    #[serde(skip)]
    pub registration_id: Option<Uuid>,
    /// Where the problem is, e.g. "鲁谷路 12 号门前".
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub location: Option<String>,
    /// The importing system's own name for this opinion (unique per system): sending the same
    /// request again answers 200 with the opinion it made; a different request naming it, 409
    /// `external_ref_conflict`.
    #[validate(nested)]
    pub external_ref: Option<ExternalRef>,
}

/// Corrections while the opinion is still received. Absent fields are left alone.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOpinion {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(
        length(min = 1, max = 10000, message = "must be 1 to 10000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 10000)]
    pub content: Option<String>,
    pub category: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub location: Option<Option<String>>,
    pub urgent: Option<bool>,
    pub public_consent: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    pub rating: Rating,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpinionView {
    pub id: Uuid,
    pub title: String,
    pub content: String,
    pub category: String,
    pub location: Option<String>,
    pub source: Source,
    pub urgent: bool,
    pub public_consent: bool,
    pub state: State,
    /// 1, then one more for each reopen.
    pub round: i32,
    pub committee_id: Uuid,
    pub constituency_id: Uuid,
    pub liaison_group_id: Option<Uuid>,
    pub representative_id: Option<Uuid>,
    /// Null when anonymous, and for handling bodies, who do not need to know who raised it.
    pub voter_id: Option<Uuid>,
    pub activity_id: Option<Uuid>,
    /// The body leading the current round, if referred.
    pub lead_handling_body_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub received_at: DateTime<Utc>,
    /// When the current step (refer, answer or feed back) is due; null once closed.
    #[serde(serialize_with = "crate::timestamps::serialize_option")]
    pub current_due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub outcome: Option<Outcome>,
    pub rating: Option<Rating>,
    pub rating_comment: Option<String>,
    /// The steps the caller may take now.
    pub actions: Vec<Action>,
    /// The importing system's name for it, if one gave it.
    pub external_ref: Option<ExternalRef>,
    /// Also sent as the `ETag` header; send it back in `If-Match`.
    pub version: i32,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub action: Action,
    /// Null for the first event (`receive`).
    pub from: Option<State>,
    pub to: State,
    pub round: i32,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// The role the actor acted in.
    #[schema(value_type = crate::access::Role)]
    pub actor_role: String,
    pub internal: bool,
    /// What the step recorded, by `action`: `refer` {handling_body_id, assisting_body_ids,
    /// channel, due_at}; `transfer` {returned_referral_id, handling_body_id, reason, channel,
    /// due_at}; `answer` {outcome, text, on_the_spot, in_person, feed_back_due_at}; `feed_back`
    /// {method, text, officer_id}; `decline` {reason, guidance}; `reopen` {reason,
    /// handling_body_id, channel, due_at, previous_rating}; `rate` {rating, comment};
    /// `escalate` {from_committee_id, to_committee_id, reason}; `edit` {the fields changed}.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Oldest first.
    pub items: Vec<EventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralView {
    pub id: Uuid,
    pub handling_body_id: Uuid,
    pub role: ReferralRole,
    pub channel: Channel,
    pub round: i32,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub referred_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    #[serde(serialize_with = "crate::timestamps::serialize_option")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamps::serialize_option")]
    pub returned_at: Option<DateTime<Utc>>,
    pub return_reason: Option<String>,
    #[serde(serialize_with = "crate::timestamps::serialize_option")]
    pub answered_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub answer_text: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralList {
    /// Oldest first.
    pub items: Vec<ReferralView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub committee_id: Uuid,
    pub items: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryQuery {
    pub constituency_id: Uuid,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpinionListQuery {
    pub state: Option<State>,
    /// This committee and everything under it.
    pub committee_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub representative_id: Option<Uuid>,
    /// Referred to this body (and not returned).
    pub handling_body_id: Option<Uuid>,
    pub category: Option<String>,
    pub constituency_id: Option<Uuid>,
    pub voter_id: Option<Uuid>,
    /// Received on or after this local (Beijing) date.
    pub received_from: Option<NaiveDate>,
    /// Received on or before this local date.
    pub received_to: Option<NaiveDate>,
    /// Only those whose current step is past due (true) or not (false).
    pub overdue: Option<bool>,
    pub urgent: Option<bool>,
    /// Substring of the title or content (Chinese works; 3+ characters use the index).
    pub q: Option<String>,
    /// Named by this system (`external_ref.system`).
    pub external_system: Option<String>,
    /// With this id in its system (`external_ref.id`).
    pub external_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl OpinionListQuery {
    /// The words searched for: `q` trimmed, none if blank. The one answer to whether a list
    /// is a search, for its filter and for how it is planned.
    pub fn search_words(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }

    /// Whether no filter here takes several values (a committee's subtree, the opinions a
    /// handling body's referrals name, a search's matches), so the caller's scope decides
    /// whether one index gives the page in order (`access::filters`).
    pub fn walks_in_order(&self) -> bool {
        self.committee_id.is_none()
            && self.handling_body_id.is_none()
            && self.search_words().is_none()
    }
}

impl OpinionView {
    pub fn for_caller(
        o: crate::opinions::model::Opinion,
        caller: &crate::access::Caller,
        lead: Option<Uuid>,
        actions: Vec<Action>,
        now: DateTime<Utc>,
    ) -> Self {
        let hide_voter = !crate::access::opinions::sees_who_raised_opinions(caller);
        Self {
            state: o.state,
            rating: o.rating,
            overdue: o.current_due_at.is_some_and(|d| d < now),
            id: o.id,
            title: o.title,
            content: o.content,
            category: o.category,
            location: o.location,
            source: o.source,
            urgent: o.urgent,
            public_consent: o.public_consent,
            round: o.round,
            committee_id: o.committee_id,
            constituency_id: o.constituency_id,
            liaison_group_id: o.liaison_group_id,
            representative_id: o.representative_id,
            voter_id: if hide_voter { None } else { o.voter_id },
            activity_id: o.activity_id,
            lead_handling_body_id: lead,
            received_at: o.received_at,
            current_due_at: o.current_due_at,
            outcome: o.outcome,
            rating_comment: o.rating_comment,
            actions,
            external_ref: ExternalRef::from_columns(o.external_system, o.external_id),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

impl EventView {
    /// The event as this caller may see it: a caller who does not see who raised the opinion
    /// does not see the voter's account behind their steps either (it would link their
    /// opinions together).
    pub fn for_caller(e: crate::opinions::model::Event, caller: &crate::access::Caller) -> Self {
        let hide_actor = e.actor_role == crate::access::Role::Voter.as_str()
            && !crate::access::opinions::sees_who_raised_opinions(caller);
        Self {
            id: e.id,
            action: e.action,
            from: e.from_state,
            to: e.to_state,
            round: e.round,
            at: e.at,
            actor_id: if hide_actor { None } else { e.actor_id },
            actor_role: e.actor_role,
            internal: e.internal,
            payload: e.payload,
        }
    }
}

impl ReferralView {
    pub fn new(r: crate::opinions::model::Referral, now: DateTime<Utc>) -> Self {
        Self {
            overdue: r.answered_at.is_none() && r.returned_at.is_none() && r.due_at < now,
            id: r.id,
            handling_body_id: r.handling_body_id,
            role: r.role,
            channel: r.channel,
            round: r.round,
            referred_at: r.referred_at,
            due_at: r.due_at,
            accepted_at: r.accepted_at,
            returned_at: r.returned_at,
            return_reason: r.return_reason,
            answered_at: r.answered_at,
            outcome: r.outcome,
            answer_text: r.answer_text,
        }
    }
}
