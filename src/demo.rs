//! Demo data for `liaison serve --demo` (what `make run` starts). Fixed ids and
//! `ON CONFLICT DO NOTHING` make loading it twice a no-op. Never use these passwords for real.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::access::BindingIds;
use crate::db::schema::{
    accounts, committees, constituencies, handling_bodies, liaison_groups, representatives,
    service_clients, voters,
};

/// The demo service client (every scope, the whole district): machines sign in with client
/// credentials at `POST /api/v1/auth/token`.
pub const DEMO_CLIENT_ID: &str = "lsc_demo";
pub const DEMO_CLIENT_SECRET: &str = "lss_demo-secret-never-in-production";

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
pub const CONSTITUENCY_BABAOSHAN: Uuid = id(0x31);
pub const REPRESENTATIVE: Uuid = id(0x41);
pub const VOTER: Uuid = id(0x51);

/// (username, role, committee, group, handling body)
type DemoAccount = (&'static str, &'static str, BindingIds);

pub const DEMO_ACCOUNTS: [DemoAccount; 6] = [
    ("demo.admin", "admin", (None, None, None, None, None)),
    (
        "demo.committee",
        "committee_staff",
        (Some(WORKING_COMMITTEE_BABAOSHAN), None, None, None, None),
    ),
    (
        "demo.group",
        "group_staff",
        (None, Some(STATION_BABAOSHAN), None, None, None),
    ),
    (
        "demo.representative",
        "representative",
        (None, None, None, Some(REPRESENTATIVE), None),
    ),
    (
        "demo.handling",
        "handling_body",
        (None, None, Some(BODY_CITY_MANAGEMENT), None, None),
    ),
    ("demo.voter", "voter", (None, None, None, None, Some(VOTER))),
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
    diesel::insert_into(constituencies::table)
        .values((
            constituencies::id.eq(CONSTITUENCY_BABAOSHAN),
            constituencies::committee_id.eq(WORKING_COMMITTEE_BABAOSHAN),
            constituencies::name.eq("八宝山第三选区"),
            constituencies::code.eq("BBS-03"),
            constituencies::area.eq("玉泉路以西各社区"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::insert_into(representatives::table)
        .values((
            representatives::id.eq(REPRESENTATIVE),
            representatives::name.eq("张明"),
            representatives::gender.eq("male"),
            representatives::level.eq("district"),
            representatives::term.eq(16),
            representatives::constituency_id.eq(CONSTITUENCY_BABAOSHAN),
            representatives::liaison_group_id.eq(STATION_BABAOSHAN),
            representatives::employer.eq("八宝山街道社区卫生服务中心"),
            representatives::position.eq("主任"),
            representatives::public_contact.eq("八宝山街道代表联络站 010-68880001"),
            representatives::phone.eq("13800000001"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::insert_into(voters::table)
        .values((
            voters::id.eq(VOTER),
            voters::name.eq("李华"),
            voters::constituency_id.eq(CONSTITUENCY_BABAOSHAN),
            voters::phone.eq("13900000002"),
            voters::address.eq("玉泉路 59 号院 3 号楼"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let existing: Vec<String> = accounts::table
        .select(accounts::username)
        .load(conn)
        .await?;
    for (index, (username, role, binding)) in DEMO_ACCOUNTS.into_iter().enumerate() {
        let (committee, group, body, representative, voter) = binding;
        if existing.iter().any(|u| u.eq_ignore_ascii_case(username)) {
            // Demo databases made before deputies and voters existed: bind those accounts now.
            diesel::update(accounts::table.filter(accounts::username.eq(username)))
                .filter(
                    accounts::representative_id
                        .is_null()
                        .and(accounts::voter_id.is_null()),
                )
                .set((
                    accounts::representative_id.eq(representative),
                    accounts::voter_id.eq(voter),
                ))
                .execute(conn)
                .await?;
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
                accounts::representative_id.eq(representative),
                accounts::voter_id.eq(voter),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    let scopes = crate::access::Scope::ALL.to_vec();
    diesel::insert_into(service_clients::table)
        .values((
            service_clients::id.eq(id(0x200)),
            service_clients::client_id.eq(DEMO_CLIENT_ID),
            service_clients::name.eq("演示：代表活动服务系统"),
            service_clients::scopes.eq(scopes),
            service_clients::secret_sha256
                .eq(crate::service_clients::secrets::digest(DEMO_CLIENT_SECRET)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}
