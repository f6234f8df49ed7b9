//! Client ids and secrets. A secret is 32 random bytes: it is stored as its SHA-256 only,
//! shown once, and compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

fn random(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(buf))
}

pub fn new_client_id() -> String {
    random("lsc_", 12)
}

pub fn new_secret() -> String {
    random("lss_", 32)
}

/// Stored like refresh tokens: SHA-256, no salt or slow hash for 256 random bits.
pub fn digest(secret: &str) -> Vec<u8> {
    crate::auth::tokens::hash_refresh_token(secret)
}

/// Whether `secret` hashes to `stored`, taking the same time whichever byte differs.
pub fn matches(secret: &str, stored: &[u8]) -> bool {
    let given = digest(secret);
    given.len() == stored.len()
        && given
            .iter()
            .zip(stored)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_digest_only() {
        let secret = new_secret();
        assert!(secret.starts_with("lss_") && secret.len() > 40);
        assert!(matches(&secret, &digest(&secret)));
        assert!(!matches(&new_secret(), &digest(&secret)));
        assert_ne!(new_client_id(), new_client_id());
    }
}
