//! Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::JwtSettings;
use crate::kept::Kept;

/// 256 random bits, URL-safe. Used for refresh tokens and generated secrets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Refresh tokens are stored as their SHA-256: a database leak does not hand out sessions,
/// and 256-bit random input needs no salt or slow hash.
pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    /// The session (refresh-token family); revoking it kills its access tokens at once.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    /// Set on a service client's token (client credentials): the scopes granted, space
    /// separated. `sub` and `sid` are then the client's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

pub struct TokenService {
    signing_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl_secs: u64,
    /// Tokens this process has verified, with their claims: a client sends the same token on
    /// every request until it expires, and checking its signature and decoding it again was
    /// 7% of a GET's CPU. A token's bytes decide its claims, so only its expiry is checked again
    /// (revocation is the session's, checked on every request regardless).
    verified: Kept<String, Claims, VERIFIED_KEPT>,
}

/// Tokens kept verified per worker (about 500 bytes each).
const VERIFIED_KEPT: usize = 2_000;

/// Seconds a token is still taken after its `exp`, as jsonwebtoken's `leeway`.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is invalid")]
    Invalid,
    #[error("the access token has expired")]
    Expired,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TokenService {
    pub fn new(settings: &JwtSettings) -> Self {
        let mut decoding = HashMap::new();
        for key in std::iter::once(&settings.signing).chain(&settings.verify_only) {
            decoding.insert(key.kid.clone(), DecodingKey::from_secret(&key.secret));
        }
        // The algorithm is pinned: a token that names another one (including `none`) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        Self {
            signing_kid: settings.signing.kid.clone(),
            encoding: EncodingKey::from_secret(&settings.signing.secret),
            decoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            access_ttl_secs: settings.access_ttl.as_secs(),
            verified: Kept::default(),
        }
    }

    pub fn access_ttl_secs(&self) -> u64 {
        self.access_ttl_secs
    }

    pub fn issue_access(&self, account_id: Uuid, session_id: Uuid) -> anyhow::Result<String> {
        let iat = now_secs();
        let claims = Claims {
            sub: account_id,
            sid: session_id,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: iat + self.access_ttl_secs,
            iat,
            scope: None,
        };
        self.sign(&claims)
    }

    /// A service client's access token for `scope` (space-separated, already checked).
    pub fn issue_client(&self, client: Uuid, scope: &str) -> anyhow::Result<String> {
        let iat = now_secs();
        self.sign(&Claims {
            sub: client,
            sid: client,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: iat + self.access_ttl_secs,
            iat,
            scope: Some(scope.to_owned()),
        })
    }

    fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    pub fn verify_access(&self, token: &str) -> Result<Claims, TokenError> {
        if let Some(claims) = self.verified.get(token) {
            return if now_secs() > claims.exp + LEEWAY_SECS {
                Err(TokenError::Expired)
            } else {
                Ok(claims)
            };
        }
        let claims = self.verify_signed(token)?;
        self.verified.put(token.to_owned(), claims.clone());
        Ok(claims)
    }

    fn verify_signed(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenError::Invalid)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JwtKey;

    fn service() -> TokenService {
        TokenService::new(&JwtSettings {
            signing: JwtKey {
                kid: "k1".into(),
                secret: b"a test secret of at least thirty-two bytes".to_vec(),
            },
            verify_only: vec![],
            issuer: "liaison".into(),
            audience: "liaison-api".into(),
            access_ttl: std::time::Duration::from_secs(900),
            refresh_ttl: std::time::Duration::from_secs(86_400),
        })
    }

    #[test]
    fn a_token_verified_once_verifies_again_with_the_same_claims() {
        let svc = service();
        let (account, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token = svc.issue_access(account, session).unwrap();
        let first = svc.verify_access(&token).unwrap();
        assert_eq!((first.sub, first.sid), (account, session));
        assert!(svc.verified.get(token.as_str()).is_some());
        assert_eq!(svc.verify_access(&token).unwrap(), first);
    }

    #[test]
    fn a_kept_token_still_expires() {
        let svc = service();
        let token = svc.issue_access(Uuid::now_v7(), Uuid::now_v7()).unwrap();
        let mut claims = svc.verify_access(&token).unwrap();
        claims.exp = now_secs() - LEEWAY_SECS - 1;
        svc.verified.put(token.clone(), claims);
        assert!(matches!(
            svc.verify_access(&token),
            Err(TokenError::Expired)
        ));
    }

    #[test]
    fn a_token_altered_after_one_was_kept_is_refused() {
        let svc = service();
        let token = svc.issue_access(Uuid::now_v7(), Uuid::now_v7()).unwrap();
        svc.verify_access(&token).unwrap();
        // The payload with another character: the signature no longer matches it.
        let (head, rest) = token.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        let mut altered: Vec<char> = payload.chars().collect();
        altered[5] = if altered[5] == 'A' { 'B' } else { 'A' };
        let altered: String = altered.into_iter().collect();
        let forged = format!("{head}.{altered}.{signature}");
        assert!(matches!(
            svc.verify_access(&forged),
            Err(TokenError::Invalid)
        ));
    }
}
