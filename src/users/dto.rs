use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::domain::{NewPassword, Username};
use super::model::Account;
use crate::access::{Binding, Role};
use crate::request::double_option;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "babaoshan.staff",
    "password": "a long demo password",
    "role": "committee_staff",
    "scope_id": "0190f5a0-0000-7000-8000-000000000002"
}))]
pub struct CreateUser {
    /// 3 to 64 characters: letters, digits and `. _ - @`. Unique, case-insensitively.
    #[schema(value_type = String, min_length = 3, max_length = 64, pattern = r"^[A-Za-z0-9._@-]{3,64}$")]
    pub username: Username,
    /// 10 to 128 characters.
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub password: NewPassword,
    pub role: Role,
    /// What the role is bound to: the committee (committee_staff), liaison group
    /// (group_staff), handling body (handling_body), representative (representative) or voter
    /// (voter) record. Omit for admin and service accounts.
    pub scope_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Resetting another account's password (a role you may grant) ends its sessions and makes
    /// its owner choose a new one; your own is changed with `PUT /me/password`.
    #[schema(value_type = Option<String>, min_length = 10, max_length = 128, format = Password)]
    pub password: Option<NewPassword>,
    /// Disabling ends the account's sessions at once.
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub scope_id: Option<Option<Uuid>>,
}

/// Choosing a new password for your own account: the current one proves it is you, so a stolen
/// access token alone cannot take the account over.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[validate(length(min = 1, max = 1024, message = "must be 1 to 1024 characters"))]
    #[schema(min_length = 1, max_length = 1024)]
    #[schema(format = Password)]
    pub current_password: String,
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub new_password: NewPassword,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Committee,
    LiaisonGroup,
    HandlingBody,
    Representative,
    Voter,
}

impl ScopeKind {
    pub fn of(binding: Binding) -> Option<Self> {
        match binding {
            Binding::Unbound => None,
            Binding::Committee(_) => Some(Self::Committee),
            Binding::LiaisonGroup(_) => Some(Self::LiaisonGroup),
            Binding::HandlingBody(_) => Some(Self::HandlingBody),
            Binding::Representative(_) => Some(Self::Representative),
            Binding::Voter(_) => Some(Self::Voter),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub scope_id: Option<Uuid>,
    pub scope_kind: Option<ScopeKind>,
    pub disabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Account> for UserView {
    fn from(a: Account) -> Self {
        let binding = a.binding();
        Self {
            id: a.id,
            username: a.username,
            role: a.role,
            scope_id: binding.id(),
            scope_kind: ScopeKind::of(binding),
            disabled: a.disabled_at.is_some(),
            disabled_at: a.disabled_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeView {
    pub kind: ScopeKind,
    pub id: Uuid,
    pub name: String,
}

/// The signed-in account, its role and what it is bound to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub scope: Option<ScopeView>,
    /// The password was reset by someone else: choose a new one (`PUT /me/password`) before
    /// anything else answers.
    pub must_change_password: bool,
    /// Your unread notifications (`GET /api/v1/notifications`).
    pub unread_notifications: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    pub role: Option<Role>,
    pub scope_id: Option<Uuid>,
    pub disabled: Option<bool>,
    /// Substring of the username.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
