//! The public schedule: published activities and every reception rule expanded over a window,
//! with place, time and the deputies' names. Seven queries whatever the window, and none while
//! nothing it shows has changed: answers are kept per window, stamped with the database's
//! `public_schedule_generation`, which every committed write to what they show raises (see
//! its migration). Each answer is kept gzip-compressed too, for the clients that take it.

use std::io::Write;

use actix_web::web;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::{DutyDeputy, Schedule, ScheduleItem};
use super::model;
use crate::activities::domain::ActivityKind;
use crate::calendar::to_local;
use crate::calendar::working_days::{end_of_local_day, start_of_local_day};
use crate::error::{ApiError, ApiResult};
use crate::kept::Kept;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub station: Option<Uuid>,
    pub constituency: Option<Uuid>,
}

/// A window's answer as JSON, and the same JSON gzip-compressed: the district's thirty days of
/// every station are about a megabyte, which a phone on a slow network (the mini-programs)
/// reads in a tenth of the bytes, and the server sends and holds a tenth as long. Compressed
/// once, when the answer is built, not for every client.
#[derive(Debug, Clone)]
pub struct Answer {
    pub json: web::Bytes,
    pub gzip: web::Bytes,
}

impl Answer {
    /// Compressed on the blocking pool: the milliseconds a megabyte takes would otherwise hold
    /// up every other request on the worker.
    pub async fn of(json: Vec<u8>) -> ApiResult<Self> {
        let json = web::Bytes::from(json);
        let plain = json.clone();
        let gzip = web::block(move || gzip(&plain))
            .await
            .map_err(|e| ApiError::internal(anyhow::Error::from(e)))?
            .map_err(|e| ApiError::internal(anyhow::Error::from(e)))?;
        Ok(Answer { json, gzip })
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<web::Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 8),
        flate2::Compression::default(),
    );
    encoder.write_all(bytes)?;
    Ok(web::Bytes::from(encoder.finish()?))
}

/// Built answers by window, each with the generation it was built at.
#[derive(Debug, Default)]
pub struct ScheduleCache {
    kept: Kept<Window, (i64, Answer), 256>,
    /// Builds of windows that hash alike take turns: the clients that ask for a window just
    /// after a change wait for one build of it rather than each building it (seven queries,
    /// a megabyte of JSON and its compression each: 32 at once held as much memory as the
    /// server's whole target).
    turns: [tokio::sync::Mutex<()>; 16],
    stripes: std::hash::RandomState,
}

impl ScheduleCache {
    /// The answer for `window` at `generation`: the one kept, or the one `build` makes, then
    /// kept. Builds of windows that hash alike take turns, so a client asking for a window
    /// while it is being built waits for that build and finds its answer kept.
    pub async fn get_or_build(
        &self,
        window: Window,
        generation: i64,
        build: impl AsyncFnOnce() -> ApiResult<Answer>,
    ) -> ApiResult<Answer> {
        if let Some(answer) = self.get(&window, generation) {
            return Ok(answer);
        }
        let _turn = self.turn(&window).await;
        if let Some(answer) = self.get(&window, generation) {
            return Ok(answer);
        }
        let answer = build().await?;
        self.kept.put(window, (generation, answer.clone()));
        Ok(answer)
    }

    fn get(&self, window: &Window, generation: i64) -> Option<Answer> {
        self.kept
            .get(window)
            .filter(|(built_at, _)| *built_at == generation)
            .map(|(_, answer)| answer)
    }

    async fn turn(&self, window: &Window) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::BuildHasher;
        let stripe = self.stripes.hash_one(window) as usize;
        self.turns[stripe % self.turns.len()].lock().await
    }
}

/// A window's answer from the database: its items, as JSON and compressed. The connection is
/// taken here, once the build's turn has come.
pub async fn build(state: &AppState, w: &Window) -> ApiResult<Answer> {
    let items = if w.to < w.from {
        Vec::new()
    } else {
        items(&mut *state.db().await?, w).await?
    };
    let schedule = Schedule {
        from: w.from,
        to: w.to,
        items,
    };
    let json =
        serde_json::to_vec(&schedule).map_err(|e| ApiError::internal(anyhow::Error::from(e)))?;
    Answer::of(json).await
}

/// The generation now: read before the schedule, so an answer is never stamped newer than
/// what it was built from.
pub async fn generation(conn: &mut AsyncPgConnection) -> ApiResult<i64> {
    use crate::db::schema::public_schedule_generation::dsl::{n, public_schedule_generation};
    Ok(public_schedule_generation.select(n).first(conn).await?)
}

