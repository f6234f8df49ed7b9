//! Who is asking: the account's role and what it is bound to, loaded once per request by the
//! `Authed` extractor together with the connection the handler then works on.
//!
//! The account and session are read on every request rather than trusted from the token, so
//! disabling an account or logging out takes effect immediately, not when the token expires.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::auth::tokens::{Claims, TokenError};
use crate::db::schema::{accounts, committee_policy_generation, committees, sessions};
use crate::db::{DbConn, text_enum};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

text_enum!(
    Role {
        Admin => "admin",
        CommitteeStaff => "committee_staff",
        GroupStaff => "group_staff",
        Representative => "representative",
        HandlingBody => "handling_body",
        Voter => "voter",
        Service => "service",
    }
);

/// What an account is bound to. The binding *is* the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Unbound,
    Committee(Uuid),
    LiaisonGroup(Uuid),
    HandlingBody(Uuid),
    Representative(Uuid),
    Voter(Uuid),
}

/// The binding columns of an account row, in table order: committee, liaison group, handling
/// body, representative, voter.
pub type BindingIds = (
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
);

impl Binding {
    pub fn from_columns((committee, group, body, representative, voter): BindingIds) -> Self {
        match (committee, group, body, representative, voter) {
            (Some(c), ..) => Binding::Committee(c),
            (_, Some(g), ..) => Binding::LiaisonGroup(g),
            (_, _, Some(b), ..) => Binding::HandlingBody(b),
            (.., Some(r), _) => Binding::Representative(r),
            (.., Some(v)) => Binding::Voter(v),
            _ => Binding::Unbound,
        }
    }

    pub fn id(self) -> Option<Uuid> {
        match self {
            Binding::Unbound => None,
            Binding::Committee(id)
            | Binding::LiaisonGroup(id)
            | Binding::HandlingBody(id)
            | Binding::Representative(id)
            | Binding::Voter(id) => Some(id),
        }
    }

    pub fn columns(self) -> BindingIds {
        let mut ids: BindingIds = (None, None, None, None, None);
        match self {
            Binding::Unbound => {}
            Binding::Committee(id) => ids.0 = Some(id),
            Binding::LiaisonGroup(id) => ids.1 = Some(id),
            Binding::HandlingBody(id) => ids.2 = Some(id),
            Binding::Representative(id) => ids.3 = Some(id),
            Binding::Voter(id) => ids.4 = Some(id),
        }
        ids
    }
}

/// The authenticated account behind a request (see `auth::caller` for how it is loaded).
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: Uuid,
    pub username: String,
    pub role: Role,
    pub binding: Binding,
    pub session_id: Uuid,
    /// Someone else reset the password: until the owner chooses one, only `/me` and
    /// `/me/password` answer.
    pub must_change_password: bool,
    /// A service client's grant (role `service`); None for people, whose role decides.
    pub scopes: Option<Vec<super::scopes::Scope>>,
    /// Bound to a committee with none below it, found with the session: its subtree is the
    /// committee alone, so a filter compares with it directly, which lets an index give the
    /// rows in order (a subtree is a join, whose rows must be sorted). False when unknown,
    /// which only costs the sort.
    pub leaf_committee: bool,
}

/// What an account of a role must be bound to, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Committee,
    LiaisonGroup,
    HandlingBody,
    Representative,
    Voter,
}

impl BindingKind {
    pub fn bind(self, id: Uuid) -> Binding {
        match self {
            BindingKind::Committee => Binding::Committee(id),
            BindingKind::LiaisonGroup => Binding::LiaisonGroup(id),
            BindingKind::HandlingBody => Binding::HandlingBody(id),
            BindingKind::Representative => Binding::Representative(id),
            BindingKind::Voter => Binding::Voter(id),
        }
    }
}

impl Role {
    /// The binding an account of this role needs: none for admins and service clients, whose
    /// scope is not a part of the tree.
    pub fn binding_kind(self) -> Option<BindingKind> {
        match self {
            Role::Admin | Role::Service => None,
            Role::CommitteeStaff => Some(BindingKind::Committee),
            Role::GroupStaff => Some(BindingKind::LiaisonGroup),
            Role::HandlingBody => Some(BindingKind::HandlingBody),
            Role::Representative => Some(BindingKind::Representative),
            Role::Voter => Some(BindingKind::Voter),
        }
    }
}

impl Caller {
    /// Staff of the service's own side: admins, committee staff and group staff.
    pub fn is_staff(&self) -> bool {
        matches!(
            self.role,
            Role::Admin | Role::CommitteeStaff | Role::GroupStaff
        )
    }

    /// The committee at the root of a committee staff member's (or a bound service client's)
    /// scope.
    pub fn committee_root(&self) -> Option<Uuid> {
        match (self.role, self.binding) {
            (Role::CommitteeStaff | Role::Service, Binding::Committee(id)) => Some(id),
            _ => None,
        }
    }
}

