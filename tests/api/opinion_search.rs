//! Searching opinions (`q`): the words are matched as written.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::World;
use crate::opinions::{opinion_body, submit_with};

/// The ids committee staff A find searching for `q` (as written in the query string).
async fn found(w: &World, q: &str) -> Vec<Uuid> {
    w.app
        .get(&format!("/api/v1/opinions?q={q}"), &w.committee_staff_a)
        .await
        .expect(200)
        .item_ids()
}

#[tokio::test]
async fn a_search_matches_its_words_literally() {
    // Quotes, backslashes and LIKE's wildcards are text like any other (`db::contains_pattern`
    // escapes the wildcards), and nothing breaks out of the statement.
    let w = World::new().await;
    let mut ids = vec![];
    for title in [
        "水费涨了100%不合理",
        "O'Brien家门口路灯坏了",
        "路径C:\\路灯\\坏了",
        "下水道_堵了",
        "价格$q$美元",
    ] {
        let mut body = opinion_body(&w);
        body["title"] = json!(title);
        body["content"] = json!("请尽快处理。");
        ids.push(submit_with(&w, body).await);
    }
    assert_eq!(found(&w, "%25").await, [ids[0]], "%");
    assert_eq!(found(&w, "%27").await, [ids[1]], "'");
    assert_eq!(found(&w, "%5C").await, [ids[2]], "\\");
    assert_eq!(
        found(&w, "%5C%5C%E8%B7%AF").await,
        Vec::<Uuid>::new(),
        "two backslashes"
    );
    assert_eq!(found(&w, "_").await, [ids[3]], "_");
    assert_eq!(found(&w, "%24q%24").await, [ids[4]], "$q$");
    for attempt in ["%27%20OR%20%27%27%3D%27", "%5C%27", "%27)%20OR%20true%20--"] {
        assert_eq!(found(&w, attempt).await, Vec::<Uuid>::new(), "{attempt}");
    }
    assert_eq!(found(&w, "%E8%B7%AF%E7%81%AF").await.len(), 2, "路灯");
}

#[tokio::test]
async fn a_corrected_opinion_is_found_by_its_new_words_only() {
    // The search reads a copy of the title and content (`opinion_search_texts`), which a
    // correction must keep in step, and a step that leaves the text alone must not lose.
    let w = World::new().await;
    let mut body = opinion_body(&w);
    body["title"] = json!("河道漂浮垃圾");
    body["content"] = json!("请安排清理。");
    let id = submit_with(&w, body).await;
    assert_eq!(found(&w, "漂浮").await, [id], "found by its title");
    w.app
        .patch(
            &format!("/api/v1/opinions/{id}"),
            &w.committee_staff_a,
            json!({"title": "人行道积水", "content": "雨后积水严重。"}),
        )
        .await
        .expect(200);
    assert_eq!(found(&w, "漂浮").await, Vec::<Uuid>::new(), "the old title");
    assert_eq!(found(&w, "积水").await, [id], "the new title and content");
    assert_eq!(found(&w, "严重").await, [id], "the new content alone");
    w.app
        .patch(
            &format!("/api/v1/opinions/{id}"),
            &w.committee_staff_a,
            json!({"urgent": true}),
        )
        .await
        .expect(200);
    assert_eq!(
        found(&w, "积水").await,
        [id],
        "after a change that leaves the text"
    );
}
