//! Per-committee rules that differ between districts. A committee without its own value
//! inherits the nearest ancestor's, then the defaults from the seed texts. Pure: the rows are
//! loaded by `committees::model::effective_policy`.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::domain::ReferralRoute;
use crate::calendar::Period;
use crate::db::schema::committee_policies;

pub const DEFAULT_MAX_FIXED_HOUSEHOLDS: i32 = 3;
pub const DEFAULT_MAX_VOTER_LIAISONS: i32 = 5;
/// Reply responsibility (回复责任制): refer within 5 working days of receipt, answer within
/// three months of referral, feed back within 10 working days of the answer.
pub const DEFAULT_REFER_WORKING_DAYS: i32 = 5;
pub const DEFAULT_ANSWER_MONTHS: i32 = 3;
pub const DEFAULT_FEED_BACK_WORKING_DAYS: i32 = 10;
/// Urgent matters (情况紧急) are passed on at once and answered within weeks, not months.
pub const DEFAULT_URGENT_REFER_WORKING_DAYS: i32 = 1;
pub const DEFAULT_URGENT_ANSWER_WORKING_DAYS: i32 = 10;
pub const DEFAULT_URGENT_FEED_BACK_WORKING_DAYS: i32 = 3;
pub const DEFAULT_MAX_REOPEN_ROUNDS: i32 = 2;
/// Planned activities go on the public schedule only when published this many days ahead.
pub const DEFAULT_PUBLISH_DAYS_AHEAD: i32 = 3;
/// "每年向选区选民汇报一次" (county rules; Art. 7 of the Shijingshan Measures).
pub const DEFAULT_ANNUAL_REPORTS_PER_YEAR: i32 = 1;
/// "每月不少于一次" contact with each fixed-contact household (county rules).
pub const DEFAULT_HOUSEHOLD_CONTACTS_PER_MONTH: i32 = 1;
/// A deputy on a station's monthly rota receives voters there at least once that month.
pub const DEFAULT_ROTA_RECEPTIONS_PER_MONTH: i32 = 1;
/// The mid-year centralised contact (年中集中联系) is due by the end of August, the county's
/// "代表联系月"; the pre-session consultation by the end of the year.
pub const DEFAULT_CENTRALISED_CONTACT_BY_MONTH: i32 = 8;
pub const DEFAULT_PRE_SESSION_BY_MONTH: i32 = 12;
/// "每名代表确定2至3户定点联系户" (county rules §3①): at least two households. Voter liaisons
/// (township rules §3: 5 per deputy) are not required unless a district sets a minimum.
pub const DEFAULT_MIN_FIXED_HOUSEHOLDS: i32 = 2;
pub const DEFAULT_MIN_VOTER_LIAISONS: i32 = 0;
/// A pre-session consultation counts when held in this many days before a session opens.
pub const DEFAULT_PRE_SESSION_WINDOW_DAYS: i32 = 60;
pub const DEFAULT_CATEGORIES: &[&str] = &[
    "urban_management",
    "transport",
    "education",
    "healthcare",
    "environment",
    "social_security",
    "public_safety",
    "housing",
    "employment",
    "culture",
    "other",
];

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct EffectivePolicy {
    /// Fixed-contact households (定点联系户) per deputy.
    pub max_fixed_households: i32,
    /// Voter liaisons (选民联络员) per deputy.
    pub max_voter_liaisons: i32,
    /// Working days from receipt to referral.
    pub refer_working_days: i32,
    /// Calendar months from referral to the handling body's answer.
    pub answer_months: i32,
    /// Working days from the answer to feeding it back to the voter.
    pub feed_back_working_days: i32,
    pub urgent_refer_working_days: i32,
    /// Urgent answers are counted in working days.
    pub urgent_answer_working_days: i32,
    pub urgent_feed_back_working_days: i32,
    /// How many times an unsatisfied voter's opinion may be reopened.
    pub max_reopen_rounds: i32,
    /// The opinion category taxonomy (stable codes).
    pub categories: Vec<String>,
    /// Days ahead a planned activity must be published to appear on the public schedule.
    pub publish_days_ahead: i32,
    /// Reports to voters (述职) each deputy owes per year.
    pub annual_reports_per_year: i32,
    /// Contacts with each fixed-contact household per month.
    pub household_contacts_per_month: i32,
    /// Station receptions per month for a deputy on a station's rota.
    pub rota_receptions_per_month: i32,
    /// Month (1–12) by whose end a deputy has taken part in the centralised contact.
    pub centralised_contact_by_month: i32,
    /// Month (1–12) by whose end a deputy has taken part in the pre-session consultation, in a
    /// year with no congress session recorded for the deputy's level.
    pub pre_session_by_month: i32,
    /// Fixed-contact households each deputy names at least; fewer is `overdue` with a shortfall.
    pub min_fixed_households: i32,
    /// Voter liaisons each deputy names at least.
    pub min_voter_liaisons: i32,
    /// Days before a congress session opens in which the pre-session consultation counts.
    pub pre_session_window_days: i32,
    /// `direct`: referrals go straight to any body the rules allow (Measures Art. 6(4));
    /// `via_parent`: only to the committee's own bodies, the rest is escalated (station rules §6).
    pub referral_route: ReferralRoute,
}