impl Caller {
    /// Whether `other` would be let see and do exactly what this caller may: the same role,
    /// binding and scopes (names and other details aside).
    pub fn same_access(&self, other: &Caller) -> bool {
        self.account_id == other.account_id
            && self.role == other.role
            && self.binding == other.binding
            && self.scopes == other.scopes
            && self.leaf_committee == other.leaf_committee
    }

    /// Someone acted for without a request: the owner of a webhook endpoint, whose changes the
    /// fan-out reads on their behalf. Role, binding and scopes decide exactly as they would for
    /// a request of theirs.
    pub fn on_behalf_of(
        id: Uuid,
        role: Role,
        binding: Binding,
        scopes: Option<Vec<super::scopes::Scope>>,
    ) -> Self {
        Caller {
            account_id: id,
            username: String::new(),
            role,
            binding,
            session_id: id,
            must_change_password: false,
            scopes,
            leaf_committee: false,
        }
    }
}

#[cfg(test)]
impl Caller {
    /// A caller of a role and binding, for the unit tests of the rules.
    pub fn for_test(role: Role, binding: Binding) -> Self {
        Caller {
            account_id: Uuid::now_v7(),
            username: "t".into(),
            role,
            binding,
            session_id: Uuid::nil(),
            must_change_password: false,
            scopes: None,
            leaf_committee: false,
        }
    }
}

/// An authenticated request: the caller, and the one pooled connection that loaded them and
/// that the handler goes on to use. One checkout per request (crates.io hands the same
/// connection to its `AuthCheck` and to the work), so a request never holds two connections
/// and a busy pool cannot deadlock requests against themselves.
pub struct Authed {
    pub caller: Caller,
    pub conn: DbConn,
}

/// What an account whose password was reset may still reach.
const PASSWORD_CHANGE_PATHS: &[&str] = &["/api/v1/me", "/api/v1/me/password"];

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The verified claims of the request's bearer token, with the state: 401 without one.
pub(super) fn bearer_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, Claims), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
    let token = bearer_token(req)
        .ok_or_else(|| ApiError::unauthorized("a bearer access token is required"))?;
    let claims = state.tokens.verify_access(&token).map_err(|e| match e {
        TokenError::Expired => ApiError::unauthorized("the access token has expired; refresh it"),
        TokenError::Invalid => ApiError::unauthorized("the access token is invalid"),
    })?;
    Ok((state, claims))
}

/// The live caller behind a token's claims, refused when the account must first change its
/// password and `path` is not how it does so.
pub(super) async fn live_caller<C>(conn: &mut C, claims: &Claims, path: &str) -> ApiResult<Caller>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    Ok(live_caller_stamped(conn, claims, path).await?.0)
}

/// `live_caller`, with what a person's session was found with (none for a service client).
pub(super) async fn live_caller_stamped<C>(
    conn: &mut C,
    claims: &Claims,
    path: &str,
) -> ApiResult<(Caller, Option<SessionStamp>)>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let (caller, stamp) = match &claims.scope {
        Some(scope) => (load_client(conn, claims.sub, scope).await?, None),
        None => {
            let (caller, stamp) = load(conn, claims.sub, claims.sid).await?;
            (caller, Some(stamp))
        }
    };
    caller.may_reach(path)?;
    Ok((caller, stamp))
}

/// What a person's session was loaded with: the callers' generation then
/// (`committee_policy_generation.callers`, raised at the commit of any change to a session,
/// an account or the committee tree; migration 000021), and when the session ends (fixed
/// when it starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStamp {
    generation: i64,
    expires_at: DateTime<Utc>,
}

impl SessionStamp {
    /// A stamp as `load` makes one (public for the query-plan tests: a stamp decides only
    /// what a read sends first, never what it answers).
    pub fn new(generation: i64, expires_at: DateTime<Utc>) -> Self {
        SessionStamp {
            generation,
            expires_at,
        }
    }

    /// Whether the session has not yet reached its end by this server's clock.
    pub(super) fn lasts(&self) -> bool {
        self.expires_at > Utc::now()
    }
}

impl Caller {
    /// Refuses every path but the password change to an account whose password was reset.
    pub(super) fn may_reach(&self, path: &str) -> ApiResult<()> {
        if self.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&path) {
            return Err(ApiError::forbidden_with(
                ErrorCode::PasswordChangeRequired,
                "your password was reset: choose a new one with PUT /api/v1/me/password",
            ));
        }
        Ok(())
    }
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let claims = bearer_claims(req);
        let path = req.path().to_owned();
        Box::pin(async move {
            let (state, claims) = claims?;
            let mut conn = state.db().await?;
            let caller = live_caller(&mut conn, &claims, &path).await?;
            Ok(Authed { caller, conn })
        })
    }
}

type AccountRow = (
    Uuid,
    String,
    Role,
    BindingIds,
    bool,
    bool,
    DateTime<Utc>,
    Option<i64>,
);

