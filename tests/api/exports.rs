//! Exports: the list's rows in CSV and XLSX, row for row; formulas neutralised; no personal
//! data beyond a voter's name for staff; Chinese file names; streamed in batches.

use std::io::Cursor;
use std::time::Duration;

use calamine::{Reader, Xlsx};
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use liaison::config::Settings;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{VOTER_ADDRESS, VOTER_ID_NUMBER, VOTER_PHONE, World};
use crate::opinions::{opinion_body, refer_to, step};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn download(
    w: &World,
    token: &str,
    query: &str,
    accept: Option<&str>,
) -> (u16, HeaderMap, Vec<u8>) {
    let mut req = w
        .app
        .client
        .get(format!("{}/api/v1/exports/opinions?{query}", w.app.address))
        .bearer_auth(token);
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text
        .strip_prefix('\u{FEFF}')
        .expect("a byte-order mark first");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn csv_headings(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes)
        .unwrap()
        .trim_start_matches('\u{FEFF}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// Three opinions, one titled like a formula, one referred to body A.
async fn opinions(w: &World) -> Vec<Value> {
    let mut risky = opinion_body(w);
    risky["title"] = json!("=HYPERLINK(\"http://evil.example\",\"点我\")");
    risky["voter_id"] = json!(w.voter_a);
    let mut named = opinion_body(w);
    named["voter_id"] = json!(w.voter_a);
    let referred = w
        .app
        .post("/api/v1/opinions", &w.admin, named)
        .await
        .expect(201)
        .id();
    step(w, &w.admin, referred, refer_to(w.body_a))
        .await
        .expect(200);
    w.app
        .post("/api/v1/opinions", &w.admin, risky)
        .await
        .expect(201);
    w.app
        .post("/api/v1/opinions", &w.voter, opinion_body(w))
        .await
        .expect(201);
    w.app
        .get("/api/v1/opinions", &w.admin)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn csv_and_xlsx_hold_the_lists_rows_without_personal_data() {
    let w = World::new().await;
    let listed = opinions(&w).await;

    let (status, headers, csv) = download(&w, &w.admin, "", None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"opinions.csv\""),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''%E6%84%8F%E8%A7%81%E5%BB%BA%E8%AE%AE.csv"));
    let headings = csv_headings(&csv);
    assert_eq!(&headings[..3], ["编号", "标题", "内容"]);
    assert!(
        headings.contains(&"选民".to_owned()),
        "staff see the voter's name"
    );
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), listed.len());
    for (row, item) in rows.iter().zip(&listed) {
        assert_eq!(row[0], item["id"].as_str().unwrap());
        assert_eq!(row[5], item["state"].as_str().unwrap());
        let title = item["title"].as_str().unwrap();
        if title.starts_with('=') {
            assert_eq!(row[1], format!("'{title}"), "a formula is shown, never run");
        } else {
            assert_eq!(row[1], title);
        }
    }
    let text = String::from_utf8(csv.clone()).unwrap();
    for personal in [VOTER_PHONE, VOTER_ID_NUMBER, VOTER_ADDRESS, "鲁谷路 12 号"] {
        assert!(!text.contains(personal), "{personal} in the export");
    }

    // The same rows as XLSX, by Accept or by format=xlsx, with English headings.
    let (status, headers, xlsx) = download(&w, &w.admin, "headers=en", Some(XLSX)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], XLSX);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("opinions.xlsx")
    );
    let sheet = xlsx_rows(xlsx);
    assert_eq!(&sheet[0][..3], ["id", "title", "content"]);
    assert_eq!(sheet.len(), listed.len() + 1);
    for (row, item) in sheet[1..].iter().zip(&listed) {
        assert_eq!(row[0], item["id"].as_str().unwrap());
    }
    assert!(
        sheet.iter().any(|r| r[1].starts_with("'=HYPERLINK")),
        "neutralised in XLSX too"
    );

    // Filters are the list's: referred ones only.
    let (_, _, referred) = download(&w, &w.admin, "state=referred&format=csv", Some(XLSX)).await;
    assert_eq!(csv_rows(&referred).len(), 1);
}

