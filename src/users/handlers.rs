use actix_web::{HttpResponse, get, patch, post, put, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::{
    ChangePassword, CreateUser, MeView, ScopeKind, ScopeView, UpdateUser, UserListQuery, UserView,
};
use super::model::{self, Account, BindingColumns};
use crate::access::caller::BindingKind;
use crate::access::{self, Action, Authed, Binding, Caller, Role};
use crate::audit;
use crate::auth::{passwords, sessions};
use crate::db::schema::accounts;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;
use crate::{committees, handling_bodies, liaison_groups, representatives, voters};

fn username_taken(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "accounts_username_key",
        ErrorCode::UsernameTaken,
        "an account with this username already exists",
    )
}

/// Checks that `scope_id` fits `role` and lies inside what the caller manages.
async fn resolve_binding(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    role: Role,
    scope_id: Option<Uuid>,
) -> ApiResult<Binding> {
    let no_such = |what: &str| format!("no such {what} in your scope");
    let (kind, id) = match (role.binding_kind(), scope_id) {
        (None, None) => return Ok(Binding::Unbound),
        (None, Some(_)) => {
            return Err(ApiError::invalid_field(
                "scope_id",
                format!("must be omitted for the {role} role"),
            ));
        }
        (Some(_), None) => {
            return Err(ApiError::invalid_field(
                "scope_id",
                format!("is required for the {role} role"),
            ));
        }
        (Some(kind), Some(id)) => (kind, id),
    };
    // Each lookup is the resource's own scoped query: out of scope reads as "no such".
    match kind {
        BindingKind::Committee => {
            committees::model::attachable(conn, caller, id, "scope_id").await?;
        }
        BindingKind::LiaisonGroup => {
            liaison_groups::model::find_visible(conn, caller, id)
                .await
                .map_err(|e| e.on_field("scope_id", no_such("liaison group")))?;
        }
        BindingKind::HandlingBody => {
            handling_bodies::model::find_visible(conn, caller, id)
                .await
                .map_err(|e| e.on_field("scope_id", no_such("handling body")))?;
        }
        BindingKind::Representative => {
            representatives::model::find_visible(conn, caller, id)
                .await
                .map_err(|e| e.on_field("scope_id", no_such("representative")))?;
        }
        BindingKind::Voter => {
            voters::model::find_visible(conn, caller, id)
                .await
                .map_err(|e| e.on_field("scope_id", no_such("voter")))?;
        }
    }
    Ok(kind.bind(id))
}

/// Create an account.
///
/// Admins create any account. Committee staff create committee staff, group staff,
/// handling-body, representative and voter accounts bound inside their own subtree, never a
/// role above their own.
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "The username is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_user(authed: Authed, body: ValidJson<CreateUser>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageUsers)?;
    let body = body.0;
    access::accounts::check_grant(&caller, body.role)?;
    let binding = resolve_binding(&mut conn, &caller, body.role, body.scope_id).await?;
    let password = body.password.expose();
    passwords::check_strength(&password, &[body.username.as_str()], "password")?;
    let password_hash = passwords::hash(password).await?;
    let id = Uuid::now_v7();
    let created: Account = diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(id),
            accounts::username.eq(body.username.as_str()),
            accounts::password_hash.eq(&password_hash),
            accounts::role.eq(body.role.as_str()),
            BindingColumns::from(binding),
            accounts::created_by.eq(caller.account_id),
        ))
        .returning(Account::as_returning())
        .get_result(&mut conn)
        .await
        .map_err(username_taken)?;
    tracing::info!(account_id = %id, role = body.role.as_str(), "account created");
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{id}")))
        .json(UserView::from(created)))
}

/// List the accounts you manage.
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    params(UserListQuery),
    responses((status = 200, description = "A page of accounts", body = Page<UserView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_users(
    authed: Authed,
    query: web::Query<UserListQuery>,
) -> ApiResult<web::Json<Page<UserView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageUsers)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |a| a.id,
        UserView::from,
    )))
}

