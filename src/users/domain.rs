//! Values that are valid by construction: a `Username` or `NewPassword` that exists has passed
//! its rules, so nothing past the edge re-checks them.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Username(String);

impl Username {
    /// Exactly `USERNAME_PATTERN` in the spec: no trimming, so what a client checks against
    /// the pattern is what the server accepts.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw;
        let length = value.chars().count();
        if !(3..=64).contains(&length) {
            return Err("must be 3 to 64 characters".into());
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err("may contain only letters, digits and . _ - @".into());
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    /// The one form a name is stored and looked up in: trimmed, ASCII, lower case. A name
    /// outside ASCII can belong to no account (`None`): folding it instead would let `vİctim`
    /// reach `victim` past a throttle keyed on what was typed.
    pub fn canonical(raw: &str) -> Option<String> {
        let value = raw.trim();
        value.is_ascii().then(|| value.to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// A password chosen for an account. Length is the rule that matters (NIST SP 800-63B):
/// at least 10 characters, at most 128 so hashing cost stays bounded.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < 10 {
            return Err("must be at least 10 characters".into());
        }
        if length > 128 {
            return Err("must be at most 128 characters".into());
        }
        if raw.trim().is_empty() {
            return Err("must not be blank".into());
        }
        Ok(Self(raw))
    }

    pub fn expose(self) -> String {
        self.0
    }
}

impl TryFrom<String> for NewPassword {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("zhang.san").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("张三三").is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse(" ".repeat(12)).is_err());
        assert!(NewPassword::parse("long enough pass".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(129)).is_err());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("long enough pass".into()).unwrap()
            ),
            "NewPassword(***)"
        );
    }
}
