//! `World`: one district with two committees, groups, a body, constituencies, a deputy and a
//! voter, and a signed-in account of every role, for tests that need the whole cast.

use serde_json::json;
use uuid::Uuid;

use liaison::config::Settings;

use crate::helpers::*;

/// A standard organisation: a standing committee with working committees A and B, a station
/// under each, a handling body under A, and one logged-in account per role.
pub struct World {
    pub app: TestApp,
    pub standing: Uuid,
    pub committee_a: Uuid,
    pub committee_b: Uuid,
    pub group_a: Uuid,
    pub group_b: Uuid,
    pub body_a: Uuid,
    pub constituency_a: Uuid,
    pub constituency_b: Uuid,
    pub representative_a: Uuid,
    pub voter_a: Uuid,
    pub admin: String,
    pub committee_staff_a: String,
    pub committee_staff_a_id: Uuid,
    pub committee_staff_b: String,
    pub group_staff_a: String,
    pub group_staff_a_id: Uuid,
    pub representative: String,
    pub handling_body: String,
    pub voter: String,
    pub service: String,
}

impl World {
    pub async fn new() -> World {
        World::with(|_| {}).await
    }

    /// The same world on a server with `customise`d settings.
    pub async fn with(customise: impl FnOnce(&mut Settings)) -> World {
        let app = spawn_app_with(customise).await;
        let admin = app.admin_token().await;
        let standing = app
            .post(
                "/api/v1/committees",
                &admin,
                json!({"name": "石景山区人大常委会", "kind": "standing_committee"}),
            )
            .await
            .expect(201)
            .id();
        let committee_a = app
            .post("/api/v1/committees", &admin, json!({"name": "八宝山街道人大工委", "kind": "working_committee", "parent_id": standing}))
            .await
            .expect(201)
            .id();
        let committee_b = app
            .post("/api/v1/committees", &admin, json!({"name": "鲁谷街道人大工委", "kind": "working_committee", "parent_id": standing}))
            .await
            .expect(201)
            .id();
        let group = |name: &str, committee: Uuid| {
            json!({"name": name, "kind": "station", "committee_id": committee, "address": "石景山路 1 号",
                   "opening_hours": "每月 15 日", "head_name": "王站长", "liaison_officers": ["李联络员"]})
        };
        let group_a = app
            .post(
                "/api/v1/liaison-groups",
                &admin,
                group("八宝山联络站", committee_a),
            )
            .await
            .expect(201)
            .id();
        let group_b = app
            .post(
                "/api/v1/liaison-groups",
                &admin,
                group("鲁谷联络站", committee_b),
            )
            .await
            .expect(201)
            .id();
        let body_a = app
            .post(
                "/api/v1/handling-bodies",
                &admin,
                json!({"name": "区城管委", "kind": "government_department", "committee_id": committee_a}),
            )
            .await
            .expect(201)
            .id();
        let constituency = |name: &str, code: &str, committee: Uuid| json!({"name": name, "code": code, "committee_id": committee});
        let constituency_a = app
            .post(
                "/api/v1/constituencies",
                &admin,
                constituency("八宝山一选区", "A-01", committee_a),
            )
            .await
            .expect(201)
            .id();
        let constituency_b = app
            .post(
                "/api/v1/constituencies",
                &admin,
                constituency("鲁谷一选区", "B-01", committee_b),
            )
            .await
            .expect(201)
            .id();
        let representative_a = app
            .post(
                "/api/v1/representatives",
                &admin,
                json!({"name": "张代表", "gender": "female", "level": "district", "term": 16,
                       "constituency_id": constituency_a, "liaison_group_id": group_a,
                       "employer": "某医院", "position": "院长", "public_contact": "联络站 010-68880001",
                       "phone": REPRESENTATIVE_PHONE}),
            )
            .await
            .expect(201)
            .id();
        let voter_a = app
            .post(
                "/api/v1/voters",
                &admin,
                json!({"name": "王选民", "constituency_id": constituency_a, "phone": VOTER_PHONE,
                       "id_number": VOTER_ID_NUMBER, "address": VOTER_ADDRESS}),
            )
            .await
            .expect(201)
            .id();
        app.post(
            &format!("/api/v1/representatives/{representative_a}/contacts"),
            &admin,
            json!({"voter_id": voter_a, "kind": "fixed_household"}),
        )
        .await
        .expect(201);
        let (committee_staff_a_id, committee_staff_a) = app
            .account(&admin, "staff.a", "committee_staff", Some(committee_a))
            .await;
        let (_, committee_staff_b) = app
            .account(&admin, "staff.b", "committee_staff", Some(committee_b))
            .await;
        let (group_staff_a_id, group_staff_a) = app
            .account(&admin, "group.a", "group_staff", Some(group_a))
            .await;
        let (_, representative) = app
            .account(&admin, "rep.one", "representative", Some(representative_a))
            .await;
        let (_, handling_body) = app
            .account(&admin, "body.a", "handling_body", Some(body_a))
            .await;
        let (_, voter) = app
            .account(&admin, "voter.one", "voter", Some(voter_a))
            .await;
        // A service client holding a scope that opens nothing yet: the matrix's "service".
        let service = app.service_client_token(&admin, &["stats:read"]).await;
        World {
            app,
            standing,
            committee_a,
            committee_b,
            group_a,
            group_b,
            body_a,
            constituency_a,
            constituency_b,
            representative_a,
            voter_a,
            admin,
            committee_staff_a,
            committee_staff_a_id,
            committee_staff_b,
            group_staff_a,
            group_staff_a_id,
            representative,
            handling_body,
            voter,
            service,
        }
    }

    /// A new deputy in group A with a new linked voter; returns (representative, voter, link).
    pub async fn fresh_contact(&self) -> (Uuid, Uuid, Uuid) {
        let unique = Uuid::now_v7().simple().to_string();
        let rep = self
            .app
            .post(
                "/api/v1/representatives",
                &self.admin,
                json!({"name": format!("代表{unique}"), "gender": "male", "level": "district", "term": 16,
                       "constituency_id": self.constituency_a, "liaison_group_id": self.group_a}),
            )
            .await
            .expect(201)
            .id();
        let voter = self.fresh_voter().await;
        let link = self
            .app
            .post(
                &format!("/api/v1/representatives/{rep}/contacts"),
                &self.admin,
                json!({"voter_id": voter, "kind": "voter_liaison"}),
            )
            .await
            .expect(201)
            .id();
        (rep, voter, link)
    }

    pub async fn fresh_voter(&self) -> Uuid {
        let n: u32 = rand::random::<u32>() % 100_000_000;
        self.app
            .post(
                "/api/v1/voters",
                &self.admin,
                json!({"name": format!("选民{n}"), "constituency_id": self.constituency_a, "phone": format!("137{n:08}")}),
            )
            .await
            .expect(201)
            .id()
    }

    /// (role name, token) for every role, plus no token at all.
    pub fn callers(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("anonymous", None),
            ("admin", Some(self.admin.clone())),
            ("committee_staff", Some(self.committee_staff_a.clone())),
            ("group_staff", Some(self.group_staff_a.clone())),
            ("representative", Some(self.representative.clone())),
            ("handling_body", Some(self.handling_body.clone())),
            ("voter", Some(self.voter.clone())),
            ("service", Some(self.service.clone())),
        ]
    }
}
