//! Deputy rows: `name,gender,level,term,constituency_code,liaison_group,employer,position,
//! public_contact,phone`, matched on (term, liaison group, name).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::table::Table;
use super::{ImportReport, Outcome, RowError};
use crate::access::Caller;
use crate::access::filters::liaison_group_filter;
use crate::constituencies::model::ids_by_code;
use crate::db::schema::{liaison_groups, representatives};
use crate::error::{ApiError, ApiResult};
use crate::pii::PhoneNumber;
use crate::representatives::domain::{Gender, Level};
use crate::representatives::model::NewRepresentative;

/// Rows per INSERT statement (11 columns each).
const INSERT_CHUNK: usize = 1000;

pub const COLUMNS: [&str; 10] = [
    "name",
    "gender",
    "level",
    "term",
    "constituency_code",
    "liaison_group",
    "employer",
    "position",
    "public_contact",
    "phone",
];

fn gender(value: &str) -> Option<Gender> {
    match value {
        "男" => Some(Gender::Male),
        "女" => Some(Gender::Female),
        other => Gender::parse(&other.to_ascii_lowercase()),
    }
}

fn level(value: &str) -> Option<Level> {
    match value {
        "区" | "区级" => Some(Level::District),
        "市" | "市级" => Some(Level::City),
        other => Level::parse(&other.to_ascii_lowercase()),
    }
}

fn optional(text: String, column: &str, errors: &mut Vec<RowError>, line: usize) -> Option<String> {
    if text.chars().count() > 200 {
        errors.push(RowError {
            line,
            column: column.into(),
            reason: "must be at most 200 characters".into(),
        });
    }
    (!text.is_empty()).then_some(text)
}

pub async fn import(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    table: &Table,
    dry_run: bool,
) -> ApiResult<Outcome> {
    // Every column but the last four (optional details) must be present.
    let columns = match table.columns(&COLUMNS[..6]) {
        Ok(c) => c,
        Err(missing) => return Ok(Outcome::Rejected(missing)),
    };
    let optional_columns: Vec<Option<usize>> = COLUMNS[6..]
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
        .map(|(_, c)| cell(c, Some(columns[4])))
        .filter(|c| !c.is_empty())
        .collect();
    let constituencies = ids_by_code(conn, caller, &codes).await?;
    let group_names: Vec<String> = table
        .rows
        .iter()
        .map(|(_, c)| cell(c, Some(columns[5])))
        .collect();
    let groups: Vec<(String, Uuid)> = liaison_groups::table
        .filter(liaison_groups::name.eq_any(&group_names))
        .filter(liaison_group_filter(caller))
        .select((liaison_groups::name, liaison_groups::id))
        .load(conn)
        .await?;
    let mut group_ids: HashMap<String, Vec<Uuid>> = HashMap::new();
    for (name, id) in groups {
        group_ids.entry(name).or_default().push(id);
    }

    let mut errors = Vec::new();
    let mut rows: Vec<NewRepresentative> = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let mut row_errors = Vec::new();
        let mut fail = |column: &str, reason: String| {
            row_errors.push(RowError {
                line,
                column: column.into(),
                reason,
            })
        };
        let name = cell(cells, Some(columns[0]));
        if name.is_empty() || name.chars().count() > 100 {
            fail("name", "must be 1 to 100 characters".into());
        }
        let gender = gender(&cell(cells, Some(columns[1])));
        if gender.is_none() {
            fail("gender", "must be male or female (男/女)".into());
        }
        let level = level(&cell(cells, Some(columns[2])));
        if level.is_none() {
            fail("level", "must be district or city (区/市)".into());
        }
        let term = cell(cells, Some(columns[3]))
            .parse::<i32>()
            .ok()
            .filter(|t| (1..=99).contains(t));
        if term.is_none() {
            fail("term", "must be a number from 1 to 99".into());
        }
        let code = cell(cells, Some(columns[4]));
        let constituency_id = if code.is_empty() {
            if level == Some(Level::District) {
                fail(
                    "constituency_code",
                    "is required for district deputies".into(),
                );
            }
            None
        } else {
            let found = constituencies.get(&code).copied();
            if found.is_none() {
                fail(
                    "constituency_code",
                    format!("no such constituency with code {code:?} in your scope"),
                );
            }
            found
        };
        let group_name = cell(cells, Some(columns[5]));
        let group = match group_ids.get(&group_name).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            Some(_) => {
                fail(
                    "liaison_group",
                    format!("several liaison groups in your scope are named {group_name:?}"),
                );
                None
            }
            None => {
                fail(
                    "liaison_group",
                    format!("no such liaison group named {group_name:?} in your scope"),
                );
                None
            }
        };
        let phone_text = cell(cells, optional_columns[3]);
        let phone = if phone_text.is_empty() {
            None
        } else {
            PhoneNumber::parse(&phone_text)
                .map_err(|e| fail("phone", e))
                .ok()
                .map(|p| p.as_str().to_owned())
        };
        let employer = optional(
            cell(cells, optional_columns[0]),
            "employer",
            &mut row_errors,
            line,
        );
        let position = optional(
            cell(cells, optional_columns[1]),
            "position",
            &mut row_errors,
            line,
        );
        let public_contact = optional(
            cell(cells, optional_columns[2]),
            "public_contact",
            &mut row_errors,
            line,
        );
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            continue;
        }
        let (Some(gender), Some(level), Some(term), Some(group)) = (gender, level, term, group)
        else {
            continue;
        };
        if !seen.insert((term, group, name.clone())) {
            errors.push(RowError {
                line,
                column: "name".into(),
                reason: "the same deputy appears earlier in the file".into(),
            });
            continue;
        }
        rows.push(NewRepresentative {
            id: Uuid::now_v7(),
            name,
            gender,
            level,
            term,
            constituency_id,
            liaison_group_id: group,
            employer,
            position,
            public_contact,
            phone,
        });
    }
    if !errors.is_empty() {
        return Ok(Outcome::Rejected(errors));
    }
    let existing: HashSet<(i32, Uuid, String)> = representatives::table
        .filter(
            representatives::liaison_group_id
                .eq_any(rows.iter().map(|r| r.liaison_group_id).collect::<Vec<_>>()),
        )
        .select((
            representatives::term,
            representatives::liaison_group_id,
            representatives::name,
        ))
        .load::<(i32, Uuid, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let total = rows.len();
    let (new_rows, _unchanged): (Vec<NewRepresentative>, Vec<NewRepresentative>) = rows
        .into_iter()
        .partition(|r| !existing.contains(&(r.term, r.liaison_group_id, r.name.clone())));
    let report = ImportReport {
        dry_run,
        rows: total,
        created: new_rows.len(),
        unchanged: total - new_rows.len(),
    };
    if dry_run || new_rows.is_empty() {
        return Ok(Outcome::Done(report));
    }
    crate::db::in_transaction(conn, async |conn| {
        // Multi-row inserts, in chunks that stay under PostgreSQL's 65 535 bind parameters.
        for chunk in new_rows.chunks(INSERT_CHUNK) {
            diesel::insert_into(representatives::table)
                .values(chunk)
                .on_conflict((
                    representatives::term,
                    representatives::liaison_group_id,
                    representatives::name,
                ))
                .do_nothing()
                .execute(conn)
                .await?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(Outcome::Done(report))
}
