use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, REPRESENTATIVE_PHONE, VOTER_ADDRESS, VOTER_ID_NUMBER, VOTER_PHONE, World,
    captured_logs,
};

fn assert_no_secret(label: &str, body: &Value, secrets: &[&str]) {
    let text = body.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{label} leaks {secret}: {text}");
    }
}

#[tokio::test]
async fn personal_data_reaches_only_those_who_need_it() {
    let w = World::new().await;
    let app = &w.app;
    let voter_path = format!("/api/v1/voters/{}", w.voter_a);
    let rep_path = format!("/api/v1/representatives/{}", w.representative_a);

    // Staff in scope see the full phone and address, never the ID number.
    let staff = app.get(&voter_path, &w.committee_staff_a).await.expect(200);
    assert_eq!(staff.body["phone"], VOTER_PHONE);
    assert_eq!(staff.body["address"], VOTER_ADDRESS);
    assert_eq!(staff.body["id_number_masked"], "1****************X");
    // The voter sees their own in full.
    let own = app.get(&voter_path, &w.voter).await.expect(200);
    assert_eq!(own.body["phone"], VOTER_PHONE);
    // The deputy they are linked to sees a masked phone and no address.
    let deputy = app.get(&voter_path, &w.representative).await.expect(200);
    assert_eq!(deputy.body["phone"], "139****5678");
    assert!(deputy.body["address"].is_null());
    let contacts = app
        .get(&format!("{rep_path}/contacts"), &w.representative)
        .await
        .expect(200);
    assert_eq!(contacts.body["items"][0]["voter"]["phone"], "139****5678");
    // A deputy's private phone: staff and the deputy, nobody else.
    assert_eq!(
        app.get(&rep_path, &w.group_staff_a).await.body["phone"],
        REPRESENTATIVE_PHONE
    );
    assert_eq!(
        app.get(&rep_path, &w.representative).await.body["phone"],
        REPRESENTATIVE_PHONE
    );

    let public = app
        .request(Method::GET, "/public/v1/representatives", None, None)
        .await
        .expect(200);
    let item = &public.body["items"][0];
    assert_eq!(item["name"], "张代表");
    assert_eq!(item["employer"], "某医院");
    assert_eq!(item["public_contact"], "联络站 010-68880001");
    assert_eq!(item["constituency"]["name"], "八宝山一选区");
    assert!(item.get("phone").is_none());

    // Scan every response a curious caller could get, and the logs.
    let mut bodies = vec![("public representatives", public.body.clone())];
    for path in ["/public/v1/stations", "/public/v1/constituencies"] {
        bodies.push((
            path,
            app.request(Method::GET, path, None, None)
                .await
                .expect(200)
                .body,
        ));
    }
    for (label, token) in w.callers() {
        if let Some(token) = token {
            for path in [
                "/api/v1/voters",
                "/api/v1/representatives",
                &format!("{rep_path}/contacts"),
                &voter_path,
            ] {
                bodies.push((label, app.get(path, &token).await.body));
            }
        }
    }
    bodies.push((
        "bad input",
        app.post(
            "/api/v1/voters",
            &w.admin,
            json!({"name": "x", "phone": VOTER_PHONE}),
        )
        .await
        .body,
    ));
    bodies.push((
        "conflict",
        app.post(
            "/api/v1/voters",
            &w.admin,
            json!({"name": "重复", "constituency_id": w.constituency_a, "phone": "13600000000", "id_number": VOTER_ID_NUMBER}),
        )
        .await
        .expect_problem(409, "already_exists")
        .body,
    ));
    for (label, body) in &bodies {
        assert_no_secret(label, body, &[VOTER_ID_NUMBER, "110105"]);
        if !["admin", "committee_staff", "group_staff", "voter"].contains(label) {
            assert_no_secret(label, body, &[VOTER_PHONE, VOTER_ADDRESS]);
        }
        if !["admin", "committee_staff", "group_staff", "representative"].contains(label) {
            assert_no_secret(label, body, &[REPRESENTATIVE_PHONE]);
        }
    }
    let logs = captured_logs();
    assert!(logs.contains("request"), "logs were captured");
    for secret in [
        VOTER_PHONE,
        VOTER_ID_NUMBER,
        VOTER_ADDRESS,
        REPRESENTATIVE_PHONE,
        PASSWORD,
    ] {
        assert!(!logs.contains(secret), "a log line contains {secret}");
    }
}

