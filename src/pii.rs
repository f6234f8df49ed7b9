//! Voters' personal data: phone numbers and resident ID numbers as validated domain types, their
//! masked forms, and the cipher that keeps ID numbers encrypted at rest.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// A mainland mobile (11 digits, 1[3-9]…) or a landline with area code (0xx-xxxxxxxx).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PhoneNumber(String);

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhoneNumber({})", mask_phone(&self.0))
    }
}

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let compact = compact.strip_prefix("+86").unwrap_or(&compact).to_owned();
        let digits = compact.chars().all(|c| c.is_ascii_digit());
        let mobile = digits
            && compact.len() == 11
            && compact.starts_with('1')
            && compact.as_bytes()[1] >= b'3';
        let landline = digits && compact.starts_with('0') && (10..=12).contains(&compact.len());
        if mobile || landline {
            Ok(Self(compact))
        } else {
            Err("must be a mainland mobile number (11 digits) or a landline with area code".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// 138****1234: the first three and last four digits, as Chinese services show them.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A resident identity card number (GB 11643): 17 digits and a check character (0-9 or X).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.to_ascii_uppercase();
        let bytes = value.as_bytes();
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err("must be an 18-character resident ID number".into());
        }
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: &[u8; 11] = b"10X98765432";
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if bytes[17] != CHECK[(sum % 11) as usize] {
            return Err("is not a valid resident ID number (check digit mismatch)".into());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The only form ever returned: first and last character.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("{}{}{}", &s[..1], "*".repeat(16), &s[17..])
    }
}

impl TryFrom<String> for IdNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// Encrypts ID numbers and derives their lookup hashes. Both keys come from one master key
/// (`LIAISON_PII_KEY`) so operators manage a single secret.
#[derive(Clone)]
pub struct PiiCipher {
    sealer: Sealer,
    lookup_key: [u8; 32],
}

/// AES-256-GCM under a key derived from the master key for one purpose, so each kind of
/// sealed secret has a key of its own while operators keep one.
#[derive(Clone)]
pub struct Sealer(Aes256Gcm);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    pub fn new(master: &[u8], purpose: &str) -> Self {
        Self(Aes256Gcm::new_from_slice(&derive(master, purpose)).expect("32-byte key"))
    }

    /// nonce ‖ ciphertext+tag.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let sealed = self
            .0
            .encrypt(&Nonce::from(nonce), plain)
            .expect("AES-GCM encryption of a short input cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    pub fn open(&self, stored: &[u8]) -> Option<Vec<u8>> {
        if stored.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        self.0.decrypt(&Nonce::from(nonce), sealed).ok()
    }
}

impl std::fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiCipher(***)")
    }
}

fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

const NONCE_LEN: usize = 12;

impl PiiCipher {
    pub fn new(master: &[u8]) -> Self {
        Self {
            sealer: Sealer::new(master, "liaison/id-number/encryption/v1"),
            lookup_key: derive(master, "liaison/id-number/lookup/v1"),
        }
    }

    pub fn encrypt(&self, id: &IdNumber) -> Vec<u8> {
        self.sealer.seal(id.as_str().as_bytes())
    }

    pub fn decrypt(&self, stored: &[u8]) -> Option<IdNumber> {
        let plain = self.sealer.open(stored)?;
        IdNumber::parse(std::str::from_utf8(&plain).ok()?).ok()
    }

    /// A keyed hash: equal ID numbers find each other, but the table alone reveals nothing.
    pub fn lookup_hash(&self, id: &IdNumber) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup_key).expect("any key length");
        mac.update(id.as_str().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID_ID: &str = "11010519491231002X";

    #[test]
    fn id_numbers_check_their_check_digit() {
        assert!(IdNumber::parse(VALID_ID).is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
        assert!(IdNumber::parse("110105194912310021").is_err());
        assert!(IdNumber::parse("1101051949123100").is_err());
        assert_eq!(
            IdNumber::parse(VALID_ID).unwrap().masked(),
            "1****************X"
        );
    }

    #[test]
    fn debug_output_is_masked() {
        let id = IdNumber::parse(VALID_ID).unwrap();
        assert!(!format!("{id:?}").contains("0105"));
        let phone = PhoneNumber::parse("13812345678").unwrap();
        assert_eq!(format!("{phone:?}"), "PhoneNumber(138****5678)");
    }

    #[test]
    fn phones() {
        assert_eq!(
            PhoneNumber::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            PhoneNumber::parse("+8613812345678").unwrap().as_str(),
            "13812345678"
        );
        assert!(PhoneNumber::parse("010-68881234").is_ok());
        assert!(PhoneNumber::parse("12812345678").is_err());
        assert!(PhoneNumber::parse("abc").is_err());
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn encryption_round_trips_and_hides_the_plaintext() {
        let cipher = PiiCipher::new(b"a master key that is long enough for tests");
        let id = IdNumber::parse(VALID_ID).unwrap();
        let a = cipher.encrypt(&id);
        let b = cipher.encrypt(&id);
        assert_ne!(a, b, "random nonces");
        assert!(!a.windows(6).any(|w| w == b"010519"));
        assert_eq!(cipher.decrypt(&a), Some(id.clone()));
        assert_eq!(
            cipher.lookup_hash(&id),
            cipher.lookup_hash(&IdNumber::parse(VALID_ID).unwrap())
        );
        let other = PiiCipher::new(b"another master key, equally long enough");
        assert_eq!(other.decrypt(&a), None);
        assert_ne!(other.lookup_hash(&id), cipher.lookup_hash(&id));
    }
}
