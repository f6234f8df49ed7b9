//! Requests held to the published contract (`openapi.json`), so the server cannot accept what
//! the document does not declare: a method a path does not have answers 405 with `Allow`, and
//! a query parameter an operation does not declare answers 400 `invalid_query` naming it (a
//! misspelt filter must not quietly return everything). Built once from the same document the
//! server publishes, so the two cannot drift apart.

use std::collections::{BTreeSet, HashMap};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::ParameterIn;

use crate::error::{ApiError, ErrorCode};

/// One operation: its path split into segments (`None` for a `{parameter}`), its method and
/// the query parameters it declares.
#[derive(Debug, Clone)]
struct Operation {
    segments: Vec<Option<String>>,
    method: String,
    query: BTreeSet<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Contract {
    /// Operations by their segment count and leading segments (`/api/v1/opinions`): a request
    /// is compared with its own resource's few operations, not with every one of them.
    keyed: HashMap<(usize, String), Vec<Operation>>,
    /// Operations with a parameter among their leading segments (none today), compared with
    /// every request.
    loose: Vec<Operation>,
}

/// How many leading segments key an operation: `""`, `api`, `v1` and the resource.
const KEYED_SEGMENTS: usize = 4;

fn key(asked: &[&str]) -> (usize, String) {
    (
        asked.len(),
        asked[..asked.len().min(KEYED_SEGMENTS)].join("/"),
    )
}

/// What the contract says of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not a documented path (docs, the document itself, or unknown): let the router decide.
    Undocumented,
    Allowed,
    /// The path exists, the method does not: these are its methods.
    MethodNotAllowed(Vec<String>),
    UnknownQueryParameter(String),
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_end_matches('/').split('/').collect()
}

impl Contract {
    pub fn from_document(doc: &OpenApi) -> Self {
        let mut contract = Self::default();
        for (path, item) in doc.paths.paths.iter() {
            let shape: Vec<Option<String>> = segments(path)
                .into_iter()
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect();
            let leading: Option<Vec<&str>> = shape[..shape.len().min(KEYED_SEGMENTS)]
                .iter()
                .map(Option::as_deref)
                .collect();
            let operations = match leading {
                Some(leading) => contract
                    .keyed
                    .entry((shape.len(), leading.join("/")))
                    .or_default(),
                None => &mut contract.loose,
            };
            let common = item.parameters.clone().unwrap_or_default();
            let methods = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (method, op) in methods {
                let Some(op) = op else { continue };
                let query = common
                    .iter()
                    .chain(op.parameters.iter().flatten())
                    .filter(|p| p.parameter_in == ParameterIn::Query)
                    .map(|p| p.name.clone())
                    .collect();
                operations.push(Operation {
                    segments: shape.clone(),
                    method: method.to_owned(),
                    query,
                });
            }
        }
        contract
    }

    pub fn judge(&self, method: &str, path: &str, query: &str) -> Verdict {
        let asked = segments(path);
        let on_path: Vec<&Operation> = self
            .keyed
            .get(&key(&asked))
            .into_iter()
            .flatten()
            .chain(&self.loose)
            .filter(|op| {
                op.segments.len() == asked.len()
                    && op
                        .segments
                        .iter()
                        .zip(&asked)
                        .all(|(want, got)| match want {
                            Some(fixed) => fixed == got,
                            None => !got.is_empty(),
                        })
            })
            .collect();
        if on_path.is_empty() {
            return Verdict::Undocumented;
        }
        // A literal segment beats a parameter (`/users/me` over `/users/{id}`): prefer the
        // operations of the most literal template.
        let literal = |op: &Operation| op.segments.iter().filter(|s| s.is_some()).count();
        let best = on_path.iter().map(|op| literal(op)).max().unwrap_or(0);
        let on_path: Vec<&Operation> = on_path
            .into_iter()
            .filter(|op| literal(op) == best)
            .collect();
        let Some(op) = on_path.iter().find(|op| op.method == method) else {
            let mut allow: Vec<String> = on_path.iter().map(|op| op.method.clone()).collect();
            allow.sort();
            allow.dedup();
            return Verdict::MethodNotAllowed(allow);
        };
        if query.is_empty() {
            return Verdict::Allowed;
        }
        for (name, _) in form_urlencoded(query) {
            if !op.query.contains(&name) {
                return Verdict::UnknownQueryParameter(name);
            }
        }
        Verdict::Allowed
    }
}

