//! The opinion list stays an index scan at a million rows, for every role's scope and every
//! filter: the real query (`opinions::model::list_query`) is `EXPLAIN`ed, binds and all; so
//! does the obligations page's read of open opinions. The changes feed reads from its
//! position onwards.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use liaison::access::{Binding, Caller, Role};
use liaison::db::Explain;
use liaison::db::schema::opinions;
use liaison::obligations::model::{attended_query, open_opinions_query};
use liaison::opinions::dto::OpinionListQuery;
use liaison::opinions::lifecycle::State;
use liaison::opinions::model::{Opinion, list_query, planned_for};
use liaison::pagination::PageRequest;

use crate::helpers::World;

fn caller(role: Role, binding: Binding) -> Caller {
    Caller {
        account_id: Uuid::nil(),
        username: "plan".into(),
        role,
        binding,
        session_id: Uuid::nil(),
        must_change_password: false,
        scopes: None,
        leaf_committee: false,
    }
}

/// A million opinions spread over two committees, five states, six categories; loaded with
/// triggers and foreign-key checks off (this is a throwaway database) and indexes built after.
async fn load_a_million(w: &World) -> diesel_async::AsyncPgConnection {
    let mut conn = w.app.db().await;
    let (a, b) = (w.committee_a, w.committee_b);
    let (ca, cb) = (w.constituency_a, w.constituency_b);
    let (group, rep, voter) = (w.group_a, w.representative_a, w.voter_a);
    let indexes: Vec<String> = diesel::sql_query(
        "SELECT indexdef AS def FROM pg_indexes
         WHERE tablename IN ('opinions', 'opinion_search_texts')
           AND indexname NOT IN ('opinions_pkey', 'opinion_search_texts_pkey')",
    )
    .load::<Def>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|d| d.def)
    .collect();
    let mut script = vec!["SET maintenance_work_mem = '256MB'".to_owned()];
    script.extend(indexes.iter().map(|def| {
        // `CREATE [UNIQUE] INDEX name ON …`
        let words: Vec<&str> = def.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "INDEX").unwrap();
        format!("DROP INDEX {}", words[at + 1])
    }));
    script.push("SET session_replication_role = replica".into());
    script.push(format!(
        "INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id, representative_id,
             voter_id, title, content, category, source, state, received_at, current_due_at, urgent)
         SELECT (lpad(to_hex(i), 12, '0') || '7000800000000000' || lpad(to_hex(i % 65536), 4, '0'))::uuid,
             CASE WHEN i % 2 = 0 THEN '{a}'::uuid ELSE '{b}'::uuid END,
             CASE WHEN i % 2 = 0 THEN '{ca}'::uuid ELSE '{cb}'::uuid END,
             CASE WHEN i % 10 = 0 THEN '{group}'::uuid END,
             CASE WHEN i % 20 = 0 THEN '{rep}'::uuid END,
             CASE WHEN i % 1000 = 0 THEN '{voter}'::uuid END,
             t.title[1 + i % 6] || ' ' || i, t.content[1 + i % 4],
             t.cat[1 + i % 6], 'online', t.st[1 + i % 5],
             t.now - i * interval '1 minute',
             CASE WHEN i % 5 < 3 THEN t.now + (i % 1000 - 500) * interval '1 hour' END,
             i % 97 = 0
         FROM generate_series(1, 1000000) AS i,
             (SELECT ARRAY['路灯坏了', '垃圾清运不及时', '停车难', '噪音扰民', '学校扩建', '老旧小区加装电梯'] AS title,
                     ARRAY['小区门口的路灯已经坏了一个月', '希望增加公交线路', '菜市场周边环境脏乱', '建议增设无障碍设施'] AS content,
                     ARRAY['urban_management', 'transport', 'education', 'healthcare', 'environment', 'other'] AS cat,
                     ARRAY['received', 'referred', 'answered', 'fed_back', 'declined'] AS st,
                     now() AS now) AS t"
    ));
    script.push(
        "INSERT INTO opinion_search_texts (opinion_id, title, content)
         SELECT id, title, content FROM opinions"
            .into(),
    );
    script.push("SET session_replication_role = origin".into());
    script.extend(indexes);
    script.push("ANALYZE opinions, opinion_search_texts".into());
    for sql in script {
        diesel::sql_query(&sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    enable_mergejoin: String,
}

#[derive(QueryableByName)]
struct Def {
    #[diesel(sql_type = diesel::sql_types::Text)]
    def: String,
}

#[tokio::test]
async fn opinion_lists_stay_index_scans_at_a_million_rows() {
    let w = World::new().await;
    let mut conn = load_a_million(&w).await;
    let admin = caller(Role::Admin, Binding::Unbound);
    let staff = caller(Role::CommitteeStaff, Binding::Committee(w.committee_a));
    let cases: Vec<(&str, Caller, OpinionListQuery)> = vec![
        (
            "committee staff",
            staff.clone(),
            OpinionListQuery::default(),
        ),
        (
            "committee staff, referred",
            staff.clone(),
            OpinionListQuery {
                state: Some(State::Referred),
                ..Default::default()
            },
        ),
        (
            "group staff",
            caller(Role::GroupStaff, Binding::LiaisonGroup(w.group_a)),
            OpinionListQuery::default(),
        ),
        (
            "deputy",
            caller(
                Role::Representative,
                Binding::Representative(w.representative_a),
            ),
            OpinionListQuery::default(),
        ),
        (
            "voter",
            caller(Role::Voter, Binding::Voter(w.voter_a)),
            OpinionListQuery::default(),
        ),
        (
            "handling body",
            caller(Role::HandlingBody, Binding::HandlingBody(w.body_a)),
            OpinionListQuery::default(),
        ),
        (
            "search",
            admin.clone(),
            OpinionListQuery {
                q: Some("加装电梯".into()),
                ..Default::default()
            },
        ),
        (
            "committee subtree, category and urgent",
            admin.clone(),
            OpinionListQuery {
                committee_id: Some(w.committee_b),
                category: Some("transport".into()),
                urgent: Some(true),
                ..Default::default()
            },
        ),
        (
            "external reference",
            admin.clone(),
            OpinionListQuery {
                external_system: Some("dbhd".into()),
                external_id: Some("HD-1".into()),
                ..Default::default()
            },
        ),
        (
            "overdue",
            staff.clone(),
            OpinionListQuery {
                overdue: Some(true),
                ..Default::default()
            },
        ),
        (
            "received date range",
            admin.clone(),
            OpinionListQuery {
                received_from: Some(chrono::Utc::now().date_naive() - chrono::Days::new(30)),
                received_to: Some(chrono::Utc::now().date_naive() - chrono::Days::new(20)),
                ..Default::default()
            },
        ),
        (
            "constituency and handling body",
            admin.clone(),
            OpinionListQuery {
                constituency_id: Some(w.constituency_a),
                handling_body_id: Some(w.body_a),
                ..Default::default()
            },
        ),
    ];
    let deep_page = PageRequest::parse(Some(50), None).unwrap();
    let mut failures = vec![];
    for (label, who, filters) in &cases {
        for page in [
            deep_page,
            PageRequest {
                after: Some("00000007-a120-7000-8000-00000000a120".parse().unwrap()),
                ..deep_page
            },
        ] {
            let plan: Vec<String> =
                Explain(list_query(who, filters, page).select(Opinion::as_select()))
                    .load(&mut conn)
                    .await
                    .unwrap();
            let plan = plan.join("\n");
            if plan.contains("Seq Scan on opinions") || !plan.contains("Index") {
                failures.push(format!("{label}:\n{plan}"));
            }
            // The plan a server's connection runs: one generic plan per prepared statement.
            let generic = generic_plan(
                &mut conn,
                &list_query(who, filters, page).select(Opinion::as_select()),
            )
            .await;
            if generic.contains("Seq Scan on opinions") || !generic.contains("Index") {
                failures.push(format!("{label} (generic plan):\n{generic}"));
            }
        }
    }
    // Staff of a committee with none below it compare with it directly: the index gives
    // their list in order, where a subtree's matches must all be read and sorted; so their
    // page reads its rows as it walks (`in_full::list_visible`), with no sort of them.
    let leaf = Caller {
        leaf_committee: true,
        ..staff.clone()
    };
    let referred = OpinionListQuery {
        state: Some(State::Referred),
        ..Default::default()
    };
    for (label, filters) in [
        ("leaf", OpinionListQuery::default()),
        ("leaf, referred", referred),
    ] {
        let generic = generic_plan(
            &mut conn,
            &list_query(&leaf, &filters, deep_page).select(Opinion::as_select()),
        )
        .await;
        if generic.contains("Sort") || !generic.contains("Index") {
            failures.push(format!("{label} (generic plan, sorted):\n{generic}"));
        }
    }
    // A search is planned for its words (`opinions::model::planned_for` asks for custom plans, for the list and the export): for a
    // word no opinion holds, the trigram indexes find none at once, where the one generic
    // plan walks the whole table newest first.
    let rare = OpinionListQuery {
        q: Some("无人提过的词语".into()),
        ..Default::default()
    };
    let rare_query = || list_query(&admin, &rare, deep_page).select(opinions::id);
    let generic = generic_plan(&mut conn, &rare_query()).await;
    assert!(
        !generic.contains("trgm"),
        "the generic plan of a search no longer walks the table; custom plans may not be needed:\n{generic}"
    );
    {
        use diesel_async::SimpleAsyncConnection;
        conn.batch_execute("SET plan_cache_mode = force_custom_plan")
            .await
            .unwrap();
    }
    let custom: Vec<String> = Explain(rare_query()).load(&mut conn).await.unwrap();
    let custom = custom.join("\n");
    if !custom.contains("opinion_search_texts_trgm_idx") {
        failures.push(format!(
            "search for a word no opinion holds (custom plan):\n{custom}"
        ));
    }
    // A search runs without merge joins (`db::with_text_search_plans` says why): a committee's
    // staff searching a word its opinions hold, which the planner otherwise merged from the
    // texts of every committee's opinions.
    let in_scope = OpinionListQuery {
        q: Some("路灯".into()),
        ..Default::default()
    };
    let scoped = planned_for(&mut conn, &in_scope, async |conn| {
        let plan: Vec<String> =
            Explain(list_query(&staff, &in_scope, deep_page).select(opinions::id))
                .load(conn)
                .await?;
        let merge_joins: Vec<String> = diesel::sql_query("SHOW enable_mergejoin")
            .load::<Setting>(conn)
            .await?
            .into_iter()
            .map(|s| s.enable_mergejoin)
            .collect();
        Ok((plan.join("\n"), merge_joins))
    })
    .await
    .unwrap();
    if scoped.1 != ["off"] || scoped.0.contains("Merge Join") {
        failures.push(format!(
            "a committee's search (merge joins {:?}):\n{}",
            scoped.1, scoped.0
        ));
    }
    let after: Vec<Setting> = diesel::sql_query("SHOW enable_mergejoin")
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        after[0].enable_mergejoin, "on",
        "merge joins back after a search"
    );
    // The obligations page's read of its deputies' overdue (or open) opinions keeps to the
    // partial index that spells out the open states (migration 000027): if
    // `lifecycle::is_open` and the index's predicate drift apart, the plan falls back to
    // reading every opinion of each deputy.
    let now = chrono::Utc::now();
    let open: Vec<String> = Explain(open_opinions_query(&[w.representative_a], now, now))
        .load(&mut conn)
        .await
        .unwrap();
    let open = open.join("\n");
    if !open.contains("opinions_open_by_representative_due_idx") || open.contains("Seq Scan") {
        failures.push(format!("open opinions of a page of deputies:\n{open}"));
    }
    // And its read of their participations keeps to the partial index of attendances at held
    // activities (migration 000029), in that index's order: the predicate is written as
    // columns, so a generic plan proves it too, and the rows need no sort. (Sequential scans
    // are off: this database holds few participations, and the point is which index.)
    {
        use diesel_async::SimpleAsyncConnection;
        conn.batch_execute("SET enable_seqscan = off")
            .await
            .unwrap();
    }
    let year = (now - chrono::Duration::days(365), now);
    let attended = generic_plan(
        &mut conn,
        &attended_query(&[w.representative_a], year, year.0),
    )
    .await;
    if !attended.contains("activity_participants_attended_idx") || attended.contains("Sort") {
        failures.push(format!(
            "attended activities of a page of deputies (generic plan):\n{attended}"
        ));
    }
    assert!(
        failures.is_empty(),
        "sequential scans:\n{}",
        failures.join("\n\n")
    );
}

