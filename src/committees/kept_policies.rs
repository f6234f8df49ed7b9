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

use std::sync::Arc;

use diesel::prelude::*;
use uuid::Uuid;

use super::policy::EffectivePolicy;
use crate::db::schema::committee_policy_generation;
use crate::error::{ApiError, ApiResult};
use crate::kept::Kept;

/// A committee's path (root first) and the policy in force for it.
#[derive(Debug)]
pub struct PathAndPolicy {
    pub path: Vec<Uuid>,
    pub policy: EffectivePolicy,
}

/// Kept by committee, each with the generation it was read at; shared by all workers.
#[derive(Debug, Default)]
pub struct KeptPolicies(Kept<Uuid, (i64, Arc<PathAndPolicy>), 4_096>);

/// `(SELECT n FROM committee_policy_generation)`, for a read to select beside its rows.
pub type Generation = diesel::dsl::SingleValue<
    diesel::dsl::Select<committee_policy_generation::table, committee_policy_generation::n>,
>;

pub fn generation() -> Generation {
    committee_policy_generation::table
        .select(committee_policy_generation::n)
        .single_value()
}

impl KeptPolicies {
    /// The entry for `committee` if it was kept at `generation`.
    pub fn get(&self, committee: Uuid, generation: i64) -> Option<Arc<PathAndPolicy>> {
        self.0
            .get(&committee)
            .filter(|(kept_at, _)| *kept_at == generation)
            .map(|(_, entry)| entry)
    }

    /// The path and policy of `committee` now: the kept entry while `generation` (read in the
    /// caller's statement) has not moved, else read in one statement and kept.
    pub async fn of<C>(
        &self,
        conn: &mut C,
        committee: Uuid,
        generation: Option<i64>,
    ) -> ApiResult<Arc<PathAndPolicy>>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        let generation = generation.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("committee_policy_generation has no row"))
        })?;
        if let Some(kept) = self.get(committee, generation) {
            return Ok(kept);
        }
        let (path, policy) = super::model::path_and_policy(conn, committee)
            .await?
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("committee {committee} has no path"))
            })?;
        let entry = Arc::new(PathAndPolicy { path, policy });
        self.0.put(committee, (generation, entry.clone()));
        Ok(entry)
    }
}