impl EffectivePolicy {
    pub fn refer_period(&self, urgent: bool) -> Period {
        Period::WorkingDays(pick(
            urgent,
            self.urgent_refer_working_days,
            self.refer_working_days,
        ))
    }

    pub fn answer_period(&self, urgent: bool) -> Period {
        if urgent {
            Period::WorkingDays(self.urgent_answer_working_days.max(0) as u32)
        } else {
            Period::Months(self.answer_months.max(0) as u32)
        }
    }

    pub fn feed_back_period(&self, urgent: bool) -> Period {
        Period::WorkingDays(pick(
            urgent,
            self.urgent_feed_back_working_days,
            self.feed_back_working_days,
        ))
    }
}

fn pick(urgent: bool, if_urgent: i32, otherwise: i32) -> u32 {
    (if urgent { if_urgent } else { otherwise }).max(0) as u32
}

fn is_category_code(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && code.len() <= 50
}

fn category_codes(categories: &[String]) -> Result<(), validator::ValidationError> {
    let mut seen = std::collections::HashSet::new();
    for c in categories {
        if !is_category_code(c) {
            let mut e = validator::ValidationError::new("category_code");
            e.message = Some(
                "each category is a code of lowercase letters, digits and _ (at most 50)".into(),
            );
            return Err(e);
        }
        if !seen.insert(c) {
            let mut e = validator::ValidationError::new("duplicate");
            e.message = Some(format!("{c} is listed twice").into());
            return Err(e);
        }
    }
    Ok(())
}

