//! What a service client may do: the scopes of its grant (OAuth 2.0, RFC 6749 §3.3). Which
//! actions each opens is in `roles.rs` (`scope_for`), beside the roles' own rules. A client's
//! rows are filtered as for an admin (an unbound client) or committee staff (a bound one).

use crate::db::text_enum;

text_enum!(
    Scope {
        #[serde(rename = "opinions:read")]
        OpinionsRead => "opinions:read",
        #[serde(rename = "activities:read")]
        ActivitiesRead => "activities:read",
        #[serde(rename = "activities:write")]
        ActivitiesWrite => "activities:write",
        /// Committees, liaison groups, constituencies, deputies and handling bodies; no voters.
        #[serde(rename = "people:read")]
        PeopleRead => "people:read",
        /// Voters, masked as for a deputy.
        #[serde(rename = "voters:read")]
        VotersRead => "voters:read",
        #[serde(rename = "stats:read")]
        StatsRead => "stats:read",
        #[serde(rename = "exports:read")]
        ExportsRead => "exports:read",
        #[serde(rename = "changes:read")]
        ChangesRead => "changes:read",
        #[serde(rename = "webhooks:manage")]
        WebhooksManage => "webhooks:manage",
    }
);

impl Scope {
    /// A space-separated scope list (RFC 6749 §3.3), every scope known; None if any is not.
    pub fn parse_list(raw: &str) -> Option<Vec<Scope>> {
        let mut scopes: Vec<Scope> = Vec::new();
        for word in raw.split(' ').filter(|w| !w.is_empty()) {
            let scope = Scope::parse(word)?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Some(scopes)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use crate::access::scopes::Scope;

    #[test]
    fn scopes_read_and_write_as_their_names() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(*scope));
            assert_eq!(serde_json::to_value(scope).unwrap(), scope.as_str());
        }
        assert_eq!(
            Scope::parse_list("opinions:read  changes:read opinions:read"),
            Some(vec![Scope::OpinionsRead, Scope::ChangesRead])
        );
        assert_eq!(Scope::parse_list("opinions:write"), None);
    }
}
