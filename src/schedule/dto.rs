use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::Rota;
use super::rota::version_on;
use crate::activities::domain::ActivityKind;
use crate::calendar::to_local;

/// A local time of day: "09:00" or "09:00:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(pub NaiveTime);

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        ["%H:%M", "%H:%M:%S"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(raw.trim(), f).ok())
            .map(ClockTime)
            .ok_or_else(|| serde::de::Error::custom("must be a local time such as 09:00"))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.format("%H:%M").to_string())
    }
}

/// Recurring reception times of a home or station, e.g. the 15th of every odd month 09:00–11:00
/// with the deputies on duty.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rrule": "FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYMONTHDAY=15", "dtstart": "2025-01-01", "start_time": "09:00", "end_time": "11:00", "representative_ids": ["0190f5a0-0000-7000-8000-000000000041"], "exdates": ["2025-07-15"]}))]
pub struct CreateReceptionRule {
    /// An RFC 5545 RRULE value (FREQ DAILY, WEEKLY, MONTHLY or YEARLY), in Beijing time.
    #[validate(length(min = 1, max = 500, message = "must be 1 to 500 characters"))]
    #[schema(min_length = 1, max_length = 500)]
    pub rrule: String,
    /// The first day the rule applies.
    pub dtstart: NaiveDate,
    #[schema(value_type = String, example = "09:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]
    pub start_time: ClockTime,
    #[schema(value_type = String, example = "11:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]
    pub end_time: ClockTime,
    /// The deputies on duty.
    #[validate(length(min = 1, max = 50, message = "must name 1 to 50 deputies"))]
    #[schema(min_items = 1, max_items = 50)]
    pub representative_ids: Vec<Uuid>,
    /// Local dates called off.
    #[serde(default)]
    #[validate(length(max = 366, message = "at most 366 dates"))]
    #[schema(max_items = 366)]
    pub exdates: Vec<NaiveDate>,
}

/// Change the deputies on duty or the dates called off from `effective_from` on. Absent fields
/// keep the value in force on that day; receptions before it keep the rota they had.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReceptionRule {
    /// The first local date the change applies to: default today, never before the first day
    /// of the current month. Later changes already scheduled are replaced by this one.
    pub effective_from: Option<NaiveDate>,
    #[validate(length(min = 1, max = 50, message = "must name 1 to 50 deputies"))]
    #[schema(min_items = 1, max_items = 50)]
    pub representative_ids: Option<Vec<Uuid>>,
    #[validate(length(max = 366, message = "at most 366 dates"))]
    #[schema(max_items = 366)]
    pub exdates: Option<Vec<NaiveDate>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceptionRuleView {
    pub id: Uuid,
    pub liaison_group_id: Uuid,
    pub rrule: String,
    pub dtstart: NaiveDate,
    #[schema(value_type = String, example = "09:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]
    pub start_time: ClockTime,
    #[schema(value_type = String, example = "11:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]
    pub end_time: ClockTime,
    /// The deputies on duty today (before the rule starts: on its first day).
    pub representative_ids: Vec<Uuid>,
    /// The dates called off, as of today.
    pub exdates: Vec<NaiveDate>,
    /// No receptions from this local date on; null while the rule runs.
    pub ends_on: Option<NaiveDate>,
    /// Every version of the rota, oldest first: each applies from its `effective_from` until
    /// the next.
    pub versions: Vec<RotaVersionView>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotaVersionView {
    pub effective_from: NaiveDate,
    pub representative_ids: Vec<Uuid>,
    pub exdates: Vec<NaiveDate>,
}

/// When a rule stops.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndReceptionRule {
    /// The first local date with no receptions: default today, never before the first day of
    /// the current month.
    pub effective_from: Option<NaiveDate>,
}

impl ReceptionRuleView {
    pub fn of(rota: Rota, today: NaiveDate) -> Self {
        let r = rota.rule;
        let now = version_on(&rota.versions, today).cloned();
        Self {
            id: r.id,
            liaison_group_id: r.liaison_group_id,
            rrule: r.rrule,
            dtstart: r.dtstart,
            start_time: ClockTime(r.start_time),
            end_time: ClockTime(r.end_time),
            representative_ids: now
                .as_ref()
                .map(|v| v.representative_ids.clone())
                .unwrap_or_default(),
            exdates: now.map(|v| v.exdates).unwrap_or_default(),
            ends_on: r.ends_on,
            versions: rota
                .versions
                .into_iter()
                .map(|v| RotaVersionView {
                    effective_from: v.effective_from,
                    representative_ids: v.representative_ids,
                    exdates: v.exdates,
                })
                .collect(),
            created_at: to_local(r.created_at),
            updated_at: to_local(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceptionRuleList {
    pub items: Vec<ReceptionRuleView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// First local date (default today).
    pub from: Option<NaiveDate>,
    /// Last local date, inclusive (default 30 days after `from`). At most 366 days are served
    /// at once: the answer's `to` is the last day covered. Before `from`, nothing matches.
    pub to: Option<NaiveDate>,
    /// Only this home or station.
    pub station_id: Option<Uuid>,
    /// Only receptions with a deputy elected in this constituency.
    pub constituency_id: Option<Uuid>,
    /// Deprecated: use `station_id` (kept for one release).
    pub station: Option<Uuid>,
    /// Deprecated: use `constituency_id` (kept for one release).
    pub constituency: Option<Uuid>,
}

/// A deputy on duty, as the public sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyDeputy {
    pub name: String,
}

/// One reception or activity on the public schedule. Public data only: place, time, kind and
/// the deputies' names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleItem {
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub liaison_group_id: Option<Uuid>,
    /// The home or station's name and address, or the activity's address.
    pub place: String,
    pub representatives: Vec<DutyDeputy>,
    pub kind: ActivityKind,
    pub title: String,
    /// Set for a published activity.
    pub activity_id: Option<Uuid>,
    /// Set for an occurrence of a recurring reception rule.
    pub reception_rule_id: Option<Uuid>,
    /// A published activity called off: it stays listed so those who planned to come learn
    /// of it.
    pub cancelled: bool,
    /// The iCalendar SEQUENCE: higher after each change to the activity.
    #[serde(skip)]
    pub sequence: i32,
    /// Stable across fetches: the iCalendar UID.
    #[serde(skip)]
    pub uid: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    pub from: NaiveDate,
    /// The last day covered: the `to` asked for, or earlier when the window was longer than
    /// 366 days (ask again from the day after for the rest).
    pub to: NaiveDate,
    /// Sorted by start time.
    pub items: Vec<ScheduleItem>,
}
