//! Every route × every role → the expected status. A route added without a row here fails
//! `every_route_has_a_rule`, so permissions are always decided on purpose.

use std::collections::BTreeSet;

use reqwest::Method;

use crate::helpers::World;
use crate::matrix_requests::prepare;

const ROLES: [&str; 8] = [
    "anonymous",
    "admin",
    "committee_staff",
    "group_staff",
    "representative",
    "handling_body",
    "voter",
    "service",
];

pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    /// In the order of `ROLES`.
    expect: [u16; 8],
}

const STAFF_READ: [u16; 8] = [401, 200, 200, 200, 403, 403, 403, 403];
const ACCOUNT_MANAGERS: [u16; 8] = [401, 200, 200, 403, 403, 403, 403, 403];
const PUBLIC_OK: [u16; 8] = [200; 8];
const MANAGERS_CREATE: [u16; 8] = [401, 201, 201, 403, 403, 403, 403, 403];
const MANAGERS_ACCEPT: [u16; 8] = [401, 202, 202, 403, 403, 403, 403, 403];
const MANAGERS_DELETE: [u16; 8] = [401, 204, 204, 403, 403, 403, 403, 403];
const STAFF_CREATE: [u16; 8] = [401, 201, 201, 201, 403, 403, 403, 403];
const STAFF_DELETE: [u16; 8] = [401, 204, 204, 204, 403, 403, 403, 403];
const CONSTITUENCY_READ: [u16; 8] = [401, 200, 200, 200, 200, 403, 200, 403];
/// Group staff read the bodies their opinions may be referred to.
const BODY_READ: [u16; 8] = [401, 200, 200, 200, 403, 200, 403, 403];
const REPRESENTATIVE_READ: [u16; 8] = [401, 200, 200, 200, 200, 403, 403, 403];
const SIGNED_IN: [u16; 8] = [401, 200, 200, 200, 200, 200, 200, 200];
const ADMIN_ONLY: [u16; 8] = [401, 200, 403, 403, 403, 403, 403, 403];
/// A fresh opinion referred to body A, raised by voter A through deputy A.
const OPINION_READ: [u16; 8] = [401, 200, 200, 200, 200, 200, 200, 403];
/// A fresh planned activity of group A with deputy A.
const ACTIVITY_WRITE: [u16; 8] = [401, 200, 200, 200, 403, 403, 403, 403];
/// A fresh request from voter A to deputy A.
const APPOINTMENT_READ: [u16; 8] = [401, 200, 200, 200, 200, 403, 200, 403];
/// A fresh received opinion (not yet referred, so body A cannot see it).
const OPINION_STEP: [u16; 8] = [401, 200, 200, 200, 200, 404, 403, 403];