#[tokio::test]
async fn bodies_and_deputies_get_no_voter_identity_and_voters_no_export() {
    let w = World::new().await;
    opinions(&w).await;
    for token in [&w.handling_body, &w.representative] {
        let (status, _, csv) = download(&w, token, "headers=en", None).await;
        assert_eq!(status, 200);
        assert!(!csv_headings(&csv).contains(&"voter".to_owned()));
        let text = String::from_utf8(csv).unwrap();
        assert!(!text.contains(&w.voter_a.to_string()));
    }
    let (_, _, body_rows) = download(&w, &w.handling_body, "", None).await;
    assert_eq!(
        csv_rows(&body_rows).len(),
        1,
        "only what was referred to the body"
    );
    let (status, _, _) = download(&w, &w.voter, "", None).await;
    assert_eq!(status, 403);
    // A client needs exports:read as well as opinions:read.
    let reader = w
        .app
        .service_client_token(&w.admin, &["opinions:read"])
        .await;
    let (status, headers, _) = download(&w, &reader, "", None).await;
    assert_eq!(status, 403);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("exports:read")
    );
}

/// `copies` more opinions like the world's first, straight into the table (no timelines: the
/// consistency triggers are off for this bulk load); the first's id.
async fn bulk_opinions(w: &World, copies: i32) -> uuid::Uuid {
    let first = crate::opinions::submit(w).await;
    let mut conn = w.app.db().await;
    diesel::sql_query("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query(
        "INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id,
             representative_id, voter_id, title, content, category, source, urgent,
             public_consent, state, round, received_at, current_due_at, version)
         SELECT uuid_generate_v7(), committee_id, constituency_id, liaison_group_id,
             representative_id, voter_id, title || ' ' || i, content, category, source, urgent,
             public_consent, state, round, received_at, current_due_at, version
         FROM opinions, generate_series(1, $2) AS i WHERE id = $1",
    )
    .bind::<SqlUuid, _>(first)
    .bind::<diesel::sql_types::Integer, _>(copies)
    .execute(&mut conn)
    .await
    .unwrap();
    first
}

/// The admin's export of every opinion, its headers read and its body left to the caller.
async fn every_opinion_as_csv(w: &World) -> reqwest::Response {
    let resp = w
        .app
        .client
        .get(format!("{}/api/v1/exports/opinions", w.app.address))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp
}

#[tokio::test]
async fn a_large_export_streams_in_batches() {
    let w = World::new().await;
    bulk_opinions(&w, 4999).await;
    let mut resp = every_opinion_as_csv(&w).await;
    assert!(
        resp.headers().get("content-length").is_none(),
        "streamed, not sized up front"
    );
    let mut chunks = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        chunks.push(chunk);
    }
    assert!(chunks.len() > 1, "the rows came in more than one piece");
    let all: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
    assert!(
        chunks[0].len() < all.len() / 2,
        "the first piece is not the whole"
    );
    assert_eq!(csv_rows(&all).len(), 5000);
}

/// A download of 60,000 opinions from a server with one database connection (worker), far more
/// than the sockets' buffers hold, stopped after its first piece until the server is left
/// waiting on the client: the world, the first opinion's id, the response and what was read.
async fn stalled_download(
    customise: impl FnOnce(&mut Settings),
) -> (World, uuid::Uuid, reqwest::Response, Vec<u8>) {
    let w = World::with(|s| {
        s.workers = 1;
        s.db_pool_size = 1;
        customise(s);
    })
    .await;
    let first = bulk_opinions(&w, 59_999).await;
    let mut resp = every_opinion_as_csv(&w).await;
    let read = resp.chunk().await.unwrap().unwrap().to_vec();
    tokio::time::sleep(Duration::from_millis(700)).await;
    (w, first, resp, read)
}

/// Reads the rest of a download and counts its rows.
async fn rows_read_on(mut resp: reqwest::Response, mut read: Vec<u8>) -> usize {
    while let Some(chunk) = resp.chunk().await.unwrap() {
        read.extend_from_slice(&chunk);
    }
    csv_rows(&read).len()
}

/// A CSV download takes a pooled connection for each batch and gives it back before the batch
/// is sent: a client that stops reading part-way holds none, so the server's one connection
/// still serves everyone else; and once it reads on, every row arrives.
#[tokio::test]
async fn a_stalled_download_holds_no_database_connection() {
    let (w, _, resp, read) =
        stalled_download(|s| s.db_timeouts.pool_wait = Duration::from_millis(500)).await;
    for _ in 0..3 {
        w.app
            .get("/api/v1/opinions?limit=1", &w.admin)
            .await
            .expect(200);
    }
    assert_eq!(rows_read_on(resp, read).await, 60_000);
}

