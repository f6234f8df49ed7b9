//! The kinds of committee in the organisation tree.

use crate::db::text_enum;

text_enum!(
    CommitteeKind {
        /// 区人大常委会 — the root of a district's tree.
        StandingCommittee => "standing_committee",
        /// 工委 (e.g. a street working committee).
        WorkingCommittee => "working_committee",
        /// 联组.
        JointGroup => "joint_group",
        /// 乡镇人大.
        Township => "township",
    }
);

text_enum!(
    /// Where a committee's staff and deputies may refer opinions.
    ReferralRoute {
        /// To any body the referral rules allow, a district department included (Measures
        /// Art. 6(4)).
        Direct => "direct",
        /// Only to the committee's own bodies; district matters are escalated to the parent
        /// committee (township station rules §6).
        ViaParent => "via_parent",
    }
);
