//! Demo data for `liaison serve --demo` (what `make run` starts). Fixed ids and
//! `ON CONFLICT DO NOTHING` make loading it twice a no-op. Never use these passwords for real.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{accounts, committees, handling_bodies, liaison_groups};

/// Every demo account has this password.
pub const DEMO_PASSWORD: &str = "demo-password";

const fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_f5a0_0000_7000_8000_0000_0000_0000 | n)
}

pub const STANDING_COMMITTEE: Uuid = id(0x01);
pub const WORKING_COMMITTEE_BABAOSHAN: Uuid = id(0x02);
pub const WORKING_COMMITTEE_LUGU: Uuid = id(0x03);
pub const JOINT_GROUP: Uuid = id(0x04);
pub const HOME: Uuid = id(0x11);
pub const STATION_BABAOSHAN: Uuid = id(0x12);
pub const STATION_LUGU: Uuid = id(0x13);
pub const BODY_CITY_MANAGEMENT: Uuid = id(0x21);

/// (username, role, committee, group, handling body)
type DemoAccount = (
    &'static str,
    &'static str,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
);

pub const DEMO_ACCOUNTS: [DemoAccount; 7] = [
    ("demo.admin", "admin", None, None, None),
    (
        "demo.committee",
        "committee_staff",
        Some(WORKING_COMMITTEE_BABAOSHAN),
        None,
        None,
    ),
    (
        "demo.group",
        "group_staff",
        None,
        Some(STATION_BABAOSHAN),
        None,
    ),
    ("demo.representative", "representative", None, None, None),
    (
        "demo.handling",
        "handling_body",
        None,
        None,
        Some(BODY_CITY_MANAGEMENT),
    ),
    ("demo.voter", "voter", None, None, None),
    ("demo.service", "service", None, None, None),
];

pub async fn load(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    let tree = [
        (
            STANDING_COMMITTEE,
            "石景山区人大常委会",
            "standing_committee",
            None,
        ),
        (
            WORKING_COMMITTEE_BABAOSHAN,
            "八宝山街道人大工委",
            "working_committee",
            Some(STANDING_COMMITTEE),
        ),
        (
            WORKING_COMMITTEE_LUGU,
            "鲁谷街道人大工委",
            "working_committee",
            Some(STANDING_COMMITTEE),
        ),
        (
            JOINT_GROUP,
            "第一代表联组",
            "joint_group",
            Some(STANDING_COMMITTEE),
        ),
    ];
    for (cid, name, kind, parent) in tree {
        diesel::insert_into(committees::table)
            .values((
                committees::id.eq(cid),
                committees::name.eq(name),
                committees::kind.eq(kind),
                committees::parent_id.eq(parent),
                committees::ancestors.eq(vec![cid]),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    let groups = [
        (
            HOME,
            STANDING_COMMITTEE,
            "home",
            "石景山区人大代表之家",
            "石景山区石景山路 18 号",
            "工作日 9:00–17:00",
        ),
        (
            STATION_BABAOSHAN,
            WORKING_COMMITTEE_BABAOSHAN,
            "station",
            "八宝山街道代表联络站",
            "石景山区八宝山街道玉泉路 59 号",
            "每月 15 日 9:00–11:00",
        ),
        (
            STATION_LUGU,
            WORKING_COMMITTEE_LUGU,
            "station",
            "鲁谷街道代表联络站",
            "石景山区鲁谷路 74 号",
            "每月第一个周三 14:00–16:00",
        ),
    ];
    for (gid, committee, kind, name, address, hours) in groups {
        diesel::insert_into(liaison_groups::table)
            .values((
                liaison_groups::id.eq(gid),
                liaison_groups::committee_id.eq(committee),
                liaison_groups::kind.eq(kind),
                liaison_groups::name.eq(name),
                liaison_groups::address.eq(address),
                liaison_groups::opening_hours.eq(hours),
                liaison_groups::head_name.eq("联络站站长"),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    let bodies = [
        (
            BODY_CITY_MANAGEMENT,
            "区城市管理委员会",
            "government_department",
        ),
        (id(0x22), "区交通委员会", "government_department"),
        (id(0x23), "区监察委员会", "supervisory_commission"),
        (id(0x24), "区人民法院", "court"),
    ];
    for (bid, name, kind) in bodies {
        diesel::insert_into(handling_bodies::table)
            .values((
                handling_bodies::id.eq(bid),
                handling_bodies::name.eq(name),
                handling_bodies::kind.eq(kind),
                handling_bodies::committee_id.eq(STANDING_COMMITTEE),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    let existing: Vec<String> = accounts::table
        .select(accounts::username)
        .load(conn)
        .await?;
    for (index, (username, role, committee, group, body)) in DEMO_ACCOUNTS.into_iter().enumerate() {
        if existing.iter().any(|u| u.eq_ignore_ascii_case(username)) {
            continue;
        }
        let hash = crate::auth::passwords::hash_blocking(DEMO_PASSWORD)?;
        diesel::insert_into(accounts::table)
            .values((
                accounts::id.eq(id(0x100 + index as u128)),
                accounts::username.eq(username),
                accounts::password_hash.eq(hash),
                accounts::role.eq(role),
                accounts::committee_id.eq(committee),
                accounts::liaison_group_id.eq(group),
                accounts::handling_body_id.eq(body),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}
