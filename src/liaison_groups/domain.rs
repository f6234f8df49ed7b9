//! The kinds of liaison group, home and station.

use crate::db::text_enum;

text_enum!(
    LiaisonGroupKind {
        /// 代表之家.
        Home => "home",
        /// 代表联络站.
        Station => "station",
        /// 代表联络组.
        Group => "group",
    }
);
