//! The real server binary as an operator runs it: started before its database, stopped with
//! SIGTERM while requests are in flight.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TEST_JWT_SECRET, create_database, database_url_for, password_hash};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `liaison serve` on a port of its own, logging to a file the test can read.
fn serve(database_url: &str, port: u16, log: &std::path::Path, extra: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_liaison"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("LIAISON_BIND", format!("127.0.0.1:{port}"))
        .env("LIAISON_JWT_SECRET", TEST_JWT_SECRET)
        .env(
            "LIAISON_PII_KEY",
            "test-pii-key-0123456789-abcdefghijklmnop",
        )
        .env("LIAISON_DB_POOL_SIZE", "8")
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(Stdio::null());
    for (k, v) in extra {
        command.env(k, v);
    }
    command.spawn().expect("starting liaison serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// Waits for the server at `base` to be ready and logs the fixtures' admin in.
async fn ready_admin(client: &reqwest::Client, base: &str) -> String {
    assert!(wait_ready(client, base, Duration::from_secs(20)).await);
    let reply: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().expect("a token").to_owned()
}

fn log_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("liaison-{tag}-{}.log", Uuid::new_v4().simple()))
}

#[tokio::test]
async fn a_server_started_before_its_database_comes_up_once_the_database_does() {
    let name = format!("test_{}", Uuid::new_v4().simple());
    let url = database_url_for(&name);
    let port = free_port();
    let log = log_path("startup");
    let mut server = serve(&url, port, &log, &[("LIAISON_DB_STARTUP_WAIT_SECS", "30")]);
    let client = crate::helpers::http_client();
    let base = format!("http://127.0.0.1:{port}");
    // The database does not exist yet: the server waits for it instead of exiting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server gave up at once"
    );
    create_database(&name).await;
    let ready = wait_ready(&client, &base, Duration::from_secs(20)).await;
    let _ = server.kill();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(ready, "never became ready; log:\n{logged}");
    assert!(logged.contains("waiting for the database"), "{logged}");
    assert!(
        logged.contains("127.0.0.1"),
        "the log names the host: {logged}"
    );
    let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(!logged.contains(password), "the password reached the log");
}

