//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): a secret `whsec_` +
//! base64 of 32 random bytes; each attempt carries `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,` + base64 of HMAC-SHA256 over
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the secret's decoded bytes, so any of
//! the specification's verifier libraries accepts it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::pii::Sealer;

const PREFIX: &str = "whsec_";

/// A new endpoint secret, shown to its owner once.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value for one attempt. `secret` is one `new_secret` made.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret))
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Endpoint secrets are needed in the clear to sign, so they are stored sealed under a key
/// of their own derived from `LIAISON_PII_KEY`.
pub fn sealer(master: &[u8]) -> Sealer {
    Sealer::new(master, "liaison/webhook-secret/encryption/v1")
}

#[cfg(test)]
mod tests {
    use crate::webhooks::signing::{new_secret, sealer, sign};

    #[test]
    fn signatures_match_the_specifications_test_vector() {
        // The vector every Standard Webhooks reference library tests against: a receiver's
        // library verifies what we send only if this comes out exactly.
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#,
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_fresh_and_seal_round_trip() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("whsec_") && a.len() == 6 + 44);
        assert_ne!(a, b);
        let sealer = sealer(b"a-master-key-of-at-least-32-characters!!");
        let sealed = sealer.seal(a.as_bytes());
        assert!(
            !sealed
                .windows(10)
                .any(|w| a.as_bytes().windows(10).any(|x| x == w))
        );
        assert_eq!(sealer.open(&sealed).unwrap(), a.as_bytes());
    }
}
