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
use liaison::startup::{self, AppState};

pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
pub const TEST_ISSUER: &str = "liaison";
pub const TEST_AUDIENCE: &str = "liaison-api";
pub const PASSWORD: &str = "test-password-123";

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
fn password_hash() -> &'static str {
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
        db_pool_size: 8,
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
            max_failures_per_address: 50,
            window: Duration::from_secs(900),
        },
        cors_origins: vec!["https://web.example".into()],
        max_body_bytes: 1024 * 1024,
        trust_proxy_headers: false,
        demo: false,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        liaison::telemetry::init(std::io::stdout);
    }
    let admin = admin_url();
    let name = format!("test_{}", Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&admin)
        .await
        .expect("connecting to the test cluster");
    diesel::sql_query(format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
        template()
    ))
    .execute(&mut conn)
    .await
    .expect("cloning the template database");
    let database_url = database_url(&admin, &name);

    let mut db = AsyncPgConnection::establish(&database_url).await.unwrap();
    liaison::users::model::upsert_admin(&mut db, "admin", password_hash())
        .await
        .unwrap();

    let mut settings = settings(&database_url);
    customise(&mut settings);
    let pool = liaison::db::build_pool(&database_url, settings.db_pool_size).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = startup::run(listener, AppState::new(settings, pool)).unwrap();
    tokio::spawn(server);
    TestApp {
        address,
        client: reqwest::Client::new(),
        database_url,
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

    #[track_caller]
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

    pub fn id(&self) -> Uuid {
        self.body["id"].as_str().expect("an id").parse().unwrap()
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
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
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

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.request(Method::DELETE, path, Some(token), None).await
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
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db().await;
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<N>(&mut conn)
            .await
            .unwrap()
            .n
    }

    /// A handling body, inserted directly: its API arrives with the people issue.
    pub async fn insert_handling_body(&self, name: &str, committee_id: Uuid) -> Uuid {
        let id = Uuid::now_v7();
        let mut conn = self.db().await;
        diesel::sql_query(
            "INSERT INTO handling_bodies (id, name, kind, committee_id) VALUES ($1, $2, 'government_department', $3)",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Text, _>(name)
        .bind::<diesel::sql_types::Uuid, _>(committee_id)
        .execute(&mut conn)
        .await
        .unwrap();
        id
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

/// A standard organisation: a standing committee with working committees A and B, a station
/// under each, a handling body under A, and one logged-in account per role.
pub struct World {
    pub app: TestApp,
    pub standing: Uuid,
    pub committee_a: Uuid,
    pub committee_b: Uuid,
    pub group_a: Uuid,
    pub group_b: Uuid,
    pub body_a: Uuid,
    pub admin: String,
    pub committee_staff_a: String,
    pub committee_staff_a_id: Uuid,
    pub committee_staff_b: String,
    pub group_staff_a: String,
    pub group_staff_a_id: Uuid,
    pub representative: String,
    pub handling_body: String,
    pub voter: String,
    pub service: String,
}

impl World {
    pub async fn new() -> World {
        let app = spawn_app().await;
        let admin = app.admin_token().await;
        let standing = app
            .post(
                "/api/v1/committees",
                &admin,
                json!({"name": "石景山区人大常委会", "kind": "standing_committee"}),
            )
            .await
            .expect(201)
            .id();
        let committee_a = app
            .post("/api/v1/committees", &admin, json!({"name": "八宝山街道人大工委", "kind": "working_committee", "parent_id": standing}))
            .await
            .expect(201)
            .id();
        let committee_b = app
            .post("/api/v1/committees", &admin, json!({"name": "鲁谷街道人大工委", "kind": "working_committee", "parent_id": standing}))
            .await
            .expect(201)
            .id();
        let group = |name: &str, committee: Uuid| {
            json!({"name": name, "kind": "station", "committee_id": committee, "address": "石景山路 1 号",
                   "opening_hours": "每月 15 日", "head_name": "王站长", "liaison_officers": ["李联络员"]})
        };
        let group_a = app
            .post(
                "/api/v1/liaison-groups",
                &admin,
                group("八宝山联络站", committee_a),
            )
            .await
            .expect(201)
            .id();
        let group_b = app
            .post(
                "/api/v1/liaison-groups",
                &admin,
                group("鲁谷联络站", committee_b),
            )
            .await
            .expect(201)
            .id();
        let body_a = app.insert_handling_body("区城管委", committee_a).await;
        let (committee_staff_a_id, committee_staff_a) = app
            .account(&admin, "staff.a", "committee_staff", Some(committee_a))
            .await;
        let (_, committee_staff_b) = app
            .account(&admin, "staff.b", "committee_staff", Some(committee_b))
            .await;
        let (group_staff_a_id, group_staff_a) = app
            .account(&admin, "group.a", "group_staff", Some(group_a))
            .await;
        let (_, representative) = app.account(&admin, "rep.one", "representative", None).await;
        let (_, handling_body) = app
            .account(&admin, "body.a", "handling_body", Some(body_a))
            .await;
        let (_, voter) = app.account(&admin, "voter.one", "voter", None).await;
        let (_, service) = app.account(&admin, "service.one", "service", None).await;
        World {
            app,
            standing,
            committee_a,
            committee_b,
            group_a,
            group_b,
            body_a,
            admin,
            committee_staff_a,
            committee_staff_a_id,
            committee_staff_b,
            group_staff_a,
            group_staff_a_id,
            representative,
            handling_body,
            voter,
            service,
        }
    }

    /// (role name, token) for every role, plus no token at all.
    pub fn callers(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("anonymous", None),
            ("admin", Some(self.admin.clone())),
            ("committee_staff", Some(self.committee_staff_a.clone())),
            ("group_staff", Some(self.group_staff_a.clone())),
            ("representative", Some(self.representative.clone())),
            ("handling_body", Some(self.handling_body.clone())),
            ("voter", Some(self.voter.clone())),
            ("service", Some(self.service.clone())),
        ]
    }
}
