//! The committees' paths and effective policies a server has read, kept between requests.
//!
//! Nearly every opinion read needs its committee's policy (what steps are open to the caller),
//! yet the tree and the policies are small and change rarely. Each kept entry is stamped with
//! `committee_policy_generation`, which every committed change to the tree or to a policy
//! raises (see its migration). A read selects the number in its own statement
//! (`generation()`) and uses an entry only while the number is the one it was kept at, so a
//! change made through any replica is seen by the next read on every replica, and nothing needs
//! broadcasting. An entry is stamped with a number read before the policy was, never after, so
//! it can only be older than its stamp says, which costs a re-read, never a stale answer.
//!
//! The working-day calendar that due dates count on is kept the same way: a holiday or a
//! make-up day raises the same number (migration 000023). So is where each handling body
//! sits, which a referral is checked against: a body moved or removed raises it (migration
//! 000025), and a body no server has kept yet is read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use uuid::Uuid;

use super::policy::EffectivePolicy;
use crate::access::pipelined::SessionCheck;
use crate::calendar::WorkCalendar;
use crate::db::schema::committee_policy_generation;
use crate::error::{ApiError, ApiResult};
use crate::kept::Kept;

/// A committee's path (root first) and the policy in force for it.
#[derive(Debug)]
pub struct PathAndPolicy {
    pub path: Vec<Uuid>,
    pub policy: EffectivePolicy,
}

/// Where a handling body sits: its committee's path, root first, the committee itself last.
#[derive(Debug)]
pub struct BodyPlace {
    pub committee_path: Vec<Uuid>,
}

/// Kept by committee, each with the generation it was read at, the calendar with its own, and
/// the handling bodies' places by body; shared by all workers.
#[derive(Debug, Default)]
pub struct KeptPolicies {
    paths: Kept<Uuid, (i64, Arc<PathAndPolicy>), 4_096>,
    calendar: Mutex<Option<(i64, Arc<WorkCalendar>)>>,
    places: Kept<Uuid, (i64, Arc<BodyPlace>), 4_096>,
}

/// `(SELECT n FROM committee_policy_generation)`, for a read to select beside its rows.
pub type Generation = diesel::dsl::SingleValue<
    diesel::dsl::Select<committee_policy_generation::table, committee_policy_generation::n>,
>;

pub fn generation() -> Generation {
    committee_policy_generation::table
        .select(committee_policy_generation::n)
        .single_value()
}

/// The generation now, for a statement that cannot select `generation()` beside its rows. A
/// folded `check` finds nothing (`NotFound`) once the caller's session has changed.
pub async fn current_generation<C>(
    conn: &mut C,
    check: SessionCheck<'_>,
) -> diesel::QueryResult<i64>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let query = committee_policy_generation::table
        .filter(check.condition())
        .select(committee_policy_generation::n);
    diesel_async::RunQueryDsl::first(query, conn).await
}

impl KeptPolicies {
    /// The entry for `committee` if it was kept at `generation`.
    pub fn get(&self, committee: Uuid, generation: i64) -> Option<Arc<PathAndPolicy>> {
        kept_at(&self.paths, committee, generation)
    }