pub async fn items(conn: &mut AsyncPgConnection, w: &Window) -> ApiResult<Vec<ScheduleItem>> {
    let activities = model::public_activities(
        conn,
        start_of_local_day(w.from),
        end_of_local_day(w.to),
        w.station,
    )
    .await?;
    let rules = model::public_rules(conn, w.station, w.from).await?;
    let activity_ids: Vec<Uuid> = activities.iter().map(|a| a.id).collect();
    let links = crate::activities::model::participants_of(conn, &activity_ids).await?;
    let mut deputy_ids: Vec<Uuid> = links.iter().map(|p| p.representative_id).collect();
    deputy_ids.extend(
        rules
            .iter()
            .flat_map(|r| r.versions.iter())
            .flat_map(|v| v.representative_ids.iter().copied()),
    );
    deputy_ids.sort_unstable();
    deputy_ids.dedup();
    let deputies = model::deputies(conn, &deputy_ids).await?;
    let mut group_ids: Vec<Uuid> = activities
        .iter()
        .filter_map(|a| a.liaison_group_id)
        .collect();
    group_ids.extend(rules.iter().map(|r| r.rule.liaison_group_id));
    group_ids.sort_unstable();
    group_ids.dedup();
    let places = model::places(conn, &group_ids).await?;

    // Names of the deputies listed, or None when the constituency filter rules the item out.
    let on_duty = |ids: &mut dyn Iterator<Item = Uuid>| -> Option<Vec<DutyDeputy>> {
        let mut matched = w.constituency.is_none();
        let mut names = Vec::new();
        for id in ids {
            if let Some((name, constituency)) = deputies.get(&id) {
                matched |= w.constituency.is_some() && *constituency == w.constituency;
                names.push(DutyDeputy { name: name.clone() });
            }
        }
        matched.then_some(names)
    };

    let mut items = Vec::new();
    for a in activities {
        let Some(representatives) = on_duty(
            &mut links
                .iter()
                .filter(|p| p.activity_id == a.id)
                .map(|p| p.representative_id),
        ) else {
            continue;
        };
        let place = a
            .liaison_group_id
            .and_then(|g| places.get(&g).cloned())
            .or(a.address)
            .unwrap_or_default();
        items.push(ScheduleItem {
            starts_at: to_local(a.starts_at),
            ends_at: to_local(a.ends_at),
            liaison_group_id: a.liaison_group_id,
            place,
            representatives,
            kind: a.kind,
            title: a.topic,
            activity_id: Some(a.id),
            reception_rule_id: None,
            cancelled: a.cancelled,
            sequence: a.version - 1,
            uid: format!("activity-{}@liaison", a.id),
        });
    }
    for rota in &rules {
        let rule = &rota.rule;
        let place = places
            .get(&rule.liaison_group_id)
            .cloned()
            .unwrap_or_default();
        for o in rota.occurrences(w.from, w.to) {
            let Some(representatives) = on_duty(&mut o.representative_ids.iter().copied()) else {
                continue;
            };
            items.push(ScheduleItem {
                starts_at: to_local(o.starts_at),
                ends_at: to_local(o.ends_at),
                liaison_group_id: Some(rule.liaison_group_id),
                place: place.clone(),
                representatives,
                kind: ActivityKind::StationReception,
                title: "人大代表进站接待选民".to_owned(),
                activity_id: None,
                reception_rule_id: Some(rule.id),
                cancelled: false,
                sequence: 0,
                uid: format!(
                    "reception-{}-{}@liaison",
                    rule.id,
                    o.starts_at.format("%Y%m%dT%H%M%SZ")
                ),
            });
        }
    }
    items.sort_by(|a, b| (a.starts_at, &a.place, &a.uid).cmp(&(b.starts_at, &b.place, &b.uid)));
    Ok(items)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::FutureExt;

    use super::*;

    fn window(day: u32) -> Window {
        Window {
            from: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            station: None,
            constituency: None,
        }
    }

    #[tokio::test]
    async fn a_window_is_built_once_by_those_asking_at_once_and_again_at_a_new_generation() {
        let cache = ScheduleCache::default();
        let builds = std::cell::Cell::new(0);
        let build = async || {
            builds.set(builds.get() + 1);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(Answer {
                json: web::Bytes::from_static(b"{}"),
                gzip: web::Bytes::from_static(b"gz"),
            })
        };
        let w = window(1);
        let (one, two) = tokio::join!(
            cache.get_or_build(w, 7, build),
            cache.get_or_build(w, 7, build)
        );
        assert_eq!(one.unwrap().json, two.unwrap().json);
        assert_eq!(builds.get(), 1, "the second waited and found it kept");
        cache.get_or_build(w, 7, build).await.unwrap();
        assert_eq!(builds.get(), 1);
        cache.get_or_build(w, 8, build).await.unwrap();
        assert_eq!(builds.get(), 2, "built again at another generation");

        // Windows that hash to other stripes are built meanwhile.
        let _held = cache.turn(&w).await;
        let free = (2..=28)
            .filter_map(|day| cache.turn(&window(day)).now_or_never().map(drop))
            .count();
        assert!(free > 0, "every other window waited");
    }
}
