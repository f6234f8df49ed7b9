//! Voter rows: `name,constituency_code,phone,id_number,address`, matched on
//! (constituency, name, phone).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::table::Table;
use super::{ImportReport, Outcome, RowError};
use crate::access::Caller;
use crate::constituencies::model::ids_by_code;
use crate::db::schema::voters;
use crate::error::{ApiError, ApiResult};
use crate::pii::{IdNumber, PhoneNumber, PiiCipher};
use crate::voters::model::{NewVoter, StoredIdNumber};

/// Rows per INSERT statement (8 columns each).
const INSERT_CHUNK: usize = 1000;

pub const REQUIRED: [&str; 3] = ["name", "constituency_code", "phone"];
pub const OPTIONAL: [&str; 2] = ["id_number", "address"];

struct Row {
    line: usize,
    name: String,
    constituency_id: Uuid,
    phone: PhoneNumber,
    id_number: Option<IdNumber>,
    address: Option<String>,
}

pub async fn import(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    pii: &PiiCipher,
    table: &Table,
    dry_run: bool,
) -> ApiResult<Outcome> {
    let required = match table.columns(&REQUIRED) {
        Ok(c) => c,
        Err(missing) => return Ok(Outcome::Rejected(missing)),
    };
    let optional: Vec<Option<usize>> = OPTIONAL
        .iter()
        .map(|name| {
            table
                .header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        })
        .collect();
    let cell = |cells: &Vec<String>, index: Option<usize>| {
        index
            .and_then(|i| cells.get(i))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    };
    let codes: Vec<String> = table
        .rows
        .iter()
        .map(|(_, cells)| cell(cells, Some(required[1])))
        .collect();
    let constituencies = ids_by_code(conn, caller, &codes).await?;

    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let mut fail = |column: &str, reason: String| {
            errors.push(RowError {
                line,
                column: column.into(),
                reason,
            })
        };
        let name = cell(cells, Some(required[0]));
        let code = cell(cells, Some(required[1]));
        let phone = cell(cells, Some(required[2]));
        let id_number = cell(cells, optional[0]);
        let address = cell(cells, optional[1]);
        let name_ok = !name.is_empty() && name.chars().count() <= 100;
        if !name_ok {
            fail("name", "must be 1 to 100 characters".into());
        }
        let constituency_id = constituencies.get(&code).copied();
        if constituency_id.is_none() {
            fail(
                "constituency_code",
                format!("no such constituency with code {code:?} in your scope"),
            );
        }
        let phone = PhoneNumber::parse(&phone)
            .map_err(|e| fail("phone", e))
            .ok();
        let id_number = if id_number.is_empty() {
            Some(None)
        } else {
            IdNumber::parse(&id_number)
                .map(Some)
                .map_err(|e| fail("id_number", e))
                .ok()
        };
        if address.chars().count() > 500 {
            fail("address", "must be at most 500 characters".into());
        }
        if let (true, Some(constituency_id), Some(phone), Some(id_number)) =
            (name_ok, constituency_id, phone, id_number)
        {
            if !seen.insert((constituency_id, name.clone(), phone.as_str().to_owned())) {
                fail("name", "the same voter appears earlier in the file".into());
                continue;
            }
            rows.push(Row {
                line,
                name,
                constituency_id,
                phone,
                id_number,
                address: (!address.is_empty()).then_some(address),
            });
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Rejected(errors));
    }

    // Natural-key matches are left alone: re-importing a file is a no-op.
    let existing: HashSet<(Uuid, String, String)> = voters::table
        .filter(
            voters::constituency_id
                .eq_any(rows.iter().map(|r| r.constituency_id).collect::<Vec<_>>()),
        )
        .filter(
            voters::phone.eq_any(
                rows.iter()
                    .map(|r| r.phone.as_str().to_owned())
                    .collect::<Vec<_>>(),
            ),
        )
        .select((voters::constituency_id, voters::name, voters::phone))
        .load::<(Uuid, String, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let new_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            !existing.contains(&(
                r.constituency_id,
                r.name.clone(),
                r.phone.as_str().to_owned(),
            ))
        })
        .collect();
    // An ID number may belong to one voter only: not twice in the file, nor to a voter we have.
    let mut errors = Vec::new();
    let mut hashes: HashMap<Vec<u8>, usize> = HashMap::new();
    for row in &new_rows {
        if let Some(id) = &row.id_number {
            if hashes.insert(pii.lookup_hash(id), row.line).is_some() {
                errors.push(RowError {
                    line: row.line,
                    column: "id_number".into(),
                    reason: "the same ID number appears earlier in the file".into(),
                });
            }
        }
    }
    let taken: Vec<Option<Vec<u8>>> = voters::table
        .filter(voters::id_number_hmac.eq_any(hashes.keys().cloned().collect::<Vec<_>>()))
        .select(voters::id_number_hmac)
        .load(conn)
        .await?;
    errors.extend(
        taken
            .into_iter()
            .flatten()
            .filter_map(|h| hashes.get(&h))
            .map(|line| RowError {
                line: *line,
                column: "id_number".into(),
                reason: "already belongs to another voter".into(),
            }),
    );
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(Outcome::Rejected(errors));
    }
    let report = ImportReport {
        dry_run,
        rows: rows.len(),
        created: new_rows.len(),
        unchanged: rows.len() - new_rows.len(),
    };
    if dry_run || new_rows.is_empty() {
        return Ok(Outcome::Done(report));
    }
    let records: Vec<(NewVoter, StoredIdNumber)> = new_rows
        .iter()
        .map(|row| {
            let voter = NewVoter {
                id: Uuid::now_v7(),
                name: row.name.clone(),
                constituency_id: row.constituency_id,
                phone: row.phone.as_str().to_owned(),
                address: row.address.clone(),
            };
            (voter, StoredIdNumber::seal(pii, row.id_number.as_ref()))
        })
        .collect();
    crate::db::in_transaction(conn, async |conn| {
        // Multi-row inserts, in chunks that stay under PostgreSQL's 65 535 bind parameters.
        for chunk in records.chunks(INSERT_CHUNK) {
            diesel::insert_into(voters::table)
                .values(chunk)
                .on_conflict((voters::constituency_id, voters::name, voters::phone))
                .do_nothing()
                .execute(conn)
                .await?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(Outcome::Done(report))
}