#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { method: "POST", path: "/api/v1/auth/login", expect: PUBLIC_OK },
    Rule { method: "POST", path: "/api/v1/auth/refresh", expect: [401; 8] },
    Rule { method: "POST", path: "/api/v1/auth/logout", expect: [204; 8] },
    Rule { method: "POST", path: "/api/v1/auth/register", expect: [202; 8] },
    Rule { method: "GET", path: "/api/v1/me", expect: [401, 200, 200, 200, 200, 200, 200, 200] },
    // A service client has no password.
    Rule { method: "PUT", path: "/api/v1/me/password", expect: [401, 204, 204, 204, 204, 204, 204, 403] },
    // Only a voter proves a phone; the fixtures' voter was entered by staff, so no code waits.
    Rule { method: "POST", path: "/api/v1/me/phone/verify", expect: [401, 403, 403, 403, 403, 403, 422, 403] },
    Rule { method: "POST", path: "/api/v1/me/phone/code", expect: [401, 403, 403, 403, 403, 403, 409, 403] },
    Rule { method: "POST", path: "/api/v1/users", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/users", expect: ACCOUNT_MANAGERS },
    Rule { method: "GET", path: "/api/v1/users/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "PATCH", path: "/api/v1/users/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "POST", path: "/api/v1/committees", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/committees", expect: STAFF_READ },
    Rule { method: "GET", path: "/api/v1/committees/{id}", expect: STAFF_READ },
    Rule { method: "PATCH", path: "/api/v1/committees/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "DELETE", path: "/api/v1/committees/{id}", expect: MANAGERS_DELETE },
    Rule { method: "GET", path: "/api/v1/committees/{id}/policy", expect: STAFF_READ },
    Rule { method: "PUT", path: "/api/v1/committees/{id}/policy", expect: ACCOUNT_MANAGERS },
    Rule { method: "POST", path: "/api/v1/liaison-groups", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/liaison-groups", expect: STAFF_READ },
    Rule { method: "GET", path: "/api/v1/liaison-groups/{id}", expect: STAFF_READ },
    Rule { method: "PATCH", path: "/api/v1/liaison-groups/{id}", expect: STAFF_READ },
    Rule { method: "DELETE", path: "/api/v1/liaison-groups/{id}", expect: MANAGERS_DELETE },
    Rule { method: "POST", path: "/api/v1/constituencies", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/constituencies", expect: CONSTITUENCY_READ },
    Rule { method: "GET", path: "/api/v1/constituencies/{id}", expect: CONSTITUENCY_READ },
    Rule { method: "PATCH", path: "/api/v1/constituencies/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "DELETE", path: "/api/v1/constituencies/{id}", expect: MANAGERS_DELETE },
    Rule { method: "POST", path: "/api/v1/handling-bodies", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/handling-bodies", expect: BODY_READ },
    Rule { method: "GET", path: "/api/v1/handling-bodies/{id}", expect: BODY_READ },
    Rule { method: "PATCH", path: "/api/v1/handling-bodies/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "DELETE", path: "/api/v1/handling-bodies/{id}", expect: MANAGERS_DELETE },
    Rule { method: "POST", path: "/api/v1/representatives", expect: STAFF_CREATE },
    Rule { method: "GET", path: "/api/v1/representatives", expect: REPRESENTATIVE_READ },
    Rule { method: "GET", path: "/api/v1/representatives/{id}", expect: REPRESENTATIVE_READ },
    Rule { method: "PATCH", path: "/api/v1/representatives/{id}", expect: STAFF_READ },
    Rule { method: "GET", path: "/api/v1/representatives/{id}/contacts", expect: REPRESENTATIVE_READ },
    Rule { method: "POST", path: "/api/v1/representatives/{id}/contacts", expect: STAFF_CREATE },
    // Deputy A was elected in voter A's constituency.
    Rule { method: "GET", path: "/api/v1/representatives/{id}/annual-reports", expect: [401, 200, 200, 200, 200, 403, 200, 403] },
    Rule { method: "DELETE", path: "/api/v1/representatives/{id}/contacts/{link_id}", expect: STAFF_DELETE },
    Rule { method: "POST", path: "/api/v1/voters", expect: STAFF_CREATE },
    Rule { method: "GET", path: "/api/v1/voters", expect: CONSTITUENCY_READ },
    Rule { method: "GET", path: "/api/v1/voters/{id}", expect: CONSTITUENCY_READ },
    Rule { method: "PATCH", path: "/api/v1/voters/{id}", expect: [401, 200, 200, 200, 403, 403, 200, 403] },
    Rule { method: "POST", path: "/api/v1/voters/{id}/verify", expect: STAFF_READ },
    Rule { method: "POST", path: "/api/v1/imports/voters", expect: STAFF_READ },
    Rule { method: "POST", path: "/api/v1/imports/representatives", expect: STAFF_READ },
    // The fixtures' committee staff work for committee A, not the Standing Committee.
    Rule { method: "POST", path: "/api/v1/congress-sessions", expect: [401, 201, 403, 403, 403, 403, 403, 403] },
    Rule { method: "GET", path: "/api/v1/congress-sessions", expect: REPRESENTATIVE_READ },
    Rule { method: "GET", path: "/api/v1/congress-sessions/{id}", expect: REPRESENTATIVE_READ },
    Rule { method: "PATCH", path: "/api/v1/congress-sessions/{id}", expect: ADMIN_ONLY },
    Rule { method: "DELETE", path: "/api/v1/congress-sessions/{id}", expect: [401, 204, 403, 403, 403, 403, 403, 403] },
    Rule { method: "GET", path: "/api/v1/notifications", expect: SIGNED_IN },
    Rule { method: "GET", path: "/api/v1/changes", expect: ACCOUNT_MANAGERS },
    // A JSON body, not a form: refused in the OAuth form whoever asks.
    Rule { method: "POST", path: "/api/v1/auth/token", expect: [400; 8] },
    Rule { method: "POST", path: "/api/v1/service-clients", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/service-clients", expect: ACCOUNT_MANAGERS },
    // A fresh client of committee A.
    Rule { method: "GET", path: "/api/v1/service-clients/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "PATCH", path: "/api/v1/service-clients/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "DELETE", path: "/api/v1/service-clients/{id}", expect: MANAGERS_DELETE },
    Rule { method: "POST", path: "/api/v1/service-clients/{id}/rotate-secret", expect: ACCOUNT_MANAGERS },
    // A handling body reads only group_by=handling_body (its own row); the service column's
    // client holds stats:read.
    Rule { method: "GET", path: "/api/v1/stats/opinions", expect: [401, 200, 200, 200, 403, 403, 403, 200] },
    // Activity figures need activities:read too, which the service column's client lacks.
    Rule { method: "GET", path: "/api/v1/stats/activities", expect: [401, 200, 200, 200, 403, 403, 403, 403] },
    // Voters take nothing away; the service column's client lacks exports:read.
    Rule { method: "GET", path: "/api/v1/exports/opinions", expect: [401, 200, 200, 200, 200, 200, 403, 403] },
    Rule { method: "GET", path: "/api/v1/exports/activities", expect: [401, 200, 200, 200, 200, 403, 403, 403] },
    // Readers of the report who may export (a body only its own row, so not the default).
    Rule { method: "GET", path: "/api/v1/exports/stats/opinions", expect: [401, 200, 200, 200, 403, 403, 403, 403] },
    Rule { method: "POST", path: "/api/v1/webhooks", expect: MANAGERS_CREATE },
    Rule { method: "GET", path: "/api/v1/webhooks", expect: ACCOUNT_MANAGERS },
    // A fresh endpoint of committee staff A's, with a ping queued.
    Rule { method: "GET", path: "/api/v1/webhooks/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "PATCH", path: "/api/v1/webhooks/{id}", expect: ACCOUNT_MANAGERS },
    Rule { method: "DELETE", path: "/api/v1/webhooks/{id}", expect: MANAGERS_DELETE },
    Rule { method: "POST", path: "/api/v1/webhooks/{id}/test", expect: MANAGERS_ACCEPT },
    Rule { method: "GET", path: "/api/v1/webhooks/{id}/deliveries", expect: ACCOUNT_MANAGERS },
    Rule { method: "POST", path: "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", expect: MANAGERS_ACCEPT },
    // A fresh urgent opinion's notification, which is committee staff A's alone.
    Rule { method: "POST", path: "/api/v1/notifications/{id}/read", expect: [401, 404, 200, 404, 404, 404, 404, 404] },
    Rule { method: "GET", path: "/api/v1/calendar", expect: SIGNED_IN },
    Rule { method: "PUT", path: "/api/v1/calendar/{day}", expect: ADMIN_ONLY },
    Rule { method: "DELETE", path: "/api/v1/calendar/{day}", expect: [401, 204, 403, 403, 403, 403, 403, 403] },
    Rule { method: "POST", path: "/api/v1/opinions", expect: [401, 201, 201, 201, 201, 403, 201, 403] },
    Rule { method: "GET", path: "/api/v1/opinions", expect: OPINION_READ },
    Rule { method: "GET", path: "/api/v1/opinions/{id}", expect: OPINION_READ },
    Rule { method: "GET", path: "/api/v1/opinions/{id}/referable-bodies", expect: [401, 200, 200, 200, 200, 200, 403, 403] },
    Rule { method: "PATCH", path: "/api/v1/opinions/{id}", expect: OPINION_STEP },
    Rule { method: "POST", path: "/api/v1/opinions/{id}/transitions", expect: OPINION_STEP },
    Rule { method: "POST", path: "/api/v1/opinions/{id}/rating", expect: [401, 403, 403, 403, 403, 403, 200, 403] },
    Rule { method: "GET", path: "/api/v1/opinions/{id}/events", expect: OPINION_READ },
    Rule { method: "GET", path: "/api/v1/opinions/{id}/referrals", expect: OPINION_READ },
    Rule { method: "POST", path: "/api/v1/opinions/{id}/referrals/{referral_id}/accept", expect: [401, 403, 403, 403, 403, 200, 403, 403] },
    Rule { method: "GET", path: "/api/v1/opinion-categories", expect: [401, 200, 200, 200, 200, 403, 200, 403] },
    // A deputy naming only themself declares the activity.
    Rule { method: "POST", path: "/api/v1/activities", expect: [401, 201, 201, 201, 201, 403, 403, 403] },
    Rule { method: "POST", path: "/api/v1/activities/{id}/confirm", expect: ACTIVITY_WRITE },
    Rule { method: "POST", path: "/api/v1/activities/{id}/reject", expect: ACTIVITY_WRITE },
    Rule { method: "GET", path: "/api/v1/activities", expect: REPRESENTATIVE_READ },
    Rule { method: "GET", path: "/api/v1/activities/{id}", expect: REPRESENTATIVE_READ },
    Rule { method: "PATCH", path: "/api/v1/activities/{id}", expect: ACTIVITY_WRITE },
    Rule { method: "GET", path: "/api/v1/activities/{id}/events", expect: REPRESENTATIVE_READ },
    Rule { method: "POST", path: "/api/v1/activities/{id}/hold", expect: ACTIVITY_WRITE },
    Rule { method: "POST", path: "/api/v1/activities/{id}/cancel", expect: ACTIVITY_WRITE },
    Rule { method: "GET", path: "/api/v1/activities/{id}/registrations", expect: REPRESENTATIVE_READ },
    Rule { method: "POST", path: "/api/v1/activities/{id}/evaluations", expect: [401, 201, 201, 201, 403, 403, 201, 403] },
    Rule { method: "POST", path: "/api/v1/liaison-groups/{id}/reception-rules", expect: STAFF_CREATE },
    Rule { method: "GET", path: "/api/v1/liaison-groups/{id}/reception-rules", expect: [401, 200, 200, 200, 404, 403, 403, 403] },
    Rule { method: "PATCH", path: "/api/v1/liaison-groups/{id}/reception-rules/{rule_id}", expect: ACTIVITY_WRITE },
    Rule { method: "DELETE", path: "/api/v1/liaison-groups/{id}/reception-rules/{rule_id}", expect: STAFF_DELETE },
    Rule { method: "GET", path: "/api/v1/obligations", expect: REPRESENTATIVE_READ },
    Rule { method: "GET", path: "/api/v1/representatives/{id}/duty-record", expect: REPRESENTATIVE_READ },
    Rule { method: "GET", path: "/api/v1/representatives/{id}/annual-report-draft", expect: REPRESENTATIVE_READ },
    Rule { method: "POST", path: "/api/v1/appointments", expect: [401, 201, 201, 201, 403, 403, 201, 403] },
    Rule { method: "GET", path: "/api/v1/appointments", expect: APPOINTMENT_READ },
    Rule { method: "GET", path: "/api/v1/appointments/{id}", expect: APPOINTMENT_READ },
    Rule { method: "POST", path: "/api/v1/appointments/{id}/accept", expect: REPRESENTATIVE_READ },
    Rule { method: "POST", path: "/api/v1/appointments/{id}/decline", expect: REPRESENTATIVE_READ },
    Rule { method: "POST", path: "/api/v1/appointments/{id}/cancel", expect: APPOINTMENT_READ },
    Rule { method: "GET", path: "/public/v1/schedule", expect: PUBLIC_OK },
    Rule { method: "GET", path: "/public/v1/stations/{id}/calendar.ics", expect: PUBLIC_OK },
    Rule { method: "GET", path: "/public/v1/stations", expect: PUBLIC_OK },
    Rule { method: "GET", path: "/public/v1/constituencies", expect: PUBLIC_OK },
    Rule { method: "GET", path: "/public/v1/representatives", expect: PUBLIC_OK },
    Rule { method: "GET", path: "/healthz", expect: PUBLIC_OK },
    Rule { method: "GET", path: "/readyz", expect: PUBLIC_OK },
];

#[tokio::test]
async fn every_route_answers_every_role_as_specified() {
    let w = World::new().await;
    let callers = w.callers();
    let mut failures = Vec::new();
    for rule in RULES {
        for (index, (role, token)) in callers.iter().enumerate() {
            assert_eq!(*role, ROLES[index]);
            let (path, body) = prepare(&w, rule, role).await;
            let method = Method::from_bytes(rule.method.as_bytes()).unwrap();
            let reply = w.app.request(method, &path, token.as_deref(), body).await;
            if reply.status.as_u16() != rule.expect[index] {
                failures.push(format!(
                    "{} {} as {role}: expected {}, got {} {}",
                    rule.method, rule.path, rule.expect[index], reply.status, reply.body
                ));
            }
            // The token endpoint's refusals are in RFC 6749's own form (service_clients tests).
            if reply.status.is_client_error() && rule.path != "/api/v1/auth/token" {
                assert_eq!(
                    reply.content_type(),
                    "application/problem+json",
                    "{} {}",
                    rule.method,
                    rule.path
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_route_has_a_rule() {
    let doc = liaison::startup::openapi_json();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let ruled: BTreeSet<String> = RULES
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let missing: Vec<_> = documented.difference(&ruled).collect();
    let stale: Vec<_> = ruled.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without a matrix rule: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rules for routes that do not exist: {stale:?}"
    );
}