/// A later batch of a download waits for a busy connection longer than a new request would
/// (a new request gets 503 after one pool wait): held past several waits, the download still
/// finishes whole.
#[tokio::test]
async fn a_download_waits_its_turn_for_a_busy_connection() {
    let (w, first, resp, read) = stalled_download(|s| {
        s.db_timeouts.pool_wait = Duration::from_millis(300);
        s.db_timeouts.lock = Duration::from_secs(10);
    })
    .await;
    // A correction of the first opinion waits on its row, locked here, holding the server's
    // one connection meanwhile.
    let mut lock = w.app.db().await;
    lock.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM opinions WHERE id = '{first}' FOR UPDATE"
    ))
    .await
    .unwrap();
    let held = {
        let client = w.app.client.clone();
        let url = format!("{}/api/v1/opinions/{first}", w.app.address);
        let admin = w.admin.clone();
        tokio::spawn(async move {
            client
                .patch(url)
                .bearer_auth(admin)
                .json(&json!({"title": "等它的行锁"}))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rest = tokio::spawn(rows_read_on(resp, read));
    // Five pool waits, then the row is let go.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    lock.batch_execute("ROLLBACK").await.unwrap();
    assert!(held.await.unwrap().is_ok());
    assert_eq!(rest.await.unwrap(), 60_000);
}

#[tokio::test]
async fn activities_export_the_lists_rows_with_names() {
    let w = World::new().await;
    let mut risky = crate::activities::plan_body(&w, crate::activities::local_day(12), false);
    risky["topic"] = json!("@SUM(1+1) 进站接待");
    crate::activities::plan(&w, &w.admin, risky).await;
    crate::activities::plan(
        &w,
        &w.admin,
        crate::activities::plan_body(&w, crate::activities::local_day(10), false),
    )
    .await;
    let listed = w
        .app
        .get("/api/v1/activities", &w.admin)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone();
    let resp = w
        .app
        .client
        .get(format!(
            "{}/api/v1/exports/activities?headers=en",
            w.app.address
        ))
        .bearer_auth(&w.committee_staff_a)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''%E4%BB%A3%E8%A1%A8%E6%B4%BB%E5%8A%A8.csv"),
        "{disposition}"
    );
    let csv = resp.bytes().await.unwrap().to_vec();
    assert_eq!(
        csv_headings(&csv)[..5],
        ["id", "kind", "form", "status", "topic"]
    );
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), listed.len());
    for (row, item) in rows.iter().zip(&listed) {
        assert_eq!(row[0], item["id"].as_str().unwrap());
        assert_eq!(row[3], item["status"].as_str().unwrap());
        assert!(!row[9].is_empty(), "the deputies by name: {row:?}");
    }
    assert!(rows.iter().any(|r| r[4] == "'@SUM(1+1) 进站接待"));
    // Staff of committee B export none of A's activities.
    let resp = w
        .app
        .client
        .get(format!("{}/api/v1/exports/activities", w.app.address))
        .bearer_auth(&w.committee_staff_b)
        .send()
        .await
        .unwrap();
    assert_eq!(csv_rows(&resp.bytes().await.unwrap()).len(), 0);
}

#[tokio::test]
async fn a_search_exports_the_lists_matches() {
    // An export reads through the list's query and its planning (`model::planned_for`): a
    // search keeps to its matches, a word nobody used gives no row, a blank one is no search.
    let w = World::new().await;
    let listed = opinions(&w).await;
    let formula: Vec<&str> = listed
        .iter()
        .filter(|o| o["title"].as_str().unwrap().contains("HYPERLINK"))
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(formula.len(), 1);
    let exported = async |query: &str| {
        let (status, _, csv) = download(&w, &w.admin, query, None).await;
        assert_eq!(status, 200, "{query}");
        csv_rows(&csv)
            .into_iter()
            .map(|row| row[0].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(exported("q=HYPERLINK").await, formula);
    assert!(
        exported("q=%E6%97%A0%E4%BA%BA%E6%8F%90%E8%BF%87")
            .await
            .is_empty()
    );
    assert_eq!(exported("q=%20%20").await.len(), listed.len());
}