/// The live account behind a session: 401 once the session is revoked or expired or the
/// account disabled. The callers' generation is read in the same statement, so a change
/// committed after it was read always moves it past the stamp.
async fn load<C>(conn: &mut C, account: Uuid, session: Uuid) -> ApiResult<(Caller, SessionStamp)>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let row: Option<AccountRow> = live_session(account, session)
        .select((
            accounts::id,
            accounts::username,
            accounts::role,
            (
                accounts::committee_id,
                accounts::liaison_group_id,
                accounts::handling_body_id,
                accounts::representative_id,
                accounts::voter_id,
            ),
            accounts::must_change_password,
            has_committees_below(),
            sessions::expires_at,
            committee_policy_generation::table
                .select(committee_policy_generation::callers)
                .single_value(),
        ))
        .first(conn)
        .await
        .optional()?;
    let (
        account_id,
        username,
        role,
        binding,
        must_change_password,
        has_children,
        expires_at,
        generation,
    ) = row.ok_or_else(|| ApiError::unauthorized("the session has ended; log in again"))?;
    let binding = Binding::from_columns(binding);
    let caller = Caller {
        account_id,
        username,
        role,
        binding,
        session_id: session,
        must_change_password,
        scopes: None,
        leaf_committee: matches!(binding, Binding::Committee(_)) && !has_children,
    };
    // The migrations insert the generation's one row; were it missing, no stamp would match.
    let stamp = SessionStamp::new(generation.unwrap_or(i64::MIN), expires_at);
    Ok((caller, stamp))
}

/// The account and session behind a token, while the session lasts and the account is enabled.
#[diesel::dsl::auto_type]
fn live_session(account: Uuid, session: Uuid) -> _ {
    accounts::table
        .inner_join(sessions::table)
        .filter(accounts::id.eq(account))
        .filter(sessions::id.eq(session))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .filter(accounts::disabled_at.is_null())
}

/// Whether the account's committee has others below it (false when bound to none).
#[diesel::dsl::auto_type]
fn has_committees_below() -> _ {
    diesel::dsl::exists(committees::table.filter(committees::parent_id.eq(accounts::committee_id)))
}

/// A condition that holds while nothing a caller is loaded from has changed since `stamp`
/// was read (no session revoked, no account changed, no committee added, moved or removed):
/// then `load` would still answer what it answered then. For a read to carry in its own
/// statement in place of the session check (`AuthedRead::run`), which also checks that the
/// session has not reached its end (`SessionStamp::lasts`). It reads the row the reads take
/// the committees' policy generation from, so it adds no relation to their statements.
pub(super) fn unchanged_since<QS>(
    stamp: &SessionStamp,
) -> Box<dyn BoxableExpression<QS, diesel::pg::Pg, SqlType = diesel::sql_types::Bool>> {
    Box::new(diesel::dsl::exists(
        committee_policy_generation::table
            .filter(committee_policy_generation::callers.eq(stamp.generation))
            .select(committee_policy_generation::only_row)
            .into_boxed(),
    ))
}

/// The live service client behind a client-credentials token: 401 once it is deleted
/// (revoked). Its scopes are those the token was granted that the client still holds, so
/// narrowing a client narrows its tokens at once.
async fn load_client<C>(conn: &mut C, client: Uuid, scope: &str) -> ApiResult<Caller>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    use crate::db::schema::service_clients;
    type ClientRow = (Uuid, String, Vec<super::scopes::Scope>, Option<Uuid>, bool);
    let row: Option<ClientRow> = service_clients::table
        .filter(service_clients::id.eq(client))
        .filter(service_clients::revoked_at.is_null())
        .select((
            service_clients::id,
            service_clients::name,
            service_clients::scopes,
            service_clients::committee_id,
            diesel::dsl::exists(
                committees::table.filter(committees::parent_id.eq(service_clients::committee_id)),
            ),
        ))
        .first(conn)
        .await
        .optional()?;
    let (id, name, held, committee, has_children) =
        row.ok_or_else(|| ApiError::unauthorized("the service client has been revoked"))?;
    let granted = super::scopes::Scope::parse_list(scope).unwrap_or_default();
    let scopes = granted.into_iter().filter(|s| held.contains(s)).collect();
    Ok(Caller {
        account_id: id,
        username: name,
        role: Role::Service,
        binding: committee.map_or(Binding::Unbound, Binding::Committee),
        session_id: id,
        must_change_password: false,
        scopes: Some(scopes),
        leaf_committee: committee.is_some() && !has_children,
    })
}

#[cfg(test)]
mod tests {
    use crate::access::caller::{Binding, Role};
    use uuid::Uuid;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
    }

    #[test]
    fn every_bound_role_binds_to_its_own_kind() {
        let id = Uuid::now_v7();
        for &role in Role::ALL {
            match role.binding_kind() {
                None => assert!(matches!(role, Role::Admin | Role::Service)),
                Some(kind) => {
                    let binding = kind.bind(id);
                    assert_eq!(binding.id(), Some(id));
                    assert_eq!(Binding::from_columns(binding.columns()), binding);
                }
            }
        }
    }
}
