//! `spawn_app()`: a real server on a random port, backed by a fresh database cloned from the
//! migrated template that `make test` prepares.

use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use liaison::config::{JwtKey, JwtSettings, LoginThrottleSettings, Settings};
use liaison::startup;

pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
pub const TEST_ISSUER: &str = "liaison";
pub const TEST_AUDIENCE: &str = "liaison-api";
pub const PASSWORD: &str = "test-password-123";
/// Seeded personal data; tests scan responses and logs for these exact strings.
pub const VOTER_PHONE: &str = "13912345678";
pub const VOTER_ID_NUMBER: &str = "11010519491231002X";
pub const VOTER_ADDRESS: &str = "玉泉路 59 号院 3 号楼 2 单元";
pub const REPRESENTATIVE_PHONE: &str = "13787654321";

fn admin_url() -> String {
    std::env::var("LIAISON_TEST_ADMIN_URL")
        .expect("LIAISON_TEST_ADMIN_URL is not set: run the tests with `make test`")
}

fn template() -> String {
    std::env::var("LIAISON_TEST_TEMPLATE").unwrap_or_else(|_| "liaison_template".into())
}

fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    format!("{base}/{name}")
}

/// One Argon2 hash of `PASSWORD` per test process: hashing is the slow part of fixtures.
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| liaison::auth::passwords::hash_blocking(PASSWORD).unwrap())
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database_url: String,
}

pub fn settings(database_url: &str) -> Settings {
    Settings {
        database_url: database_url.to_owned(),
        db_timeouts: Default::default(),
        db_pool_size: 8,
        bulk_reads_at_once: 2,
        bind: "127.0.0.1:0".parse().unwrap(),
        workers: 2,
        jwt: JwtSettings {
            signing: JwtKey::parse("test", TEST_JWT_SECRET).unwrap(),
            verify_only: vec![],
            issuer: TEST_ISSUER.into(),
            audience: TEST_AUDIENCE.into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
        },
        login_throttle: LoginThrottleSettings {
            max_failures_per_account: 5,
            max_failures_per_account_total: 100,
            max_failures_per_address: 50,
            window: Duration::from_secs(900),
        },
        cors_origins: vec!["https://web.example".into()],
        max_body_bytes: 1024 * 1024,
        trust_proxy_headers: false,
        hsts: false,
        pii_key: b"test-pii-key-0123456789-abcdefghijklmnop".to_vec(),
        registration: liaison::config::RegistrationSettings {
            max_per_address: 10,
            window: Duration::from_secs(3600),
            sms: liaison::config::SmsSender::Dev(sms_file(database_url)),
        },
        demo: false,
        // Switched on by the tests of notifications, with a short period.
        notification_sweep: None,
        changes_retention: Duration::from_secs(180 * 86_400),
        stats_exact_up_to: 50_000,
        // Receivers in tests listen on 127.0.0.1; retries come quickly.
        webhooks: liaison::config::WebhookSettings {
            allow_private: true,
            retry_schedule: "1s,1s".parse().unwrap(),
            timeout: Duration::from_secs(2),
            deliver: true,
        },
    }
}

/// A new database cloned from the migrated template; its URL.
/// The one number `sql` answers, as a column named `n`.
pub async fn number(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

pub async fn fresh_database() -> String {
    let name = format!("test_{}", Uuid::new_v4().simple());
    create_database(&name).await;
    database_url(&admin_url(), &name)
}

/// The URL a database of this name has (or will have) on the test cluster.
pub fn database_url_for(name: &str) -> String {
    database_url(&admin_url(), name)
}

/// Clones the migrated template as `name`.
pub async fn create_database(name: &str) {
    let mut conn = AsyncPgConnection::establish(&admin_url())
        .await
        .expect("connecting to the test cluster");
    diesel::sql_query(format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
        template()
    ))
    .execute(&mut conn)
    .await
    .expect("cloning the template database");
}

/// Where the dev SMS sender of the app on `database_url` writes its codes.
pub fn sms_file(database_url: &str) -> std::path::PathBuf {
    let name = database_url.rsplit('/').next().unwrap_or("app");
    std::env::temp_dir().join(format!("liaison-sms-{name}.txt"))
}

/// The last code sent to `phone` by the app's dev SMS sender.
pub fn last_code_sent(app: &TestApp, phone: &str) -> Option<String> {
    let sent = std::fs::read_to_string(sms_file(&app.database_url)).ok()?;
    sent.lines()
        .rev()
        .filter_map(|line| line.split_once(' '))
        .find(|(to, _)| *to == phone)
        .map(|(_, code)| code.to_owned())
}

/// The HTTP client every test talks through. It drops a connection idle for a second: the
/// server closes one idle for its keep-alive (actix-web's 5 s, measured closing at 4.5-5 s),
/// and a POST written on a connection just as the server closes it fails with
/// `IncompleteMessage` (GETs sent the same way were retried and passed). A test that slept 3.2 s
/// and then logged in failed so on a loaded CI; by hand, 800 clients each posting once after
/// 4.4-5.2 s idle hit it 2-3 times with reqwest's 90 s default and never with this one.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .expect("an HTTP client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Everything the servers of this test process logged (unless `TEST_LOG` sends it to stdout),
/// so tests can prove personal data never reaches a log line.
static CAPTURED_LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED_LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn captured_logs() -> String {
    String::from_utf8_lossy(&CAPTURED_LOGS.lock().unwrap()).into_owned()
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        liaison::telemetry::init(std::io::stdout);
    } else {
        liaison::telemetry::init(|| CaptureWriter);
    }
    let database_url = fresh_database().await;

    let mut db = AsyncPgConnection::establish(&database_url).await.unwrap();
    liaison::users::model::upsert_admin(&mut db, "admin", password_hash())
        .await
        .unwrap();

    spawn_server_on(&database_url, customise).app
}

