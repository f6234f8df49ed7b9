use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::text_enum;

text_enum!(
    /// What the rows of an opinion report are.
    OpinionGrouping {
        Committee => "committee",
        LiaisonGroup => "liaison_group",
        Representative => "representative",
        /// Each referral, lead and assisting apart (`key.role`).
        HandlingBody => "handling_body",
        Category => "category",
        Constituency => "constituency",
        Source => "source",
        /// The Beijing-time month each figure's event fell in.
        Month => "month",
    }
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpinionStatsQuery {
    /// First local (Beijing) day of the period; default 1 January of `to`'s year.
    pub from: Option<NaiveDate>,
    /// Last local day of the period; default today.
    pub to: Option<NaiveDate>,
    /// Default `committee`.
    pub group_by: Option<OpinionGrouping>,
    /// Only this committee and everything under it.
    pub committee_id: Option<Uuid>,
    /// Only this liaison group's opinions.
    pub liaison_group_id: Option<Uuid>,
    /// Count only what the timeline held at the end of this local day: a past report again,
    /// exactly as it was printed. Default: now.
    pub as_of: Option<NaiveDate>,
}

/// Which row a figure belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsKey {
    /// The grouping, or `total`.
    pub kind: String,
    /// The committee, group, deputy, constituency or handling body; null for "none" (an
    /// opinion raised to no deputy) and for code and month groupings.
    pub id: Option<Uuid>,
    pub name: Option<String>,
    /// A category or source code.
    pub code: Option<String>,
    /// `YYYY-MM`, Beijing time.
    pub month: Option<String>,
    /// `lead` or `assisting`, for handling bodies.
    pub role: Option<String>,
}

/// A duration's median and 90th percentile; null when nothing was measured.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Spread {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OpinionFigures {
    /// Opinions received in the period (for a handling body: referrals it received).
    pub received: i64,
    /// Opinions referred in the period (each once, however many bodies).
    pub referred: i64,
    /// Answers given in the period.
    pub answered: i64,
    /// Answers with outcome `resolved`.
    pub resolved: i64,
    /// Answers with outcome `partly_resolved` (not counted as resolved).
    pub partly_resolved: i64,
    /// Opinions reaching `fed_back` in the period.
    pub fed_back: i64,
    pub declined: i64,
    /// Not yet fed back or declined at the end of the period.
    pub open: i64,
    /// Open and past the current step's due date at the end of the period.
    pub overdue: i64,
    /// Refer deadlines that fell in the period.
    pub response_due: i64,
    /// Of those, met: the first step after receipt came by the deadline.
    pub responded_in_time: i64,
    /// Voters' ratings given in the period.
    pub ratings: i64,
    /// Of those, satisfied or basically satisfied.
    pub satisfied: i64,
    /// 响应率: `responded_in_time / response_due`; null when nothing was due.
    pub response_rate: Option<f64>,
    /// 解决率: `resolved / answered`; null without answers.
    pub resolution_rate: Option<f64>,
    /// 满意率: `satisfied / ratings`; null without ratings.
    pub satisfaction_rate: Option<f64>,
    /// Hours from receipt to the first referral, for first referrals in the period.
    pub refer_hours: Spread,
    /// Days from referral to answer, for answers in the period.
    pub answer_days: Spread,
    /// Days from answer to feedback, for feedbacks in the period.
    pub feed_back_days: Spread,
}

impl OpinionFigures {
    /// Fills the rates from the counts: a zero denominator is null, never 0 or NaN.
    pub fn with_rates(mut self) -> Self {
        let rate = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
        self.response_rate = rate(self.responded_in_time, self.response_due);
        self.resolution_rate = rate(self.resolved, self.answered);
        self.satisfaction_rate = rate(self.satisfied, self.ratings);
        self
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpinionStatsRow {
    pub key: StatsKey,
    #[serde(flatten)]
    pub figures: OpinionFigures,
}

/// How each rate and duration is counted (also in the README).
#[derive(Debug, Serialize, ToSchema)]
pub struct Definitions {
    pub response_rate: &'static str,
    pub resolution_rate: &'static str,
    pub satisfaction_rate: &'static str,
    pub refer_hours: &'static str,
    pub answer_days: &'static str,
    pub feed_back_days: &'static str,
    pub durations: &'static str,
    pub referred: &'static str,
    pub open: &'static str,
    pub as_of: &'static str,
}

pub const DEFINITIONS: Definitions = Definitions {
    response_rate: "响应率: opinions whose refer deadline fell in the period and whose first step \
        after receipt (refer, on-the-spot answer, decline) came by that deadline, divided by \
        opinions whose refer deadline fell in the period; null when none fell due",
    resolution_rate: "解决率: answers in the period with outcome resolved, divided by answers in \
        the period; partly_resolved is counted apart and not as resolved; null without answers",
    satisfaction_rate: "满意率: ratings in the period that were satisfied or basically \
        satisfied, divided by ratings in the period; null without ratings",
    refer_hours: "hours from receipt to an opinion's first referral, for first referrals in the \
        period: median and 90th percentile",
    answer_days: "days from the referral (its latest in the round) to the answer, for answers \
        in the period",
    feed_back_days: "days from the answer to the feedback to the voter, for feedbacks in the \
        period",
    durations: "medians and 90th percentiles interpolate between the two nearest values \
        (percentile_cont); a report over more than 50 000 measures (the server's \
        LIAISON_STATS_EXACT_UP_TO) reads its whole years and months from sums and its durations \
        from buckets 2% wide, so each is within 2% (or 0.01) of the exact figure; counts and \
        rates are always exact",
    referred: "opinions referred in the period, each once however many bodies or referrals; in \
        a monthly report, once in each month it was referred in",
    open: "open: not fed back or declined at the end of the period; overdue: open and past the \
        current step's due date then. For handling bodies, lead referrals neither answered nor \
        returned",
    as_of: "every figure counts only timeline events recorded by the end of as_of (Beijing \
        time), so a past report is reproduced exactly",
};

#[derive(Debug, Serialize, ToSchema)]
pub struct OpinionStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub group_by: OpinionGrouping,
    pub items: Vec<OpinionStatsRow>,
    pub totals: OpinionFigures,
    pub definitions: Definitions,
}
