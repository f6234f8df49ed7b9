//! The opinion export: the list's rows (same scope, same filters, same order), read in keyset
//! batches, with names instead of ids and no personal data beyond a voter's name for staff.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::format::HeaderLanguage;
use super::source::{Column, Keyset, RowSource, headings_of};
use crate::access::Caller;
use crate::calendar::to_local;
use crate::db::schema::{committees, representatives, voters};
use crate::error::ApiResult;
use crate::opinions::dto::OpinionListQuery;
use crate::opinions::model::{self, Opinion};

/// In column order; the voter's column only for staff.
const COLUMNS: &[Column] = &[
    ("编号", "id"),
    ("标题", "title"),
    ("内容", "content"),
    ("类别", "category"),
    ("来源", "source"),
    ("状态", "state"),
    ("紧急", "urgent"),
    ("所属委员会", "committee"),
    ("代表", "representative"),
    ("选民", "voter"),
    ("受理时间", "received_at"),
    ("当前期限", "due_at"),
    ("是否逾期", "overdue"),
    ("办理结果", "outcome"),
    ("满意度", "rating"),
    ("外部系统", "external_system"),
    ("外部编号", "external_id"),
];
const VOTER_COLUMN: usize = 9;

/// Where an export stands: who asks, which rows, and the last id written.
pub struct OpinionRows {
    caller: Caller,
    filters: OpinionListQuery,
    with_voter: bool,
    walk: Keyset,
}

impl OpinionRows {
    pub fn new(caller: Caller, filters: OpinionListQuery) -> Self {
        Self {
            with_voter: crate::access::opinions::exports_voter_names(&caller),
            caller,
            filters,
            walk: Keyset::default(),
        }
    }

    fn row(&self, o: Opinion, names: &Names, now: DateTime<Utc>) -> Vec<String> {
        let local = |at: DateTime<Utc>| to_local(at).format("%Y-%m-%d %H:%M").to_string();
        let name = |map: &HashMap<Uuid, String>, id: Option<Uuid>| {
            id.and_then(|id| map.get(&id).cloned()).unwrap_or_default()
        };
        let mut row = vec![
            o.id.to_string(),
            o.title,
            o.content,
            o.category,
            o.source.as_str().to_owned(),
            o.state.as_str().to_owned(),
            o.urgent.to_string(),
            name(&names.committees, Some(o.committee_id)),
            name(&names.representatives, o.representative_id),
            name(&names.voters, o.voter_id),
            local(o.received_at),
            o.current_due_at.map(local).unwrap_or_default(),
            o.current_due_at.is_some_and(|d| d < now).to_string(),
            o.outcome.map(|x| x.as_str().to_owned()).unwrap_or_default(),
            o.rating.map(|x| x.as_str().to_owned()).unwrap_or_default(),
            o.external_system.unwrap_or_default(),
            o.external_id.unwrap_or_default(),
        ];
        if !self.with_voter {
            row.remove(VOTER_COLUMN);
        }
        row
    }
}

impl RowSource for OpinionRows {
    fn headings(&self, language: HeaderLanguage) -> Vec<&'static str> {
        let mut headings = headings_of(COLUMNS, language);
        if !self.with_voter {
            headings.remove(VOTER_COLUMN);
        }
        headings
    }

    /// Four statements a batch: the opinions, then the names of their committees, deputies
    /// and (for staff) voters; a search's opinions are planned for its words
    /// (`model::planned_for`).
    async fn next_batch(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> ApiResult<Option<Vec<Vec<String>>>> {
        let Some(page) = self.walk.page() else {
            return Ok(None);
        };
        let query =
            model::list_query(&self.caller, &self.filters, page).select(Opinion::as_select());
        let rows: Vec<Opinion> = model::planned_for(conn, &self.filters, async |conn| {
            Ok(query.load(conn).await?)
        })
        .await?;
        let Some(opinions) = self.walk.advance(rows, |row| row.id) else {
            return Ok(None);
        };
        let names = Names::load(conn, &opinions, self.with_voter).await?;
        let now = Utc::now();
        Ok(Some(
            opinions
                .into_iter()
                .map(|o| self.row(o, &names, now))
                .collect(),
        ))
    }
}

/// Names of the committees, deputies and voters one batch names.
struct Names {
    committees: HashMap<Uuid, String>,
    representatives: HashMap<Uuid, String>,
    voters: HashMap<Uuid, String>,
}

impl Names {
    async fn load(
        conn: &mut AsyncPgConnection,
        batch: &[Opinion],
        with_voter: bool,
    ) -> ApiResult<Self> {
        let ids = |pick: fn(&Opinion) -> Option<Uuid>| -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = batch.iter().filter_map(pick).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let committees = committees::table
            .filter(committees::id.eq_any(ids(|o| Some(o.committee_id))))
            .select((committees::id, committees::name))
            .load::<(Uuid, String)>(conn)
            .await?;
        let representatives = representatives::table
            .filter(representatives::id.eq_any(ids(|o| o.representative_id)))
            .select((representatives::id, representatives::name))
            .load::<(Uuid, String)>(conn)
            .await?;
        let voters = if with_voter {
            voters::table
                .filter(voters::id.eq_any(ids(|o| o.voter_id)))
                .select((voters::id, voters::name))
                .load::<(Uuid, String)>(conn)
                .await?
        } else {
            Vec::new()
        };
        Ok(Self {
            committees: committees.into_iter().collect(),
            representatives: representatives.into_iter().collect(),
            voters: voters.into_iter().collect(),
        })
    }
}