/// A server that a test can kill: its background tasks (webhook delivery among them) are
/// dropped wherever they are, as if the process died.
pub struct Killable {
    pub app: TestApp,
    handle: actix_web::dev::ServerHandle,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Killable {
    pub async fn kill(self) {
        for task in &self.tasks {
            task.abort();
        }
        self.handle.stop(false).await;
    }
}

/// Another server on an existing database (several replicas share one database).
pub fn spawn_server_on(database_url: &str, customise: impl FnOnce(&mut Settings)) -> Killable {
    let mut settings = settings(database_url);
    customise(&mut settings);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let running = startup::run(listener, settings).unwrap();
    let mut tasks = vec![
        running.change_watcher,
        running.change_pruner,
        running.measures_refresher,
    ];
    tasks.extend(running.sweep);
    tasks.extend(running.webhook_worker);
    tokio::spawn(running.server);
    Killable {
        app: TestApp {
            address,
            client: http_client(),
            database_url: database_url.to_owned(),
        },
        handle: running.handle,
        tasks,
    }
}

/// A response with its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, printing the body on failure.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// A 422 `validation_failed` that names `field` among its errors.
    #[track_caller]
    pub fn expect_invalid(self, field: &str) -> Self {
        let reply = self.expect_problem(422, "validation_failed");
        assert!(reply.body["errors"][field].is_array(), "{}", reply.body);
        reply
    }

    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        let reply = self.expect(status);
        assert_eq!(
            reply.content_type(),
            "application/problem+json",
            "{}",
            reply.body
        );
        assert_eq!(reply.body["code"], code, "{}", reply.body);
        assert_eq!(reply.body["status"], status);
        assert!(reply.body["type"].as_str().unwrap().ends_with(code));
        reply
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn id(&self) -> Uuid {
        self.body["id"].as_str().expect("an id").parse().unwrap()
    }

    /// The ids of a page's items, in order.
    pub fn item_ids(&self) -> Vec<Uuid> {
        self.body["items"]
            .as_array()
            .expect("a page of items")
            .iter()
            .map(|i| i["id"].as_str().expect("an id").parse().unwrap())
            .collect()
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send(method, path, token, body, &[]).await
    }

    /// `request` with extra headers (If-Match, Idempotency-Key, …).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method_name = method.to_string();
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        match body {
            // A bare string is sent as a CSV file (the import routes).
            Some(Value::String(text)) => req = req.header("content-type", "text/csv").body(text),
            Some(body) => req = req.json(&body),
            None => {}
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        crate::spec::check(method_name.as_str(), path, status.as_u16(), &headers, &body);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// A POST carrying an `Idempotency-Key`, as a client retrying a write sends it.
    pub async fn post_with_key(&self, path: &str, token: &str, body: Value, key: &str) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(token),
            Some(body),
            &[("Idempotency-Key", key)],
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// Another server on this app's database, as a second replica would run.
    pub fn replica(&self, customise: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = settings(&self.database_url);
        customise(&mut settings);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(startup::run(listener, settings).unwrap().server);
        TestApp {
            address,
            client: http_client(),
            database_url: self.database_url.clone(),
        }
    }

    /// Runs a statement directly: for what the API cannot write (a past, a change made in the
    /// database alone).
    pub async fn sql(&self, statement: &str) {
        use diesel_async::RunQueryDsl;
        let mut conn = self.db().await;
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// A new unbound service client with `scopes`, and an access token for it.
    pub async fn service_client_token(&self, admin: &str, scopes: &[&str]) -> String {
        let client = self
            .post(
                "/api/v1/service-clients",
                admin,
                serde_json::json!({"name": "测试系统", "scopes": scopes}),
            )
            .await
            .expect(201)
            .body;
        let id = client["client_id"].as_str().unwrap();
        let secret = client["client_secret"].as_str().unwrap();
        self.form(
            "/api/v1/auth/token",
            Some((id, secret)),
            "grant_type=client_credentials",
        )
        .await
        .expect(200)
        .body["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A form-encoded POST (the token endpoint), with HTTP Basic credentials if given; the
    /// answer is checked against the spec like every other.
    pub async fn form(&self, path: &str, basic: Option<(&str, &str)>, form: &str) -> Reply {
        let mut req = self
            .client
            .post(format!("{}{}", self.address, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body: Value =
            serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap_or(Value::Null);
        crate::spec::check("POST", path, status.as_u16(), &headers, &body);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .header("content-type", content_type);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        match req.body(body).send().await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await.unwrap_or_default();
                let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                Reply {
                    status,
                    headers,
                    body,
                }
            }
            Err(e) => panic!("request failed: {e}"),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn token(&self, username: &str) -> String {
        let reply = self.login(username, PASSWORD).await.expect(200);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.token("admin").await
    }

    pub async fn db(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.database_url)
            .await
            .unwrap()
    }

    /// Rows in a table, read straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        number(
            &mut self.db().await,
            &format!("SELECT count(*) AS n FROM {table}"),
        )
        .await
    }

    /// Creates an account through the API as admin and logs it in.
    pub async fn account(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        scope_id: Option<Uuid>,
    ) -> (Uuid, String) {
        let reply = self
            .post("/api/v1/users", admin, json!({"username": username, "password": PASSWORD, "role": role, "scope_id": scope_id}))
            .await
            .expect(201);
        (reply.id(), self.token(username).await)
    }
}

pub use crate::world::World;