/// The generic plan of `query`, as a server's connection keeps it (`db::connect` sets
/// `plan_cache_mode = force_generic_plan`): PREPAREd from its SQL, then EXPLAIN EXECUTE with
/// its own values written as literals.
async fn generic_plan<Q>(conn: &mut diesel_async::AsyncPgConnection, query: &Q) -> String
where
    Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    use diesel_async::SimpleAsyncConnection;
    let shown = diesel::debug_query::<diesel::pg::Pg, _>(query).to_string();
    let (sql, binds) = shown.rsplit_once(" -- binds: ").unwrap();
    let binds = binds.trim();
    let binds = binds
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap();
    let values: Vec<String> = top_level_items(binds)
        .into_iter()
        .map(|v| sql_literal(&v))
        .collect();
    conn.batch_execute(&format!(
        "SET plan_cache_mode = force_generic_plan; DEALLOCATE ALL; PREPARE plan_probe AS {sql}"
    ))
    .await
    .unwrap();
    let lines: Vec<Plan> =
        diesel::sql_query(format!("EXPLAIN EXECUTE plan_probe({})", values.join(", ")))
            .load(conn)
            .await
            .unwrap_or_else(|e| panic!("{sql} {values:?}: {e}"));
    conn.batch_execute("DEALLOCATE plan_probe; RESET plan_cache_mode")
        .await
        .unwrap();
    lines
        .into_iter()
        .map(|l| l.plan)
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// `a, [b, c], "d, e"` → `a`, `[b, c]`, `"d, e"`: Debug-printed values split at the top level.
fn top_level_items(list: &str) -> Vec<String> {
    let (mut items, mut current, mut depth, mut quoted, mut escaped) =
        (Vec::new(), String::new(), 0, false, false);
    for c in list.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '(' if !quoted => depth += 1,
            ']' | ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                items.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        items.push(current.trim().to_owned());
    }
    items
}

