//! A webhook receiver on 127.0.0.1 for the tests, and a signature check written from the
//! Standard Webhooks specification alone (not from the server's code): HMAC-SHA256, keyed
//! with the base64-decoded part of `whsec_…`, over `{webhook-id}.{webhook-timestamp}.{body}`,
//! compared with each `v1,` signature of the header; timestamps older than five minutes fail.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request as it arrived, and what the receiver answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub answered: u16,
    /// The sender's port: requests on one connection share it.
    pub peer_port: u16,
}

#[derive(Default)]
struct Script {
    received: Vec<Received>,
    /// Answer 500 to this many requests, then 200.
    fail_next: usize,
    /// Never answer the next request (the server is killed meanwhile).
    hang_next: bool,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    script: web::Data<Mutex<Script>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (answer, hang) = {
        let mut s = script.lock().unwrap();
        let hang = std::mem::take(&mut s.hang_next);
        let answer = if hang {
            0
        } else if s.fail_next > 0 {
            s.fail_next -= 1;
            500
        } else {
            200
        };
        s.received.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
            answered: answer,
            peer_port: req.peer_addr().map_or(0, |a| a.port()),
        });
        (answer, hang)
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.max(200)).unwrap())
        .body("thanks")
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hooks/liaison",
            listener.local_addr().unwrap().port()
        );
        let script = Arc::new(Mutex::new(Script::default()));
        let data = web::Data::from(script.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver { url, script }
    }

    pub fn fail_next(&self, n: usize) {
        self.script.lock().unwrap().fail_next = n;
    }

    pub fn hang_next(&self) {
        self.script.lock().unwrap().hang_next = true;
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Waits up to `secs` for what `found` looks for among the requests received.
    pub async fn wait_for<T>(
        &self,
        secs: u64,
        mut found: impl FnMut(&[Received]) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(t) = found(&self.received()) {
                return t;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not received within {secs} s; received: {:#?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The payload, if the request is signed with `secret` as the specification says.
pub fn verify(secret: &str, r: &Received) -> Result<Value, String> {
    let timestamp: i64 = r
        .timestamp
        .parse()
        .map_err(|_| "webhook-timestamp is not a number")?;
    let now = chrono::Utc::now().timestamp();
    if (now - timestamp).abs() > 300 {
        return Err(format!("timestamp {timestamp} is outside the tolerance"));
    }
    let key = STANDARD
        .decode(
            secret
                .strip_prefix("whsec_")
                .ok_or("the secret lacks whsec_")?,
        )
        .map_err(|e| e.to_string())?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    let signed = r
        .signature
        .split(' ')
        .filter_map(|s| s.split_once(','))
        .any(|(version, sig)| version == "v1" && sig == expected);
    if !signed {
        return Err(format!("no v1 signature matches in {:?}", r.signature));
    }
    serde_json::from_str(&r.body).map_err(|e| e.to_string())
}
