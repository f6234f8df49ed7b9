//! Stored enums are read through diesel's `FromSql`: a value outside the vocabulary is an
//! error the service refuses to act on, never a silent substitute.

use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use liaison::opinions::lifecycle::Rating;

use crate::helpers::{World, spawn_app};

#[tokio::test]
async fn an_unknown_stored_rating_is_an_error_not_unsatisfied() {
    let app = spawn_app().await;
    let mut conn = app.db().await;
    let known: Rating = diesel::select(diesel::dsl::sql::<Text>("'unsatisfied'"))
        .get_result(&mut conn)
        .await
        .expect("a known value reads");
    assert_eq!(known, Rating::Unsatisfied);
    // `unsatisfied` is the one rating that unlocks a reopen: a fallback to it would hand out a
    // step nobody earned.
    let err = diesel::select(diesel::dsl::sql::<Text>("'very_unhappy'"))
        .get_result::<Rating>(&mut conn)
        .await
        .expect_err("an unknown value must not read");
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    assert!(
        message.contains("unknown Rating value \"very_unhappy\""),
        "{message}"
    );
}

#[tokio::test]
async fn a_row_with_an_unknown_kind_answers_500_not_a_guess() {
    let w = World::new().await;
    let app = &w.app;
    let path = format!("/api/v1/committees/{}", w.committee_a);
    let before = app.get(&path, &w.admin).await.expect(200);
    assert_eq!(before.body["kind"], "working_committee");
    // Only a broken migration or a hand edit could store this; the CHECK stops everything else.
    let mut conn = app.db().await;
    diesel::sql_query("ALTER TABLE committees DROP CONSTRAINT committees_kind_check")
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query(format!(
        "UPDATE committees SET kind = 'subcommittee' WHERE id = '{}'",
        w.committee_a
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let reply = app
        .get(&path, &w.admin)
        .await
        .expect_problem(500, "internal_error");
    assert!(
        !reply.body.to_string().contains("subcommittee"),
        "the cause is logged, not sent: {}",
        reply.body
    );
    // Other committees still read.
    app.get(&format!("/api/v1/committees/{}", w.committee_b), &w.admin)
        .await
        .expect(200);
}
