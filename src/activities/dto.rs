use crate::external_refs::ExternalRef;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::domain::{ActivityEventKind, ActivityForm, ActivityKind, ActivityStatus};
use super::model::{Activity, Participant};
use crate::calendar::{LocalDateTime, to_local};
use crate::opinions::lifecycle::Rating;
use crate::pii::{PhoneNumber, mask_phone};
use crate::request::{double_option, not_blank};

/// A work plan entry. Person (`representative_ids`), time (`starts_at`, `ends_at`) and place
/// (`liaison_group_id` or `address`) must all be set: a plan without them is 422
/// `work_plan_incomplete`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "station_reception", "form": "reception", "organiser_group_id": "0190f5a0-0000-7000-8000-000000000021", "liaison_group_id": "0190f5a0-0000-7000-8000-000000000021", "starts_at": "2025-03-15T09:00", "ends_at": "2025-03-15T11:00", "representative_ids": ["0190f5a0-0000-7000-8000-000000000041"], "topic": "进站接待选民", "published": true}))]
pub struct CreateActivity {
    pub kind: ActivityKind,
    pub form: ActivityForm,
    /// The organiser: a committee (working committee, joint group, township) …
    pub organiser_committee_id: Option<Uuid>,
    /// … or a liaison group, home or station. Exactly one of the two.
    pub organiser_group_id: Option<Uuid>,
    /// The venue: a home or station …
    pub liaison_group_id: Option<Uuid>,
    /// … or an address.
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    pub starts_at: Option<LocalDateTime>,
    pub ends_at: Option<LocalDateTime>,
    /// The deputies taking part. An annual report names exactly one.
    #[serde(default)]
    #[validate(length(max = 200, message = "at most 200 deputies"))]
    #[schema(max_items = 200)]
    pub representative_ids: Vec<Uuid>,
    #[validate(
        length(min = 1, max = 500, message = "must be 1 to 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500)]
    pub topic: String,
    /// Show it on the public schedule. Only allowed at least the committee's
    /// `publish_days_ahead` days (default 3) before it starts.
    #[serde(default)]
    pub published: bool,
    /// The importing system's own name for this activity (unique per system): sending the
    /// same request again answers 200 with the activity it made; a different request naming
    /// it, 409 `external_ref_conflict`.
    #[validate(nested)]
    pub external_ref: Option<ExternalRef>,
}

/// Changes to a planned activity (Measures Art. 8(2)–(3)). Absent fields are left alone; the
/// plan that results must still be complete (三落实), and publishing follows the same rule as
/// at creation.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActivity {
    pub starts_at: Option<LocalDateTime>,
    pub ends_at: Option<LocalDateTime>,
    /// A home or station; `null` to meet at `address` instead.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub liaison_group_id: Option<Option<Uuid>>,
    /// An address; `null` to meet at `liaison_group_id` instead.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub address: Option<Option<String>>,
    /// The deputies taking part (replaces the list).
    #[validate(length(max = 200, message = "at most 200 deputies"))]
    #[schema(max_items = 200)]
    pub representative_ids: Option<Vec<Uuid>>,
    #[validate(
        length(min = 1, max = 500, message = "must be 1 to 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500)]
    pub topic: Option<String>,
    pub published: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityEventView {
    pub id: Uuid,
    pub action: ActivityEventKind,
    pub at: DateTime<FixedOffset>,
    pub actor_id: Option<Uuid>,
    /// What changed: for `changed`, each field with `from` and `to`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityEventList {
    /// Oldest first.
    pub items: Vec<ActivityEventView>,
}

/// A registration's issue: becomes an opinion linked to the activity.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
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
    /// A code from the committee's category taxonomy.
    pub category: String,
    /// Defaults to the constituency of the first deputy present who has one.
    pub constituency_id: Option<Uuid>,
    /// The deputy who took it; defaults to the first deputy present.
    pub representative_id: Option<Uuid>,
    #[serde(default)]
    pub urgent: bool,
}

/// One entry of the reception form (接访登记表): who came and what they raised.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub visitor_name: String,
    #[schema(value_type = Option<String>, example = "13900000002", pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$")]
    pub phone: Option<PhoneNumber>,
    /// The visitor's voter record, if they have one in your scope; their opinions name them.
    pub voter_id: Option<Uuid>,
    #[serde(default)]
    /// At most 20.
    #[validate(nested)]
    #[schema(max_items = 20)]
    pub issues: Vec<IssueInput>,
}

