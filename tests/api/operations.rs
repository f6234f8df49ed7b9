use reqwest::Method;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health = app
        .request(Method::GET, "/healthz", None, None)
        .await
        .expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app
        .request(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(ready.body["status"], "ready");
}

#[tokio::test]
async fn request_ids_are_returned_and_quoted_in_problems() {
    let app = spawn_app().await;
    let reply = app
        .request(Method::GET, "/api/v1/me", None, None)
        .await
        .expect(401);
    let id = reply.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(reply.body["request_id"], id);
    // A caller's own plain id is kept; a hostile one is replaced.
    let resp = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "a\"b c{}")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "a\"b c{}");
}

#[tokio::test]
async fn openapi_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc.body["paths"]["/api/v1/committees"].is_object());
    let ui = app
        .client
        .get(format!("{}/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                Method::OPTIONS,
                format!("{}/api/v1/committees", app.address),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://web.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://web.example"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn every_migration_reverts_cleanly_and_reapplies() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let admin = std::env::var("LIAISON_TEST_ADMIN_URL").expect("run with make test");
    let name = format!("migrations_{}", uuid::Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);

    let applied = liaison::db::run_migrations(&url).await.unwrap();
    assert!(!applied.is_empty());
    let revert_url = url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
        use diesel_migrations::MigrationHarness;
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            Connection::establish(&revert_url).unwrap();
        conn.revert_all_migrations(liaison::db::MIGRATIONS).unwrap();
    })
    .await
    .unwrap();

    #[derive(diesel::QueryableByName)]
    struct Leftover {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut db = AsyncPgConnection::establish(&url).await.unwrap();
    let left: Leftover = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
         WHERE s.nspname = 'public' AND c.relname NOT LIKE '__diesel_schema_migrations%'",
    )
    .get_result(&mut db)
    .await
    .unwrap();
    assert_eq!(left.n, 0, "down.sql left relations behind");
    drop(db);
    assert_eq!(
        liaison::db::run_migrations(&url).await.unwrap().len(),
        applied.len()
    );
}

#[tokio::test]
async fn a_database_from_a_newer_release_is_refused() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let app = spawn_app().await;
    let mut db = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')")
        .execute(&mut db)
        .await
        .unwrap();
    let err = liaison::db::run_migrations(&app.database_url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("29991231000000"), "{err}");
    app.request(Method::GET, "/readyz", None, None)
        .await
        .expect(503);
}

#[tokio::test]
async fn server_connections_are_set_for_short_requests() {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        setting: String,
    }
    let app = spawn_app().await;
    let mut conn = liaison::db::connect(&app.database_url, &Default::default())
        .await
        .unwrap();
    let mut setting = async |name: &str| {
        diesel::sql_query("SELECT current_setting($1) AS setting")
            .bind::<Text, _>(name)
            .get_result::<Setting>(&mut conn)
            .await
            .unwrap()
            .setting
    };
    // A statement launching parallel workers started processes for milliseconds of work.
    assert_eq!(setting("max_parallel_workers_per_gather").await, "0");
    assert_eq!(setting("jit").await, "off");
    assert_eq!(setting("plan_cache_mode").await, "force_generic_plan");
}
