use serde_json::json;

use crate::helpers::World;

#[tokio::test]
async fn committee_tree_records_paths_and_moves_subtrees() {
    let w = World::new().await;
    let app = &w.app;
    let joint = app
        .post(
            "/api/v1/committees",
            &w.admin,
            json!({"name": "第一联组", "kind": "joint_group", "parent_id": w.committee_a}),
        )
        .await
        .expect(201);
    assert_eq!(
        joint.body["path"],
        json!([w.standing, w.committee_a, joint.id()])
    );
    assert_eq!(
        joint.headers["location"],
        format!("/api/v1/committees/{}", joint.id())
    );

    // Moving A under B carries the joint group along.
    app.patch(
        &format!("/api/v1/committees/{}", w.committee_a),
        &w.admin,
        json!({"parent_id": w.committee_b}),
    )
    .await
    .expect(200);
    let moved = app
        .get(&format!("/api/v1/committees/{}", joint.id()), &w.admin)
        .await
        .expect(200);
    assert_eq!(
        moved.body["path"],
        json!([w.standing, w.committee_b, w.committee_a, joint.id()])
    );

    // A committee cannot move under its own subtree.
    let cycle = app
        .patch(
            &format!("/api/v1/committees/{}", w.committee_b),
            &w.admin,
            json!({"parent_id": joint.id()}),
        )
        .await
        .expect_problem(409, "conflicts_with_record");
    assert!(cycle.body["detail"].as_str().unwrap().contains("subtree"));
}

#[tokio::test]
async fn non_root_committees_need_a_parent_and_siblings_need_distinct_names() {
    let w = World::new().await;
    w.app
        .post(
            "/api/v1/committees",
            &w.admin,
            json!({"name": "无上级", "kind": "township"}),
        )
        .await
        .expect_invalid("parent_id");
    w.app
        .post("/api/v1/committees", &w.admin, json!({"name": "八宝山街道人大工委", "kind": "working_committee", "parent_id": w.standing}))
        .await
        .expect_problem(409, "already_exists");
}

#[tokio::test]
async fn committee_staff_see_and_change_only_their_subtree() {
    let w = World::new().await;
    let app = &w.app;
    let list = app
        .get("/api/v1/committees", &w.committee_staff_a)
        .await
        .expect(200);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![w.committee_a.to_string()]);

    app.get(
        &format!("/api/v1/committees/{}", w.committee_b),
        &w.committee_staff_a,
    )
    .await
    .expect_problem(404, "not_found");
    app.get(
        &format!("/api/v1/committees/{}", w.standing),
        &w.committee_staff_a,
    )
    .await
    .expect(404);
    app.patch(
        &format!("/api/v1/committees/{}", w.committee_b),
        &w.committee_staff_a,
        json!({"name": "x"}),
    )
    .await
    .expect(404);
    app.delete(
        &format!("/api/v1/committees/{}", w.committee_b),
        &w.committee_staff_a,
    )
    .await
    .expect(404);

    // Inside their subtree they create and manage; their own node stays read-only.
    let child = app
        .post(
            "/api/v1/committees",
            &w.committee_staff_a,
            json!({"name": "一组", "kind": "joint_group", "parent_id": w.committee_a}),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/api/v1/committees/{}", child.id()),
        &w.committee_staff_a,
        json!({"name": "第一组"}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/committees/{}", w.committee_a),
        &w.committee_staff_a,
        json!({"name": "改名"}),
    )
    .await
    .expect_problem(403, "forbidden");
    // Placing something under another subtree is refused without revealing it.
    app.post(
        "/api/v1/committees",
        &w.committee_staff_a,
        json!({"name": "越界", "kind": "joint_group", "parent_id": w.committee_b}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/committees",
        &w.committee_staff_a,
        json!({"name": "新区", "kind": "standing_committee"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.delete(
        &format!("/api/v1/committees/{}", child.id()),
        &w.committee_staff_a,
    )
    .await
    .expect(204);
    app.get(&format!("/api/v1/committees/{}", child.id()), &w.admin)
        .await
        .expect(404);
}

#[tokio::test]
async fn committees_in_use_cannot_be_deleted() {
    let w = World::new().await;
    w.app
        .delete(&format!("/api/v1/committees/{}", w.committee_a), &w.admin)
        .await
        .expect_problem(409, "in_use");
    w.app
        .get(&format!("/api/v1/committees/{}", w.committee_a), &w.admin)
        .await
        .expect(200);
}

#[tokio::test]
async fn committee_list_filters() {
    let w = World::new().await;
    let app = &w.app;
    let by_kind = app
        .get("/api/v1/committees?kind=working_committee", &w.admin)
        .await
        .expect(200);
    assert_eq!(by_kind.body["items"].as_array().unwrap().len(), 2);
    let children = app
        .get(
            &format!("/api/v1/committees?parent_id={}", w.standing),
            &w.admin,
        )
        .await
        .expect(200);
    assert_eq!(children.body["items"].as_array().unwrap().len(), 2);
    let within = app
        .get(
            &format!("/api/v1/committees?within={}", w.committee_b),
            &w.admin,
        )
        .await
        .expect(200);
    assert_eq!(within.body["items"].as_array().unwrap().len(), 1);
    let q = app
        .get("/api/v1/committees?q=%E9%B2%81%E8%B0%B7", &w.admin)
        .await
        .expect(200); // 鲁谷
    assert_eq!(q.body["items"][0]["id"], w.committee_b.to_string());
    // Wildcards in q are literal.
    let pct = app
        .get("/api/v1/committees?q=%25", &w.admin)
        .await
        .expect(200);
    assert_eq!(pct.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn committee_staff_set_the_rules_below_them_never_their_own() {
    let w = World::new().await;
    let app = &w.app;
    let own = format!("/api/v1/committees/{}/policy", w.committee_a);
    let relaxed = json!({"answer_months": 24, "annual_reports_per_year": 0});
    app.request(
        reqwest::Method::PUT,
        &own,
        Some(&w.committee_staff_a),
        Some(relaxed.clone()),
    )
    .await
    .expect_problem(403, "forbidden");
    let unchanged = app.get(&own, &w.committee_staff_a).await.expect(200);
    assert!(unchanged.body["own"]["answer_months"].is_null());
    assert_eq!(unchanged.body["effective"]["annual_reports_per_year"], 1);
    // The level above sets them.
    app.request(
        reqwest::Method::PUT,
        &own,
        Some(&w.admin),
        Some(relaxed.clone()),
    )
    .await
    .expect(200);
    // Below their own committee, committee staff keep the rules themselves.
    let child = app
        .post(
            "/api/v1/committees",
            &w.committee_staff_a,
            json!({"name": "八宝山社区联组", "kind": "joint_group", "parent_id": w.committee_a}),
        )
        .await
        .expect(201)
        .id();
    let below = format!("/api/v1/committees/{child}/policy");
    let set = app
        .request(
            reqwest::Method::PUT,
            &below,
            Some(&w.committee_staff_a),
            Some(json!({"answer_months": 2})),
        )
        .await
        .expect(200);
    assert_eq!(set.body["effective"]["answer_months"], 2);
}
