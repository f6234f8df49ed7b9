//! Searching opinions (`q`): the words are matched as written.

use serde_json::json;
use uuid::Uuid;

use crate::exports::{csv_rows, download};
use crate::helpers::World;
use crate::opinions::{opinion_body, submit, submit_with};

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

/// An opinion's title, committee, constituency and category.
type Copied<'a> = (String, Uuid, Uuid, &'a str);

/// Copies opinion `template` as `rows` of (title, committee, constituency, category), with ids
/// newer than any the server has given, in the order listed (the first oldest): a search's
/// window needs more opinions than a test can submit one by one.
async fn copies_in_order(w: &World, template: Uuid, rows: &[Copied<'_>]) -> Vec<Uuid> {
    let start = chrono::Utc::now().timestamp_millis() + 60_000;
    let ids: Vec<Uuid> = (0..rows.len() as i64)
        .map(|i| {
            format!("{:012x}70008{:015x}", start + i, i)
                .parse()
                .unwrap()
        })
        .collect();
    let values: Vec<String> = rows
        .iter()
        .zip(&ids)
        .map(|((title, committee, constituency, category), id)| {
            format!("('{id}'::uuid, '{title}', '{committee}'::uuid, '{constituency}'::uuid, '{category}')")
        })
        .collect();
    // Each with its timeline's first event, as the template's: an opinion without one fails
    // the timeline's check at commit.
    w.app
        .sql(&format!(
            "WITH v (id, title, committee, constituency, category) AS (VALUES {}),
             copied AS (
                 INSERT INTO opinions (id, title, committee_id, constituency_id, category,
                     content, source, urgent, public_consent, state, round, received_at,
                     version, created_at, updated_at)
                 SELECT v.id, v.title, v.committee, v.constituency, v.category, o.content,
                     o.source, o.urgent, o.public_consent, o.state, o.round, o.received_at,
                     o.version, o.created_at, o.updated_at
                 FROM opinions o, v WHERE o.id = '{template}'
                 RETURNING id)
             INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round,
                 actor_id, actor_role, at, payload, internal)
             SELECT gen_random_uuid(), copied.id, e.action, e.from_state, e.to_state, e.round,
                 e.actor_id, e.actor_role, e.at, e.payload, e.internal
             FROM opinion_events e, copied WHERE e.opinion_id = '{template}'",
            values.join(", ")
        ))
        .await;
    ids
}

/// Every id a search lists, page after page of `limit`, as `token` sees them.
async fn all_pages(w: &World, token: &str, query: &str, limit: usize) -> Vec<Uuid> {
    let mut ids = vec![];
    let mut after: Option<String> = None;
    loop {
        let cursor = after
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page = w
            .app
            .get(
                &format!("/api/v1/opinions?{query}&limit={limit}{cursor}"),
                token,
            )
            .await
            .expect(200);
        let found = page.item_ids();
        assert!(
            found.len() <= limit,
            "a page of {limit} held {}",
            found.len()
        );
        ids.extend(found);
        match page.body["next_cursor"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn a_word_only_older_opinions_hold_is_found_past_the_newest() {
    // A search walks the newest opinions its filters let through (`SEARCH_WINDOW` of them)
    // and takes the rest of a page from the trigram index: matches older than a window of
    // opinions without the word are found, newest first, once each across pages, for staff
    // (whose committee the index reads) and for an admin, and a filter still applies to them.
    use liaison::opinions::model::SEARCH_WINDOW;
    let w = World::new().await;
    let template = submit(&w).await;
    let (a, b) = (w.committee_a, w.committee_b);
    let (ca, cb) = (w.constituency_a, w.constituency_b);
    let mut rows: Vec<Copied> = vec![];
    for i in 0..5 {
        let category = if i == 1 {
            "transport"
        } else {
            "urban_management"
        };
        rows.push((format!("往年防汛物资 {i}"), a, ca, category));
    }
    rows.push(("往年防汛物资 乙".into(), b, cb, "urban_management"));
    for i in 0..SEARCH_WINDOW + 5 {
        rows.push((format!("路灯坏了 {i}"), a, ca, "urban_management"));
    }
    rows.push(("今年防汛物资 0".into(), a, ca, "urban_management"));
    rows.push(("今年防汛物资 1".into(), a, ca, "urban_management"));
    rows.push(("路灯又坏了".into(), a, ca, "urban_management"));
    let ids = copies_in_order(&w, template, &rows).await;
    let newest_first = |keep: &dyn Fn(&Copied) -> bool| -> Vec<Uuid> {
        let mut found: Vec<Uuid> = rows
            .iter()
            .zip(&ids)
            .filter(|(row, _)| row.0.contains("防汛") && keep(row))
            .map(|(_, id)| *id)
            .collect();
        found.reverse();
        found
    };
    let word = "q=%E9%98%B2%E6%B1%9B"; // 防汛
    let in_a = newest_first(&|row| row.1 == a);
    assert_eq!(in_a.len(), 7);
    for limit in [3, 50] {
        assert_eq!(
            all_pages(&w, &w.committee_staff_a, word, limit).await,
            in_a,
            "staff, pages of {limit}"
        );
        assert_eq!(
            all_pages(&w, &w.admin, word, limit).await,
            newest_first(&|_| true),
            "admin, pages of {limit}"
        );
    }
    assert_eq!(
        all_pages(
            &w,
            &w.committee_staff_a,
            &format!("{word}&category=urban_management"),
            2
        )
        .await,
        newest_first(&|row| row.1 == a && row.3 == "urban_management"),
        "a filter applies beyond the window too"
    );
    assert_eq!(
        all_pages(&w, &w.committee_staff_b, word, 3).await,
        newest_first(&|row| row.1 == b),
        "another committee's staff"
    );
    // The export reads its batches the same way.
    let (status, _, csv) = download(&w, &w.committee_staff_a, word, None).await;
    assert_eq!(status, 200);
    let exported: Vec<Uuid> = csv_rows(&csv)
        .iter()
        .map(|row| row[0].parse().unwrap())
        .collect();
    assert_eq!(exported, in_a, "the export");
}
