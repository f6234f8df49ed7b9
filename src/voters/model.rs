use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::access::Caller;
use crate::access::filters::voter_filter;
use crate::db::contains_pattern;
use crate::db::schema::voters;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::pagination::PageRequest;
use crate::pii::{IdNumber, PhoneNumber, PiiCipher};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = voters, check_for_backend(diesel::pg::Pg))]
pub struct Voter {
    pub id: Uuid,
    pub name: String,
    pub constituency_id: Uuid,
    pub phone: String,
    pub id_number_masked: Option<String>,
    pub address: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The three stored forms of an ID number: ciphertext, lookup hash, masked.
#[derive(Debug, Default, Insertable, AsChangeset)]
#[diesel(table_name = voters, treat_none_as_null = true)]
pub struct StoredIdNumber {
    pub id_number_ciphertext: Option<Vec<u8>>,
    pub id_number_hmac: Option<Vec<u8>>,
    pub id_number_masked: Option<String>,
}

impl StoredIdNumber {
    pub fn seal(cipher: &PiiCipher, id: Option<&IdNumber>) -> Self {
        match id {
            None => Self::default(),
            Some(id) => Self {
                id_number_ciphertext: Some(cipher.encrypt(id)),
                id_number_hmac: Some(cipher.lookup_hash(id)),
                id_number_masked: Some(id.masked()),
            },
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = voters)]
pub struct NewVoter {
    pub id: Uuid,
    pub name: String,
    pub constituency_id: Uuid,
    pub phone: String,
    pub address: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = voters)]
pub struct VoterChanges {
    pub name: Option<String>,
    pub constituency_id: Option<Uuid>,
    pub phone: Option<String>,
    pub address: Option<Option<String>>,
}

pub async fn find_visible<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<Voter>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    voters::table
        .filter(voters::id.eq(id))
        .filter(voter_filter(caller))
        .select(Voter::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("voter"))
}

pub struct VoterFilter {
    pub constituency_id: Option<Uuid>,
    pub verified: Option<bool>,
    pub q: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub id_number_hmac: Option<Vec<u8>>,
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filter: VoterFilter,
    page: PageRequest,
) -> ApiResult<Vec<Voter>> {
    let mut query = voters::table.filter(voter_filter(caller)).into_boxed();
    if let Some(c) = filter.constituency_id {
        query = query.filter(voters::constituency_id.eq(c));
    }
    match filter.verified {
        Some(true) => query = query.filter(voters::verified_at.is_not_null()),
        Some(false) => query = query.filter(voters::verified_at.is_null()),
        None => {}
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(voters::name.ilike(contains_pattern(q)));
    }
    if let Some(phone) = filter.phone {
        query = query.filter(voters::phone.eq(phone.as_str().to_owned()));
    }
    if let Some(hash) = filter.id_number_hmac {
        query = query.filter(voters::id_number_hmac.eq(hash));
    }
    if let Some(after) = page.after {
        query = query.filter(voters::id.gt(after));
    }
    Ok(query
        .order(voters::id.asc())
        .limit(page.fetch_limit())
        .select(Voter::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewVoter,
    id_number: StoredIdNumber,
) -> Result<Voter, diesel::result::Error> {
    diesel::insert_into(voters::table)
        .values((new, id_number))
        .returning(Voter::as_returning())
        .get_result(conn)
        .await
}

/// Collisions on ID numbers held outside the caller's scope allowed per account and hour; each
/// one tells that a number is on the register somewhere, so they are few and audited.
const HIDDEN_COLLISIONS_PER_HOUR: i32 = 10;

/// The answer to an ID number that another voter already holds. Inside the caller's scope it
/// names that voter; outside it names nothing (the number, the voter, the committee), is
/// written to the audit trail and is rate limited, so the register cannot be probed.
pub async fn id_number_collision(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    hmac: &[u8],
) -> ApiResult<ApiError> {
    let holder: Option<Uuid> = voters::table
        .filter(voters::id_number_hmac.eq(hmac))
        .select(voters::id)
        .first(conn)
        .await
        .optional()?;
    let Some(holder) = holder else {
        // Gone since: a race with a delete; the client may simply retry.
        return Ok(ApiError::conflict(
            ErrorCode::AlreadyExists,
            "the record changed meanwhile; try again",
        ));
    };
    let visible = match find_visible(conn, caller, holder).await {
        Ok(_) => true,
        Err(e) if e.status() == actix_web::http::StatusCode::NOT_FOUND => false,
        Err(e) => return Err(e),
    };
    if visible {
        return Ok(ApiError::conflict(
            ErrorCode::AlreadyExists,
            "a voter with this ID number already exists",
        )
        .with_extension("voter_id", serde_json::json!(holder)));
    }
    crate::audit::record(
        conn,
        Some(caller.account_id),
        "id_number_collision",
        Some(holder),
        serde_json::json!({}),
    )
    .await?;
    crate::auth::throttle::admit_counted(
        conn,
        &format!("id-collision:{}", caller.account_id),
        HIDDEN_COLLISIONS_PER_HOUR,
        3600.0,
    )
    .await?;
    Ok(ApiError::conflict(
        ErrorCode::AlreadyExists,
        "this record conflicts with one kept elsewhere; ask the committee office",
    ))
}

/// Maps the unique indexes of `voters` to what the client did wrong (ID numbers go through
/// `id_number_collision` first).
pub fn conflict(err: diesel::result::Error) -> ApiError {
    if crate::db::is_constraint(&err, "voters_natural_key") {
        ApiError::conflict(
            ErrorCode::AlreadyExists,
            "this constituency already has a voter with this name and phone",
        )
    } else {
        err.into()
    }
}