    /// The path and policy of each of `committees` now: kept entries while `generation` (read
    /// in the caller's own statement) has not moved, the rest read in one statement and kept.
    pub async fn of_all<C>(
        &self,
        conn: &mut C,
        committees: &[Uuid],
        generation: Option<i64>,
    ) -> ApiResult<HashMap<Uuid, Arc<PathAndPolicy>>>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        if committees.is_empty() {
            // An empty read (a page with no rows) has no generation to go by, and needs none.
            return Ok(HashMap::new());
        }
        let generation = stamped(generation)?;
        let (mut found, missing) = split_kept(&self.paths, committees, generation);
        if missing.is_empty() {
            return Ok(found);
        }
        for (committee, (path, policy)) in super::model::paths_and_policies(conn, &missing).await? {
            let entry = Arc::new(PathAndPolicy { path, policy });
            self.paths.put(committee, (generation, entry.clone()));
            found.insert(committee, entry);
        }
        Ok(found)
    }

    /// As `of_all` for one committee.
    pub async fn of<C>(
        &self,
        conn: &mut C,
        committee: Uuid,
        generation: Option<i64>,
    ) -> ApiResult<Arc<PathAndPolicy>>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        self.of_all(conn, &[committee], generation)
            .await?
            .remove(&committee)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("committee {committee} has no path")))
    }

    /// The working-day calendar now: the kept one while `generation` (read in the caller's own
    /// statement) has not moved, else read whole and kept.
    pub async fn calendar<C>(
        &self,
        conn: &mut C,
        generation: Option<i64>,
    ) -> ApiResult<Arc<WorkCalendar>>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        let generation = stamped(generation)?;
        if let Some(kept) = self.kept_calendar(generation) {
            return Ok(kept);
        }
        let calendar = Arc::new(crate::calendar::model::load_all(conn).await?);
        *self.calendar.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((generation, calendar.clone()));
        Ok(calendar)
    }

    /// Where each of `bodies` that exists sits now: kept places while `generation` (read in the
    /// caller's own statement) has not moved, the rest read in one statement and kept. A body
    /// that does not exist is missing from the answer (and read again next time).
    pub async fn places_of<C>(
        &self,
        conn: &mut C,
        bodies: &[Uuid],
        generation: Option<i64>,
    ) -> ApiResult<HashMap<Uuid, Arc<BodyPlace>>>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        use crate::db::schema::{committees, handling_bodies};
        let generation = stamped(generation)?;
        let (mut found, missing) = split_kept(&self.places, bodies, generation);
        if missing.is_empty() {
            return Ok(found);
        }
        let query = handling_bodies::table
            .inner_join(committees::table)
            .filter(handling_bodies::id.eq_any(missing))
            .select((handling_bodies::id, committees::ancestors));
        let rows: Vec<(Uuid, Vec<Uuid>)> = diesel_async::RunQueryDsl::load(query, conn).await?;
        for (body, committee_path) in rows {
            let place = Arc::new(BodyPlace { committee_path });
            self.places.put(body, (generation, place.clone()));
            found.insert(body, place);
        }
        Ok(found)
    }

    fn kept_calendar(&self, generation: i64) -> Option<Arc<WorkCalendar>> {
        let kept = self.calendar.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref()
            .filter(|(kept_at, _)| *kept_at == generation)
            .map(|(_, calendar)| calendar.clone())
    }
}

/// The generation a read selected beside its rows: the table always has its one row, so none
/// is the database's fault, never the caller's.
fn stamped(generation: Option<i64>) -> ApiResult<i64> {
    generation.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("committee_policy_generation has no row"))
    })
}

/// `key`'s entry in `kept` if it was kept at `generation`.
fn kept_at<V, const CAP: usize>(
    kept: &Kept<Uuid, (i64, Arc<V>), CAP>,
    key: Uuid,
    generation: i64,
) -> Option<Arc<V>> {
    kept.get(&key)
        .filter(|(kept_at, _)| *kept_at == generation)
        .map(|(_, entry)| entry)
}

/// Of `keys`, the entries `kept` holds at `generation`, and the rest (each once) to read.
fn split_kept<V, const CAP: usize>(
    kept: &Kept<Uuid, (i64, Arc<V>), CAP>,
    keys: &[Uuid],
    generation: i64,
) -> (HashMap<Uuid, Arc<V>>, Vec<Uuid>) {
    let mut found = HashMap::with_capacity(keys.len());
    let mut missing = Vec::new();
    for &key in keys {
        match kept_at(kept, key, generation) {
            Some(entry) => {
                found.insert(key, entry);
            }
            None => missing.push(key),
        }
    }
    missing.sort_unstable();
    missing.dedup();
    (found, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_serves_only_the_generation_it_was_kept_at() {
        let kept = KeptPolicies::default();
        let committee = Uuid::now_v7();
        let entry = Arc::new(PathAndPolicy {
            path: vec![committee],
            policy: super::super::policy::defaults(),
        });
        kept.paths.put(committee, (7, entry));
        assert!(kept.get(committee, 7).is_some());
        assert!(
            kept.get(committee, 8).is_none(),
            "a newer generation reads again"
        );
        assert!(kept.get(committee, 6).is_none());
        assert!(kept.get(Uuid::now_v7(), 7).is_none());
    }
}