#[tokio::test]
async fn id_numbers_are_stored_encrypted_and_found_by_keyed_hash() {
    let w = World::new().await;
    let found = w
        .app
        .get(
            &format!(
                "/api/v1/voters?id_number={}",
                VOTER_ID_NUMBER.to_lowercase()
            ),
            &w.admin,
        )
        .await
        .expect(200);
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["items"][0]["id"], w.voter_a.to_string());

    #[derive(diesel::QueryableByName)]
    struct Raw {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = w.app.db().await;
    let raw: Raw =
        diesel::sql_query("SELECT v::text AS dump FROM voters v WHERE id_number_hmac IS NOT NULL")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert!(
        !raw.dump.contains("11010519491231002X"),
        "the ID number is stored in clear"
    );
    assert!(
        !raw.dump.contains(&hex("11010519491231002X")),
        "the ID number is stored in clear (bytea)"
    );
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn staff_of_another_committee_do_not_see_these_people() {
    let w = World::new().await;
    let app = &w.app;
    app.get(
        &format!("/api/v1/voters/{}", w.voter_a),
        &w.committee_staff_b,
    )
    .await
    .expect_problem(404, "not_found");
    app.get(
        &format!("/api/v1/representatives/{}", w.representative_a),
        &w.committee_staff_b,
    )
    .await
    .expect(404);
    app.get(
        &format!("/api/v1/constituencies/{}", w.constituency_a),
        &w.committee_staff_b,
    )
    .await
    .expect(404);
    app.get(
        &format!("/api/v1/handling-bodies/{}", w.body_a),
        &w.committee_staff_b,
    )
    .await
    .expect(404);
    for path in [
        "/api/v1/voters",
        "/api/v1/representatives",
        "/api/v1/constituencies",
        "/api/v1/handling-bodies",
    ] {
        let list = app.get(path, &w.committee_staff_b).await.expect(200);
        let ids: HashSet<&str> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        for hidden in [w.voter_a, w.representative_a, w.constituency_a, w.body_a] {
            assert!(
                !ids.contains(hidden.to_string().as_str()),
                "{path} shows {hidden}"
            );
        }
    }
    let own = app
        .get("/api/v1/constituencies", &w.committee_staff_b)
        .await
        .expect(200);
    assert_eq!(own.body["items"][0]["id"], w.constituency_b.to_string());
    // Nor can they place people there.
    app.post(
        "/api/v1/voters",
        &w.committee_staff_b,
        json!({"name": "越界", "constituency_id": w.constituency_a, "phone": "13700000000"}),
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn voters_see_and_edit_only_themselves() {
    let w = World::new().await;
    let other = w.fresh_voter().await;
    w.app
        .get(&format!("/api/v1/voters/{other}"), &w.voter)
        .await
        .expect(404);
    let list = w.app.get("/api/v1/voters", &w.voter).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let path = format!("/api/v1/voters/{}", w.voter_a);
    let updated = w
        .app
        .patch(&path, &w.voter, json!({"address": "新地址 1 号"}))
        .await
        .expect(200);
    assert_eq!(updated.body["address"], "新地址 1 号");
    w.app
        .patch(
            &path,
            &w.voter,
            json!({"constituency_id": w.constituency_b}),
        )
        .await
        .expect_problem(403, "forbidden");
    w.app
        .patch(
            &format!("/api/v1/voters/{other}"),
            &w.voter,
            json!({"address": "x"}),
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn district_deputies_need_a_constituency_and_city_deputies_do_not() {
    let w = World::new().await;
    let base = json!({"name": "市代表", "gender": "female", "level": "city", "term": 16, "liaison_group_id": w.group_a});
    w.app
        .post("/api/v1/representatives", &w.admin, base.clone())
        .await
        .expect(201);
    let mut district = base.clone();
    district["level"] = json!("district");
    district["name"] = json!("区代表");
    w.app
        .post("/api/v1/representatives", &w.admin, district)
        .await
        .expect_invalid("constituency_id");

    // A patch cannot clear a district deputy's constituency, nor make a city deputy without one
    // a district deputy: both conflict with the stored record (the body alone is valid); a
    // body naming the district level and no constituency is invalid by itself; a district
    // deputy who becomes a city deputy may drop it.
    let deputy = format!("/api/v1/representatives/{}", w.representative_a);
    let patch = async |path: &str, body| w.app.patch(path, &w.admin, body).await;
    patch(&deputy, json!({"constituency_id": null}))
        .await
        .expect_problem(409, "conflicts_with_record");
    patch(
        &deputy,
        json!({"level": "district", "constituency_id": null}),
    )
    .await
    .expect_invalid("constituency_id");
    let kept = w.app.get(&deputy, &w.admin).await.expect(200);
    assert_eq!(kept.body["constituency_id"], w.constituency_a.to_string());
    let city = w
        .app
        .post("/api/v1/representatives", &w.admin, json!({"name": "另一市代表", "gender": "male", "level": "city", "term": 16, "liaison_group_id": w.group_a}))
        .await
        .expect(201)
        .id();
    patch(
        &format!("/api/v1/representatives/{city}"),
        json!({"level": "district"}),
    )
    .await
    .expect_problem(409, "conflicts_with_record");
    let moved = patch(&deputy, json!({"level": "city", "constituency_id": null}))
        .await
        .expect(200);
    assert_eq!(moved.body["level"], "city");
    assert!(moved.body["constituency_id"].is_null(), "{}", moved.body);
}

#[tokio::test]
async fn contact_links_respect_the_committee_limit_even_under_concurrency() {
    let w = World::new().await;
    let (rep, _, _) = w.fresh_contact().await;
    let mut voters = Vec::new();
    for _ in 0..10 {
        voters.push(w.fresh_voter().await);
    }
    let path = format!("/api/v1/representatives/{rep}/contacts");
    let attempts = voters.iter().map(|v| {
        w.app.post(
            &path,
            &w.admin,
            json!({"voter_id": v, "kind": "fixed_household"}),
        )
    });
    let replies = futures_util::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 3, "default limit of fixed-contact households is 3");
    let refused = replies
        .iter()
        .find(|r| r.status == 422)
        .expect("some were refused");
    assert_eq!(refused.body["code"], "contact_limit_exceeded");
    assert_eq!(refused.body["limit"], 3);
    assert!(refused.body["detail"].as_str().unwrap().contains('3'));
    let list = w.app.get(&path, &w.admin).await.expect(200);
    let fixed = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "fixed_household")
        .count();
    assert_eq!(fixed, 3);

    // A committee can set its own limit; its subtree inherits it.
    let policy = w
        .app
        .request(
            Method::PUT,
            &format!("/api/v1/committees/{}/policy", w.standing),
            Some(&w.admin),
            Some(json!({"max_voter_liaisons": 1})),
        )
        .await
        .expect(200);
    assert_eq!(policy.body["effective"]["max_voter_liaisons"], 1);
    assert_eq!(policy.body["effective"]["max_fixed_households"], 3);
    let inherited = w
        .app
        .get(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.committee_staff_a,
        )
        .await
        .expect(200);
    assert_eq!(inherited.body["effective"]["max_voter_liaisons"], 1);
    assert!(inherited.body["own"]["max_voter_liaisons"].is_null());
    let r = w
        .app
        .post(
            &path,
            &w.admin,
            json!({"voter_id": voters[0], "kind": "voter_liaison"}),
        )
        .await;
    assert_eq!(
        r.status, 422,
        "the one voter liaison already exists: {}",
        r.body
    );
    assert_eq!(r.body["limit"], 1);
    // Committee staff cannot loosen the rules above their own committee.
    w.app
        .request(
            Method::PUT,
            &format!("/api/v1/committees/{}/policy", w.standing),
            Some(&w.committee_staff_a),
            Some(json!({"max_voter_liaisons": 9})),
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn voters_register_themselves_without_revealing_who_exists() {
    let w = World::new().await;
    let app = &w.app;
    let register = |username: &str| {
        app.request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": username, "password": PASSWORD, "name": "赵自主", "phone": "13511112222", "constituency": w.constituency_a})),
        )
    };
    let first = register("zhao.self").await.expect(202);
    let taken = register("admin").await.expect(202);
    assert_eq!(first.body, taken.body);
    let token = app.token("zhao.self").await;
    let me = app.get("/api/v1/me", &token).await.expect(200);
    assert_eq!(me.body["role"], "voter");
    assert_eq!(me.body["scope"]["kind"], "voter");
    let voter_id = me.body["scope"]["id"].as_str().unwrap().to_owned();
    let mine = app
        .get(&format!("/api/v1/voters/{voter_id}"), &token)
        .await
        .expect(200);
    assert_eq!(mine.body["verified"], false);
    assert_eq!(mine.body["name"], "赵自主");
    // Staff of the constituency verify it; staff elsewhere cannot see it.
    app.post(
        &format!("/api/v1/voters/{voter_id}/verify"),
        &w.committee_staff_b,
        json!({}),
    )
    .await
    .expect(404);
    let verified = app
        .post(
            &format!("/api/v1/voters/{voter_id}/verify"),
            &w.committee_staff_a,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(verified.body["verified"], true);
    // Bad input is still refused, naming the field.
    app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "x.y.z", "password": PASSWORD, "name": "钱", "phone": "123", "constituency": w.constituency_a})),
        )
        .await
        .expect_invalid("phone");
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let w = World::new().await;
    let mut last = 0;
    for i in 0..11 {
        let reply = w
            .app
            .request(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({"username": format!("flood{i}"), "password": PASSWORD, "name": "刷", "phone": "13511112222", "constituency": w.constituency_a})),
            )
            .await;
        last = reply.status.as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn accounts_bind_to_deputies_and_voters_in_scope() {
    let w = World::new().await;
    let rep = w
        .app
        .get(
            &format!("/api/v1/representatives/{}", w.representative_a),
            &w.admin,
        )
        .await
        .expect(200);
    assert!(
        rep.body["account_id"].is_string(),
        "the deputy's account is linked: {}",
        rep.body
    );
    let me = w.app.get("/api/v1/me", &w.representative).await.expect(200);
    assert_eq!(me.body["scope"]["name"], "张代表");
    w.app
        .post(
            "/api/v1/users",
            &w.committee_staff_b,
            json!({"username": "steal.rep", "password": PASSWORD, "role": "representative", "scope_id": w.representative_a}),
        )
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .post(
            "/api/v1/users",
            &w.admin,
            json!({"username": "unbound.rep", "password": PASSWORD, "role": "representative"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    // One account per deputy.
    w.app
        .post(
            "/api/v1/users",
            &w.admin,
            json!({"username": "second.rep", "password": PASSWORD, "role": "representative", "scope_id": w.representative_a}),
        )
        .await
        .expect(409);
}