/// The pairs of a query string, decoded as the handlers' `web::Query` decodes them (a query
/// that does not decode is left for the handler to refuse).
fn form_urlencoded(query: &str) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let verdict = req
        .app_data::<web::Data<Contract>>()
        .map(|c| c.judge(req.method().as_str(), req.path(), req.query_string()))
        .unwrap_or(Verdict::Undocumented);
    let refusal = match verdict {
        Verdict::Undocumented | Verdict::Allowed => {
            return Ok(next.call(req).await?.map_into_boxed_body());
        }
        Verdict::MethodNotAllowed(allow) => {
            let error = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not a method of this path; it has {}",
                    req.method(),
                    allow.join(", ")
                ),
            );
            let mut response = error.error_response();
            if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                response.headers_mut().insert(ALLOW, value);
            }
            response
        }
        Verdict::UnknownQueryParameter(name) => ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("unknown query parameter `{name}`"),
        )
        .with_extension("parameter", serde_json::json!(name))
        .error_response(),
    };
    Ok(req.into_response(refusal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        Contract::from_document(&crate::startup::openapi_document())
    }

    #[test]
    fn methods_a_path_lacks_are_refused_with_the_ones_it_has() {
        let c = contract();
        assert_eq!(c.judge("GET", "/api/v1/opinions", ""), Verdict::Allowed);
        assert_eq!(
            c.judge("PUT", "/api/v1/opinions", ""),
            Verdict::MethodNotAllowed(vec!["GET".into(), "POST".into()])
        );
        assert_eq!(
            c.judge(
                "DELETE",
                "/api/v1/opinions/0190f5a0-0000-7000-8000-000000000001",
                ""
            ),
            Verdict::MethodNotAllowed(vec!["GET".into(), "PATCH".into()])
        );
        assert_eq!(
            c.judge("GET", "/docs/index.html", ""),
            Verdict::Undocumented
        );
        assert_eq!(
            c.judge("GET", "/api/v1/nothing-here", ""),
            Verdict::Undocumented
        );
    }

    #[test]
    fn undeclared_query_parameters_are_named() {
        let c = contract();
        assert_eq!(
            c.judge("GET", "/api/v1/opinions", "limit=10&cursor="),
            Verdict::Allowed
        );
        assert_eq!(
            c.judge(
                "GET",
                "/api/v1/opinions",
                "limit=10&updated_since=2025-01-01"
            ),
            Verdict::UnknownQueryParameter("updated_since".into())
        );
        assert_eq!(
            c.judge("GET", "/api/v1/me", "x=1"),
            Verdict::UnknownQueryParameter("x".into())
        );
    }

    #[test]
    fn every_documented_operation_is_found_by_its_own_path() {
        let doc = crate::startup::openapi_document();
        let c = Contract::from_document(&doc);
        let mut checked = 0;
        for (path, item) in doc.paths.paths.iter() {
            let asked: Vec<String> = segments(path)
                .into_iter()
                .map(|s| {
                    if s.starts_with('{') {
                        "x1".into()
                    } else {
                        s.to_owned()
                    }
                })
                .collect();
            let asked = asked.join("/");
            for (method, op) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                let verdict = c.judge(method, &asked, "");
                match op {
                    Some(_) => assert_eq!(verdict, Verdict::Allowed, "{method} {asked}"),
                    None => assert!(
                        matches!(verdict, Verdict::MethodNotAllowed(_)),
                        "{method} {asked}: {verdict:?}"
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} operations checked");
    }
}
