use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::ServiceClient;
use crate::access::Scope;
use crate::calendar::to_local;
use crate::request::not_blank;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceClientQuery {
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "代表活动服务系统", "scopes": ["opinions:read", "activities:read", "changes:read"]}))]
pub struct CreateServiceClient {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: String,
    /// What the client may do; at least one.
    #[validate(length(min = 1, max = 9, message = "name 1 to 9 scopes"))]
    #[schema(min_items = 1, max_items = 9)]
    pub scopes: Vec<Scope>,
    /// The committee whose subtree bounds what the client sees; omit for the whole district
    /// (admins only). Committee staff must name their own committee or one below it.
    pub committee_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceClient {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Replaces the scopes; tokens already issued lose the ones taken away at once.
    #[validate(length(min = 1, max = 9, message = "name 1 to 9 scopes"))]
    #[schema(min_items = 1, max_items = 9)]
    pub scopes: Option<Vec<Scope>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceClientView {
    pub id: Uuid,
    /// The `client_id` of the credentials.
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub committee_id: Option<Uuid>,
    /// Until then the secret before the last rotation still works.
    pub previous_secret_expires_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// A new client, or a rotated secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceClientCredentials {
    #[serde(flatten)]
    pub client: ServiceClientView,
    /// Shown this once; only its hash is kept.
    pub client_secret: String,
}

impl From<ServiceClient> for ServiceClientView {
    fn from(c: ServiceClient) -> Self {
        Self {
            id: c.id,
            client_id: c.client_id,
            name: c.name,
            scopes: c.scopes,
            committee_id: c.committee_id,
            previous_secret_expires_at: c.previous_secret_expires_at.map(to_local),
            created_at: to_local(c.created_at),
            updated_at: to_local(c.updated_at),
        }
    }
}
