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