/// A Debug-printed bind as an untyped SQL literal (PREPARE has inferred each parameter's type).
fn sql_literal(value: &str) -> String {
    let text = if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        inner.replace("\\\"", "\"").replace("\\\\", "\\")
    } else if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        format!("{{{}}}", top_level_items(inner).join(","))
    } else {
        value.to_owned()
    };
    format!("'{}'", text.replace('\'', "''"))
}

/// The changes feed (pages, and the webhook fan-out polling it every second and on every
/// commit) reads from its position onwards, however much the retention window holds: the
/// position bounds the index scan instead of filtering every retained change.
#[tokio::test]
async fn the_changes_feed_reads_from_its_position_onwards() {
    use liaison::changes::model::{Position, committed_after};
    let w = World::new().await;
    let mut conn = w.app.db().await;
    diesel::sql_query(
        "INSERT INTO outbox (topic, subject_kind, aggregate_id, payload, txid)
         SELECT 'opinion.received', 'opinion', gen_random_uuid(), '{}', i / 2000
         FROM generate_series(1, 100000) i",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    diesel::sql_query("ANALYZE outbox")
        .execute(&mut conn)
        .await
        .unwrap();
    // Transaction ids below any this cluster has running, so all are committed.
    let near_the_end = Position { txid: 49, seq: 0 };
    let plan = generic_plan(&mut conn, &committed_after(near_the_end, 500)).await;
    let bounded = plan
        .lines()
        .any(|l| l.contains("Index Cond") && l.contains("txid >= "));
    assert!(bounded, "the position does not bound the scan:\n{plan}");
    let read: Vec<liaison::changes::model::Change> = committed_after(near_the_end, 500)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(read.len(), 500);
    assert!(read.iter().all(|c| c.position() > near_the_end));
}

/// The hot reads stay prepared statements: diesel keeps a statement prepared on its connection
/// only if nothing in it is raw SQL, and one that is not is planned afresh on every request
/// (a GET of one opinion ran at a quarter of its speed that way).
#[test]
fn hot_reads_are_kept_prepared() {
    use diesel::query_builder::QueryFragment;
    use liaison::access::caller::SessionStamp;
    use liaison::access::pipelined::SessionCheck;
    use liaison::changes::model::{Position, committed_after};
    use liaison::opinions::in_full::{in_full_query, visible};
    let staff = caller(Role::CommitteeStaff, Binding::Committee(Uuid::now_v7()));
    let stamp = SessionStamp::new(0, chrono::Utc::now());
    let page = PageRequest::parse(Some(50), None).unwrap();
    let kept = |query: &dyn QueryFragment<diesel::pg::Pg>| {
        query.is_safe_to_cache_prepared(&diesel::pg::Pg).unwrap()
    };
    // What the check refuses: any raw SQL.
    let raw = liaison::db::schema::opinions::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("true"))
        .select(liaison::db::schema::opinions::id);
    assert!(!kept(&raw));
    assert!(
        kept(&in_full_query(
            visible(&staff, Uuid::now_v7()),
            SessionCheck::folded(&stamp)
        )),
        "GET one opinion, with the session check"
    );
    assert!(
        kept(&list_query(&staff, &OpinionListQuery::default(), page).select(Opinion::as_select())),
        "the opinion list"
    );
    assert!(
        kept(&committed_after(Position::default(), 50)),
        "the changes feed"
    );
    // An admin's filter lets every row through, still without SQL text.
    let admin = caller(Role::Admin, Binding::Unbound);
    assert!(
        kept(&in_full_query(
            visible(&admin, Uuid::now_v7()),
            SessionCheck::done()
        )),
        "GET one opinion as admin, the session checked"
    );
    let search = OpinionListQuery {
        q: Some("加装电梯".into()),
        ..Default::default()
    };
    assert!(
        kept(&list_query(&admin, &search, page).select(Opinion::as_select())),
        "an admin's search"
    );
}
