//! Argon2id password hashing with OWASP's recommended parameters (m=19 MiB, t=2, p=1).
//! Hashing takes tens of milliseconds of CPU, so it runs on the blocking pool, and 19 MiB of
//! memory, so at most `CONCURRENT_HASHES` run at once: a burst of log-ins queues for a few
//! milliseconds instead of taking 19 MiB each (more at once would not finish sooner on a
//! machine with that many cores).

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::error::ApiError;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::fill(&mut salt_bytes);
    Ok(argon2()
        .hash_password_with_salt(password.as_bytes(), &salt_bytes)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?
        .to_string())
}

/// zxcvbn's score 3: more than 10^10 guesses, out of reach of online guessing and costly
/// offline against Argon2id.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Refuses a password a guesser would try early: common passwords, repeats, sequences, and
/// anything built from the account's own name (`user_inputs`). The 422 says why, in zxcvbn's
/// words, on `field`.
pub fn check_strength(password: &str, user_inputs: &[&str], field: &str) -> Result<(), ApiError> {
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let mut reasons = vec!["is too easy to guess".to_owned()];
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            reasons.push(warning.to_string());
        }
        reasons.extend(feedback.suggestions().iter().map(|s| s.to_string()));
    }
    Err(ApiError::invalid_field(field, reasons.join(". ")))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of nothing anyone knows, verified against when the username does not exist so a
/// failed log-in takes as long either way and timing does not reveal which accounts exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(&crate::auth::tokens::random_token()).expect("hashing a random password")
    })
}

/// Hashes (and verifications) running at once, across the process.
const CONCURRENT_HASHES: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);

async fn hashing_turn() -> Result<tokio::sync::SemaphorePermit<'static>, ApiError> {
    HASHING
        .acquire()
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("password hashing closed: {e}")))
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    let _turn = hashing_turn().await?;
    actix_web::web::block(move || hash_blocking(&password))
        .await?
        .map_err(ApiError::internal)
}

/// Verifies `password` against `hash`, or against the dummy hash when there is no account.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    let _turn = hashing_turn().await?;
    Ok(actix_web::web::block(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            verify_blocking(&password, dummy_hash());
            false
        }
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_its_password() {
        let hash = hash_blocking("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking("correct horse battery", &hash));
        assert!(!verify_blocking("correct horse batterY", &hash));
        assert!(!verify_blocking("anything", "not a hash"));
    }
}

#[cfg(test)]
mod strength_tests {
    use super::check_strength;

    #[test]
    fn guessable_passwords_are_refused_with_a_reason() {
        for weak in ["aaaaaaaaaa", "1234567890", "password12", "lihua1990x"] {
            let err = check_strength(weak, &["lihua1990", "李华"], "password").expect_err(weak);
            assert_eq!(err.status().as_u16(), 422, "{weak}");
        }
        assert!(check_strength("quiet lantern by the river", &["lihua1990"], "password").is_ok());
    }
}