/// The record of a held activity.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldActivity {
    /// The deputies present (at least one).
    #[validate(length(min = 1, max = 200, message = "must name 1 to 200 deputies"))]
    #[schema(min_items = 1, max_items = 200)]
    pub attendee_representative_ids: Vec<Uuid>,
    #[validate(range(min = 0, max = 100000, message = "must be between 0 and 100000"))]
    #[schema(minimum = 0, maximum = 100000)]
    pub voters_met: i32,
    #[validate(
        length(min = 1, max = 10000, message = "must be 1 to 10000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 10000)]
    pub summary: String,
    #[serde(default)]
    /// At most 200.
    #[validate(nested)]
    #[schema(max_items = 200)]
    pub registrations: Vec<RegistrationInput>,
    /// Voters met by name (fixed-contact households visited, for instance): the evidence of
    /// the monthly household-contact obligation.
    #[serde(default)]
    #[validate(length(max = 500, message = "at most 500 voters"))]
    #[schema(max_items = 500)]
    pub contacted_voter_ids: Vec<Uuid>,
    /// A report to voters given in writing: its text (Markdown, from the draft the deputy
    /// edited), which the constituency's voters then read. Absent for one given orally; only
    /// for an `annual_report`.
    #[validate(
        length(min = 1, max = 50000, message = "must be 1 to 50000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 50000)]
    pub report_text: Option<String>,
    /// Liaison officers present: officer accounts of the activity's home or station (or of the
    /// organising group).
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 officers"))]
    #[schema(max_items = 50)]
    pub attendee_officer_ids: Vec<Uuid>,
}

impl HoldActivity {
    /// validator's `length` would need the items to be Serialize; the lists are counted here.
    pub fn check_sizes(&self) -> Result<(), crate::error::ApiError> {
        use crate::error::ApiError;
        if self.registrations.len() > 200 {
            return Err(ApiError::invalid_field(
                "registrations",
                "at most 200 registrations",
            ));
        }
        match self.registrations.iter().position(|r| r.issues.len() > 20) {
            Some(i) => Err(ApiError::invalid_field(
                &format!("registrations[{i}].issues"),
                "at most 20 issues per visitor",
            )),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelActivity {
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// An evaluation of a report to voters (述职评议). A voter gives their own once; staff record
/// paper forms (no voter).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    pub rating: Rating,
}

#[derive(Debug, Default, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct EvaluationCounts {
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
}

impl EvaluationCounts {
    pub fn add(&mut self, rating: Rating, n: i64) {
        match rating {
            Rating::Satisfied => self.satisfied += n,
            Rating::BasicallySatisfied => self.basically_satisfied += n,
            Rating::Unsatisfied => self.unsatisfied += n,
        }
    }

    pub fn total(&self) -> i64 {
        self.satisfied + self.basically_satisfied + self.unsatisfied
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub form: ActivityForm,
    pub status: ActivityStatus,
    /// The committee whose subtree the activity belongs to (the organiser's).
    pub committee_id: Uuid,
    pub organiser_committee_id: Option<Uuid>,
    pub organiser_group_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub address: Option<String>,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub topic: String,
    pub published: bool,
    pub published_at: Option<DateTime<FixedOffset>>,
    /// The deputies in the plan.
    pub representative_ids: Vec<Uuid>,
    /// The deputies present, once held.
    pub attendee_representative_ids: Vec<Uuid>,
    pub voters_met: Option<i32>,
    pub summary: Option<String>,
    pub held_at: Option<DateTime<FixedOffset>>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTime<FixedOffset>>,
    /// The written report to voters, for a held annual report given in writing.
    pub report_text: Option<String>,
    /// Liaison officers present, once held.
    pub attendee_officer_ids: Vec<Uuid>,
    /// Why staff did not confirm a deputy's declaration.
    pub reject_reason: Option<String>,
    pub rejected_at: Option<DateTime<FixedOffset>>,
    /// Evaluations by voters, for an annual report.
    pub evaluations: Option<EvaluationCounts>,
    /// The importing system's name for it, if one gave it.
    pub external_ref: Option<ExternalRef>,
    /// Bumped by every write; also the ETag.
    pub version: i32,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl ActivityView {
    pub fn new(a: Activity, participants: &[Participant], evaluations: EvaluationCounts) -> Self {
        let ids = |pick: fn(&Participant) -> bool| {
            participants
                .iter()
                .filter(|p| p.activity_id == a.id && pick(p))
                .map(|p| p.representative_id)
                .collect()
        };
        let kind = a.kind;
        Self {
            id: a.id,
            kind,
            form: a.form,
            status: a.status,
            committee_id: a.committee_id,
            organiser_committee_id: a.organiser_committee_id,
            organiser_group_id: a.organiser_group_id,
            liaison_group_id: a.liaison_group_id,
            address: a.address,
            starts_at: to_local(a.starts_at),
            ends_at: to_local(a.ends_at),
            topic: a.topic,
            published: a.published,
            published_at: a.published_at.map(to_local),
            representative_ids: ids(|p| p.planned),
            attendee_representative_ids: ids(|p| p.attended),
            voters_met: a.voters_met,
            summary: a.summary,
            held_at: a.held_at.map(to_local),
            cancel_reason: a.cancel_reason,
            cancelled_at: a.cancelled_at.map(to_local),
            report_text: a.report_text,
            attendee_officer_ids: a.attendee_officer_ids,
            reject_reason: a.reject_reason,
            rejected_at: a.rejected_at.map(to_local),
            evaluations: (kind == ActivityKind::AnnualReport).then_some(evaluations),
            external_ref: ExternalRef::from_columns(a.external_system, a.external_id),
            version: a.version,
            created_at: to_local(a.created_at),
            updated_at: to_local(a.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub id: Uuid,
    pub visitor_name: String,
    /// In full for staff; masked (138****1234) for deputies.
    pub phone: Option<String>,
    /// The opinions made from what the visitor raised.
    pub opinion_ids: Vec<Uuid>,
    pub created_at: DateTime<FixedOffset>,
}

impl RegistrationView {
    pub fn new(r: super::model::Registration, opinion_ids: Vec<Uuid>, full_phone: bool) -> Self {
        Self {
            id: r.id,
            visitor_name: r.visitor_name,
            phone: r.phone.map(|p| if full_phone { p } else { mask_phone(&p) }),
            opinion_ids,
            created_at: to_local(r.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationList {
    pub items: Vec<RegistrationView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityListQuery {
    pub kind: Option<ActivityKind>,
    pub status: Option<ActivityStatus>,
    /// This committee and everything under it.
    pub committee_id: Option<Uuid>,
    /// Organised by or held at this group.
    pub liaison_group_id: Option<Uuid>,
    /// With this deputy in the plan or present.
    pub representative_id: Option<Uuid>,
    /// Starting on or after this local (Beijing) date.
    pub from: Option<NaiveDate>,
    /// Starting on or before this local date.
    pub to: Option<NaiveDate>,
    /// Named by this system (`external_ref.system`).
    pub external_system: Option<String>,
    /// With this id in its system (`external_ref.id`).
    pub external_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
