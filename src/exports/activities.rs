//! The activity export: the list's rows (same scope, filters and order), with the organiser,
//! venue and deputies by name. Activities name no voters.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::format::HeaderLanguage;
use super::source::{Column, Keyset, RowSource, headings_of};
use crate::access::Caller;
use crate::activities::dto::ActivityListQuery;
use crate::activities::model::{self, Activity};
use crate::calendar::to_local;
use crate::db::schema::{committees, liaison_groups, representatives};
use crate::error::ApiResult;

const COLUMNS: &[Column] = &[
    ("编号", "id"),
    ("类型", "kind"),
    ("形式", "form"),
    ("状态", "status"),
    ("主题", "topic"),
    ("组织者", "organiser"),
    ("地点", "venue"),
    ("开始时间", "starts_at"),
    ("结束时间", "ends_at"),
    ("参加代表", "representatives"),
    ("接待选民数", "voters_met"),
    ("已发布", "published"),
    ("外部系统", "external_system"),
    ("外部编号", "external_id"),
];

pub struct ActivityRows {
    caller: Caller,
    filters: ActivityListQuery,
    walk: Keyset,
}

impl ActivityRows {
    pub fn new(caller: Caller, filters: ActivityListQuery) -> Self {
        Self {
            caller,
            filters,
            walk: Keyset::default(),
        }
    }
}

impl RowSource for ActivityRows {
    fn headings(&self, language: HeaderLanguage) -> Vec<&'static str> {
        headings_of(COLUMNS, language)
    }

    /// Five statements a batch: the activities, their deputies, and the names of deputies,
    /// groups and committees.
    async fn next_batch(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> ApiResult<Option<Vec<Vec<String>>>> {
        let Some(page) = self.walk.page() else {
            return Ok(None);
        };
        let rows: Vec<Activity> = model::list_query(&self.caller, &self.filters, page)
            .select(Activity::as_select())
            .load(conn)
            .await?;
        let Some(batch) = self.walk.advance(rows, |row| row.id) else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = batch.iter().map(|a| a.id).collect();
        let participants = model::participants_of(conn, &ids).await?;
        let deputies: HashMap<Uuid, String> = representatives::table
            .filter(
                representatives::id.eq_any(
                    participants
                        .iter()
                        .map(|p| p.representative_id)
                        .collect::<Vec<_>>(),
                ),
            )
            .select((representatives::id, representatives::name))
            .load::<(Uuid, String)>(conn)
            .await?
            .into_iter()
            .collect();
        let groups: HashMap<Uuid, String> = liaison_groups::table
            .filter(
                liaison_groups::id.eq_any(
                    batch
                        .iter()
                        .flat_map(|a| [a.organiser_group_id, a.liaison_group_id])
                        .flatten()
                        .collect::<Vec<_>>(),
                ),
            )
            .select((liaison_groups::id, liaison_groups::name))
            .load::<(Uuid, String)>(conn)
            .await?
            .into_iter()
            .collect();
        let committees: HashMap<Uuid, String> = committees::table
            .filter(
                committees::id.eq_any(
                    batch
                        .iter()
                        .filter_map(|a| a.organiser_committee_id)
                        .collect::<Vec<_>>(),
                ),
            )
            .select((committees::id, committees::name))
            .load::<(Uuid, String)>(conn)
            .await?
            .into_iter()
            .collect();
        let local = |at: DateTime<Utc>| to_local(at).format("%Y-%m-%d %H:%M").to_string();
        let name =
            |map: &HashMap<Uuid, String>, id: Option<Uuid>| id.and_then(|id| map.get(&id).cloned());
        Ok(Some(
            batch
                .into_iter()
                .map(|a| {
                    let taking_part: Vec<&str> = participants
                        .iter()
                        .filter(|p| p.activity_id == a.id && (p.planned || p.attended))
                        .filter_map(|p| deputies.get(&p.representative_id).map(String::as_str))
                        .collect();
                    vec![
                        a.id.to_string(),
                        a.kind.as_str().to_owned(),
                        a.form.as_str().to_owned(),
                        a.status.as_str().to_owned(),
                        a.topic,
                        name(&groups, a.organiser_group_id)
                            .or_else(|| name(&committees, a.organiser_committee_id))
                            .unwrap_or_default(),
                        name(&groups, a.liaison_group_id)
                            .or(a.address)
                            .unwrap_or_default(),
                        local(a.starts_at),
                        local(a.ends_at),
                        taking_part.join("、"),
                        a.voters_met.map(|n| n.to_string()).unwrap_or_default(),
                        a.published.to_string(),
                        a.external_system.unwrap_or_default(),
                        a.external_id.unwrap_or_default(),
                    ]
                })
                .collect(),
        ))
    }
}
