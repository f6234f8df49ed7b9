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
    let client = reqwest::Client::new();
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
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    assert!(wait_ready(&client, &base, Duration::from_secs(20)).await);
    let token = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
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
