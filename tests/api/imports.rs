use reqwest::Method;

use crate::helpers::World;

const HEADER: &str = "name,constituency_code,phone,id_number,address\n";

async fn upload(
    w: &World,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> crate::helpers::Reply {
    w.app
        .raw(
            Method::POST,
            &format!("/api/v1/imports/voters{query}"),
            Some(&w.admin),
            content_type,
            body,
        )
        .await
}

fn rows() -> String {
    format!(
        "{HEADER}欧阳娜娜,A-01,13811110001,,石景山区鲁谷路 74 号院\n司马光,A-01,13811110002,110107198001011230,八宝山 1 号\n"
    )
}

async fn names(w: &World) -> Vec<String> {
    let list = w
        .app
        .get("/api/v1/voters?limit=100", &w.admin)
        .await
        .expect(200);
    let mut names: Vec<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn gbk_and_utf8_bom_files_import_the_same_rows_and_reimport_is_a_no_op() {
    let utf8 = World::new().await;
    let gbk = World::new().await;
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), rows().as_bytes()].concat();
    let text = rows();
    let (encoded, _, _) = encoding_rs::GBK.encode(&text);
    let a = upload(&utf8, "", "text/csv", with_bom.clone())
        .await
        .expect(200);
    assert_eq!(a.body["created"], 2);
    let b = upload(&gbk, "", "text/csv", encoded.to_vec())
        .await
        .expect(200);
    assert_eq!(b.body["created"], 2);
    assert_eq!(names(&utf8).await, names(&gbk).await);
    assert!(names(&utf8).await.contains(&"欧阳娜娜".to_owned()));
    // Chinese text round-trips exactly.
    let list = utf8
        .app
        .get("/api/v1/voters?q=%E6%AC%A7%E9%98%B3", &utf8.admin)
        .await
        .expect(200);
    assert_eq!(list.body["items"][0]["address"], "石景山区鲁谷路 74 号院");

    let before = utf8.app.count("voters").await;
    let again = upload(&utf8, "", "text/csv", with_bom).await.expect(200);
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["unchanged"], 2);
    assert_eq!(utf8.app.count("voters").await, before);
    // An explicit charset is honoured.
    upload(&gbk, "?charset=gb18030", "text/csv", encoded.to_vec())
        .await
        .expect(200);
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_is_named() {
    let w = World::new().await;
    let before = w.app.count("voters").await;
    let file = format!(
        "{}好人,A-01,13811110003,,\n坏人,A-01,12345,,\n外人,ZZ-99,13811110004,,\n",
        rows()
    );
    let reply = upload(&w, "", "text/csv", file.into_bytes())
        .await
        .expect_problem(422, "import_rejected");
    let problems = reply.body["rows"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 5 && p["column"] == "phone"),
        "{}",
        reply.body
    );
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 6 && p["column"] == "constituency_code"),
        "{}",
        reply.body
    );
    assert_eq!(w.app.count("voters").await, before);
}

#[tokio::test]
async fn an_id_number_twice_in_one_file_names_the_second_line() {
    let w = World::new().await;
    let file = format!(
        "{HEADER}甲,A-01,13811110011,110107198001011230,\n乙,A-01,13811110012,110107198001011230,\n"
    );
    let reply = upload(&w, "", "text/csv", file.into_bytes())
        .await
        .expect_problem(422, "import_rejected");
    assert_eq!(reply.body["rows"][0]["line"], 3, "{}", reply.body);
    assert_eq!(reply.body["rows"][0]["column"], "id_number");
}

#[tokio::test]
async fn dry_run_validates_without_writing() {
    let w = World::new().await;
    let before = w.app.count("voters").await;
    let reply = upload(&w, "?dry_run=true", "text/csv", rows().into_bytes())
        .await
        .expect(200);
    assert_eq!(reply.body["dry_run"], true);
    assert_eq!(reply.body["created"], 2);
    assert_eq!(w.app.count("voters").await, before);
}

#[tokio::test]
async fn xlsx_files_import_too() {
    let w = World::new().await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["name", "constituency_code", "phone", "id_number", "address"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "诸葛亮").unwrap();
    sheet.write_string(1, 1, "A-01").unwrap();
    // Excel users type phone numbers as numbers.
    sheet.write_number(1, 2, 13811110009.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let reply = upload(
        &w,
        "",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    )
    .await
    .expect(200);
    assert_eq!(reply.body["created"], 1);
    let found = w
        .app
        .get("/api/v1/voters?phone=13811110009", &w.admin)
        .await
        .expect(200);
    assert_eq!(found.body["items"][0]["name"], "诸葛亮");
}

#[tokio::test]
async fn imports_stay_inside_the_callers_scope() {
    let w = World::new().await;
    // Committee B's staff cannot import into A's constituency.
    let reply = w
        .app
        .raw(
            Method::POST,
            "/api/v1/imports/voters",
            Some(&w.committee_staff_b),
            "text/csv",
            rows().into_bytes(),
        )
        .await
        .expect_problem(422, "import_rejected");
    assert!(reply.body["rows"][0]["column"] == "constituency_code");
    w.app
        .raw(
            Method::POST,
            "/api/v1/imports/voters",
            Some(&w.representative),
            "text/csv",
            rows().into_bytes(),
        )
        .await
        .expect(403);
}

const DEPUTIES: &str = "name,gender,level,term,constituency_code,liaison_group,employer,position,public_contact,phone\n\
王建国,男,区,16,A-01,八宝山联络站,石景山医院,院长,联络站 010-68880001,13811112222\n\
李市,female,city,16,,八宝山联络站,市政府,处长,,\n";

#[tokio::test]
async fn deputies_import_from_gbk_and_reimport_is_a_no_op() {
    let w = World::new().await;
    let (gbk, _, _) = encoding_rs::GBK.encode(DEPUTIES);
    let path = "/api/v1/imports/representatives";
    let first = w
        .app
        .raw(
            Method::POST,
            path,
            Some(&w.committee_staff_a),
            "text/csv",
            gbk.to_vec(),
        )
        .await
        .expect(200);
    assert_eq!(first.body["created"], 2);
    let again = w
        .app
        .raw(
            Method::POST,
            path,
            Some(&w.committee_staff_a),
            "text/csv",
            DEPUTIES.as_bytes().to_vec(),
        )
        .await
        .expect(200);
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["unchanged"], 2);
    let public = w
        .app
        .request(
            Method::GET,
            "/public/v1/representatives?q=%E7%8E%8B%E5%BB%BA%E5%9B%BD",
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(public.body["items"][0]["employer"], "石景山医院");
    assert_eq!(
        public.body["items"][0]["constituency"]["name"],
        "八宝山一选区"
    );

    let before = w.app.count("representatives").await;
    let bad =
        format!("{DEPUTIES}赵六,男,区,16,,八宝山联络站,,,,\n孙七,男,区,16,A-01,鲁谷联络站,,,,\n");
    let reply = w
        .app
        .raw(
            Method::POST,
            path,
            Some(&w.committee_staff_a),
            "text/csv",
            bad.into_bytes(),
        )
        .await
        .expect_problem(422, "import_rejected");
    let rows = reply.body["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["line"] == 4 && r["column"] == "constituency_code"),
        "{}",
        reply.body
    );
    assert!(
        rows.iter()
            .any(|r| r["line"] == 5 && r["column"] == "liaison_group"),
        "{}",
        reply.body
    );
    assert_eq!(w.app.count("representatives").await, before);
}
