use std::collections::HashSet;

use reqwest::Method;
use serde_json::json;

use crate::helpers::World;

#[tokio::test]
async fn staff_of_one_committee_cannot_see_or_touch_anothers_groups() {
    let w = World::new().await;
    let app = &w.app;
    let path_b = format!("/api/v1/liaison-groups/{}", w.group_b);
    let missing = format!("/api/v1/liaison-groups/{}", uuid::Uuid::now_v7());
    // Out of scope and non-existent answer the same.
    let out_of_scope = app
        .get(&path_b, &w.committee_staff_a)
        .await
        .expect_problem(404, "not_found");
    let absent = app
        .get(&missing, &w.committee_staff_a)
        .await
        .expect_problem(404, "not_found");
    assert_eq!(out_of_scope.body["detail"], absent.body["detail"]);
    app.patch(&path_b, &w.committee_staff_a, json!({"name": "改"}))
        .await
        .expect(404);
    app.delete(&path_b, &w.committee_staff_a).await.expect(404);

    let list = app
        .get("/api/v1/liaison-groups", &w.committee_staff_a)
        .await
        .expect(200);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![w.group_a.to_string()]);
    // Filtering by the other committee yields nothing rather than its groups.
    let filtered = app
        .get(
            &format!("/api/v1/liaison-groups?committee_id={}", w.committee_b),
            &w.committee_staff_a,
        )
        .await
        .expect(200);
    assert!(filtered.body["items"].as_array().unwrap().is_empty());
    app.get(&path_b, &w.committee_staff_b).await.expect(200);
    // Unchanged by the refused attempts.
    assert_eq!(app.get(&path_b, &w.admin).await.body["name"], "鲁谷联络站");
}

#[tokio::test]
async fn group_staff_see_and_edit_only_their_group_and_cannot_move_it() {
    let w = World::new().await;
    let app = &w.app;
    let own = format!("/api/v1/liaison-groups/{}", w.group_a);
    let list = app
        .get("/api/v1/liaison-groups", &w.group_staff_a)
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    app.get(
        &format!("/api/v1/liaison-groups/{}", w.group_b),
        &w.group_staff_a,
    )
    .await
    .expect(404);
    let updated = app
        .patch(
            &own,
            &w.group_staff_a,
            json!({"opening_hours": "每周三 9:00–11:00", "head_name": null}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["opening_hours"], "每周三 9:00–11:00");
    assert!(updated.body["head_name"].is_null());
    app.patch(
        &own,
        &w.group_staff_a,
        json!({"committee_id": w.committee_b}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.delete(&own, &w.group_staff_a).await.expect(403);
    app.post(
        "/api/v1/liaison-groups",
        &w.group_staff_a,
        json!({"name": "新站", "kind": "station", "committee_id": w.committee_a, "address": "某路"}),
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn committee_staff_create_groups_only_in_their_subtree() {
    let w = World::new().await;
    let body = |committee: uuid::Uuid| json!({"name": "新联络站", "kind": "home", "committee_id": committee, "address": "某路 2 号"});
    let created = w
        .app
        .post(
            "/api/v1/liaison-groups",
            &w.committee_staff_a,
            body(w.committee_a),
        )
        .await
        .expect(201);
    assert_eq!(created.body["kind"], "home");
    assert_eq!(created.body["liaison_officers"], json!([]));
    w.app
        .post(
            "/api/v1/liaison-groups",
            &w.committee_staff_a,
            body(w.committee_b),
        )
        .await
        .expect_invalid("committee_id");
    w.app
        .post(
            "/api/v1/liaison-groups",
            &w.committee_staff_a,
            body(w.committee_a),
        )
        .await
        .expect_problem(409, "already_exists");
}

#[tokio::test]
async fn keyset_pagination_walks_every_row_once() {
    let w = World::new().await;
    for i in 0..7 {
        w.app
            .post(
                "/api/v1/liaison-groups",
                &w.admin,
                json!({"name": format!("组{i}"), "kind": "group", "committee_id": w.committee_a, "address": "地址"}),
            )
            .await
            .expect(201);
    }
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/liaison-groups?limit=2&cursor={c}"),
            None => "/api/v1/liaison-groups?limit=2".into(),
        };
        let page = w.app.get(&path, &w.admin).await.expect(200);
        pages += 1;
        for item in page.body["items"].as_array().unwrap() {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_owned()),
                "row seen twice"
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9);
    assert_eq!(pages, 5);
    w.app
        .get("/api/v1/liaison-groups?cursor=garbage!", &w.admin)
        .await
        .expect_problem(400, "invalid_cursor");
    w.app
        .get("/api/v1/liaison-groups?limit=1000", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
    w.app
        .get("/api/v1/liaison-groups?kind=castle", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
}

#[tokio::test]
async fn public_station_list_needs_no_token_and_names_nobody() {
    let w = World::new().await;
    w.app
        .post(
            "/api/v1/liaison-groups",
            &w.admin,
            json!({"name": "内部联络组", "kind": "group", "committee_id": w.committee_a, "address": "地址"}),
        )
        .await
        .expect(201);
    let reply = w
        .app
        .request(Method::GET, "/public/v1/stations", None, None)
        .await
        .expect(200);
    let items = reply.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "groups are not public: {}", reply.body);
    let text = reply.body.to_string();
    assert!(
        !text.contains("王站长") && !text.contains("李联络员"),
        "{text}"
    );
    assert!(
        items
            .iter()
            .all(|s| s.get("head_name").is_none() && s.get("liaison_officers").is_none())
    );
    assert_eq!(items[0]["opening_hours"], "每月 15 日");
    let within = w
        .app
        .request(
            Method::GET,
            &format!("/public/v1/stations?committee_id={}", w.committee_b),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(within.body["items"][0]["id"], w.group_b.to_string());
}