#[tokio::test]
async fn a_server_that_never_sees_its_database_exits_non_zero_saying_why() {
    let url = database_url_for(&format!("missing_{}", Uuid::new_v4().simple()));
    let log = log_path("giveup");
    let mut server = serve(
        &url,
        free_port(),
        &log,
        &[("LIAISON_DB_STARTUP_WAIT_SECS", "2")],
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(!status.success());
    assert!(
        logged.contains("does not exist"),
        "the cause is logged: {logged}"
    );
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_with_two_workers() {
    let name = format!("test_{}", Uuid::new_v4().simple());
    create_database(&name).await;
    let url = database_url_for(&name);
    let mut db = AsyncPgConnection::establish(&url).await.unwrap();
    liaison::users::model::upsert_admin(&mut db, "admin", password_hash())
        .await
        .unwrap();
    let port = free_port();
    let log = log_path("sigterm");
    let mut server = serve(
        &url,
        port,
        &log,
        &[
            ("LIAISON_WORKERS", "2"),
            ("LIAISON_DB_LOCK_TIMEOUT_MS", "20000"),
        ],
    );
    let client = crate::helpers::http_client();
    let base = format!("http://127.0.0.1:{port}");
    let token = ready_admin(&client, &base).await;
    let mut lock = AsyncPgConnection::establish(&url).await.unwrap();
    lock.batch_execute("BEGIN; LOCK TABLE committees IN ACCESS EXCLUSIVE MODE;")
        .await
        .unwrap();
    let writes: Vec<_> = (0..6)
        .map(|i| {
            let request = client
                .post(format!("{base}/api/v1/committees"))
                .bearer_auth(&token)
                .json(&json!({"name": format!("停机测试{i}"), "kind": "standing_committee"}));
            tokio::spawn(async move { request.send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    lock.batch_execute("COMMIT").await.unwrap();
    let mut answered = 0;
    for write in writes {
        let response = write
            .await
            .unwrap()
            .expect("an answer, not a dropped connection");
        assert_eq!(response.status().as_u16(), 201);
        answered += 1;
    }
    assert_eq!(answered, 6);
    let status = server.wait().unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(status.success(), "exit status {status}");
}

/// Runs a function of `scripts/pg.sh` against the test's own cluster; its last output line.
fn pg(function: &str, args: &[&str]) -> String {
    let script =
        format!("set -e; source scripts/pg.sh; pg_ensure_binaries >/dev/null; {function} \"$@\"");
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("pg")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running scripts/pg.sh");
    assert!(
        out.status.success(),
        "{function}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_database_restart_under_writers_loses_and_duplicates_nothing() {
    // A cluster of this test's own: restarting the shared one would disturb the other tests.
    let top = std::env::temp_dir().join(format!("liaison-restart-{}", Uuid::new_v4().simple()));
    let data = top.join("data");
    let data = data.to_str().unwrap();
    let pg_port = free_port().to_string();
    pg("pg_start", &[data, &pg_port]);
    pg("pg_createdb", &[data, &pg_port, "app"]);
    let url = pg("pg_url", &[data, &pg_port, "app"]);
    let status = Command::new(env!("CARGO_BIN_EXE_liaison"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut db = AsyncPgConnection::establish(&url).await.unwrap();
    liaison::users::model::upsert_admin(&mut db, "admin", password_hash())
        .await
        .unwrap();
    drop(db);
    let port = free_port();
    let log = log_path("restart");
    let mut server = serve(&url, port, &log, &[("LIAISON_WORKERS", "2")]);
    let client = crate::helpers::http_client();
    let base = format!("http://127.0.0.1:{port}");
    let token = ready_admin(&client, &base).await;
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let mut ids = Vec::new();
    for (path, body) in [
        (
            "/api/v1/committees",
            json!({"name": "区人大常委会", "kind": "standing_committee"}),
        ),
        (
            "/api/v1/committees",
            json!({"name": "八宝山街道人大工委", "kind": "working_committee"}),
        ),
        (
            "/api/v1/constituencies",
            json!({"name": "第一选区", "code": "R-01"}),
        ),
    ] {
        let mut body = body;
        match ids.len() {
            1 => body["parent_id"] = json!(ids[0]),
            2 => body["committee_id"] = json!(ids[1]),
            _ => {}
        }
        let reply: serde_json::Value = post(path, body).await.unwrap().json().await.unwrap();
        assert!(reply["id"].is_string(), "{path} not created: {reply}");
        ids.push(reply["id"].as_str().unwrap().to_owned());
    }
    let constituency = ids[2].clone();

    // Writers send write after write, each retried with its own key until acknowledged,
    // while the database restarts under them.
    const WRITERS: usize = 20;
    const EACH: usize = 10;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let client = client.clone();
            let base = base.clone();
            let token = token.clone();
            let constituency = constituency.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for n in 0..EACH {
                    let request = client
                        .post(format!("{base}/api/v1/opinions"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("restart-{w}-{n}"))
                        .json(&json!({
                            "constituency_id": constituency, "title": format!("第{w}-{n}条"),
                            "content": "路灯不亮", "category": "urban_management", "source": "letter",
                        }));
                    for _ in 0..200 {
                        let status = match request.try_clone().unwrap().send().await {
                            Ok(r) => r.status().as_u16(),
                            Err(_) => 0,
                        };
                        statuses.push(status);
                        if status == 201 {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                statuses
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Down (fast shutdown, as an operator restarting it would), then up again.
    pg("pg_stop", &[data]);
    let started = std::time::Instant::now();
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(
        ready.status().as_u16(),
        503,
        "not ready while the database is down"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    pg("pg_start", &[data, &pg_port]);
    let mut seen = Vec::new();
    for writer in writers {
        seen.push(writer.await.unwrap());
    }
    assert!(wait_ready(&client, &base, Duration::from_secs(10)).await);
    let mut db = AsyncPgConnection::establish(&url).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored: N = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS n FROM opinions"),
        &mut db,
    )
    .await
    .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    pg("pg_stop", &[data]);
    let _ = std::fs::remove_dir_all(&top);
    let _ = std::fs::remove_file(&log);
    let all: Vec<u16> = seen.iter().flatten().copied().collect();
    let acknowledged = all.iter().filter(|s| **s == 201).count();
    assert_eq!(
        acknowledged,
        WRITERS * EACH,
        "every write acknowledged once"
    );
    assert!(!all.contains(&500), "a 500 during the restart: {all:?}");
    assert!(
        all.iter().any(|s| *s != 201),
        "the restart did not meet a write; nothing was tested"
    );
    assert_eq!(
        stored.n as usize,
        WRITERS * EACH,
        "every acknowledged write stored once"
    );
}