/// The whole set of rules of one committee. Every field is optional: null (or absent)
/// inherits from the parent committee, then the defaults.
#[derive(
    Debug,
    Default,
    Deserialize,
    Serialize,
    Validate,
    ToSchema,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
)]
#[diesel(
    table_name = committee_policies,
    check_for_backend(diesel::pg::Pg),
    treat_none_as_null = true
)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "minimums_within_caps"))]
pub struct OwnPolicy {
    #[validate(range(min = 0, max = 1000, message = "must be between 0 and 1000"))]
    #[schema(minimum = 0, maximum = 1000)]
    pub max_fixed_households: Option<i32>,
    #[validate(range(min = 0, max = 1000, message = "must be between 0 and 1000"))]
    #[schema(minimum = 0, maximum = 1000)]
    pub max_voter_liaisons: Option<i32>,
    #[validate(range(min = 1, max = 365, message = "must be between 1 and 365"))]
    #[schema(minimum = 1, maximum = 365)]
    pub refer_working_days: Option<i32>,
    #[validate(range(min = 1, max = 24, message = "must be between 1 and 24"))]
    #[schema(minimum = 1, maximum = 24)]
    pub answer_months: Option<i32>,
    #[validate(range(min = 1, max = 365, message = "must be between 1 and 365"))]
    #[schema(minimum = 1, maximum = 365)]
    pub feed_back_working_days: Option<i32>,
    #[validate(range(min = 1, max = 365, message = "must be between 1 and 365"))]
    #[schema(minimum = 1, maximum = 365)]
    pub urgent_refer_working_days: Option<i32>,
    #[validate(range(min = 1, max = 365, message = "must be between 1 and 365"))]
    #[schema(minimum = 1, maximum = 365)]
    pub urgent_answer_working_days: Option<i32>,
    #[validate(range(min = 1, max = 365, message = "must be between 1 and 365"))]
    #[schema(minimum = 1, maximum = 365)]
    pub urgent_feed_back_working_days: Option<i32>,
    #[validate(range(min = 0, max = 20, message = "must be between 0 and 20"))]
    #[schema(minimum = 0, maximum = 20)]
    pub max_reopen_rounds: Option<i32>,
    #[validate(
        length(min = 1, max = 100, message = "must list 1 to 100 categories"),
        custom(function = "category_codes")
    )]
    #[schema(min_items = 1, max_items = 100)]
    pub categories: Option<Vec<String>>,
    #[validate(range(min = 0, max = 60, message = "must be between 0 and 60"))]
    #[schema(minimum = 0, maximum = 60)]
    pub publish_days_ahead: Option<i32>,
    #[validate(range(min = 0, max = 12, message = "must be between 0 and 12"))]
    #[schema(minimum = 0, maximum = 12)]
    pub annual_reports_per_year: Option<i32>,
    #[validate(range(min = 0, max = 31, message = "must be between 0 and 31"))]
    #[schema(minimum = 0, maximum = 31)]
    pub household_contacts_per_month: Option<i32>,
    #[validate(range(min = 0, max = 31, message = "must be between 0 and 31"))]
    #[schema(minimum = 0, maximum = 31)]
    pub rota_receptions_per_month: Option<i32>,
    #[validate(range(min = 1, max = 12, message = "must be between 1 and 12"))]
    #[schema(minimum = 1, maximum = 12)]
    pub centralised_contact_by_month: Option<i32>,
    #[validate(range(min = 1, max = 12, message = "must be between 1 and 12"))]
    #[schema(minimum = 1, maximum = 12)]
    pub pre_session_by_month: Option<i32>,
    #[validate(range(min = 0, max = 1000, message = "must be between 0 and 1000"))]
    #[schema(minimum = 0, maximum = 1000)]
    pub min_fixed_households: Option<i32>,
    #[validate(range(min = 0, max = 1000, message = "must be between 0 and 1000"))]
    #[schema(minimum = 0, maximum = 1000)]
    pub min_voter_liaisons: Option<i32>,
    #[validate(range(min = 1, max = 366, message = "must be between 1 and 366"))]
    #[schema(minimum = 1, maximum = 366)]
    pub pre_session_window_days: Option<i32>,
    pub referral_route: Option<ReferralRoute>,
}

/// A committee that sets both a minimum and a cap of one kind of contact link sets them in order.
fn minimums_within_caps(p: &OwnPolicy) -> Result<(), validator::ValidationError> {
    let pairs = [
        (p.min_fixed_households, p.max_fixed_households),
        (p.min_voter_liaisons, p.max_voter_liaisons),
    ];
    if pairs
        .iter()
        .any(|(min, max)| matches!((min, max), (Some(min), Some(max)) if min > max))
    {
        let mut e = validator::ValidationError::new("min_above_max");
        e.message = Some("a minimum of contact links is above its maximum".into());
        return Err(e);
    }
    Ok(())
}

