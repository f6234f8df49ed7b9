use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::text_enum;

text_enum!(
    NotificationKind {
        /// An urgent opinion (情况紧急) came in or was marked urgent.
        UrgentOpinion => "urgent_opinion",
        /// The lead body's answer is past its due date.
        ReferralOverdue => "referral_overdue",
    }
);

text_enum!(
    NotificationFilter {
        Unread => "unread",
        Read => "read",
        All => "all",
    }
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Default `all`: unread first, then read, newest first within each.
    #[param(inline)]
    pub state: Option<NotificationFilter>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    /// This list's own position (read flag and id: 17 bytes in unpadded base64url); every
    /// string of this shape is read. Empty is the first page.
    #[param(pattern = r"^(A[A-Za-f][A-Za-z0-9_-]{20}[AEIMQUYcgkosw048])?$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub opinion_id: Uuid,
    pub opinion_title: String,
    /// The overdue referral, for `referral_overdue`.
    pub referral_id: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    /// Null while unread.
    pub read_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    /// Your unread notifications in all.
    pub unread: i64,
    pub next_cursor: Option<String>,
}
