//! One-time codes to a phone: the sender is a setting (`LIAISON_SMS_SENDER`), so tests and
//! `make run` read codes from a file while production hands them to an SMS gateway.

use std::io::Write;

use crate::config::SmsSender;
use crate::error::{ApiError, ApiResult};

/// Sends `code` to `phone`. The code never reaches a log line, whichever sender is set.
pub async fn send_code(sender: &SmsSender, phone: &str, code: &str) -> ApiResult<()> {
    match sender {
        SmsSender::None => Ok(()),
        SmsSender::Dev(path) => {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(ApiError::internal)?;
            writeln!(file, "{phone} {code}").map_err(ApiError::internal)
        }
        SmsSender::Http(url) => {
            let text = format!("您的验证码是 {code}，10 分钟内有效。");
            let sent = reqwest::Client::new()
                .post(url)
                .timeout(std::time::Duration::from_secs(5))
                .json(&serde_json::json!({"phone": phone, "text": text}))
                .send()
                .await
                .and_then(|r| r.error_for_status());
            // The gateway being down is the service being unavailable, not the caller's fault.
            // The URL may carry the gateway's key: keep it out of the log.
            sent.map(|_| ()).map_err(|e| {
                ApiError::service_unavailable(anyhow::anyhow!("SMS gateway: {}", e.without_url()))
            })
        }
    }
}