/// The seed texts' defaults, for a committee with no rules of its own on its whole path.
pub fn defaults() -> EffectivePolicy {
    inherit(&[], &[])
}

/// Each rule from the nearest committee on the path that sets it, else its default.
pub fn inherit(ancestors: &[Uuid], rows: &[(Uuid, OwnPolicy)]) -> EffectivePolicy {
    fn nearest<T: Clone>(
        ancestors: &[Uuid],
        rows: &[(Uuid, OwnPolicy)],
        pick: impl Fn(&OwnPolicy) -> &Option<T>,
    ) -> Option<T> {
        ancestors.iter().rev().find_map(|c| {
            rows.iter()
                .find(|(id, _)| id == c)
                .and_then(|(_, own)| pick(own).clone())
        })
    }
    let int = |pick: fn(&OwnPolicy) -> &Option<i32>, default: i32| {
        nearest(ancestors, rows, pick).unwrap_or(default)
    };
    EffectivePolicy {
        max_fixed_households: int(|p| &p.max_fixed_households, DEFAULT_MAX_FIXED_HOUSEHOLDS),
        max_voter_liaisons: int(|p| &p.max_voter_liaisons, DEFAULT_MAX_VOTER_LIAISONS),
        refer_working_days: int(|p| &p.refer_working_days, DEFAULT_REFER_WORKING_DAYS),
        answer_months: int(|p| &p.answer_months, DEFAULT_ANSWER_MONTHS),
        feed_back_working_days: int(
            |p| &p.feed_back_working_days,
            DEFAULT_FEED_BACK_WORKING_DAYS,
        ),
        urgent_refer_working_days: int(
            |p| &p.urgent_refer_working_days,
            DEFAULT_URGENT_REFER_WORKING_DAYS,
        ),
        urgent_answer_working_days: int(
            |p| &p.urgent_answer_working_days,
            DEFAULT_URGENT_ANSWER_WORKING_DAYS,
        ),
        urgent_feed_back_working_days: int(
            |p| &p.urgent_feed_back_working_days,
            DEFAULT_URGENT_FEED_BACK_WORKING_DAYS,
        ),
        max_reopen_rounds: int(|p| &p.max_reopen_rounds, DEFAULT_MAX_REOPEN_ROUNDS),
        categories: nearest(ancestors, rows, |p| &p.categories)
            .unwrap_or_else(|| DEFAULT_CATEGORIES.iter().map(|c| c.to_string()).collect()),
        publish_days_ahead: int(|p| &p.publish_days_ahead, DEFAULT_PUBLISH_DAYS_AHEAD),
        annual_reports_per_year: int(
            |p| &p.annual_reports_per_year,
            DEFAULT_ANNUAL_REPORTS_PER_YEAR,
        ),
        household_contacts_per_month: int(
            |p| &p.household_contacts_per_month,
            DEFAULT_HOUSEHOLD_CONTACTS_PER_MONTH,
        ),
        rota_receptions_per_month: int(
            |p| &p.rota_receptions_per_month,
            DEFAULT_ROTA_RECEPTIONS_PER_MONTH,
        ),
        centralised_contact_by_month: int(
            |p| &p.centralised_contact_by_month,
            DEFAULT_CENTRALISED_CONTACT_BY_MONTH,
        ),
        pre_session_by_month: int(|p| &p.pre_session_by_month, DEFAULT_PRE_SESSION_BY_MONTH),
        min_fixed_households: int(|p| &p.min_fixed_households, DEFAULT_MIN_FIXED_HOUSEHOLDS),
        min_voter_liaisons: int(|p| &p.min_voter_liaisons, DEFAULT_MIN_VOTER_LIAISONS),
        pre_session_window_days: int(
            |p| &p.pre_session_window_days,
            DEFAULT_PRE_SESSION_WINDOW_DAYS,
        ),
        referral_route: nearest(ancestors, rows, |p| &p.referral_route)
            .unwrap_or(ReferralRoute::Direct),
    }
}
