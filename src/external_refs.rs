//! External references: an importing system names the record it creates in its own terms
//! (`external_ref: {system, id}`, unique per system), so it can retry blindly. A create naming
//! a reference already taken answers 200 with that record when the request is byte for byte
//! the one that made it, and 409 `external_ref_conflict` when it is not. Creators of one
//! reference are serialised by an advisory lock held to the end of their transaction, so the
//! second finds what the first committed instead of racing it.

use diesel::sql_types::{Bytea, Nullable, Text, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::request::not_blank;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"system": "dbhd", "id": "HD-2026-000123"}))]
pub struct ExternalRef {
    /// The system naming the record: lower-case letters, digits, `_`, `-` and `.`.
    #[validate(custom(function = "system_name"))]
    #[schema(
        pattern = r"^[a-z0-9][a-z0-9_.-]{0,49}$",
        min_length = 1,
        max_length = 50
    )]
    pub system: String,
    /// The record's id in that system.
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub id: String,
}

fn system_name(value: &str) -> Result<(), validator::ValidationError> {
    let mut bytes = value.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.'));
    if first_ok && rest_ok && value.len() <= 50 {
        return Ok(());
    }
    let mut e = validator::ValidationError::new("system");
    e.message = Some("must be 1 to 50 lower-case letters, digits, _, - or .".into());
    Err(e)
}

impl ExternalRef {
    pub fn from_columns(system: Option<String>, id: Option<String>) -> Option<Self> {
        Some(Self {
            system: system?,
            id: id?,
        })
    }
}

/// The tables whose records carry an external reference.
#[derive(Debug, Clone, Copy)]
pub enum Holder {
    Opinions,
    Activities,
}

impl Holder {
    fn table(self) -> &'static str {
        match self {
            Holder::Opinions => "opinions",
            Holder::Activities => "activities",
        }
    }
}

/// What a create naming `reference` is, given what already holds it.
#[derive(Debug, PartialEq, Eq)]
pub enum Prior {
    /// Nothing holds it: create.
    Free,
    /// The same request made this record: answer with it.
    Retry(Uuid),
}

#[derive(QueryableByName)]
struct Holding {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Bytea>)]
    external_fingerprint: Option<Vec<u8>>,
}

/// Takes the reference for this transaction (waiting for a creator holding it), then says
/// whether it is free, a retry of what holds it, or a conflict (409).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    holder: Holder,
    reference: &ExternalRef,
    fingerprint: &[u8; 32],
) -> ApiResult<Prior> {
    let key = format!("{}\n{}\n{}", holder.table(), reference.system, reference.id);
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(key)
        .execute(conn)
        .await?;
    let held: Option<Holding> = diesel::sql_query(format!(
        "SELECT id, external_fingerprint FROM {} WHERE external_system = $1 AND external_id = $2",
        holder.table()
    ))
    .bind::<Text, _>(&reference.system)
    .bind::<Text, _>(&reference.id)
    .get_result(conn)
    .await
    .optional()?;
    judge(held.map(|h| (h.id, h.external_fingerprint)), fingerprint)
}

fn judge(held: Option<(Uuid, Option<Vec<u8>>)>, fingerprint: &[u8; 32]) -> ApiResult<Prior> {
    match held {
        None => Ok(Prior::Free),
        Some((id, Some(made_by))) if made_by == fingerprint => Ok(Prior::Retry(id)),
        Some(_) => Err(ApiError::conflict(
            ErrorCode::ExternalRefConflict,
            "this external_ref already names a record made by a different request",
        )
        .with_field_errors(
            [(
                "external_ref".to_owned(),
                vec!["already names another record".to_owned()],
            )]
            .into(),
        )),
    }
}

/// Writes the reference on the record just created, in the creating transaction.
pub async fn attach(
    conn: &mut AsyncPgConnection,
    holder: Holder,
    id: Uuid,
    reference: &ExternalRef,
    fingerprint: &[u8; 32],
) -> ApiResult<()> {
    diesel::sql_query(format!(
        "UPDATE {} SET external_system = $1, external_id = $2, external_fingerprint = $3 \
         WHERE id = $4",
        holder.table()
    ))
    .bind::<Text, _>(&reference.system)
    .bind::<Text, _>(&reference.id)
    .bind::<Bytea, _>(fingerprint.as_slice())
    .bind::<SqlUuid, _>(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use crate::external_refs::{Prior, judge, system_name};

    #[test]
    fn a_retry_is_the_same_request_and_anything_else_conflicts() {
        let id = Uuid::now_v7();
        let mine = [7u8; 32];
        assert_eq!(judge(None, &mine).unwrap(), Prior::Free);
        assert_eq!(
            judge(Some((id, Some(mine.to_vec()))), &mine).unwrap(),
            Prior::Retry(id)
        );
        let other = judge(Some((id, Some(vec![8u8; 32]))), &mine).unwrap_err();
        assert_eq!(other.status().as_u16(), 409);
        assert!(judge(Some((id, None)), &mine).is_err());
    }

    #[test]
    fn system_names_are_short_lower_case_words() {
        for ok in ["dbhd", "dbhd.v2", "a-b_c", "9"] {
            assert!(system_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "DBHD", "-x", "代表", "a b", &"a".repeat(51)] {
            assert!(system_name(bad).is_err(), "{bad}");
        }
    }
}