/// Get an account you manage.
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, description = "The account", body = UserView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_user(authed: Authed, id: web::Path<Uuid>) -> ApiResult<web::Json<UserView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageUsers)?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Change an account's password, role, binding or disabled flag.
///
/// Disabling an account or setting its password ends all its sessions at once.
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Updated", body = UserView),
        (status = 409, description = "You cannot disable your own account; or a `scope_id` sent alone does not fit the account's role", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_user(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateUser>,
) -> ApiResult<web::Json<UserView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageUsers)?;
    let body = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    if body.disabled == Some(true) {
        access::accounts::check_disable(&caller, current.id)?;
    }
    let binding = if body.role.is_some() || body.scope_id.is_some() {
        access::accounts::check_change_role_of(&caller, current.id)?;
        let role = body.role.unwrap_or(current.role);
        access::accounts::check_grant(&caller, role)?;
        let scope_id = body.scope_id.flatten();
        // A new role names its binding in the same request (no binding fits two roles), as
        // the schema states. A new binding alone must fit the role the account already has.
        if body.role.is_none() && role.binding_kind().is_some() != scope_id.is_some() {
            return Err(ApiError::conflict(
                ErrorCode::ConflictsWithRecord,
                format!("the account's role ({role}) does not take this scope_id"),
            ));
        }
        Some((
            role,
            resolve_binding(&mut conn, &caller, role, scope_id).await?,
        ))
    } else {
        None
    };
    let password_hash = match body.password {
        Some(p) => {
            access::accounts::check_reset_password(&caller, current.id, current.role)?;
            let p = p.expose();
            passwords::check_strength(&p, &[current.username.as_str()], "password")?;
            Some(passwords::hash(p).await?)
        }
        None => None,
    };
    let disabled = body.disabled;
    let updated = crate::db::in_transaction(&mut conn, async |conn| {
        let target = accounts::table.find(current.id);
        if let Some((role, binding)) = binding {
            diesel::update(target)
                .set((
                    accounts::role.eq(role.as_str()),
                    BindingColumns::from(binding),
                ))
                .execute(conn)
                .await?;
        }
        if let Some(hash) = &password_hash {
            diesel::update(target)
                .set((
                    accounts::password_hash.eq(hash),
                    accounts::must_change_password.eq(true),
                ))
                .execute(conn)
                .await?;
            sessions::revoke_all_for_account(conn, current.id, "password_reset").await?;
            audit::record(
                conn,
                Some(caller.account_id),
                "password_reset",
                Some(current.id),
                serde_json::json!({"role": current.role}),
            )
            .await?;
        }
        match disabled {
            Some(true) => {
                diesel::update(target.filter(accounts::disabled_at.is_null()))
                    .set(accounts::disabled_at.eq(diesel::dsl::now))
                    .execute(conn)
                    .await?;
                sessions::revoke_all_for_account(conn, current.id, "account_disabled").await?;
            }
            Some(false) => {
                diesel::update(target)
                    .set(accounts::disabled_at.eq(None::<chrono::DateTime<chrono::Utc>>))
                    .execute(conn)
                    .await?;
            }
            None => {}
        }
        let account: Account = diesel::update(target)
            .set(accounts::updated_at.eq(diesel::dsl::now))
            .returning(Account::as_returning())
            .get_result(conn)
            .await?;
        Ok::<_, ApiError>(account)
    })
    .await?;
    Ok(web::Json(updated.into()))
}

/// The signed-in account: its role and what it is bound to.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses((status = 200, description = "The signed-in account", body = MeView)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn me(authed: Authed) -> ApiResult<web::Json<MeView>> {
    let Authed { caller, mut conn } = authed;
    let name = model::binding_name(&mut conn, caller.binding).await?;
    let scope = match (ScopeKind::of(caller.binding), caller.binding.id(), name) {
        (Some(kind), Some(id), Some(name)) => Some(ScopeView { kind, id, name }),
        _ => None,
    };
    Ok(web::Json(MeView {
        id: caller.account_id,
        username: caller.username,
        role: caller.role,
        scope,
        must_change_password: caller.must_change_password,
        unread_notifications: crate::notifications::model::unread_count(
            &mut conn,
            caller.account_id,
        )
        .await?,
    }))
}

/// Change your own password: the current one is required. Your other sessions end; this one
/// goes on.
#[utoipa::path(
    tag = "auth",
    operation_id = "change_own_password",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "The current password does not match, or the new one is refused", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/password")]
#[tracing::instrument(skip_all)]
pub async fn change_own_password(
    authed: Authed,
    body: ValidJson<ChangePassword>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    access::accounts::check_has_password(&caller)?;
    let ChangePassword {
        current_password,
        new_password,
    } = body.0;
    let stored: String = accounts::table
        .find(caller.account_id)
        .select(accounts::password_hash)
        .first(&mut conn)
        .await?;
    if !passwords::verify(current_password, Some(stored)).await? {
        return Err(ApiError::invalid_field(
            "current_password",
            "does not match your password",
        ));
    }
    let new_password = new_password.expose();
    passwords::check_strength(&new_password, &[caller.username.as_str()], "new_password")?;
    let hash = passwords::hash(new_password).await?;
    crate::db::in_transaction(&mut conn, async |conn| {
        diesel::update(accounts::table.find(caller.account_id))
            .set((
                accounts::password_hash.eq(&hash),
                accounts::must_change_password.eq(false),
                accounts::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        sessions::revoke_others_for_account(
            conn,
            caller.account_id,
            caller.session_id,
            "password_changed",
        )
        .await?;
        audit::record(
            conn,
            Some(caller.account_id),
            "password_changed",
            Some(caller.account_id),
            serde_json::json!({}),
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
