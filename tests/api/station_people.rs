//! A station's people are people (issue 14, point 12): the head is a deputy of the group, the
//! liaison officers are its group-staff accounts, named as attendees and as the one who passed
//! an answer back to the voter.

use serde_json::json;

use crate::activities::{hold_body, local_day, plan, plan_body};
use crate::helpers::World;
use crate::opinions::{answer, events, refer_to, step, submit};

#[tokio::test]
async fn heads_and_officers_are_deputies_and_accounts_of_the_group() {
    let w = World::new().await;
    let group = format!("/api/v1/liaison-groups/{}", w.group_a);
    let elsewhere = w
        .app
        .post(
            "/api/v1/representatives",
            &w.admin,
            json!({"name": "外站代表", "gender": "female", "level": "district", "term": 16,
                   "constituency_id": w.constituency_b, "liaison_group_id": w.group_b}),
        )
        .await
        .expect(201)
        .id();
    w.app
        .patch(
            &group,
            &w.group_staff_a,
            json!({"head_representative_id": elsewhere}),
        )
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .patch(
            &group,
            &w.group_staff_a,
            json!({"officer_account_ids": [w.committee_staff_a_id]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let updated = w
        .app
        .patch(
            &group,
            &w.group_staff_a,
            json!({"head_representative_id": w.representative_a,
                   "officer_account_ids": [w.group_staff_a_id]}),
        )
        .await
        .expect(200);
    assert_eq!(
        updated.body["head_representative_id"],
        json!(w.representative_a)
    );
    assert_eq!(
        updated.body["officer_account_ids"],
        json!([w.group_staff_a_id])
    );

    // The officer attends an activity of the station; an account that is no officer cannot.
    let activity = plan(&w, &w.group_staff_a, plan_body(&w, local_day(5), false)).await;
    let mut hold = hold_body(&w, json!([]));
    hold["attendee_officer_ids"] = json!([w.committee_staff_a_id]);
    w.app
        .post(
            &format!("/api/v1/activities/{activity}/hold"),
            &w.group_staff_a,
            hold.clone(),
        )
        .await
        .expect_problem(422, "validation_failed");
    hold["attendee_officer_ids"] = json!([w.group_staff_a_id]);
    let held = w
        .app
        .post(
            &format!("/api/v1/activities/{activity}/hold"),
            &w.group_staff_a,
            hold,
        )
        .await
        .expect(200);
    assert_eq!(
        held.body["attendee_officer_ids"],
        json!([w.group_staff_a_id])
    );

    // The officer passed the answer back to the voter: named on the timeline.
    let id = submit(&w).await;
    step(&w, &w.admin, id, refer_to(w.body_a)).await.expect(200);
    step(&w, &w.handling_body, id, answer()).await.expect(200);
    let mut fed = json!({"action": "feed_back", "method": "in_person", "text": "联络员上门告知答复。",
                         "officer_id": w.committee_staff_a_id});
    step(&w, &w.group_staff_a, id, fed.clone())
        .await
        .expect_problem(422, "validation_failed");
    fed["officer_id"] = json!(w.group_staff_a_id);
    step(&w, &w.group_staff_a, id, fed).await.expect(200);
    let timeline = events(&w, &w.admin, id).await;
    assert_eq!(
        timeline.last().unwrap()["payload"]["officer_id"],
        json!(w.group_staff_a_id)
    );
}
